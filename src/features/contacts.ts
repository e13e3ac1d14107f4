/**
 * Contacts (`client.contacts`): is a phone number on WhatsApp (many in one usync query, with each one's
 * LID), user info (about text, picture id, devices, business flag, LID), the LID of a phone number and
 * back, and the server's contact notifications:
 *
 * - `<notification type="contacts">` with `<update jid/>` (`contactUpdated`), `<modify old new old_lid
 *   new_lid/>` (`contactNumberChanged`; the LID/PN pairs are learned) or `<sync after/>`
 *   (`contactSyncRequested`); `<add/>`/`<remove/>` carry nothing to report (whatsapp-rust
 *   src/handlers/notification.rs `handle_contacts_notification`).
 * - `<notification type="business" from>` with `<remove>`, `<verified_name>`, `<profile>`,
 *   `<product_catalog>` or `<subscriptions>` (`businessStatusUpdate`; whatsapp-rust
 *   wacore/src/stanza/business.rs).
 *
 * LID/PN pairs in answers are learned, so later sends and blocks can use the LID.
 *
 * @module
 */

import { contentString, getChild, getChildren, Jid, type Node } from "../binary/mod.ts";
import type { FeatureContext } from "./context.ts";
import { InputError } from "./errors.ts";
import type { IqSpec } from "./iq.ts";
import { toJid } from "./jid_input.ts";
import { notificationTime } from "./lenient_attrs.ts";
import type { TcTokens } from "./tctoken.ts";
import {
  parseUsyncBusiness,
  parseUsyncContact,
  parseUsyncLid,
  parseUsyncPicture,
  parseUsyncStatus,
  parseUsyncUser,
  usyncSpec,
  usyncUserJid,
} from "./usync.ts";
import { decodeVerifiedName } from "./verified_name.ts";

/** One number's answer to {@linkcode Contacts.isOnWhatsApp}. */
export interface OnWhatsAppResult {
  /** The number as asked (digits only). */
  query: string;
  /** Its phone-number JID. */
  jid: Jid;
  /** Its LID, when the server gave one. */
  lid?: Jid;
  /** True when the number has a WhatsApp account. */
  isRegistered: boolean;
  /** True for a business account. */
  isBusiness: boolean;
  /** The business's verified name, when it has one. */
  verifiedName?: string;
}

/** What {@linkcode Contacts.userInfo} tells about a user. */
export interface UserInfo {
  /** The user as asked (PN or LID, no device). */
  jid: Jid;
  /** The user's LID, when known. */
  lid?: Jid;
  /** The about text, unless hidden or never set. */
  about?: string;
  /** When the about text was set. */
  aboutSetAt?: Date;
  /** True when the user's privacy settings hide the about text from us. */
  aboutHidden: boolean;
  /** The current profile picture id, when we may see it. */
  pictureId?: string;
  /** The user's devices (device 0 first). */
  devices: Jid[];
  /** True for a business account. */
  isBusiness: boolean;
  /** The business's verified name. */
  verifiedName?: string;
}

/** Digits of a phone number given with or without `+`, spaces, dashes or brackets. */
export function normalisePhone(input: string, argument = "phones"): string {
  if (typeof input !== "string") {
    throw new InputError("invalid_argument", argument, `expected a phone number string, got ${typeof input}`);
  }
  const digits = input.trim().replace(/@(c\.us|s\.whatsapp\.net)$/, "").replace(/[\s()+.-]/g, "");
  if (!/^\d{5,20}$/.test(digits)) {
    throw new InputError(
      "invalid_argument",
      argument,
      `"${input}" is not a phone number in international form (e.g. "+1 555 123 4567")`,
    );
  }
  return digits;
}

/**
 * The usync query asking whether phone numbers are on WhatsApp, with each one's LID and business name
 * (`mode="query" context="interactive"`, `<contact/><lid/><business><verified_name/></business>`, each
 * user as `<user><contact>+DIGITS</contact></user>`).
 *
 * @example
 * ```ts
 * import { isOnWhatsAppSpec } from "./contacts.ts";
 * const spec = isOnWhatsAppSpec(["+1 555 123 4567"]);
 * spec.build().namespace; // "usync"
 * ```
 */
export function isOnWhatsAppSpec(phones: readonly string[]): IqSpec<OnWhatsAppResult[]> {
  const digits = phones.map((p) => normalisePhone(p));
  return usyncSpec({
    operation: "is on WhatsApp",
    about: digits.length === 1 ? digits[0] : `${digits.length} numbers`,
    mode: "query",
    context: "interactive",
    protocols: [
      { tag: "contact", attrs: {} },
      { tag: "lid", attrs: {} },
      { tag: "business", attrs: {}, content: [{ tag: "verified_name", attrs: {} }] },
    ],
    users: digits.map((d) => ({
      tag: "user",
      attrs: {},
      content: [{ tag: "contact", attrs: {}, content: `+${d}` }],
    })),
  }, parseOnWhatsApp);
}

function parseOnWhatsApp(users: Node[]): OnWhatsAppResult[] {
  const out: OnWhatsAppResult[] = [];
  for (const user of users) {
    const contact = parseUsyncContact(user);
    const jid = usyncUserJid(user);
    const pnJid = usyncUserJid(user, "pn_jid");
    // With LID addressing the user is named by its LID and `pn_jid` holds the phone number.
    const pn = jid?.isPn() ? jid : pnJid?.isPn() ? pnJid : undefined;
    const lid = jid?.isLid() ? jid : parseUsyncLid(user);
    const query = contact?.query.replace(/^\+/, "").replace(/@c\.us$/, "") ?? pn?.user ?? "";
    const phone = pn ?? (/^\d+$/.test(query) ? Jid.pn(query) : undefined);
    if (!phone) continue;
    const business = parseUsyncBusiness(user);
    out.push({
      query: query || phone.user,
      jid: phone,
      lid,
      isRegistered: contact?.registered ?? false,
      isBusiness: business.isBusiness,
      verifiedName: business.verifiedName,
    });
  }
  return out;
}

/**
 * The usync query for user info (`mode="full" context="background"`: business, status, picture,
 * devices, lid), each user with our stored tc token for it when there is one (whatsmeow
 * `GetUserInfo` with `IncludePrivacyToken`).
 */
export function userInfoSpec(
  users: readonly { jid: Jid; tcToken?: Uint8Array }[],
): IqSpec<Map<string, UserInfo>> {
  return usyncSpec({
    operation: "user info",
    about: users.length === 1 ? users[0].jid : `${users.length} users`,
    mode: "full",
    context: "background",
    protocols: [
      { tag: "business", attrs: {}, content: [{ tag: "verified_name", attrs: {} }] },
      { tag: "status", attrs: {} },
      { tag: "picture", attrs: {} },
      { tag: "devices", attrs: { version: "2" } },
      { tag: "lid", attrs: {} },
    ],
    users: users.map(({ jid, tcToken }) => ({
      tag: "user",
      attrs: { jid: jid.toNonAd() },
      content: tcToken ? [{ tag: "tctoken", attrs: {}, content: tcToken }] : undefined,
    })),
  }, parseUserInfo);
}

function parseUserInfo(users: Node[]): Map<string, UserInfo> {
  const out = new Map<string, UserInfo>();
  for (const user of users) {
    const jid = usyncUserJid(user);
    if (!jid) continue;
    const about = parseUsyncStatus(user);
    const business = parseUsyncBusiness(user);
    out.set(jid.toString(), {
      jid,
      lid: jid.isLid() ? jid : parseUsyncLid(user),
      about: about?.text,
      aboutSetAt: about?.setAt,
      aboutHidden: about?.hidden ?? false,
      pictureId: parseUsyncPicture(user),
      devices: parseUsyncUser(user)?.devices ?? [],
      isBusiness: business.isBusiness,
      verifiedName: business.verifiedName,
    });
  }
  return out;
}

/** The usync query for the LIDs of phone numbers (`mode="query" context="background"`, `<lid/>`). */
export function lidLookupSpec(phoneNumbers: readonly Jid[]): IqSpec<Map<string, Jid>> {
  return usyncSpec({
    operation: "LID lookup",
    about: phoneNumbers.length === 1 ? phoneNumbers[0] : `${phoneNumbers.length} users`,
    mode: "query",
    context: "background",
    protocols: [{ tag: "lid", attrs: {} }],
    users: phoneNumbers.map((pn) => ({ tag: "user", attrs: { jid: pn.toNonAd() } })),
  }, (users) => {
    const out = new Map<string, Jid>();
    for (const user of users) {
      const jid = usyncUserJid(user);
      const lid = parseUsyncLid(user);
      if (jid?.isPn() && lid) out.set(jid.toString(), lid);
    }
    return out;
  });
}

/** Payload of `contactUpdated`: a contact's profile changed (refresh what is cached about it). */
export interface ContactUpdatedEvent {
  /** The contact. */
  jid: Jid;
  /** When. */
  timestamp: Date;
}

/** Payload of `contactNumberChanged`: a contact moved to a new phone number. */
export interface ContactNumberChangedEvent {
  /** The old phone-number JID. */
  oldJid: Jid;
  /** The new phone-number JID. */
  newJid: Jid;
  /** The old LID, when given. */
  oldLid?: Jid;
  /** The new LID, when given. */
  newLid?: Jid;
  /** When. */
  timestamp: Date;
}

/** Payload of `contactSyncRequested`: the server asks for the address book to be synced again. */
export interface ContactSyncRequestedEvent {
  /** Only contacts changed after this time, when given. */
  after?: Date;
  /** When. */
  timestamp: Date;
}

/** What changed in a `businessStatusUpdate`. */
export type BusinessUpdateKind =
  | "removed_as_business"
  | "verified_name_changed"
  | "profile_updated"
  | "products_updated"
  | "collections_updated"
  | "subscriptions_updated"
  | "unknown";

/** Payload of `businessStatusUpdate`. */
export interface BusinessStatusUpdateEvent {
  /** The business account the notification is about. */
  jid: Jid;
  /** What changed. */
  kind: BusinessUpdateKind;
  /** When. */
  timestamp: Date;
  /** The JID the child names, when it names one. */
  targetJid?: Jid;
  /** The hash the child carries, when it carries one. */
  hash?: string;
  /** The new verified name (`verified_name_changed`). */
  verifiedName?: string;
  /** Product ids (`products_updated`). */
  productIds: string[];
  /** Collection ids (`collections_updated`). */
  collectionIds: string[];
}

/** The events of the contacts feature. */
export interface ContactEvents {
  /** A contact's profile changed. */
  contactUpdated: ContactUpdatedEvent;
  /** A contact changed their phone number. */
  contactNumberChanged: ContactNumberChangedEvent;
  /** The server asks for a contact sync. */
  contactSyncRequested: ContactSyncRequestedEvent;
  /** A business account changed (profile, verified name, catalog, or no longer a business). */
  businessStatusUpdate: BusinessStatusUpdateEvent;
}

function jidAttr(node: Node, name: string): Jid | undefined {
  const v = node.attrs[name];
  return v ? Jid.tryParse(v)?.toNonAd() : undefined;
}

/** A parsed `<notification type="contacts">`: one of the three events, or `undefined` for add/remove. */
export type ContactNotification =
  | { type: "contactUpdated"; event: ContactUpdatedEvent }
  | { type: "contactNumberChanged"; event: ContactNumberChangedEvent }
  | { type: "contactSyncRequested"; event: ContactSyncRequestedEvent };

/** Parses a contacts notification (its first child decides); throws when that child lacks what it needs. */
export function parseContactsNotification(node: Node): ContactNotification | undefined {
  const child = getChildren(node)[0];
  const timestamp = notificationTime(node);
  if (!child) return undefined;
  switch (child.tag) {
    case "update": {
      const jid = jidAttr(child, "jid");
      if (!jid) return undefined; // a hash-only update names no one we can tell
      return { type: "contactUpdated", event: { jid, timestamp } };
    }
    case "modify": {
      const oldJid = jidAttr(child, "old");
      const newJid = jidAttr(child, "new");
      if (!oldJid || !newJid) throw new Error("<modify> needs old and new JIDs");
      return {
        type: "contactNumberChanged",
        event: {
          oldJid,
          newJid,
          oldLid: jidAttr(child, "old_lid"),
          newLid: jidAttr(child, "new_lid"),
          timestamp,
        },
      };
    }
    case "sync": {
      const after = Number(child.attrs.after);
      return {
        type: "contactSyncRequested",
        event: {
          after: Number.isSafeInteger(after) && after > 0 ? new Date(after * 1000) : undefined,
          timestamp,
        },
      };
    }
  }
  return undefined;
}

/** Parses a `<notification type="business">`; throws when it lacks `from`. */
export function parseBusinessNotification(node: Node): BusinessStatusUpdateEvent {
  const jid = jidAttr(node, "from");
  if (!jid) throw new Error(`business notification lacks a valid from (got ${node.attrs.from})`);
  const base: BusinessStatusUpdateEvent = {
    jid,
    kind: "unknown",
    timestamp: notificationTime(node),
    productIds: [],
    collectionIds: [],
  };
  const remove = getChild(node, "remove");
  if (remove) {
    return {
      ...base,
      kind: "removed_as_business",
      targetJid: jidAttr(remove, "jid"),
      hash: remove.attrs.hash,
    };
  }
  const vname = getChild(node, "verified_name");
  if (vname) {
    let name: string | undefined = vname.attrs.name;
    if (!name && vname.content instanceof Uint8Array) {
      try {
        name = decodeVerifiedName(vname.content)?.name;
      } catch {
        name = undefined;
      }
    }
    return {
      ...base,
      kind: "verified_name_changed",
      targetJid: jidAttr(vname, "jid"),
      hash: vname.attrs.hash,
      verifiedName: name,
    };
  }
  const profile = getChild(node, "profile");
  if (profile) return { ...base, kind: "profile_updated", hash: profile.attrs.hash };
  const catalog = getChild(node, "product_catalog");
  if (catalog) {
    const productIds: string[] = [];
    for (const product of getChildren(catalog, "product")) {
      const id = getChild(product, "id");
      let text: string | undefined;
      try {
        text = id && contentString(id);
      } catch {
        text = undefined;
      }
      if (text) productIds.push(text);
    }
    const collectionIds = getChildren(catalog, "collection").map((c) => c.attrs.id).filter((
      id,
    ): id is string => !!id);
    if (productIds.length) return { ...base, kind: "products_updated", productIds };
    if (collectionIds.length) return { ...base, kind: "collections_updated", collectionIds };
  }
  if (getChild(node, "subscriptions")) return { ...base, kind: "subscriptions_updated" };
  return base;
}

/** Lookups of users and the contact notifications. */
export class Contacts {
  readonly #ctx: FeatureContext<ContactEvents>;
  readonly #tcTokens: TcTokens;

  /** Creates the feature and subscribes to contacts and business notifications. */
  constructor(ctx: FeatureContext<ContactEvents>, tcTokens: TcTokens) {
    this.#ctx = ctx;
    this.#tcTokens = tcTokens;
    ctx.onStanza({ tag: "notification", type: "contacts" }, (node) => this.#onContacts(node));
    ctx.onStanza({ tag: "notification", type: "business" }, (node) => this.#onBusiness(node));
  }

  /**
   * Which phone numbers (with or without `+`) are on WhatsApp, in one query; each registered number's
   * LID is learned. An empty list resolves to `[]` without a request.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export async function example(client: Client) {
   *   const [r] = await client.contacts.isOnWhatsApp(["+1 555 123 4567"]);
   *   if (r.isRegistered) await client.sendText(r.jid, "hi");
   * }
   * ```
   */
  async isOnWhatsApp(
    phones: readonly string[],
    options: { signal?: AbortSignal } = {},
  ): Promise<OnWhatsAppResult[]> {
    if (!phones.length) return [];
    const results = await this.#ctx.execute(isOnWhatsAppSpec(phones), options);
    for (const r of results) {
      if (r.lid && r.isRegistered) await this.#ctx.learnLidMapping(r.lid, r.jid, "usync");
    }
    return results;
  }

  /**
   * About text, picture id, devices, business flag and LID of users (PN or LID JIDs), keyed by the JID
   * string as asked. Our stored tc token for each user goes with the query.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export async function example(client: Client) {
   *   const info = await client.contacts.userInfo(["15551234567@s.whatsapp.net"]);
   *   const user = info.get("15551234567@s.whatsapp.net");
   *   console.log(user?.about, user?.devices.length);
   * }
   * ```
   */
  async userInfo(
    jids: readonly (Jid | string)[],
    options: { signal?: AbortSignal } = {},
  ): Promise<Map<string, UserInfo>> {
    if (!jids.length) return new Map();
    const users = [];
    for (const j of jids) {
      const jid = toJid(j, "jids").toNonAd();
      if (!jid.isPn() && !jid.isLid()) {
        throw new InputError(
          "invalid_jid",
          "jids",
          `${jid} is not a user (expected …@s.whatsapp.net or …@lid)`,
        );
      }
      users.push({ jid, tcToken: await this.#tcTokens.tokenFor(jid) });
    }
    const info = await this.#ctx.execute(userInfoSpec(users), options);
    for (const u of info.values()) {
      if (u.lid && u.jid.isPn()) await this.#ctx.learnLidMapping(u.lid, u.jid, "usync");
    }
    return info;
  }

  /**
   * The LID of a phone number: from the store, else asked of the server (and then stored). `undefined`
   * when the number has no account.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export async function example(client: Client) {
   *   const lid = await client.contacts.lidForPhoneNumber("15551234567@s.whatsapp.net");
   *   console.log(lid?.toString() ?? "no WhatsApp account");
   * }
   * ```
   */
  async lidForPhoneNumber(
    pn: Jid | string,
    options: { signal?: AbortSignal } = {},
  ): Promise<Jid | undefined> {
    const user = toJid(pn, "pn").toNonAd();
    if (!user.isPn()) throw new InputError("invalid_jid", "pn", `${user} is not a phone-number JID`);
    const stored = await this.#ctx.store.getPnMapping(user.user);
    if (stored) return Jid.lid(stored.lid);
    const found = (await this.#ctx.execute(lidLookupSpec([user]), options)).get(user.toString());
    if (found) await this.#ctx.learnLidMapping(found, user, "usync");
    return found;
  }

  /**
   * The phone number of a LID, when this client learned it (from messages, usync answers, groups or
   * notifications); the server does not hand out phone numbers for LIDs.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export function example(client: Client) {
   *   client.on("message", async ({ info }) => {
   *     const sender = info.source.sender.toNonAd();
   *     const pn = sender.isLid() ? await client.contacts.phoneNumberForLid(sender) : sender;
   *     console.log("from", pn?.toString() ?? sender.toString());
   *   });
   * }
   * ```
   */
  async phoneNumberForLid(lid: Jid | string): Promise<Jid | undefined> {
    const user = toJid(lid, "lid").toNonAd();
    if (!user.isLid()) throw new InputError("invalid_jid", "lid", `${user} is not a LID (…@lid)`);
    const entry = await this.#ctx.store.getLidMapping(user.user);
    return entry ? Jid.pn(entry.phoneNumber) : undefined;
  }

  async #onContacts(node: Node): Promise<void> {
    let parsed: ContactNotification | undefined;
    try {
      parsed = parseContactsNotification(node);
    } catch (e) {
      this.#ctx.log.warn("dropping a malformed contacts notification", { error: e, attrs: node.attrs });
      return;
    }
    if (!parsed) return;
    if (parsed.type === "contactNumberChanged") {
      const { oldJid, newJid, oldLid, newLid } = parsed.event;
      if (oldLid?.isLid() && oldJid.isPn()) {
        await this.#ctx.learnLidMapping(oldLid, oldJid, "device_notification");
      }
      if (newLid?.isLid() && newJid.isPn()) {
        await this.#ctx.learnLidMapping(newLid, newJid, "device_notification");
      }
      await this.#ctx.emit("contactNumberChanged", parsed.event);
    } else if (parsed.type === "contactUpdated") {
      await this.#ctx.emit("contactUpdated", parsed.event);
    } else {
      await this.#ctx.emit("contactSyncRequested", parsed.event);
    }
  }

  async #onBusiness(node: Node): Promise<void> {
    let event: BusinessStatusUpdateEvent;
    try {
      event = parseBusinessNotification(node);
    } catch (e) {
      this.#ctx.log.warn("dropping a malformed business notification", { error: e, attrs: node.attrs });
      return;
    }
    await this.#ctx.emit("businessStatusUpdate", event);
  }
}
