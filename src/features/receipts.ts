/**
 * Receipts: incoming `<receipt>` stanzas become typed `receipt` events, and `markRead` sends read (or
 * played) receipts, several ids batched in one stanza with `<list><item/>` (shape from whatsmeow
 * receipt.go MarkRead and reference/seed-inventory-features.md section 5). Retry receipts are also
 * answered by the client's send pipeline, which subscribes to them on its own.
 *
 * @module
 */

import { getChild, getChildren, type Jid, type Node, type NodeInput, optAttrInt } from "../binary/mod.ts";
import type { FeatureContext } from "./context.ts";
import { InputError } from "./errors.ts";
import { type MessageSource, parseMessageSource } from "./message_info.ts";

/**
 * What a receipt says, from its wire `type` attribute: `delivered` (no type), `read`, `read_self` (read on
 * another of our devices), `played`, `played_self`, `sender` (our own device got our message), `retry`
 * (a device asks for a message again), `server_error`, `inactive`, `peer` (between our own devices),
 * `history_sync`, or `other` for a type this library does not know (see `ReceiptEvent.wireType`).
 */
export type ReceiptKind =
  | "delivered"
  | "read"
  | "read_self"
  | "played"
  | "played_self"
  | "sender"
  | "retry"
  | "server_error"
  | "inactive"
  | "peer"
  | "history_sync"
  | "other";

const KINDS: Readonly<Record<string, ReceiptKind>> = {
  "": "delivered",
  read: "read",
  "read-self": "read_self",
  played: "played",
  "played-self": "played_self",
  sender: "sender",
  retry: "retry",
  enc_rekey_retry: "retry",
  "server-error": "server_error",
  inactive: "inactive",
  peer_msg: "peer",
  hist_sync: "history_sync",
};

/** Payload of the `receipt` event. */
export interface ReceiptEvent {
  /** Who sent the receipt and in which chat. */
  source: MessageSource;
  /** The messages it is about. */
  messageIds: string[];
  /** What kind of receipt it is. */
  kind: ReceiptKind;
  /** The `type` attribute as it came (`""` for a delivery receipt). */
  wireType: string;
  /** The receipt's time (server time when given, else when it arrived). */
  timestamp: Date;
}

/** The events of the receipts feature. */
export interface ReceiptEvents {
  /** A delivery, read, played or other receipt arrived. */
  receipt: ReceiptEvent;
}

/** Parses a `<receipt>` into the event payload. Throws when it lacks `from` or `id`. */
export function parseReceipt(node: Node, own: { pn: Jid; lid?: Jid }): ReceiptEvent {
  const source = parseMessageSource(node, own, false);
  const id = node.attrs.id;
  if (!id) throw new Error("<receipt> lacks an id");
  const ids = [id];
  const list = getChild(node, "list");
  for (const item of list ? getChildren(list, "item") : []) if (item.attrs.id) ids.push(item.attrs.id);
  const t = optAttrInt(node, "t");
  const wireType = node.attrs.type ?? "";
  return {
    source,
    messageIds: ids,
    kind: KINDS[wireType] ?? "other",
    wireType,
    timestamp: t ? new Date(t * 1000) : new Date(),
  };
}

/** Options for `markRead`. */
export interface MarkReadOptions {
  /** In groups and broadcast lists: the sender of the messages (required there). */
  sender?: Jid;
  /** `read` (default) or `played` (voice notes, videos). */
  kind?: "read" | "played";
  /** When they were read; default now. */
  timestamp?: Date;
}

/**
 * Builds the read receipt for `ids` in `chat` (first id on the stanza, the rest in `<list>`), or
 * undefined when `ids` is empty. Throws {@linkcode InputError} in a group without `sender`.
 */
export function buildReadReceipt(
  chat: Jid,
  ids: readonly string[],
  options: MarkReadOptions = {},
): NodeInput | undefined {
  if (!ids.length) return undefined;
  for (const id of ids) {
    if (typeof id !== "string" || id.length === 0) {
      throw new InputError("invalid_argument", "messageIds", "every message id must be a non-empty string");
    }
  }
  const attrs: Record<string, string | Jid> = {
    id: ids[0],
    type: options.kind ?? "read",
    to: chat,
    t: String(Math.floor((options.timestamp ?? new Date()).getTime() / 1000)),
  };
  if (chat.isGroup() || chat.isBroadcast()) {
    if (!options.sender) {
      throw new InputError(
        "invalid_argument",
        "sender",
        "markRead in a group needs the sender of the messages",
      );
    }
    attrs.participant = options.sender.toNonAd();
  }
  const content: NodeInput[] | undefined = ids.length > 1
    ? [{ tag: "list", attrs: {}, content: ids.slice(1).map((id) => ({ tag: "item", attrs: { id } })) }]
    : undefined;
  return { tag: "receipt", attrs, content };
}

/** The receipts feature: `receipt` events in, read receipts out. */
export class Receipts {
  readonly #ctx: FeatureContext<ReceiptEvents>;

  /** Creates the feature and subscribes to `<receipt>` stanzas. */
  constructor(ctx: FeatureContext<ReceiptEvents>) {
    this.#ctx = ctx;
    ctx.onStanza({ tag: "receipt" }, (node) => this.#onReceipt(node));
  }

  async #onReceipt(node: Node): Promise<void> {
    const pn = this.#ctx.ownJid;
    if (!pn) return;
    let event: ReceiptEvent;
    try {
      event = parseReceipt(node, { pn, lid: this.#ctx.ownLid });
    } catch (e) {
      this.#ctx.log.warn("dropping a malformed receipt", { error: e, attrs: node.attrs });
      return;
    }
    await this.#ctx.emit("receipt", event);
  }

  /** Sends read (or played) receipts for messages in one stanza; a no-op for an empty list. */
  async markRead(chat: Jid, ids: readonly string[], options?: MarkReadOptions): Promise<void> {
    const node = buildReadReceipt(chat, ids, options);
    if (node) await this.#ctx.sendNode(node);
  }
}
