/**
 * History sync (`client.history`): the chat history our phone sends after linking, delivered as it
 * streams, in bounded memory, and on-demand history for one chat.
 *
 * Each `historySyncNotification` from our phone (a plumbing protocol message, claimed here; it never
 * reaches the `message` event) is answered at once with the receipts the phone expects (`peer_msg`,
 * `hist_sync`; see receipts.ts), then read: the inline bootstrap payload, or the blob downloaded from the
 * media servers (media type `history`), inflated and decoded as a stream (process.ts). What it holds
 * becomes events (events.ts) as it arrives. LID mappings are learned on the way.
 *
 * The receive pipeline awaits this handler before it acknowledges the notification, and hands it to the
 * handler again after a crash (the durable inbox), so a chunk is delivered at least once. The price: the
 * messages of our phone's peer chat wait behind a big chunk (minutes for hundreds of megabytes). Only
 * plumbing uses that chat, and other chats are not held up. Listeners that keep the conversations they
 * are given keep their memory: process each one and let it go. Do not await `fetchMessages` inside a
 * history listener, its answer queues behind the chunk that listener is handling.
 *
 * The blob's MAC and hashes are checked as it streams, so the final check fails only at its end: events
 * from a blob that turns out corrupt stay emitted, and `historySyncError` follows (a tampered blob that
 * still inflates and decodes would need the media key, which only our phone has).
 *
 * @module
 */

import type { Jid } from "../../binary/mod.ts";
import { randomBytes } from "../../crypto/mod.ts";
import {
  type HistorySyncNotification,
  HistorySyncType,
  type ProtocolMessage,
  type WebMessageInfo,
} from "../../proto/mod.ts";
import { LruTtlCache } from "../../store/mod.ts";
import type { FeatureContext } from "../context.ts";
import type { GroupInfo } from "../groups/parse.ts";
import { InputError } from "../errors.ts";
import { toJid } from "../jid_input.ts";
import { historySyncRef, type MediaRef } from "../media/media_ref.ts";
import type { MessageEvent, MessageInfo } from "../message_info.ts";
import { HistorySyncError } from "./errors.ts";
import type { HistoryChunk, HistorySyncEvents, HistorySyncKind } from "./events.ts";
import type { LazyConversation } from "./lazy_conversation.ts";
import {
  DEFAULT_ON_DEMAND_COUNT,
  type HistoryAnchor,
  historyRequestMessage,
  type OnDemandHistory,
  OnDemandWaiters,
  toHistoryAnchor,
} from "./on_demand.ts";
import {
  chunkFilter,
  type HistorySyncOptions,
  type ResolvedHistoryOptions,
  resolveHistoryOptions,
  skipReason,
} from "./options.ts";
import { emptySummary, processHistoryChunk } from "./process.ts";
import { historySyncReceipts } from "./receipts.ts";
import { StallGuard } from "./stall.ts";
import type { HistorySyncSource } from "./stream.ts";

/** Downloads a history blob as a stream of its verified plaintext (the media feature). */
export type HistoryDownloader = (
  ref: MediaRef,
  options: { maxBytes: number; signal: AbortSignal },
) => Promise<ReadableStream<Uint8Array>>;

/** Options of {@link History.fetchMessages}. */
export interface FetchHistoryOptions {
  /** The oldest message we have of the chat (an anchor, or a history message's `WebMessageInfo`). */
  before: HistoryAnchor | WebMessageInfo;
  /** How many older messages to ask for (default 50, at most 500). */
  count?: number;
  /** How long to wait for the phone's answer (default 60 s). */
  timeoutMs?: number;
  /** Stops waiting. */
  signal?: AbortSignal;
}

/** How long `fetchMessages` waits for the phone by default. */
export const DEFAULT_ON_DEMAND_TIMEOUT_MS = 60_000;

const KIND_BY_NUMBER = new Map<number, HistorySyncKind>(
  Object.entries(HistorySyncType).map(([name, n]) => [n, name as HistorySyncKind]),
);
// Kinds that carry no history: a notification of them without a payload is not an error.
const EMPTY_KINDS: ReadonlySet<HistorySyncKind> = new Set(["NO_HISTORY", "MESSAGE_ACCESS_STATUS"]);
const UNFILTERED = resolveHistoryOptions({});
// How many conversations of an on-demand answer are kept to hand back (the phone answers about one chat).
const MAX_KEPT_ON_DEMAND = 4;

/** What the notification says about its chunk. */
export function chunkOf(notification: HistorySyncNotification, messageId: string): HistoryChunk {
  const chunk: HistoryChunk = {
    syncType: KIND_BY_NUMBER.get(notification.syncType ?? 0) ?? "INITIAL_BOOTSTRAP",
    chunkOrder: notification.chunkOrder ?? 0,
    messageId,
    inline: (notification.initialHistBootstrapInlinePayload?.length ?? 0) > 0,
  };
  if (notification.progress !== undefined) chunk.progress = notification.progress;
  if (notification.peerDataRequestSessionId) chunk.requestId = notification.peerDataRequestSessionId;
  const oldest = notification.oldestMsgInChunkTimestampSec;
  if (oldest !== undefined && oldest > 0n) chunk.oldestMessageTime = new Date(Number(oldest) * 1000);
  return chunk;
}

/**
 * The history-sync feature. Built by the client (it must see the first notification after linking);
 * reached as `client.history`. Configure it with `ClientOptions.history` (`BotBuilder.withHistory`).
 *
 * @example
 * ```ts
 * import type { Client } from "@wadeno/client";
 * // Type-checked, not run: it needs a live client.
 * export async function example(client: Client) {
 *   client.on("historySyncProgress", ({ chunk, stage }) =>
 *     console.log(`${chunk.syncType} #${chunk.chunkOrder} ${stage} (${chunk.progress ?? "?"}%)`));
 *   client.on("historySync", ({ conversation }) => {
 *     for (const { message } of conversation.messages()) console.log(conversation.id, message?.key?.id);
 *   });
 * }
 * ```
 */
export class History {
  readonly #ctx: FeatureContext<HistorySyncEvents>;
  readonly #download: HistoryDownloader;
  readonly #options: ResolvedHistoryOptions;
  readonly #waiters = new OnDemandWaiters();
  // Groups announced as joined from history, bounded (a history of more groups announces the rest again
  // only if they come back after being evicted).
  readonly #announced = new LruTtlCache<string, true>({ maxEntries: 20_000, ttlMs: 7 * 86_400_000 });

  /** Creates the feature and claims history-sync notifications. */
  constructor(
    ctx: FeatureContext<HistorySyncEvents>,
    download: HistoryDownloader,
    options: HistorySyncOptions = {},
  ) {
    this.#ctx = ctx;
    this.#download = download;
    this.#options = resolveHistoryOptions(options);
    ctx.onProtocolMessage("HISTORY_SYNC_NOTIFICATION", (pm, event) => this.#onNotification(pm, event));
  }

  /** True when history sync is skipped (`history.skip`). */
  get skipped(): boolean {
    return this.#options.skip;
  }

  /**
   * Asks our phone for up to `count` messages of `chat` sent before `before` (on-demand history), and
   * resolves with its answer once it was processed: the answer's chunk (`syncType` `ON_DEMAND`) also
   * goes through the `historySync` events, with `chunk.requestId` set to the returned `requestId`.
   *
   * @throws {InputError} for a bad chat, anchor or count; `ConnectionError`/`SendError` when the request
   *   cannot be sent; {@link HistorySyncError} `timeout` when the phone does not answer in time, or the
   *   answer's own error when it cannot be read.
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * // Type-checked, not run: it needs a live client.
   * export async function example(client: Client) {
   *   const oldest = { id: "3EB0C0FFEE", fromMe: false, timestamp: new Date("2024-05-01T10:00:00Z") };
   *   const answer = await client.history.fetchMessages("15551234567@s.whatsapp.net", { before: oldest });
   *   for (const { message } of answer.conversation?.messages() ?? []) console.log(message?.key?.id);
   * }
   * ```
   */
  async fetchMessages(chat: Jid | string, options: FetchHistoryOptions): Promise<OnDemandHistory> {
    const jid = toJid(chat, "chat").toNonAd();
    if (!(jid.isPn() || jid.isLid() || jid.isGroup())) {
      throw new InputError("invalid_jid", "chat", `expected a user or group chat, got ${jid}`);
    }
    const anchor = toHistoryAnchor(options?.before);
    const count = options.count ?? DEFAULT_ON_DEMAND_COUNT;
    const message = historyRequestMessage(jid, anchor, count, this.#ctx.ownLid);
    const timeoutMs = options.timeoutMs ?? DEFAULT_ON_DEMAND_TIMEOUT_MS;
    const timeout = new AbortController();
    const timer = setTimeout(
      () =>
        timeout.abort(
          new HistorySyncError(
            "timeout",
            `the phone did not answer the history request within ${timeoutMs} ms`,
          ),
        ),
      timeoutMs,
    );
    const signal = options.signal ? AbortSignal.any([options.signal, timeout.signal]) : timeout.signal;
    const id = "3EB0" + randomBytes(9).toHex().toUpperCase();
    try {
      // Registered first: the answer may be processed before the request's ack is.
      const answer = this.#waiters.wait(id, jid, signal);
      try {
        await this.#ctx.sendPeerMessage(message, { id, signal: options.signal });
      } catch (error) {
        this.#waiters.take(id, undefined);
        answer.catch(() => {});
        throw error;
      }
      return await answer;
    } finally {
      clearTimeout(timer);
    }
  }

  async #onNotification(pm: ProtocolMessage, event: MessageEvent): Promise<void> {
    const startedAt = performance.now();
    const notification = pm.historySyncNotification;
    const { info } = event;
    if (notification === undefined) {
      this.#ctx.log.warn(`history-sync protocol message ${info.id} carries no notification`);
      return;
    }
    // Only the phone holds the history; another companion of ours has none to give.
    if (info.source.sender.device !== 0) {
      this.#ctx.log.warn(`ignoring a history-sync notification from ${info.source.sender}: not our phone`);
      return;
    }
    await this.#sendReceipts(info);
    const chunk = chunkOf(notification, info.id);
    // An answer someone is waiting for is read whatever the options say.
    const awaited = chunk.syncType === "ON_DEMAND" &&
      (chunk.requestId === undefined ? this.#waiters.size > 0 : this.#waiters.has(chunk.requestId));
    const reason = awaited ? undefined : skipReason(this.#options, chunk.syncType);
    if (reason !== undefined) {
      this.#ctx.log.debug(`skipping ${chunk.syncType} chunk ${chunk.chunkOrder}: ${reason}`);
      await this.#ctx.emit("historySyncProgress", { chunk, stage: "skipped" });
      return;
    }
    await this.#ctx.emit("historySyncProgress", { chunk, stage: "started" });
    const kept: LazyConversation[] = [];
    const guard = new StallGuard(this.#options.stallTimeoutMs);
    let outcome;
    try {
      const source = await this.#source(notification, chunk, guard);
      outcome = source === undefined ? { summary: emptySummary(startedAt) } : await processHistoryChunk(
        source,
        chunk,
        {
          emit: (name, data) => this.#ctx.emit(name, data),
          learnLidMapping: (lid, pn) => this.#ctx.learnLidMapping(lid, pn, "history_sync"),
          log: this.#ctx.log,
        },
        {
          // An answer someone asked for is kept whole: the date and chat filters are for what the phone
          // pushes on its own.
          filter: chunkFilter(awaited ? UNFILTERED : this.#options, Date.now()),
          maxInflatedSize: this.#options.maxInflatedSize,
          maxFieldSize: this.#options.maxFieldSize,
          announceGroup: this.#options.joinedGroupEvents && chunk.syncType !== "ON_DEMAND"
            ? (group) => this.#announce(group)
            : undefined,
          startedAt,
          onConversation: chunk.syncType === "ON_DEMAND"
            ? (c) => void (kept.length < MAX_KEPT_ON_DEMAND && kept.push(c))
            : undefined,
        },
      );
    } catch (e) {
      const error = guard.reason ?? (e instanceof Error ? e : new Error(String(e)));
      outcome = { summary: emptySummary(startedAt), error };
    } finally {
      guard.pause();
    }
    const { summary } = outcome;
    // A stalled download fails in the media layer with an abort: report the stall itself.
    const error = outcome.error === undefined ? undefined : guard.reason ?? outcome.error;
    const pending = chunk.syncType === "ON_DEMAND"
      ? this.#waiters.take(chunk.requestId, kept[0]?.id)
      : undefined;
    if (error !== undefined) {
      this.#ctx.log.warn(`${chunk.syncType} chunk ${chunk.chunkOrder} (${info.id}) failed: ${error.message}`);
      pending?.reject(error);
      await this.#ctx.emit("historySyncError", { chunk, error, summary });
      return;
    }
    this.#ctx.log.info(
      `${chunk.syncType} chunk ${chunk.chunkOrder}: ${summary.conversations} chats, ${summary.messages} ` +
        `messages, ${summary.pushNames} push names in ${summary.durationMs.toFixed(0)} ms`,
    );
    if (pending !== undefined) {
      const answer: OnDemandHistory = { requestId: chunk.requestId ?? "", chunk, summary };
      const conversation = kept.find((c) => c.id === pending.chat);
      if (conversation !== undefined) answer.conversation = conversation;
      pending.resolve(answer);
    }
    await this.#ctx.emit("historySyncProgress", { chunk, stage: "finished", summary });
  }

  /** The chunk's bytes: the inline payload, a download stream, or none for an empty kind. */
  async #source(
    notification: HistorySyncNotification,
    chunk: HistoryChunk,
    guard: StallGuard,
  ): Promise<HistorySyncSource | undefined> {
    const inline = notification.initialHistBootstrapInlinePayload;
    if (inline !== undefined && inline.length > 0) return inline;
    if (notification.directPath) {
      // The clock runs while the request waits for its answer, then while each read waits.
      guard.resume();
      const stream = await this.#race(
        this.#download(historySyncRef(notification), {
          maxBytes: this.#options.maxDownloadBytes,
          signal: guard.signal,
        }),
        guard.signal,
      );
      guard.pause();
      return guard.watch(stream);
    }
    if (EMPTY_KINDS.has(chunk.syncType)) return undefined;
    throw new HistorySyncError(
      "no_payload",
      `expected an inline payload or a blob in ${chunk.syncType} chunk ${chunk.chunkOrder}, got neither`,
    );
  }

  /** `work`, or the signal's reason when it aborts first (a request that never answers). */
  #race<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      work.then(
        (value) => (signal.removeEventListener("abort", onAbort), resolve(value)),
        (error) => (signal.removeEventListener("abort", onAbort), reject(error)),
      );
    });
  }

  /**
   * True the first time a group is seen with metadata: later chunks repeat the chat (with older
   * messages, often without its subject or members), and `joinedGroup` fires once per group.
   */
  #announce(group: GroupInfo): boolean {
    if (group.subject === "" && group.participants.length === 0) return false;
    const key = group.jid.toString();
    if (this.#announced.has(key)) return false;
    this.#announced.set(key, true);
    return true;
  }

  async #sendReceipts(info: MessageInfo): Promise<void> {
    const own = this.#ctx.ownJid;
    if (own === undefined) return;
    for (const receipt of historySyncReceipts(info.id, info.category, own)) {
      try {
        await this.#ctx.sendNode(receipt);
      } catch (error) {
        // Not connected: the phone offers the chunk again, and the inbox already holds it.
        this.#ctx.log.debug(`could not send a ${receipt.attrs?.type} receipt for ${info.id}`, { error });
      }
    }
  }
}
