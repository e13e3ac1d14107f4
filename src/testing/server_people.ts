/**
 * The rules FakeWhatsApp's people features share: who blocked whom, who counts as a contact, what a
 * privacy setting lets a viewer see, and telling an account's contacts about a change.
 *
 * - Blocking is per account: a blocklist holds LID (or older PN) user JIDs; a blocked account's 1:1
 *   messages, chat states and presence subscriptions do not reach the blocker, and it sees none of the
 *   blocker's presence, last seen, about text, picture or status posts.
 * - A viewer is a contact of an owner when they exchanged messages, or when the viewer presents a
 *   trusted-contact token the owner issued to it (the `<tctoken>` clients attach for that reason).
 * - Privacy values: `all`, `contacts`, `contact_blacklist` (treated as `contacts`: FakeWhatsApp keeps no
 *   exception lists), `none`; `online="match_last_seen"` follows `last`.
 *
 * @module
 */

import { Jid, type NodeInput } from "../binary/mod.ts";
import { type Account, devicePn } from "./accounts.ts";
import type { FakeWhatsApp } from "./fake_whatsapp.ts";
import type { RouteResult } from "./server_messages.ts";
import type { ServerConnection } from "./server_connection.ts";

/** The privacy settings a fresh account has (category name → value). */
export const DEFAULT_PRIVACY: Readonly<Record<string, string>> = {
  last: "all",
  online: "all",
  profile: "all",
  status: "all",
  readreceipts: "all",
  groupadd: "all",
  calladd: "all",
  messages: "all",
  defense: "off",
  stickers: "contacts",
};

/** How long an issued trusted-contact token stays valid on the server, in seconds (four 7-day buckets). */
export const TC_TOKEN_TTL_SECONDS = 4 * 604_800;

/** The account a connection is logged in as, if any. */
export function accountOf(wa: FakeWhatsApp, conn: ServerConnection): Account | undefined {
  return conn.device ? wa.accounts.byJid(conn.device) : undefined;
}

/** True when `blocker` blocked `other` (by LID or phone number). */
export function hasBlocked(blocker: Account, other: Account): boolean {
  if (blocker === other || blocker.blocklist.size === 0) return false;
  return blocker.blocklist.has(Jid.lid(other.lid).toString()) ||
    blocker.blocklist.has(Jid.pn(other.phone).toString());
}

/** True when either account blocked the other. */
export function eitherBlocked(a: Account, b: Account): boolean {
  return hasBlocked(a, b) || hasBlocked(b, a);
}

/** True when `token` is a live trusted-contact token `owner` issued to `holder`. */
export function validTcToken(owner: Account, holder: Account, token: Uint8Array | undefined): boolean {
  if (!token?.length) return false;
  const issued = owner.issuedTcTokens.get(holder.lid);
  if (!issued || Math.floor(Date.now() / 1000) - issued.t > TC_TOKEN_TTL_SECONDS) return false;
  return issued.token.length === token.length && issued.token.every((b, i) => b === token[i]);
}

/** True when `viewer` counts as a contact of `owner` (exchanged messages, or holds `owner`'s tc token). */
export function isContact(owner: Account, viewer: Account, token?: Uint8Array): boolean {
  return owner.contacts.has(viewer.phone) || validTcToken(owner, viewer, token);
}

/** The value of one privacy category for an account. */
export function privacyValue(account: Account, category: string): string {
  return account.privacy.get(category) ?? DEFAULT_PRIVACY[category] ?? "all";
}

/**
 * Whether `viewer` may see what `category` guards of `owner` (`last`, `online`, `profile`, `status`).
 * The owner sees everything of their own; a blocked viewer nothing.
 */
export function canSee(owner: Account, viewer: Account, category: string, token?: Uint8Array): boolean {
  if (owner === viewer) return true;
  if (hasBlocked(owner, viewer)) return false;
  let value = privacyValue(owner, category);
  if (category === "online" && value === "match_last_seen") value = privacyValue(owner, "last");
  switch (value) {
    case "all":
      return true;
    case "contacts":
    case "contact_blacklist":
      return isContact(owner, viewer, token);
    default:
      return false;
  }
}

/**
 * Sends a notification to every device of the accounts that know `account` (those it exchanged
 * messages with) and may see the change: `visible(contact)` decides, and blocked contacts never do.
 */
export function notifyContacts(
  wa: FakeWhatsApp,
  account: Account,
  stanza: { attrs: Record<string, string | Jid | undefined>; content?: NodeInput[] },
  visible: (contact: Account) => boolean = () => true,
): void {
  for (const phone of account.contacts) {
    const contact = wa.accounts.byPhone(phone);
    if (!contact || contact === account || eitherBlocked(account, contact) || !visible(contact)) continue;
    wa.notifyAccount(contact, stanza);
  }
}

/** The phone-number JIDs of every device of an account, device 0 first. */
export function accountDevices(account: Account): Jid[] {
  return [...account.devices.keys()].sort((a, b) => a - b).map((id) => devicePn(account, id));
}

/**
 * A 1:1 route without the copies for an account that blocked the sender (the sender's own devices keep
 * theirs). Refusals (a number) pass through.
 */
export function withoutBlocked(
  wa: FakeWhatsApp,
  sender: Account,
  result: RouteResult | number,
): RouteResult | number {
  if (typeof result === "number") return result;
  const deliveries = result.deliveries.filter((d) => {
    const to = wa.accounts.byJid(d.device);
    return !to || to === sender || !hasBlocked(to, sender);
  });
  return { deliveries, ignored: result.ignored };
}
