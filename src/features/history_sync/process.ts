/**
 * One history chunk from bytes to events: the blob (inline or a download stream) is inflated and walked
 * by {@link streamHistorySync}, and each entry becomes an event the moment it is read: a `historySync`
 * per conversation (and a `joinedGroup` per group), `historySyncData` batches of push names, LID mappings
 * (learned first), status posts and past participants. Each event is awaited before the next entry is
 * read, so memory holds one entry and one batch, whatever the chunk's size.
 *
 * @module
 */

import { Jid } from "../../binary/mod.ts";
import type { Logger } from "../../logger.ts";
import type { JoinedGroupEvent } from "../groups/events.ts";
import type { GroupInfo } from "../groups/parse.ts";
import {
  HISTORY_DATA_BATCH,
  type HistoryChunk,
  type HistoryChunkSummary,
  type HistorySyncDataEvent,
  type HistorySyncEvents,
} from "./events.ts";
import type { HistorySyncFilter } from "./filter.ts";
import { groupInfoFromConversation } from "./group_info.ts";
import type { LazyConversation } from "./lazy_conversation.ts";
import { type HistorySyncSource, type HistorySyncSummary, streamHistorySync } from "./stream.ts";

/** Where a chunk's entries go. */
export interface ChunkSink {
  /** Emits an event and resolves once its listeners are done. */
  emit<K extends keyof HistorySyncEvents>(name: K, data: HistorySyncEvents[K]): Promise<void>;
  /** Records a LID↔phone-number pair the phone vouched for. */
  learnLidMapping(lid: Jid, pn: Jid): Promise<void>;
  /** For entries that are dropped as malformed. */
  log: Logger;
}

/** How to read one chunk. */
export interface ProcessChunkOptions {
  /** What to keep. */
  filter: HistorySyncFilter;
  /** Bound on the inflated chunk. */
  maxInflatedSize: number;
  /** Bound on one entry. */
  maxFieldSize: number;
  /** Whether to emit `joinedGroup` for a group conversation (none when absent). */
  announceGroup?: (group: GroupInfo) => boolean;
  /** Called with each conversation before its events (the on-demand answer keeps the chat's). */
  onConversation?: (conversation: LazyConversation) => void;
  /** When the chunk's handling began (`performance.now()`), for `durationMs`. */
  startedAt: number;
  /** Stops reading. */
  signal?: AbortSignal;
}

/** The outcome of a chunk: what it held, and the error that stopped it early, if one did. */
export interface ChunkOutcome {
  /** What was delivered. */
  summary: HistoryChunkSummary;
  /** Why it stopped before its end. */
  error?: Error;
}

/** An empty summary (a chunk with no payload, or one that failed before its first entry). */
export function emptySummary(startedAt: number): HistoryChunkSummary {
  return {
    conversations: 0,
    conversationsSkipped: 0,
    messages: 0,
    pushNames: 0,
    lidMappings: 0,
    statusMessages: 0,
    pastParticipants: 0,
    inflatedBytes: 0,
    fields: {},
    durationMs: performance.now() - startedAt,
  };
}

/**
 * Reads a zlib-compressed `HistorySync` chunk and emits its entries. Never throws for bad input: a
 * download, inflate or decode failure ends the chunk and comes back as `error`, with the events
 * already emitted standing.
 */
export async function processHistoryChunk(
  source: HistorySyncSource,
  chunk: HistoryChunk,
  sink: ChunkSink,
  options: ProcessChunkOptions,
): Promise<ChunkOutcome> {
  const summary = emptySummary(options.startedAt);
  let batch = newBatch(chunk);
  let batched = 0;
  const flush = async () => {
    if (batched === 0) return;
    const full = batch;
    batch = newBatch(chunk);
    batched = 0;
    await sink.emit("historySyncData", full);
  };
  const stream = streamHistorySync(source, {
    filter: options.filter,
    maxInflatedSize: options.maxInflatedSize,
    maxFieldSize: options.maxFieldSize,
    signal: options.signal,
  });
  let error: Error | undefined;
  let result: HistorySyncSummary | undefined;
  try {
    for (;;) {
      const step = await stream.next();
      if (step.done) {
        result = step.value;
        break;
      }
      const item = step.value;
      switch (item.kind) {
        case "conversation": {
          const conversation = item.conversation;
          options.onConversation?.(conversation);
          summary.conversations++;
          summary.messages += conversation.messageCount;
          await sink.emit("historySync", { chunk, conversation });
          if (options.announceGroup !== undefined && conversation.isGroup) {
            const joined = joinedFromHistory(conversation, sink.log);
            if (joined !== undefined && options.announceGroup(joined.group)) {
              await sink.emit("joinedGroup", joined);
            }
          }
          break;
        }
        case "pushname": {
          const jid = userJid(item.pushname.id);
          const name = item.pushname.pushname;
          if (jid === undefined || !name) {
            sink.log.debug(`dropping a history push name with id ${JSON.stringify(item.pushname.id)}`);
            break;
          }
          batch.pushNames.push({ jid, name });
          summary.pushNames++;
          batched++;
          break;
        }
        case "lid_mapping": {
          const lid = userJid(item.mapping.lidJid);
          const pn = userJid(item.mapping.pnJid);
          if (lid === undefined || pn === undefined || !lid.isLid() || !pn.isPn()) {
            sink.log.debug(`dropping a malformed history LID mapping`, { mapping: item.mapping });
            break;
          }
          await sink.learnLidMapping(lid, pn);
          batch.lidMappings.push({ lid, pn });
          summary.lidMappings++;
          batched++;
          break;
        }
        case "status_message":
          batch.statusMessages.push(item.message);
          summary.statusMessages++;
          batched++;
          break;
        case "past_participants":
          batch.pastParticipants.push(item.pastParticipants);
          summary.pastParticipants++;
          batched++;
          break;
      }
      if (batched >= HISTORY_DATA_BATCH) await flush();
    }
  } catch (e) {
    error = e instanceof Error ? e : new Error(String(e));
  } finally {
    // Stops the download when the loop ended early.
    await stream.return(undefined as never).catch(() => {});
  }
  try {
    await flush();
  } catch (e) {
    error ??= e instanceof Error ? e : new Error(String(e));
  }
  if (result !== undefined) {
    summary.conversationsSkipped = result.conversationsSkipped;
    summary.inflatedBytes = result.inflatedBytes;
    summary.fields = result.fields;
  }
  summary.durationMs = performance.now() - options.startedAt;
  return error === undefined ? { summary } : { summary, error };
}

function newBatch(chunk: HistoryChunk): HistorySyncDataEvent {
  return { chunk, pushNames: [], lidMappings: [], statusMessages: [], pastParticipants: [] };
}

function userJid(text: string | undefined): Jid | undefined {
  const jid = text === undefined ? undefined : Jid.tryParse(text);
  return jid && (jid.isPn() || jid.isLid()) ? jid.toNonAd() : undefined;
}

function joinedFromHistory(conversation: LazyConversation, log: Logger): JoinedGroupEvent | undefined {
  let group;
  try {
    group = groupInfoFromConversation(conversation.decodeMetadata());
  } catch (error) {
    // The listeners of `historySync` see the same error when they decode it; the sync goes on.
    log.warn(`group conversation ${conversation.id} does not decode`, { error });
    return undefined;
  }
  if (group === undefined) return undefined;
  return {
    group,
    author: group.creator,
    timestamp: group.created ?? new Date(),
    offline: false,
    fromHistory: true,
  };
}
