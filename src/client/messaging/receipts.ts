/**
 * Receipts: incoming `<receipt>` stanzas become `receipt` events (retry receipts are answered by
 * resending), and `markRead` sends read receipts, several ids batched in one stanza with `<list><item/>`
 * (shape from whatsmeow receipt.go MarkRead and reference/seed-inventory-features.md section 5).
 *
 * @module
 */

import { getChild, getChildren, type Jid, type Node, type NodeInput, optAttrInt } from "../../binary/mod.ts";
import type { ClientCore } from "../core.ts";
import { type MessageSource, parseMessageSource } from "./message_info.ts";

/**
 * Receipt types as they appear on the wire: `""` delivered (no type attribute), `read`, `read-self`,
 * `played`, `played-self`, `sender`, `retry`, `enc_rekey_retry`, `server-error`, `inactive`,
 * `peer_msg`, `hist_sync`, or another string the server invents.
 */
export type ReceiptType =
  | ""
  | "read"
  | "read-self"
  | "played"
  | "played-self"
  | "sender"
  | "retry"
  | "enc_rekey_retry"
  | "server-error"
  | "inactive"
  | "peer_msg"
  | "hist_sync"
  | (string & Record<never, never>);

/** Payload of the `receipt` event. */
export interface ReceiptEvent {
  /** Who sent the receipt and in which chat. */
  source: MessageSource;
  /** The messages it is about. */
  messageIds: string[];
  /** What kind of receipt (`""` means delivered). */
  type: ReceiptType;
  /** The receipt's time (server time when given, else when it arrived). */
  timestamp: Date;
  /** The device that sent the receipt. */
  sender: Jid;
}

/** Parses a `<receipt>` into the event payload. */
export function parseReceipt(node: Node, own: { pn: Jid; lid?: Jid }): ReceiptEvent {
  const source = parseMessageSource(node, own, false);
  const id = node.attrs.id;
  if (!id) throw new Error("<receipt> lacks an id");
  const ids = [id];
  const list = getChild(node, "list");
  for (const item of list ? getChildren(list, "item") : []) if (item.attrs.id) ids.push(item.attrs.id);
  const t = optAttrInt(node, "t");
  return {
    source,
    messageIds: ids,
    type: node.attrs.type ?? "",
    timestamp: t ? new Date(t * 1000) : new Date(),
    sender: source.sender,
  };
}

/** Options for `markRead`. */
export interface MarkReadOptions {
  /** In groups: the sender of the messages (required there). */
  sender?: Jid;
  /** `read` (default) or `played` (voice notes, videos). */
  type?: "read" | "played";
  /** When they were read; default now. */
  timestamp?: Date;
}

/**
 * Builds the read receipt for `ids` in `chat` (first id on the stanza, the rest in `<list>`), or
 * undefined when `ids` is empty.
 */
export function buildReadReceipt(
  chat: Jid,
  ids: readonly string[],
  options: MarkReadOptions = {},
): NodeInput | undefined {
  if (!ids.length) return undefined;
  const attrs: Record<string, string | Jid> = {
    id: ids[0],
    type: options.type ?? "read",
    to: chat,
    t: String(Math.floor((options.timestamp ?? new Date()).getTime() / 1000)),
  };
  if (chat.isGroup() || chat.isBroadcast()) {
    if (!options.sender) throw new TypeError("markRead in a group needs the sender of the messages");
    attrs.participant = options.sender.toNonAd();
  }
  const content: NodeInput[] | undefined = ids.length > 1
    ? [{ tag: "list", attrs: {}, content: ids.slice(1).map((id) => ({ tag: "item", attrs: { id } })) }]
    : undefined;
  return { tag: "receipt", attrs, content };
}

/** Sends read receipts (no-op for an empty id list). */
export async function markRead(
  core: ClientCore,
  chat: Jid,
  ids: readonly string[],
  options?: MarkReadOptions,
): Promise<void> {
  const node = buildReadReceipt(chat, ids, options);
  if (node) await core.sendNode(node);
}
