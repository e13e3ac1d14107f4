/**
 * History-sync chunks for tests: realistic `HistorySync` payloads built from a short description,
 * encoded and zlib-compressed as the primary phone sends them, and big synthetic histories streamed out
 * chunk by chunk without ever being held in memory.
 *
 * Shapes follow what a phone sends (protocol-facts-features.md §3.1): messages as `HistorySyncMsg`
 * entries with a `WebMessageInfo` whose key names the chat, group messages carry the sender in
 * `key.participant`, incoming ones a push name, every message a 32-byte message secret.
 *
 * @module
 */

import { createDeflate, deflateSync } from "node:zlib";
import { Duplex } from "node:stream";
import {
  Conversation,
  GroupParticipantRank,
  HistorySync,
  type HistorySyncMsg,
  HistorySyncType,
  type PastParticipants,
  type WebMessageInfo,
  WebMessageInfoStatus,
  Writer,
} from "../proto/mod.ts";

/** The sync types a phone sends as history chunks (the values of `HistorySync.syncType`). */
export type HistorySyncTypeName = keyof typeof HistorySyncType;

/** One message of a described conversation. */
export interface HistoryMessageSpec {
  /** Message id; default a WhatsApp-Web-style `3EB0…` id derived from the position. */
  id?: string;
  /** Sent by the account itself (default false). */
  fromMe?: boolean;
  /** Sender JID in a group (ignored for `fromMe`); default the group's first participant. */
  sender?: string;
  /** Text body; default "message <n>". */
  text?: string;
  /** Send time: a Date or unix seconds. */
  timestamp: Date | number;
  /** Sender's push name on incoming messages. */
  pushName?: string;
  /**
   * Position of the message in its whole chat, from 0: the default id, message secret and `msgOrderId`
   * derive from it, so a chat split over several chunks encodes each message the same way. Default its
   * index in `messages`.
   */
  position?: number;
}

/** One chat of a described history chunk. */
export interface HistoryConversationSpec {
  /** Chat JID: `…@s.whatsapp.net`, `…@lid` or a group `…@g.us`. */
  id: string;
  /** Display name (a group's subject). */
  name?: string;
  /** Messages, oldest first. */
  messages?: HistoryMessageSpec[];
  /** Group participants (group metadata). */
  participants?: { jid: string; rank?: keyof typeof GroupParticipantRank }[];
  /** Group description. */
  description?: string;
  /** Group creator JID. */
  createdBy?: string;
  /** Unread messages (default 0). */
  unreadCount?: number;
  /** Archived chat. */
  archived?: boolean;
  /** Pin order (0 = not pinned). */
  pinned?: number;
  /** Muted until (unix seconds). */
  muteEndTime?: number;
  /** Disappearing-messages timer in seconds. */
  ephemeralExpiration?: number;
  /** The chat's PN JID when `id` is a LID, or the reverse. */
  pnJid?: string;
  /** The chat's LID JID. */
  lidJid?: string;
  /** Trusted-contact token and its timestamp (unix seconds). */
  tcToken?: { token: Uint8Array; timestamp: number };
}

/** A described history chunk. */
export interface HistoryChunkSpec {
  /** Sync type of the chunk. */
  syncType: HistorySyncTypeName;
  /** Position of the chunk in its sync. */
  chunkOrder?: number;
  /** Percent complete. */
  progress?: number;
  /** Chats with their messages. */
  conversations?: HistoryConversationSpec[];
  /** Push names of contacts. */
  pushNames?: { id: string; name: string }[];
  /** Phone-number to LID mappings. */
  lidMappings?: { pn: string; lid: string }[];
  /** Status updates (INITIAL_STATUS_V3). */
  statusMessages?: (HistoryMessageSpec & { sender: string })[];
  /** Members who left groups. */
  pastParticipants?: PastParticipants[];
  /** NCT salt. */
  nctSalt?: Uint8Array;
  /** Companion meta nonce. */
  companionMetaNonce?: string;
  /** Account-wide settings (initial bootstrap). */
  globalSettings?: HistorySync["globalSettings"];
}

/**
 * Builds the `HistorySync` message a phone would send for `spec`.
 *
 * @example
 * ```ts
 * import { buildHistorySync } from "./history_builder.ts";
 * const sync = buildHistorySync({
 *   syncType: "RECENT",
 *   conversations: [{ id: "15551234567@s.whatsapp.net", messages: [{ text: "hi", timestamp: 1700000000 }] }],
 * });
 * console.log(sync.conversations?.[0].messages?.[0].message?.message?.conversation); // hi
 * ```
 */
export function buildHistorySync(spec: HistoryChunkSpec): HistorySync {
  const sync: HistorySync = { syncType: HistorySyncType[spec.syncType] };
  if (spec.conversations !== undefined) sync.conversations = spec.conversations.map(buildConversation);
  if (spec.statusMessages !== undefined) {
    sync.statusV3Messages = spec.statusMessages.map((m, i) =>
      webMessage("status@broadcast", true, m, i, m.sender)
    );
  }
  if (spec.chunkOrder !== undefined) sync.chunkOrder = spec.chunkOrder;
  if (spec.progress !== undefined) sync.progress = spec.progress;
  if (spec.pushNames !== undefined) {
    sync.pushnames = spec.pushNames.map((p) => ({ id: p.id, pushname: p.name }));
  }
  if (spec.globalSettings !== undefined) sync.globalSettings = spec.globalSettings;
  if (spec.pastParticipants !== undefined) sync.pastParticipants = spec.pastParticipants;
  if (spec.lidMappings !== undefined) {
    sync.phoneNumberToLidMappings = spec.lidMappings.map((m) => ({ pnJid: m.pn, lidJid: m.lid }));
  }
  if (spec.companionMetaNonce !== undefined) sync.companionMetaNonce = spec.companionMetaNonce;
  if (spec.nctSalt !== undefined) sync.nctSalt = spec.nctSalt;
  return sync;
}

/** Encodes `spec` as `HistorySync` bytes (inflated, as they are before the phone compresses them). */
export function encodeHistorySync(spec: HistoryChunkSpec): Uint8Array {
  return HistorySync.encode(buildHistorySync(spec));
}

/**
 * zlib-compresses a chunk (a spec, or already encoded bytes): the form of an inline bootstrap payload
 * and of a downloaded blob once decrypted.
 *
 * @example
 * ```ts
 * import { compressHistorySync } from "./history_builder.ts";
 * const blob = compressHistorySync({ syncType: "PUSH_NAME", pushNames: [{ id: "1@s.whatsapp.net", name: "Ann" }] });
 * console.log(blob[0].toString(16)); // 78 (zlib header)
 * ```
 */
export function compressHistorySync(chunk: HistoryChunkSpec | Uint8Array, level = 6): Uint8Array {
  const bytes = chunk instanceof Uint8Array ? chunk : encodeHistorySync(chunk);
  const out = deflateSync(bytes, { level });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

function buildConversation(spec: HistoryConversationSpec): Conversation {
  const isGroup = spec.id.endsWith("@g.us");
  const c: Conversation = { id: spec.id };
  const firstMember = spec.participants?.[0]?.jid;
  if (spec.messages !== undefined && spec.messages.length > 0) {
    c.messages = spec.messages.map((m, i): HistorySyncMsg => ({
      message: webMessage(spec.id, isGroup, m, m.position ?? i, m.sender ?? firstMember),
      msgOrderId: BigInt((m.position ?? i) + 1),
    }));
    const last = spec.messages[spec.messages.length - 1];
    c.lastMsgTimestamp = seconds(last.timestamp);
    c.conversationTimestamp = seconds(last.timestamp);
  }
  c.unreadCount = spec.unreadCount ?? 0;
  if (spec.ephemeralExpiration !== undefined) c.ephemeralExpiration = spec.ephemeralExpiration;
  if (spec.name !== undefined) c.name = spec.name;
  if (spec.archived !== undefined) c.archived = spec.archived;
  if (spec.participants !== undefined) {
    c.participant = spec.participants.map((p) => ({
      userJid: p.jid,
      ...(p.rank === undefined ? {} : { rank: GroupParticipantRank[p.rank] }),
    }));
  }
  if (spec.tcToken !== undefined) {
    c.tcToken = spec.tcToken.token;
    c.tcTokenTimestamp = BigInt(spec.tcToken.timestamp);
  }
  if (spec.pinned !== undefined) c.pinned = spec.pinned;
  if (spec.muteEndTime !== undefined) c.muteEndTime = BigInt(spec.muteEndTime);
  if (spec.createdBy !== undefined) c.createdBy = spec.createdBy;
  if (spec.description !== undefined) c.description = spec.description;
  if (spec.pnJid !== undefined) c.pnJid = spec.pnJid;
  if (spec.lidJid !== undefined) c.lidJid = spec.lidJid;
  return c;
}

function webMessage(
  chat: string,
  isGroup: boolean,
  m: HistoryMessageSpec,
  index: number,
  sender: string | undefined,
): WebMessageInfo {
  const fromMe = m.fromMe === true;
  const info: WebMessageInfo = {
    key: {
      remoteJid: chat,
      fromMe,
      id: m.id ?? messageId(chat, index),
      ...(isGroup && !fromMe && sender !== undefined ? { participant: sender } : {}),
    },
    message: {
      conversation: m.text ?? `message ${index + 1}`,
      messageContextInfo: { messageSecret: secret(chat, index) },
    },
    messageTimestamp: seconds(m.timestamp),
    status: fromMe ? WebMessageInfoStatus.READ : WebMessageInfoStatus.DELIVERY_ACK,
  };
  if (!fromMe && m.pushName !== undefined) info.pushName = m.pushName;
  return info;
}

function seconds(t: Date | number): bigint {
  return BigInt(t instanceof Date ? Math.floor(t.getTime() / 1000) : Math.floor(t));
}

// Deterministic ids and secrets from a string hash, so the same spec always encodes the same bytes.
function hash32(s: string, salt: number): number {
  let h = 0x811c9dc5 ^ salt;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * The id {@link buildHistorySync} gives message `index` (its position) of `chat` when the spec names none:
 * a WhatsApp-Web-style `3EB0…` id, the same for the same chat and position.
 *
 * @example
 * ```ts
 * import { historyMessageId } from "./history_builder.ts";
 * console.log(historyMessageId("15551234567@s.whatsapp.net", 0).startsWith("3EB0")); // true
 * ```
 */
export function historyMessageId(chat: string, index: number): string {
  return messageId(chat, index);
}

function messageId(chat: string, index: number): string {
  const a = hash32(chat, index).toString(16).padStart(8, "0");
  const b = hash32(chat, index + 0x9e3779b9).toString(16).padStart(8, "0");
  return `3EB0${a}${b}`.toUpperCase();
}

function secret(chat: string, index: number): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i += 4) {
    const h = hash32(chat, index * 8 + i);
    out[i] = h;
    out[i + 1] = h >>> 8;
    out[i + 2] = h >>> 16;
    out[i + 3] = h >>> 24;
  }
  return out;
}

/** Shape of a {@link syntheticHistory}. */
export interface SyntheticHistoryOptions {
  /** Chats (default 2,000); every tenth is a group. */
  conversations?: number;
  /** Messages per chat (default 100). */
  messagesPerConversation?: number;
  /** Sync type (default FULL). */
  syncType?: HistorySyncTypeName;
  /** PRNG seed for the message texts (default 1). */
  seed?: number;
  /** zlib level (default 1: fast enough that generation does not dominate a test). */
  level?: number;
  /** False for the inflated bytes instead of the zlib stream (default true). */
  compressed?: boolean;
  /** Unix seconds of the oldest message (default 1,700,000,000); messages are a minute apart. */
  startTime?: number;
}

/** What a {@link syntheticHistory} contains, computed from its options (not by decoding it). */
export interface SyntheticHistoryContents {
  /** Number of conversations. */
  conversations: number;
  /** Number of messages in all conversations. */
  messages: number;
  /** Number of push names (one per 1:1 chat). */
  pushNames: number;
  /** Number of LID mappings (one per 1:1 chat). */
  lidMappings: number;
  /** The chat JID of conversation `i`. */
  conversationId(i: number): string;
  /** Send time (unix seconds) of message `j` of conversation `i`. */
  messageTime(i: number, j: number): number;
}

/**
 * A big history chunk generated on demand: conversations are encoded one at a time as the stream is
 * pulled and pass through a streaming deflater, so memory stays flat however large the history (the
 * default, 200,000 messages in 2,000 chats, inflates to about 50 MB). Field order is the phone's:
 * syncType and chunkOrder, the conversations, push names, LID mappings, then progress.
 *
 * @example
 * ```ts
 * import { syntheticHistory } from "./history_builder.ts";
 * const { stream, contents } = syntheticHistory({ conversations: 3, messagesPerConversation: 2 });
 * let bytes = 0;
 * for await (const chunk of stream) bytes += chunk.length;
 * console.log(contents.messages, bytes > 0); // 6 true
 * ```
 */
export function syntheticHistory(
  options: SyntheticHistoryOptions = {},
): { stream: ReadableStream<Uint8Array>; contents: SyntheticHistoryContents } {
  const count = options.conversations ?? 2000;
  const perChat = options.messagesPerConversation ?? 100;
  const start = options.startTime ?? 1_700_000_000;
  const contents: SyntheticHistoryContents = {
    conversations: count,
    messages: count * perChat,
    pushNames: count - Math.ceil(count / 10),
    lidMappings: count - Math.ceil(count / 10),
    conversationId: (i) =>
      i % 10 === 0 ? `1203630${String(i).padStart(11, "0")}@g.us` : `${contactPn(i)}@s.whatsapp.net`,
    messageTime: (i, j) => start + (j * count + i) * 60,
  };
  const random = xorshift(options.seed ?? 1);
  let next = 0;
  const prefix = HistorySync.encode({
    syncType: HistorySyncType[options.syncType ?? "FULL"],
    chunkOrder: 1,
  });
  const raw = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (next === 0) controller.enqueue(prefix);
      if (next < count) {
        const i = next++;
        const w = new Writer(perChat * 300);
        w.byte(0x12); // HistorySync.conversations
        w.bytes(Conversation.encode(syntheticConversation(i, perChat, contents, random)));
        controller.enqueue(w.finish());
        return;
      }
      if (next === count) {
        next++;
        const tail: HistorySync = { pushnames: [], phoneNumberToLidMappings: [], progress: 100 };
        for (let i = 0; i < count; i++) {
          if (i % 10 === 0) continue;
          tail.pushnames!.push({ id: `${contactPn(i)}@s.whatsapp.net`, pushname: `Contact ${i}` });
          tail.phoneNumberToLidMappings!.push({
            pnJid: `${contactPn(i)}@s.whatsapp.net`,
            lidJid: `${contactLid(i)}@lid`,
          });
        }
        controller.enqueue(HistorySync.encode(tail));
        return;
      }
      controller.close();
    },
  }, { highWaterMark: 0 });
  if (options.compressed === false) return { stream: raw, contents };
  const deflater = Duplex.toWeb(createDeflate({ level: options.level ?? 1 })) as unknown as {
    readable: ReadableStream<Uint8Array>;
    writable: WritableStream<Uint8Array>;
  };
  return { stream: raw.pipeThrough(deflater), contents };
}

const WORDS =
  ("ok yes no thanks see you tomorrow tonight at the usual place did you get my message call me " +
    "when you can running late sorry haha lol great idea sounds good where are you I'm on my way bring the " +
    "charger happy birthday 🎉 meeting moved to 3pm can you send the file please check the group").split(" ");

function syntheticConversation(
  i: number,
  perChat: number,
  contents: SyntheticHistoryContents,
  random: () => number,
): Conversation {
  const id = contents.conversationId(i);
  const isGroup = i % 10 === 0;
  const members = isGroup
    ? Array.from(
      { length: 8 },
      (_, k) => `${contactPn((i + k * 7 + 1) % contents.conversations || 1)}@s.whatsapp.net`,
    )
    : [];
  const messages: HistoryMessageSpec[] = [];
  for (let j = 0; j < perChat; j++) {
    const words = 3 + Math.floor(random() * 40);
    let text = "";
    for (let k = 0; k < words; k++) text += (k ? " " : "") + WORDS[Math.floor(random() * WORDS.length)];
    const fromMe = random() < 0.4;
    messages.push({
      text,
      fromMe,
      timestamp: contents.messageTime(i, j),
      sender: isGroup ? members[Math.floor(random() * members.length)] : undefined,
      pushName: fromMe ? undefined : `Contact ${i}`,
    });
  }
  return buildConversation({
    id,
    name: isGroup ? `Group ${i}` : undefined,
    messages,
    unreadCount: Math.floor(random() * 5),
    participants: isGroup
      ? members.map((jid, k) => ({ jid, rank: k === 0 ? "SUPERADMIN" as const : "REGULAR" as const }))
      : undefined,
    createdBy: isGroup ? members[0] : undefined,
  });
}

function contactPn(i: number): string {
  return `1555${String(1_000_000 + i).padStart(7, "0")}`;
}

function contactLid(i: number): string {
  return String(100_000_000_000_000 + i * 7919);
}

function xorshift(seed: number): () => number {
  let s = seed | 0 || 0x2545f491;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x100000000;
  };
}
