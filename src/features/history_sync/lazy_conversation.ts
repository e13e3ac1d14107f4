/**
 * One history-sync conversation kept as its encoded bytes, decoded only on request.
 *
 * @module
 */

import { Conversation, HistorySyncMsg, ProtoDecodeError, Reader } from "../../proto/mod.ts";
import { HistorySyncError } from "./errors.ts";

/** Options of the {@link LazyConversation} constructor. */
export interface LazyConversationOptions {
  /** Keep only messages whose `messageTimestamp` (unix seconds) is at least this. */
  since?: bigint;
  /** Offset of `bytes` in the inflated history, so errors point into the whole blob. */
  offset?: number;
}

const TYPE = "wadeno.proto.Conversation";
// Conversation.id (field 1, length-delimited) and Conversation.messages (field 2, length-delimited).
const TAG_ID = 0x0a;
const TAG_MESSAGES = 0x12;
// HistorySyncMsg.message (field 1) and WebMessageInfo.messageTimestamp (field 3, varint).
const TAG_MSG_MESSAGE = 0x0a;
const TAG_TIMESTAMP = 0x18;

/**
 * A `Conversation` from a history sync, held as its encoded bytes. Construction scans the top-level
 * fields once (cheap: message entries are stepped over by their length, or read only as far as their
 * timestamp when filtering by date) to find the chat id and the messages; nothing is decoded until
 * {@link LazyConversation.decode}, {@link LazyConversation.decodeMetadata} or
 * {@link LazyConversation.messages} asks, and nothing decoded is cached.
 *
 * @example
 * ```ts
 * import { Conversation } from "../../proto/mod.ts";
 * import { LazyConversation } from "./lazy_conversation.ts";
 * const bytes = Conversation.encode({
 *   id: "15551234567@s.whatsapp.net",
 *   messages: [{ msgOrderId: 1n, message: { key: { id: "A1" }, messageTimestamp: 1700000000n } }],
 * });
 * const lazy = new LazyConversation(bytes);
 * console.log(lazy.id, lazy.messageCount); // 15551234567@s.whatsapp.net 1
 * for (const m of lazy.messages()) console.log(m.message?.key?.id); // A1
 * ```
 */
export class LazyConversation {
  /** The encoded `Conversation` (all of it, whatever the filter). */
  readonly bytes: Uint8Array;
  /** The chat JID (`Conversation.id`); `""` when the entry has none. */
  readonly id: string;
  /** Number of message entries kept (all of them, or those at or after `since`). */
  readonly messageCount: number;
  /** Message entries seen, kept or not. */
  readonly totalMessageCount: number;
  readonly #since: bigint | undefined;
  readonly #offset: number;
  // [start, end) of each kept message entry in `bytes`.
  readonly #ranges: Uint32Array;

  /**
   * Scans `bytes` (an encoded `Conversation`); throws {@link HistorySyncError} `bad_protobuf` when its
   * framing is broken. `bytes` is kept, not copied.
   */
  constructor(bytes: Uint8Array, options: LazyConversationOptions = {}) {
    this.bytes = bytes;
    this.#since = options.since;
    this.#offset = options.offset ?? 0;
    let id = "";
    let total = 0;
    const ranges: number[] = [];
    this.#guard(() => {
      const r = new Reader(bytes, TYPE);
      while (r.pos < r.end) {
        const start = r.pos;
        const tag = r.uint32();
        if (tag === TAG_ID) {
          id = r.string();
        } else if (tag === TAG_MESSAGES) {
          const len = r.length();
          const from = r.pos;
          r.pos += len;
          total++;
          if (this.#since === undefined || keptByDate(bytes, from, from + len, this.#since)) {
            ranges.push(from, r.pos);
          }
        } else {
          const field = tag >>> 3;
          if (field === 1 || field === 2) r.wrongWireType(tag, start);
          r.skip(tag, start, 0);
        }
      }
    });
    this.id = id;
    this.totalMessageCount = total;
    this.messageCount = ranges.length / 2;
    this.#ranges = Uint32Array.from(ranges);
  }

  /** True when the chat is a group (`@g.us`). */
  get isGroup(): boolean {
    return this.id.endsWith("@g.us");
  }

  /** Decodes the whole conversation, with only the kept messages (`messages` is absent when none are). */
  decode(): Conversation {
    if (this.#since === undefined) return this.#guard(() => Conversation.decode(this.bytes));
    const conversation = this.decodeMetadata();
    const messages = [...this.messages()];
    if (messages.length > 0) conversation.messages = messages;
    return conversation;
  }

  /**
   * Decodes the conversation without any of its messages: the chat's metadata (name, participants,
   * unread count, mute and pin state, tc token, ...), at a cost that does not grow with the messages.
   */
  decodeMetadata(): Conversation {
    return this.#guard(() => {
      const bytes = this.bytes;
      const r = new Reader(bytes, TYPE);
      const pieces: Uint8Array[] = [];
      let size = 0;
      let runStart = 0;
      while (r.pos < r.end) {
        const start = r.pos;
        const tag = r.uint32();
        r.skip(tag, start, 0);
        if (tag === TAG_MESSAGES) {
          if (start > runStart) pieces.push(bytes.subarray(runStart, start));
          size += start - runStart;
          runStart = r.pos;
        }
      }
      if (pieces.length === 0 && runStart === 0) return Conversation.decode(bytes);
      const rest = new Uint8Array(size + bytes.length - runStart);
      let at = 0;
      for (const piece of pieces) {
        rest.set(piece, at);
        at += piece.length;
      }
      rest.set(bytes.subarray(runStart), at);
      return Conversation.decode(rest);
    });
  }

  /** Decodes the kept messages one at a time, in order; each is decoded only when the loop reaches it. */
  *messages(): Generator<HistorySyncMsg, void, undefined> {
    const ranges = this.#ranges;
    for (let i = 0; i < ranges.length; i += 2) {
      const from = ranges[i];
      const to = ranges[i + 1];
      yield this.#guard(() => HistorySyncMsg.decode(this.bytes.subarray(from, to)), from);
    }
  }

  // Runs a decode step, turning protobuf errors into HistorySyncError with an offset in the blob.
  #guard<T>(step: () => T, base = 0): T {
    try {
      return step();
    } catch (error) {
      if (error instanceof ProtoDecodeError) {
        throw new HistorySyncError("bad_protobuf", `expected a valid Conversation entry: ${error.message}`, {
          offset: this.#offset + base + error.offset,
          field: 2,
          cause: error,
        });
      }
      throw error;
    }
  }
}

// Reads a HistorySyncMsg entry only as far as its message's timestamp. A later occurrence of a field wins,
// as in the full decoder, so a second `message` field resets what the first one said.
function keptByDate(bytes: Uint8Array, from: number, to: number, since: bigint): boolean {
  const r = new Reader(bytes, "wadeno.proto.HistorySyncMsg");
  r.pos = from;
  r.end = to;
  let timestamp: bigint | undefined;
  while (r.pos < r.end) {
    const start = r.pos;
    const tag = r.uint32();
    if (tag !== TAG_MSG_MESSAGE) {
      r.skip(tag, start, 0);
      continue;
    }
    const len = r.length();
    const end = r.pos + len;
    const outer = r.end;
    r.end = end;
    timestamp = undefined;
    while (r.pos < end) {
      const innerStart = r.pos;
      const inner = r.uint32();
      if (inner === TAG_TIMESTAMP) timestamp = r.uint64();
      else r.skip(inner, innerStart, 1);
    }
    r.end = outer;
  }
  return timestamp !== undefined && timestamp >= since;
}
