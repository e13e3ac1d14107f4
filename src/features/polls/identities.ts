/**
 * The two addressings of one account: a message secret is stored under the chat and sender as the
 * message came (a phone number or a LID), and a vote may name the poll's creator and itself in either
 * form (whatsmeow uses our LID when the poll's sender is a LID, whatsapp-rust always the phone number;
 * reference/protocol-facts-features.md 6.1). These helpers list both forms, from the store's LID↔PN
 * mappings, so lookups and decryptions can try each (at most two per JID).
 *
 * @module
 */

import { Jid } from "../../binary/mod.ts";
import type { Backend } from "../../store/mod.ts";

/** Our own user JIDs (no device). */
export interface OwnUsers {
  /** Our phone-number user JID. */
  pn?: Jid;
  /** Our LID user JID. */
  lid?: Jid;
}

/** True when `jid` is one of our own users. */
export function isOwnUser(jid: Jid, own: OwnUsers): boolean {
  return (own.pn !== undefined && jid.user === own.pn.user && jid.server === own.pn.server) ||
    (own.lid !== undefined && jid.user === own.lid.user && jid.server === own.lid.server);
}

/**
 * `jid` (as a user JID without device) followed by its other addressing when known: ours from `own`,
 * anyone else's from the store's mappings. Groups and other servers come back alone.
 */
export async function addressings(store: Backend, jid: Jid, own: OwnUsers): Promise<Jid[]> {
  const user = jid.toNonAd();
  if (!user.isPn() && !user.isLid()) return [user];
  if (isOwnUser(user, own)) {
    const other = user.isPn() ? own.lid : own.pn;
    return other ? [user, other.toNonAd()] : [user];
  }
  if (user.isLid()) {
    const entry = await store.getLidMapping(user.user);
    return entry ? [user, Jid.pn(entry.phoneNumber)] : [user];
  }
  const entry = await store.getPnMapping(user.user);
  return entry ? [user, Jid.lid(entry.lid)] : [user];
}

/** The phone-number form of a user when known (one key per person in a tally), else the user as given. */
export async function canonicalUser(store: Backend, jid: Jid, own: OwnUsers): Promise<Jid> {
  const forms = await addressings(store, jid, own);
  return forms.find((f) => f.isPn()) ?? forms[0];
}
