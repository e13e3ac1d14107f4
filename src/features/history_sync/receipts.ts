/**
 * The receipts a companion sends for a history-sync notification, as the real clients do
 * (reference/protocol-facts-features.md 3.2; whatsmeow message.go `handleProtocolMessage` and
 * `sendProtocolMessageReceipt`, Baileys messages-recv.ts): a peer message first gets
 * `<receipt type="peer_msg">`, then the notification gets `<receipt type="hist_sync">`, both addressed to
 * our own phone-number user (no device), with no children, sent at once, also when the history is
 * skipped, so that the phone stops offering the chunk.
 *
 * @module
 */

import type { Jid, NodeInput } from "../../binary/mod.ts";

/** The receipt types a protocol message from our own devices is answered with. */
export type ProtocolReceiptType = "hist_sync" | "peer_msg";

/**
 * `<receipt id type to=OWN_PN>` for a protocol message from one of our own devices.
 *
 * @example
 * ```ts
 * import { Jid } from "../../binary/mod.ts";
 * import { protocolReceipt } from "./receipts.ts";
 * const node = protocolReceipt("3EB0AA", "hist_sync", Jid.pn("15551234567", 3));
 * console.log(node.attrs?.type, String(node.attrs?.to)); // hist_sync 15551234567@s.whatsapp.net
 * ```
 */
export function protocolReceipt(messageId: string, type: ProtocolReceiptType, ownPn: Jid): NodeInput {
  return { tag: "receipt", attrs: { id: messageId, type, to: ownPn.toNonAd() } };
}

/**
 * The receipts for a history-sync notification: `peer_msg` when it came as a `category="peer"` message,
 * then `hist_sync`.
 */
export function historySyncReceipts(messageId: string, category: string, ownPn: Jid): NodeInput[] {
  const out: NodeInput[] = [];
  if (category === "peer") out.push(protocolReceipt(messageId, "peer_msg", ownPn));
  out.push(protocolReceipt(messageId, "hist_sync", ownPn));
  return out;
}
