/**
 * FakeWhatsApp's blocklist, privacy settings, trusted-contact tokens and default disappearing timer
 * (shapes: reference/protocol-facts-features.md 5.4 and 5.5).
 *
 * - `blocklist` get → `<list dhash><item jid/>…</list>`; set `<item action="block" jid=LID pn_jid=PN/>`
 *   (a LID block without `pn_jid` is refused with 400, as the real server does; a PN-only block is
 *   accepted and stored by LID) or `<item action="unblock" jid/>` → the updated list. The account's other
 *   devices get `<notification type="account_sync"><blocklist action="modify" dhash prev_dhash><item jid
 *   action/></blocklist>`. Blocking takes effect at once (server_people.ts).
 * - `privacy` get `<privacy/>` → every category; set `<privacy><category name value/></privacy>` (values
 *   checked, 400 otherwise) → the changed categories, copied to the other devices as `account_sync
 *   <privacy>`; presence subscribers get the presence the new settings allow.
 * - `privacy` set `<tokens><token jid t type="trusted_contact"/>…` issues tokens: each holder's devices get
 *   `<notification type="privacy_token" from=ISSUER sender_lid=ISSUER_LID><tokens><token
 *   type="trusted_contact" t>bytes</token></tokens>`; the answer lists the tokens.
 * - `disappearing_mode` set `<disappearing_mode duration/>` (0, 86400, 604800, 7776000) → the other devices
 *   get `account_sync <disappearing_mode duration t/>`, contacts `<notification type="disappearing_mode"
 *   from=USER><disappearing_mode duration t/>`.
 *
 * @module
 */

import { getChild, getChildren, Jid, type Node, type NodeInput } from "../binary/mod.ts";
import { randomBytes, sha256 } from "../crypto/mod.ts";
import type { Account } from "./accounts.ts";
import { type FakeWhatsApp, iqError, iqResult } from "./fake_whatsapp.ts";
import type { ServerConnection } from "./server_connection.ts";
import type { ServerFeature } from "./server_feature.ts";
import { accountOf, DEFAULT_PRIVACY, notifyContacts } from "./server_people.ts";
import { broadcastPresence } from "./server_presence.ts";
import { parseJidAttr, unixNow } from "./stanza_util.ts";

/** The values each privacy category takes. */
export const PRIVACY_VALUES: Readonly<Record<string, readonly string[]>> = {
  last: ["all", "contacts", "contact_blacklist", "none"],
  online: ["all", "match_last_seen"],
  profile: ["all", "contacts", "contact_blacklist", "none"],
  status: ["all", "contacts", "contact_blacklist", "none"],
  groupadd: ["all", "contacts", "contact_blacklist", "none"],
  readreceipts: ["all", "none"],
  calladd: ["all", "known"],
  messages: ["all", "contacts"],
  defense: ["on_standard", "off"],
  stickers: ["contacts", "contact_allowlist", "none"],
};

/** The disappearing timers the server accepts, in seconds. */
export const DISAPPEARING_DURATIONS: readonly number[] = [0, 86_400, 604_800, 7_776_000];

/** The blocklist's hash, as the server announces it (16 hex digits of SHA-256 over the sorted list). */
export function blocklistHash(account: Account): string {
  return sha256(new TextEncoder().encode([...account.blocklist].sort().join(","))).toHex().slice(0, 16);
}

function blocklistNode(account: Account): NodeInput {
  const items = [...account.blocklist].sort().map((jid) => ({ tag: "item", attrs: { jid } }));
  return { tag: "list", attrs: { dhash: blocklistHash(account) }, content: items };
}

function blocklistIq(wa: FakeWhatsApp, conn: ServerConnection, node: Node): NodeInput {
  const account = accountOf(wa, conn);
  if (!account) return iqError(node, 401, "not-authorized");
  if (node.attrs.type === "get") return iqResult(node, [blocklistNode(account)]);
  const item = getChild(node, "item");
  if (node.attrs.type !== "set" || !item) return iqError(node, 400, "bad-request");
  const action = item.attrs.action;
  const jid = parseJidAttr(item.attrs.jid)?.toNonAd();
  if ((action !== "block" && action !== "unblock") || !jid || (!jid.isLid() && !jid.isPn())) {
    return iqError(node, 400, "bad-request");
  }
  if (action === "block" && jid.isLid() && !item.attrs.pn_jid) return iqError(node, 400, "bad-request");
  const target = wa.accounts.byJid(jid);
  if (!target) return iqError(node, 404, "item-not-found");
  if (target === account) return iqError(node, 406, "not-acceptable");
  const prev = blocklistHash(account);
  const lid = Jid.lid(target.lid).toString();
  account.blocklist.delete(Jid.pn(target.phone).toString());
  if (action === "block") account.blocklist.add(lid);
  else account.blocklist.delete(lid);
  const dhash = blocklistHash(account);
  if (dhash !== prev) {
    wa.notifyAccount(account, {
      attrs: { type: "account_sync" },
      content: [{
        tag: "blocklist",
        attrs: { action: "modify", dhash, prev_dhash: prev },
        content: [{ tag: "item", attrs: { jid: lid, action } }],
      }],
    }, conn.device);
    // A block hides our presence from them at once; an unblock shows it again.
    broadcastPresence(wa, account);
  }
  return iqResult(node, [blocklistNode(account)]);
}

function issueTokens(wa: FakeWhatsApp, owner: Account, tokens: Node): NodeInput {
  const issued: NodeInput[] = [];
  for (const t of getChildren(tokens, "token")) {
    const jid = parseJidAttr(t.attrs.jid)?.toNonAd();
    const holder = jid && (jid.isLid() || jid.isPn()) ? wa.accounts.byJid(jid) : undefined;
    if (!jid || !holder || holder === owner || t.attrs.type !== "trusted_contact") continue;
    const at = /^\d+$/.test(t.attrs.t ?? "") ? Number(t.attrs.t) : unixNow();
    const token = randomBytes(24);
    owner.issuedTcTokens.set(holder.lid, { token, t: at });
    wa.notifyAccount(holder, {
      attrs: { type: "privacy_token", from: Jid.pn(owner.phone), sender_lid: Jid.lid(owner.lid) },
      content: [{
        tag: "tokens",
        attrs: {},
        content: [{
          tag: "token",
          attrs: { type: "trusted_contact", t: String(at) },
          content: token.slice(),
        }],
      }],
    });
    issued.push({
      tag: "token",
      attrs: { jid, t: String(at), type: "trusted_contact" },
      content: token.slice(),
    });
  }
  return { tag: "tokens", attrs: {}, content: issued };
}

function privacyIq(wa: FakeWhatsApp, conn: ServerConnection, node: Node): NodeInput {
  const account = accountOf(wa, conn);
  if (!account) return iqError(node, 401, "not-authorized");
  const tokens = getChild(node, "tokens");
  if (node.attrs.type === "set" && tokens) return iqResult(node, [issueTokens(wa, account, tokens)]);
  const privacy = getChild(node, "privacy");
  if (!privacy) return iqError(node, 400, "bad-request");
  if (node.attrs.type === "get") {
    const settings = { ...DEFAULT_PRIVACY, ...Object.fromEntries(account.privacy) };
    const categories = Object.entries(settings).map(([name, value]) => ({
      tag: "category",
      attrs: { name, value },
    }));
    return iqResult(node, [{ tag: "privacy", attrs: {}, content: categories }]);
  }
  if (node.attrs.type !== "set") return iqError(node, 400, "bad-request");
  const changes = getChildren(privacy, "category").map((c) => ({ name: c.attrs.name, value: c.attrs.value }));
  if (
    !changes.length || changes.some(({ name, value }) => !PRIVACY_VALUES[name ?? ""]?.includes(value ?? ""))
  ) {
    return iqError(node, 400, "bad-request");
  }
  for (const { name, value } of changes) account.privacy.set(name!, value!);
  const content = changes.map(({ name, value }) => ({ tag: "category", attrs: { name, value } }));
  wa.notifyAccount(account, {
    attrs: { type: "account_sync" },
    content: [{ tag: "privacy", attrs: {}, content }],
  }, conn.device);
  if (changes.some(({ name }) => name === "last" || name === "online")) broadcastPresence(wa, account);
  return iqResult(node, [{ tag: "privacy", attrs: {}, content }]);
}

function disappearingIq(wa: FakeWhatsApp, conn: ServerConnection, node: Node): NodeInput {
  const account = accountOf(wa, conn);
  if (!account) return iqError(node, 401, "not-authorized");
  const mode = getChild(node, "disappearing_mode");
  const duration = Number(mode?.attrs.duration);
  if (node.attrs.type !== "set" || !mode || !DISAPPEARING_DURATIONS.includes(duration)) {
    return iqError(node, 400, "bad-request");
  }
  const t = unixNow();
  account.disappearing = { duration, t };
  const child = { tag: "disappearing_mode", attrs: { duration: String(duration), t: String(t) } };
  wa.notifyAccount(account, { attrs: { type: "account_sync" }, content: [child] }, conn.device);
  notifyContacts(wa, account, {
    attrs: { type: "disappearing_mode", from: Jid.pn(account.phone) },
    content: [child],
  });
  return iqResult(node);
}

/** The blocklist, privacy and default-timer server side. */
export const privacyFeature: ServerFeature = {
  name: "privacy",
  iq: { blocklist: blocklistIq, privacy: privacyIq, disappearing_mode: disappearingIq },
};
