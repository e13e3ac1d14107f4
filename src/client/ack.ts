/**
 * Acks for incoming stanzas, built by the seed's rules (reference/seed/04_advanced_websocket-handling.md,
 * "Automatic ack"): `class` is the stanza's tag, `id` is copied, `to` is the stanza's `from`,
 * `participant` is copied when present, `from` is our own JID only on message acks, and `type`:
 * never on message acks; echoed for receipts that have one (a delivery receipt has none, and acking it
 * with `type="delivery"` makes the server drop the stream); echoed for notifications, except an
 * `encrypt` notification carrying an `identity` child, whose ack has no type.
 *
 * @module
 */

import { getChild, type Jid, type Node, type NodeInput } from "../binary/mod.ts";

/** Stanza tags the client acks automatically. */
export const ACKED_TAGS: ReadonlySet<string> = new Set(["message", "receipt", "notification", "call"]);

/** True for an `encrypt` notification that announces a changed identity (its ack carries no type). */
export function isEncryptIdentityNotification(node: Node): boolean {
  return node.tag === "notification" && node.attrs.type === "encrypt" &&
    getChild(node, "identity") !== undefined;
}

/**
 * Builds the ack for an incoming stanza, or `undefined` when the stanza is not acked (no id, or a tag
 * outside {@linkcode ACKED_TAGS}). A nonzero `error` adds an `error` attribute (used to refuse a stanza).
 *
 * @example
 * ```ts
 * import { buildAck } from "./ack.ts";
 * const ack = buildAck({ tag: "receipt", attrs: { id: "A1", from: "123@s.whatsapp.net" } });
 * console.log(ack); // { tag: "ack", attrs: { class: "receipt", id: "A1", to: "123@s.whatsapp.net" } }
 * ```
 */
export function buildAck(node: Node, ownJid?: Jid | string, error?: number): NodeInput | undefined {
  const id = node.attrs.id;
  const from = node.attrs.from;
  if (!id || !from || !ACKED_TAGS.has(node.tag)) return undefined;
  const attrs: Record<string, string | Jid> = { class: node.tag, id, to: from };
  if (node.attrs.participant) attrs.participant = node.attrs.participant;
  if (node.attrs.recipient) attrs.recipient = node.attrs.recipient;
  switch (node.tag) {
    case "message":
      if (ownJid) attrs.from = ownJid;
      break;
    case "receipt":
      if (node.attrs.type) attrs.type = node.attrs.type;
      break;
    case "notification":
      if (node.attrs.type && !isEncryptIdentityNotification(node)) attrs.type = node.attrs.type;
      break;
    case "call":
      if (node.attrs.type) attrs.type = node.attrs.type;
      break;
  }
  if (error) attrs.error = String(error);
  return { tag: "ack", attrs };
}
