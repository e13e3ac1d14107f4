/**
 * What a virtual phone sends a newly linked companion, planned from a described history (pure: no
 * client, no server). The split follows what phones do (protocol-facts-features.md 3.1):
 *
 * - `INITIAL_BOOTSTRAP`: every chat with its metadata (name, members, description...) and its newest
 *   messages, plus the LID mappings in the first chunk. The first chunk goes inline in the notification
 *   when the companion asked for that (`historySyncConfig.inlineInitialPayloadInE2eeMsg`, as wadeno does).
 * - `INITIAL_STATUS_V3`: status posts.
 * - `PUSH_NAME`: contacts' push names.
 * - `RECENT`: the older messages within the companion's `recentSyncDaysLimit` (all of them without one).
 * - `FULL`: messages older than that, only when the companion set `requireFullSync`, within its
 *   `fullSyncDaysLimit`.
 * - `NON_BLOCKING_DATA`: past group members.
 *
 * Each kind is cut into chunks (`chunkOrder` from 1, `progress` the percentage of that kind sent), every
 * chunk a zlib-compressed `HistorySync` built with history_builder.ts. A chat's messages keep their
 * positions across chunks, so each encodes with the same id wherever it lands.
 *
 * @module
 */

import type { HistorySyncConfig, HistorySyncOnDemandRequest, PastParticipants } from "../proto/mod.ts";
import {
  compressHistorySync,
  type HistoryChunkSpec,
  type HistoryConversationSpec,
  historyMessageId,
  type HistoryMessageSpec,
  type HistorySyncTypeName,
} from "./history_builder.ts";

/** The history a virtual phone holds. */
export interface PhoneHistorySpec {
  /** Chats with their messages (oldest first) and metadata. */
  conversations?: HistoryConversationSpec[];
  /** Contacts' push names. */
  pushNames?: { id: string; name: string }[];
  /** Phone-number to LID mappings. */
  lidMappings?: { pn: string; lid: string }[];
  /** Status posts. */
  statusMessages?: HistoryChunkSpec["statusMessages"];
  /** Members who left groups. */
  pastParticipants?: PastParticipants[];
  /** Sent in the first bootstrap chunk. */
  nctSalt?: Uint8Array;
  /** Extra chunks sent as they are after the planned ones (a zlib-compressed `HistorySync` each). */
  chunks?: RawHistoryChunk[];
}

/** A chunk given ready-made. */
export interface RawHistoryChunk {
  /** Its kind. */
  syncType: HistorySyncTypeName;
  /** Its position (default 1). */
  chunkOrder?: number;
  /** Percent done (default 100). */
  progress?: number;
  /** The zlib-compressed `HistorySync`. */
  payload: Uint8Array;
  /** Send inside the notification instead of uploading it. */
  inline?: boolean;
}

/** A fault to inject into one chunk. */
export interface HistoryChunkFault {
  /** The chunk's kind. */
  syncType: HistorySyncTypeName;
  /** Its position. */
  chunkOrder: number;
  /** `zlib`: a flipped byte in the compressed payload; `blob`: the uploaded blob's last byte flipped. */
  how: "zlib" | "blob";
}

/** How the phone cuts its history. */
export interface PhoneHistoryOptions {
  /** Chats per chunk (default 20). */
  conversationsPerChunk?: number;
  /** Push names per chunk (default 100). */
  pushNamesPerChunk?: number;
  /** Newest messages of each chat in the bootstrap (default 5). */
  bootstrapMessages?: number;
  /** Faults to inject. */
  faults?: HistoryChunkFault[];
  /** The phone's clock for the day limits (ms; default `Date.now()`). */
  now?: number;
}

/** What the companion asked for at pairing. */
export interface CompanionHistoryWishes {
  /** `DeviceProps.requireFullSync`. */
  requireFullSync?: boolean;
  /** `DeviceProps.historySyncConfig`. */
  config?: HistorySyncConfig;
}

/** One chunk to send. */
export interface PlannedChunk {
  /** Its kind. */
  syncType: HistorySyncTypeName;
  /** Position in its kind, from 1. */
  chunkOrder: number;
  /** Percent of its kind sent with it. */
  progress: number;
  /** Sent inside the notification. */
  inline: boolean;
  /** The zlib-compressed `HistorySync`. */
  payload: Uint8Array;
  /** Oldest message time in it (unix seconds), when it has messages. */
  oldestMessageTime?: number;
  /** Corrupt the uploaded blob after the upload. */
  corruptBlob?: boolean;
}

const DAY_MS = 86_400_000;

/**
 * Plans the chunks a phone sends a companion.
 *
 * @example
 * ```ts
 * import { planHistory } from "./phone_history_plan.ts";
 * const plan = planHistory({
 *   conversations: [{ id: "15551234567@s.whatsapp.net", messages: [{ text: "hi", timestamp: 1_700_000_000 }] }],
 *   pushNames: [{ id: "15551234567@s.whatsapp.net", name: "Ann" }],
 * }, { config: { inlineInitialPayloadInE2eeMsg: true } });
 * console.log(plan.map((c) => `${c.syncType}/${c.chunkOrder}${c.inline ? " inline" : ""}`));
 * // [ "INITIAL_BOOTSTRAP/1 inline", "PUSH_NAME/1" ]
 * ```
 */
export function planHistory(
  spec: PhoneHistorySpec,
  wishes: CompanionHistoryWishes,
  options: PhoneHistoryOptions = {},
): PlannedChunk[] {
  const perChunk = Math.max(1, options.conversationsPerChunk ?? 20);
  const namesPerChunk = Math.max(1, options.pushNamesPerChunk ?? 100);
  const bootstrapCount = Math.max(0, options.bootstrapMessages ?? 5);
  const now = options.now ?? Date.now();
  const recentLimit = wishes.config?.recentSyncDaysLimit;
  const fullLimit = wishes.config?.fullSyncDaysLimit;
  const recentSince = recentLimit ? now - recentLimit * DAY_MS : -Infinity;
  const fullSince = fullLimit ? now - fullLimit * DAY_MS : -Infinity;

  const bootstrap: HistoryConversationSpec[] = [];
  const recent: HistoryConversationSpec[] = [];
  const full: HistoryConversationSpec[] = [];
  for (const chat of spec.conversations ?? []) {
    const all = positioned(chat);
    const cut = Math.max(0, all.length - bootstrapCount);
    bootstrap.push({ ...chat, messages: all.slice(cut) });
    const older = all.slice(0, cut);
    const inRecent = older.filter((m) => millis(m.timestamp) >= recentSince);
    const inFull = wishes.requireFullSync
      ? older.filter((m) => millis(m.timestamp) < recentSince && millis(m.timestamp) >= fullSince)
      : [];
    if (inRecent.length) recent.push({ id: chat.id, messages: inRecent });
    if (inFull.length) full.push({ id: chat.id, messages: inFull });
  }

  const specs: HistoryChunkSpec[] = [];
  const cuts = (type: HistorySyncTypeName, parts: Omit<HistoryChunkSpec, "syncType">[]) => {
    parts.forEach((part, i) =>
      specs.push({
        ...part,
        syncType: type,
        chunkOrder: i + 1,
        progress: Math.round(((i + 1) / parts.length) * 100),
      })
    );
  };
  const boot: Omit<HistoryChunkSpec, "syncType">[] = slices(bootstrap, perChunk).map((conversations) => ({
    conversations,
  }));
  if (boot.length === 0 && (spec.lidMappings?.length || spec.nctSalt)) boot.push({ conversations: [] });
  if (boot.length > 0) {
    if (spec.lidMappings?.length) boot[0] = { ...boot[0], lidMappings: spec.lidMappings };
    if (spec.nctSalt) boot[0] = { ...boot[0], nctSalt: spec.nctSalt };
  }
  cuts("INITIAL_BOOTSTRAP", boot);
  if (spec.statusMessages?.length) cuts("INITIAL_STATUS_V3", [{ statusMessages: spec.statusMessages }]);
  cuts("PUSH_NAME", slices(spec.pushNames ?? [], namesPerChunk).map((pushNames) => ({ pushNames })));
  cuts("RECENT", slices(recent, perChunk).map((conversations) => ({ conversations })));
  cuts("FULL", slices(full, perChunk).map((conversations) => ({ conversations })));
  if (spec.pastParticipants?.length) {
    cuts("NON_BLOCKING_DATA", [{ pastParticipants: spec.pastParticipants }]);
  }

  const inlineFirst = wishes.config?.inlineInitialPayloadInE2eeMsg === true;
  const faults = options.faults ?? [];
  const plan: PlannedChunk[] = specs.map((chunk) => {
    const fault = faults.find((f) => f.syncType === chunk.syncType && f.chunkOrder === chunk.chunkOrder);
    const payload = compressHistorySync(chunk);
    if (fault?.how === "zlib") payload[Math.floor(payload.length / 2)] ^= 0xff;
    const planned: PlannedChunk = {
      syncType: chunk.syncType,
      chunkOrder: chunk.chunkOrder!,
      progress: chunk.progress!,
      inline: inlineFirst && chunk.syncType === "INITIAL_BOOTSTRAP" && chunk.chunkOrder === 1,
      payload,
    };
    const oldest = oldestOf(chunk.conversations);
    if (oldest !== undefined) planned.oldestMessageTime = oldest;
    if (fault?.how === "blob") planned.corruptBlob = true;
    return planned;
  });
  for (const raw of spec.chunks ?? []) {
    plan.push({
      syncType: raw.syncType,
      chunkOrder: raw.chunkOrder ?? 1,
      progress: raw.progress ?? 100,
      inline: raw.inline === true,
      payload: raw.payload,
    });
  }
  return plan;
}

/**
 * The phone's answer to an on-demand request: the chat's messages before the anchor (by id, or by time
 * when the id is unknown), newest `count` of them, as a zlib-compressed `ON_DEMAND` chunk. A chat the
 * phone does not have gives an answer with no conversation.
 */
export function onDemandAnswer(spec: PhoneHistorySpec, request: HistorySyncOnDemandRequest): Uint8Array {
  const chat = (spec.conversations ?? []).find((c) => c.id === request.chatJid);
  const count = Math.max(0, Math.min(request.onDemandMsgCount ?? 50, 10_000));
  let conversations: HistoryConversationSpec[] = [];
  if (chat !== undefined) {
    const all = positioned(chat);
    let end = all.findIndex((m) => m.id === request.oldestMsgId);
    if (end < 0) {
      // The anchor's time, read as whatsmeow sends it (seconds), or as milliseconds when it is that large.
      const raw = Number(request.oldestMsgTimestampMs ?? 0n);
      const anchorMs = raw > 1e11 ? raw : raw * 1000;
      end = all.filter((m) => millis(m.timestamp) < anchorMs).length;
    }
    const messages = all.slice(Math.max(0, end - count), end);
    conversations = [{ id: chat.id, messages }];
  }
  return compressHistorySync({ syncType: "ON_DEMAND", chunkOrder: 1, progress: 100, conversations });
}

/** The chat's messages with explicit positions and ids, so any subset encodes as in the whole chat. */
function positioned(chat: HistoryConversationSpec): HistoryMessageSpec[] {
  return (chat.messages ?? []).map((m, i) => ({
    ...m,
    position: m.position ?? i,
    id: m.id ?? historyMessageId(chat.id, m.position ?? i),
  }));
}

function millis(t: Date | number): number {
  return t instanceof Date ? t.getTime() : t * 1000;
}

function slices<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function oldestOf(conversations: HistoryConversationSpec[] | undefined): number | undefined {
  let oldest: number | undefined;
  for (const c of conversations ?? []) {
    for (const m of c.messages ?? []) {
      const s = Math.floor(millis(m.timestamp) / 1000);
      if (oldest === undefined || s < oldest) oldest = s;
    }
  }
  return oldest;
}
