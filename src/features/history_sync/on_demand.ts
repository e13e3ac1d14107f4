/**
 * On-demand history: asking our phone for older messages of one chat with a peer data operation
 * (`ProtocolMessage.type=PEER_DATA_OPERATION_REQUEST_MESSAGE`, request type `HISTORY_SYNC_ON_DEMAND`,
 * reference/protocol-facts-features.md 3.3; whatsmeow `BuildHistorySyncRequest`), and matching the
 * phone's answer (a history-sync notification of type `ON_DEMAND` that names the request in
 * `peerDataRequestSessionId`) to the waiting caller.
 *
 * The anchor's timestamp goes in `oldestMsgTimestampMs` in seconds, as whatsmeow sends it (the field's
 * name says milliseconds; the sources disagree, facts 3.3).
 *
 * @module
 */

import type { Jid } from "../../binary/mod.ts";
import {
  type Message,
  PeerDataOperationRequestType,
  ProtocolMessageType,
  type WebMessageInfo,
} from "../../proto/mod.ts";
import { InputError } from "../errors.ts";
import type { HistoryChunk, HistoryChunkSummary } from "./events.ts";
import type { LazyConversation } from "./lazy_conversation.ts";

/** The oldest message the caller has of the chat: the phone answers with messages before it. */
export interface HistoryAnchor {
  /** Its message id. */
  id: string;
  /** True when we sent it. */
  fromMe: boolean;
  /** When it was sent. */
  timestamp: Date;
}

/** Messages asked for when the caller does not say. */
export const DEFAULT_ON_DEMAND_COUNT = 50;
/** Most messages one request may ask for. */
export const MAX_ON_DEMAND_COUNT = 500;

/**
 * The anchor of a history message (`WebMessageInfo`, as `conversation.messages()` yields them in
 * `.message`), or the anchor itself after checking it.
 */
export function toHistoryAnchor(anchor: HistoryAnchor | WebMessageInfo): HistoryAnchor {
  if ("key" in anchor || "messageTimestamp" in anchor) {
    const info = anchor as WebMessageInfo;
    const id = info.key?.id;
    if (!id) throw new InputError("invalid_argument", "before", "the message has no key.id");
    const seconds = info.messageTimestamp;
    if (seconds === undefined) {
      throw new InputError("invalid_argument", "before", `message ${id} has no messageTimestamp`);
    }
    return { id, fromMe: info.key?.fromMe === true, timestamp: new Date(Number(seconds) * 1000) };
  }
  const a = anchor as HistoryAnchor;
  if (typeof a.id !== "string" || a.id === "") {
    throw new InputError(
      "invalid_argument",
      "before",
      "expected { id, fromMe, timestamp } with a message id",
    );
  }
  if (!(a.timestamp instanceof Date) || !Number.isFinite(a.timestamp.getTime())) {
    throw new InputError("invalid_argument", "before", `expected a valid Date timestamp, got ${a.timestamp}`);
  }
  return { id: a.id, fromMe: a.fromMe === true, timestamp: a.timestamp };
}

/**
 * The peer message asking our phone for up to `count` messages of `chat` older than `anchor`.
 *
 * @example
 * ```ts
 * import { Jid } from "../../binary/mod.ts";
 * import { historyRequestMessage } from "./on_demand.ts";
 * const m = historyRequestMessage(Jid.pn("15551234567"), {
 *   id: "3EB0AA", fromMe: false, timestamp: new Date(1_700_000_000_000),
 * }, 50);
 * const req = m.protocolMessage?.peerDataOperationRequestMessage?.historySyncOnDemandRequest;
 * console.log(req?.chatJid, req?.oldestMsgTimestampMs); // 15551234567@s.whatsapp.net 1700000000n
 * ```
 */
export function historyRequestMessage(
  chat: Jid,
  anchor: HistoryAnchor,
  count: number,
  accountLid?: Jid,
): Message {
  if (!Number.isInteger(count) || count < 1 || count > MAX_ON_DEMAND_COUNT) {
    throw new InputError(
      "invalid_argument",
      "count",
      `expected a whole number from 1 to ${MAX_ON_DEMAND_COUNT}, got ${count}`,
    );
  }
  return {
    protocolMessage: {
      type: ProtocolMessageType.PEER_DATA_OPERATION_REQUEST_MESSAGE,
      peerDataOperationRequestMessage: {
        peerDataOperationRequestType: PeerDataOperationRequestType.HISTORY_SYNC_ON_DEMAND,
        historySyncOnDemandRequest: {
          chatJid: chat.toNonAd().toString(),
          oldestMsgId: anchor.id,
          oldestMsgFromMe: anchor.fromMe,
          onDemandMsgCount: count,
          oldestMsgTimestampMs: BigInt(Math.floor(anchor.timestamp.getTime() / 1000)),
          ...(accountLid === undefined ? {} : { accountLid: accountLid.toNonAd().toString() }),
        },
      },
    },
  };
}

/** What `client.history.fetchMessages` resolves with: the phone's answer, once it was processed. */
export interface OnDemandHistory {
  /** The request's id (the chunk's `requestId`). */
  requestId: string;
  /** The answering chunk (its events carried the same `chunk`). */
  chunk: HistoryChunk;
  /** What the answer held. */
  summary: HistoryChunkSummary;
  /** The chat's conversation in the answer, with the messages the phone sent; none when it had none. */
  conversation?: LazyConversation;
}

interface Pending {
  chat: string;
  resolve(answer: OnDemandHistory): void;
  reject(error: Error): void;
}

/** Requests waiting for the phone, by request id; at most `max` at once. */
export class OnDemandWaiters {
  readonly #pending = new Map<string, Pending>();
  readonly #max: number;

  /** Creates the registry. */
  constructor(max = 64) {
    this.#max = max;
  }

  /** Number of requests waiting. */
  get size(): number {
    return this.#pending.size;
  }

  /**
   * Waits for the answer to `requestId` (about `chat`); rejects with the signal's reason when it aborts.
   * Throws `InputError` when `max` requests are already waiting.
   */
  wait(requestId: string, chat: Jid, signal: AbortSignal): Promise<OnDemandHistory> {
    if (this.#pending.size >= this.#max) {
      throw new InputError("invalid_argument", "chat", `${this.#max} history requests are already waiting`);
    }
    const { promise, resolve, reject } = Promise.withResolvers<OnDemandHistory>();
    const onAbort = () => {
      if (this.#pending.get(requestId)?.reject === done.reject) this.#pending.delete(requestId);
      reject(signal.reason);
    };
    const done: Pending = {
      chat: chat.toNonAd().toString(),
      resolve: (answer) => (signal.removeEventListener("abort", onAbort), resolve(answer)),
      reject: (error) => (signal.removeEventListener("abort", onAbort), reject(error)),
    };
    if (signal.aborted) {
      onAbort();
      return promise;
    }
    signal.addEventListener("abort", onAbort, { once: true });
    this.#pending.set(requestId, done);
    return promise;
  }

  /**
   * The request an `ON_DEMAND` chunk answers: the one it names, or else the oldest one waiting for
   * `chat` (the phone may leave the session id out). Removes it from the registry.
   */
  take(requestId: string | undefined, chat: string | undefined): Pending | undefined {
    let key = requestId !== undefined && this.#pending.has(requestId) ? requestId : undefined;
    if (key === undefined && chat !== undefined) {
      for (const [id, p] of this.#pending) {
        if (p.chat === chat) {
          key = id;
          break;
        }
      }
    }
    if (key === undefined) return undefined;
    const pending = this.#pending.get(key)!;
    this.#pending.delete(key);
    return pending;
  }

  /** True when `requestId` is waiting. */
  has(requestId: string): boolean {
    return this.#pending.has(requestId);
  }

  /** The chat `requestId` is about, while it waits. */
  chatOf(requestId: string): string | undefined {
    return this.#pending.get(requestId)?.chat;
  }

  /** Rejects every waiting request. */
  rejectAll(error: Error): void {
    const all = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of all) p.reject(error);
  }
}
