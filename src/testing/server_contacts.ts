/**
 * FakeWhatsApp's contact lookups: usync (`xmlns="usync"`), business profiles (`w:biz`), and the contact
 * and business notifications a test can trigger.
 *
 * usync answers, per `<user>` of `<list>` (shapes: reference/protocol-facts-features.md 5.2):
 *
 * | protocol | answer |
 * | --- | --- |
 * | `<devices version="2"/>` | `<devices><device-list><device id key-index?/>…</device-list><key-index-list ts/></devices>` (registered devices only; unknown users get an empty list) |
 * | `<lid/>` | `<lid val=LID/>` for a phone-number user with an account |
 * | `<contact [addressing_mode="lid"]/>` | the user is `<user><contact>+DIGITS</contact></user>`; answered `<user jid=LID pn_jid=PN>` (lid addressing) or `<user jid=PN>`, with `<contact type="in\|out">+DIGITS</contact>` |
 * | `<status/>` | `<status t>text</status>`; `<status code="401"/>` when the owner's `status` privacy hides it |
 * | `<picture/>` | `<picture id/>`; `<picture><error code="401"/></picture>` when hidden; `<picture/>` when none |
 * | `<business>` | `<business>[<verified_name>cert</verified_name>]</business>` for business accounts only |
 * | `<disappearing_mode/>` | `<disappearing_mode duration t/>` |
 *
 * A `<tctoken>` inside a `<user>` counts for the privacy checks (server_people.ts). Blocked viewers see
 * neither about text nor picture.
 *
 * @module
 */

import { contentString, getChild, getChildren, Jid, type Node, type NodeInput } from "../binary/mod.ts";
import { encodeVerifiedName } from "../features/verified_name.ts";
import type { Account, ServerBusinessProfile } from "./accounts.ts";
import { type FakeWhatsApp, iqError, iqResult } from "./fake_whatsapp.ts";
import type { ServerConnection } from "./server_connection.ts";
import type { ServerFeature } from "./server_feature.ts";
import { accountOf, canSee, notifyContacts } from "./server_people.ts";
import { parseJidAttr, unixNow } from "./stanza_util.ts";

/** Most users one usync query may name (the answer is refused with 400 beyond it). */
export const MAX_USYNC_USERS = 10_000;

interface Wanted {
  devices: boolean;
  lid: boolean;
  contact: boolean;
  contactLid: boolean;
  status: boolean;
  picture: boolean;
  business: boolean;
  disappearing: boolean;
}

function devicesNode(account: Account | undefined): NodeInput {
  const ids = account ? [...account.devices.values()].sort((a, b) => a.id - b.id) : [];
  const deviceList: NodeInput = {
    tag: "device-list",
    attrs: {},
    content: ids.length
      ? ids.map((d) => ({
        tag: "device",
        attrs: { id: String(d.id), "key-index": d.id === 0 ? undefined : String(d.keyIndex) },
      }))
      : undefined,
  };
  return {
    tag: "devices",
    attrs: {},
    content: account
      ? [deviceList, { tag: "key-index-list", attrs: { ts: String(account.deviceListTs) } }]
      : [deviceList],
  };
}

/** The verified-name child of a business account's usync answer. */
export function verifiedNameNode(business: ServerBusinessProfile): NodeInput | undefined {
  if (!business.verifiedName) return undefined;
  return {
    tag: "verified_name",
    attrs: { v: "1", verified_level: "unknown" },
    content: encodeVerifiedName({ name: business.verifiedName, issuer: "smb:wa", serial: 1n }),
  };
}

function userAnswer(wa: FakeWhatsApp, viewer: Account, user: Node, want: Wanted): NodeInput | undefined {
  let jid = parseJidAttr(user.attrs.jid)?.toNonAd();
  let query: string | undefined;
  const contactChild = getChild(user, "contact");
  if (contactChild) {
    try {
      query = contentString(contactChild);
    } catch {
      query = undefined;
    }
    const digits = query?.replace(/^\+/, "").replace(/@c\.us$/, "");
    if (!jid && digits && /^\d{5,20}$/.test(digits)) jid = Jid.pn(digits);
  }
  if (!jid) return undefined;
  const account = jid.isPn() || jid.isLid() ? wa.accounts.byJid(jid) : undefined;
  const tokenBytes = getChild(user, "tctoken")?.content;
  const token = tokenBytes instanceof Uint8Array ? tokenBytes : undefined;
  const content: NodeInput[] = [];
  const attrs: Record<string, string | Jid> = { jid };
  if (want.contact && contactChild) {
    if (account && want.contactLid) {
      attrs.jid = Jid.lid(account.lid);
      attrs.pn_jid = Jid.pn(account.phone);
    }
    content.push({
      tag: "contact",
      attrs: { type: account ? "in" : "out" },
      content: query ?? `+${jid.user}`,
    });
  }
  if (want.devices) content.push(devicesNode(account));
  if (want.lid && account && jid.isPn()) content.push({ tag: "lid", attrs: { val: Jid.lid(account.lid) } });
  if (account && want.status) {
    if (!canSee(account, viewer, "status", token)) content.push({ tag: "status", attrs: { code: "401" } });
    else {
      content.push({
        tag: "status",
        attrs: { t: account.about.t ? String(account.about.t) : undefined },
        content: account.about.text || undefined,
      });
    }
  }
  if (account && want.picture) {
    const picture = wa.pictures.get(Jid.pn(account.phone).toString());
    if (!canSee(account, viewer, "profile", token)) {
      content.push({
        tag: "picture",
        attrs: {},
        content: [{ tag: "error", attrs: { code: "401", text: "not-authorized" } }],
      });
    } else content.push({ tag: "picture", attrs: { id: picture?.id } });
  }
  if (account?.business && want.business) {
    const vname = verifiedNameNode(account.business);
    content.push({ tag: "business", attrs: {}, content: vname ? [vname] : undefined });
  }
  if (account && want.disappearing) {
    const { duration, t } = account.disappearing;
    content.push({ tag: "disappearing_mode", attrs: { duration: String(duration), t: String(t) } });
  }
  return { tag: "user", attrs, content };
}

function usyncIq(wa: FakeWhatsApp, conn: ServerConnection, node: Node): NodeInput {
  const viewer = accountOf(wa, conn);
  if (!viewer) return iqError(node, 401, "not-authorized");
  const usync = getChild(node, "usync");
  const query = usync && getChild(usync, "query");
  const list = usync && getChild(usync, "list");
  if (node.attrs.type !== "get" || !usync || !query || !list) return iqError(node, 400, "bad-request");
  const users = getChildren(list, "user");
  if (users.length > MAX_USYNC_USERS) return iqError(node, 400, "bad-request");
  const contact = getChild(query, "contact");
  const want: Wanted = {
    devices: getChild(query, "devices") !== undefined,
    lid: getChild(query, "lid") !== undefined,
    contact: contact !== undefined,
    contactLid: contact?.attrs.addressing_mode === "lid",
    status: getChild(query, "status") !== undefined,
    picture: getChild(query, "picture") !== undefined,
    business: getChild(query, "business") !== undefined,
    disappearing: getChild(query, "disappearing_mode") !== undefined,
  };
  const answers: NodeInput[] = [];
  for (const user of users) {
    const answer = userAnswer(wa, viewer, user, want);
    if (answer) answers.push(answer);
  }
  const { sid, mode, context, index, last } = usync.attrs;
  return iqResult(node, [{
    tag: "usync",
    attrs: { sid, mode, context, index, last },
    content: [{ tag: "list", attrs: {}, content: answers }],
  }]);
}

function text(tag: string, value: string | undefined): NodeInput[] {
  return value ? [{ tag, attrs: {}, content: value }] : [];
}

function businessIq(wa: FakeWhatsApp, conn: ServerConnection, node: Node): NodeInput {
  if (!accountOf(wa, conn)) return iqError(node, 401, "not-authorized");
  const request = getChild(node, "business_profile");
  if (node.attrs.type !== "get" || !request) return iqError(node, 400, "bad-request");
  const profiles: NodeInput[] = [];
  for (const p of getChildren(request, "profile")) {
    const jid = parseJidAttr(p.attrs.jid)?.toNonAd();
    const account = jid && (jid.isPn() || jid.isLid()) ? wa.accounts.byJid(jid) : undefined;
    const biz = account?.business;
    if (!jid || !biz) continue;
    profiles.push({
      tag: "profile",
      attrs: { jid },
      content: [
        ...text("address", biz.address),
        ...text("email", biz.email),
        ...text("description", biz.description),
        ...(biz.websites ?? []).flatMap((w) => text("website", w)),
        {
          tag: "categories",
          attrs: {},
          content: (biz.categories ?? []).map((c) => ({
            tag: "category",
            attrs: { id: c.id },
            content: c.name,
          })),
        },
      ],
    });
  }
  return iqResult(node, [{ tag: "business_profile", attrs: { v: request.attrs.v }, content: profiles }]);
}

/**
 * Makes an account a business (or, with `undefined`, no longer one) and tells its contacts with a
 * `<notification type="business" from=USER>`: `<remove jid/>`, `<verified_name jid>cert</verified_name>`
 * when the name changed, else `<profile hash/>`.
 */
export function setBusinessProfile(
  wa: FakeWhatsApp,
  account: Account,
  profile: ServerBusinessProfile | undefined,
): void {
  const before = account.business;
  account.business = profile ? { ...profile } : undefined;
  const user = Jid.pn(account.phone);
  let child: NodeInput;
  if (!profile) child = { tag: "remove", attrs: { jid: user } };
  else if (profile.verifiedName && profile.verifiedName !== before?.verifiedName) {
    child = { ...verifiedNameNode(profile)!, attrs: { jid: user } };
  } else child = { tag: "profile", attrs: { hash: wa.newId().toLowerCase() } };
  notifyContacts(wa, account, { attrs: { type: "business", from: user }, content: [child] });
}

/** Tells an account's contacts that its profile changed (`<notification type="contacts"><update jid/>`). */
export function announceContactUpdate(wa: FakeWhatsApp, account: Account): void {
  notifyContacts(wa, account, {
    attrs: { type: "contacts" },
    content: [{ tag: "update", attrs: { jid: Jid.pn(account.phone) } }],
  });
}

/** What a number change names. */
export interface NumberChange {
  /** The old phone-number JID. */
  oldJid: Jid;
  /** The new phone-number JID. */
  newJid: Jid;
  /** The old LID. */
  oldLid?: Jid;
  /** The new LID. */
  newLid?: Jid;
}

/** Tells an account's contacts that it moved to a new number (`<modify old new old_lid new_lid/>`). */
export function announceNumberChange(wa: FakeWhatsApp, account: Account, change: NumberChange): void {
  notifyContacts(wa, account, {
    attrs: { type: "contacts" },
    content: [{
      tag: "modify",
      attrs: { old: change.oldJid, new: change.newJid, old_lid: change.oldLid, new_lid: change.newLid },
    }],
  });
}

/** Asks an account's devices to sync their contacts again (`<sync after/>`). */
export function requestContactSync(wa: FakeWhatsApp, account: Account, after?: Date): void {
  wa.notifyAccount(account, {
    attrs: { type: "contacts", t: String(unixNow()) },
    content: [{
      tag: "sync",
      attrs: { after: after ? String(Math.floor(after.getTime() / 1000)) : undefined },
    }],
  });
}

/** The contact-lookup server side. */
export const contactsFeature: ServerFeature = {
  name: "contacts",
  iq: { usync: usyncIq, "w:biz": businessIq },
};
