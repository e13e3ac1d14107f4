/**
 * The history-sync feature's events. A chunk (one `HistorySyncNotification` from our phone) is reported as
 * it streams by: `historySyncProgress` when it starts and when it ends (or is skipped), one `historySync`
 * per conversation (kept encoded until a listener decodes it), `historySyncData` batches for the rest
 * (push names, LID mappings, status posts, past group members), `joinedGroup` (with `fromHistory`) per
 * group conversation, and `historySyncError` when the chunk cannot be read to its end.
 *
 * @module
 */

import type { Jid } from "../../binary/mod.ts";
import type { HistorySyncType, PastParticipants, WebMessageInfo } from "../../proto/mod.ts";
import type { JoinedGroupEvent } from "../groups/events.ts";
import type { LazyConversation } from "./lazy_conversation.ts";
import type { HistorySyncFields } from "./stream.ts";

/**
 * The kind of sync a chunk belongs to: `INITIAL_BOOTSTRAP` (recent chats, right after linking, usually
 * inline), `INITIAL_STATUS_V3` (status posts), `RECENT` and `FULL` (older messages), `PUSH_NAME`,
 * `NON_BLOCKING_DATA` (past group members and the like), `ON_DEMAND` (an answer to
 * `client.history.fetchMessages`), `NO_HISTORY`, `MESSAGE_ACCESS_STATUS`.
 */
export type HistorySyncKind = keyof typeof HistorySyncType;

/** Which chunk an event is about, from the notification (known before anything is downloaded). */
export interface HistoryChunk {
  /** The kind of sync. */
  syncType: HistorySyncKind;
  /** Position of the chunk in its sync (the phone counts from 1; 0 when absent). */
  chunkOrder: number;
  /** Percent of the sync done with this chunk, when the phone says. */
  progress?: number;
  /** Id of the message that carried the notification. */
  messageId: string;
  /** True when the payload came inside the notification (no download). */
  inline: boolean;
  /** For `ON_DEMAND`: the id of the request this answers (`fetchMessages` returns it). */
  requestId?: string;
  /** Time of the oldest message in the chunk, when the phone says. */
  oldestMessageTime?: Date;
}

/** What one chunk held, counted as it streamed by. */
export interface HistoryChunkSummary {
  /** Conversations delivered as `historySync` events. */
  conversations: number;
  /** Conversations the options' filter dropped. */
  conversationsSkipped: number;
  /** Messages in the conversations delivered (after the date filter). */
  messages: number;
  /** Push names stored. */
  pushNames: number;
  /** LID↔phone-number mappings learned. */
  lidMappings: number;
  /** Status posts delivered (`historySyncData`). */
  statusMessages: number;
  /** Past-participant lists delivered (`historySyncData`). */
  pastParticipants: number;
  /** Inflated bytes read. */
  inflatedBytes: number;
  /** The singular fields the chunk carried: its own `syncType`, `chunkOrder`, `progress`, the NCT salt... */
  fields: Partial<HistorySyncFields>;
  /** Time from the notification to the end of the chunk, in milliseconds. */
  durationMs: number;
}

/** Payload of `historySync`: one conversation of a chunk, not decoded until a listener asks. */
export interface HistorySyncEvent {
  /** The chunk it came in. */
  chunk: HistoryChunk;
  /**
   * The conversation: `id`, `messageCount` and `isGroup` are known; `decodeMetadata()`, `messages()` and
   * `decode()` decode on request. It holds its encoded bytes only until listeners are done with it.
   */
  conversation: LazyConversation;
}

/** One push name from a history sync. */
export interface HistoryPushName {
  /** The contact (user JID). */
  jid: Jid;
  /** The name the contact set. */
  name: string;
}

/** One LID↔phone-number pair from a history sync (also learned by the client). */
export interface HistoryLidMapping {
  /** The LID (user JID). */
  lid: Jid;
  /** The phone-number JID. */
  pn: Jid;
}

/**
 * Payload of `historySyncData`: the entries of a chunk that are not conversations, in batches of at most
 * {@link HISTORY_DATA_BATCH} entries (so a chunk of a million push names never sits in memory at once).
 */
export interface HistorySyncDataEvent {
  /** The chunk they came in. */
  chunk: HistoryChunk;
  /** Contacts' push names. */
  pushNames: HistoryPushName[];
  /** LID mappings (already learned by the client when the event fires). */
  lidMappings: HistoryLidMapping[];
  /** Status posts (`INITIAL_STATUS_V3`). */
  statusMessages: WebMessageInfo[];
  /** Members who left groups (`NON_BLOCKING_DATA`). */
  pastParticipants: PastParticipants[];
}

/** Most entries in one `historySyncData` event. */
export const HISTORY_DATA_BATCH = 500;

/**
 * Payload of `historySyncProgress`: a chunk `started` (before its download), `finished` (with what it
 * held), or was `skipped` (the options say so: nothing was downloaded).
 */
export interface HistorySyncProgressEvent {
  /** The chunk. */
  chunk: HistoryChunk;
  /** Where the chunk is. */
  stage: "started" | "finished" | "skipped";
  /** For `finished`: what it held. */
  summary?: HistoryChunkSummary;
}

/**
 * Payload of `historySyncError`: a chunk could not be read to its end. The events already emitted for
 * it stand; the other chunks are not affected. `error` is a `HistorySyncError` (bad zlib or protobuf,
 * too large), a `MediaError` (download or integrity check), or what else stopped it.
 */
export interface HistorySyncErrorEvent {
  /** The chunk. */
  chunk: HistoryChunk;
  /** Why it stopped. */
  error: Error;
  /** What was delivered before it stopped. */
  summary: HistoryChunkSummary;
}

/** The events of the history-sync feature. */
export interface HistorySyncEvents {
  /** One conversation of a history chunk. */
  historySync: HistorySyncEvent;
  /** Push names, LID mappings, status posts and past participants of a history chunk, batched. */
  historySyncData: HistorySyncDataEvent;
  /** A history chunk started, finished or was skipped. */
  historySyncProgress: HistorySyncProgressEvent;
  /** A history chunk could not be read to its end. */
  historySyncError: HistorySyncErrorEvent;
  /** A group conversation from history (`fromHistory: true`), as the groups feature reports joins. */
  joinedGroup: JoinedGroupEvent;
}
