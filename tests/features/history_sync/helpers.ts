// Shared pieces of the history-sync tests: reassembling a streamed history into the HistorySync the
// generated full decoder would produce, and typed-error expectations.
import { inflateSync } from "node:zlib";
import { assert, AssertionError, assertRejects } from "../../_assert.ts";
import {
  HistorySyncError,
  type HistorySyncErrorCode,
  type HistorySyncSource,
  type HistorySyncStreamOptions,
  type HistorySyncSummary,
  streamHistorySync,
} from "../../../src/features/history_sync/mod.ts";
import type { HistorySync } from "../../../src/proto/mod.ts";
import type { HistoryChunkSpec } from "../../../src/testing/history_builder.ts";

/** Streams `source` and rebuilds the whole HistorySync from the items, in the order they came. */
export async function collect(
  source: HistorySyncSource,
  options?: HistorySyncStreamOptions,
): Promise<{ sync: HistorySync; summary: HistorySyncSummary }> {
  const sync: HistorySync = {};
  const gen = streamHistorySync(source, options);
  for (;;) {
    const step = await gen.next();
    if (step.done) return { sync, summary: step.value };
    const item = step.value;
    switch (item.kind) {
      case "conversation":
        (sync.conversations ??= []).push(item.conversation.decode());
        break;
      case "pushname":
        (sync.pushnames ??= []).push(item.pushname);
        break;
      case "lid_mapping":
        (sync.phoneNumberToLidMappings ??= []).push(item.mapping);
        break;
      case "status_message":
        (sync.statusV3Messages ??= []).push(item.message);
        break;
      case "past_participants":
        (sync.pastParticipants ??= []).push(item.pastParticipants);
        break;
      case "field":
        (sync as Record<string, unknown>)[item.field] = item.value;
        break;
      case "unknown":
        (sync.$unknown ??= []).push(item.bytes);
        break;
    }
  }
}

/** The platform's one-shot inflate, as the reference for what a blob contains. */
export function inflate(blob: Uint8Array): Uint8Array {
  const out = inflateSync(blob);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** A pull-only ReadableStream over chunks, counting how many chunks and bytes were pulled. */
export function countingStream(chunks: Uint8Array[]): {
  stream: ReadableStream<Uint8Array>;
  pulled: { chunks: number; bytes: number; cancelled: boolean };
  whenCancelled: (deadline: AbortSignal) => Promise<void>;
} {
  const pulled = { chunks: 0, bytes: 0, cancelled: false };
  const cancelled = Promise.withResolvers<void>();
  let i = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i >= chunks.length) return controller.close();
      const c = chunks[i++];
      pulled.chunks++;
      pulled.bytes += c.length;
      controller.enqueue(c);
    },
    cancel() {
      pulled.cancelled = true;
      cancelled.resolve();
    },
  }, { highWaterMark: 0 });
  const whenCancelled = (deadline: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(new AssertionError("the source was not cancelled before the deadline"));
      deadline.addEventListener("abort", onAbort, { once: true });
      cancelled.promise.then(() => (deadline.removeEventListener("abort", onAbort), resolve()));
    });
  return { stream, pulled, whenCancelled };
}

/** Expects the stream of `source` to fail with a HistorySyncError of `code`, within a deadline. */
export async function expectFailure(
  source: HistorySyncSource,
  code: HistorySyncErrorCode,
  options?: HistorySyncStreamOptions,
): Promise<HistorySyncError> {
  const deadline = AbortSignal.timeout(10_000);
  const error = await assertRejects(
    () => collect(source, { ...options, signal: deadline }),
    HistorySyncError,
  );
  if (error.code !== code) {
    throw new AssertionError(`expected code ${code}, got ${error.code}: ${error.message}`);
  }
  assert(!deadline.aborted, "the stream only failed at the deadline");
  return error;
}

const ANN = "15551230001@s.whatsapp.net";
const BOB = "15551230002@s.whatsapp.net";
const BOB_LID = "200000000000002@lid";
const GROUP = "120363000000000001@g.us";

/** One chunk of each sync type, shaped like what a phone sends in that phase. */
export const CHUNKS_BY_TYPE: Record<string, HistoryChunkSpec> = {
  INITIAL_BOOTSTRAP: {
    syncType: "INITIAL_BOOTSTRAP",
    chunkOrder: 1,
    progress: 12,
    conversations: [
      {
        id: ANN,
        name: "Ann",
        unreadCount: 2,
        pinned: 1,
        tcToken: { token: new Uint8Array([1, 2, 3, 4]), timestamp: 1_700_000_100 },
        messages: [
          { text: "hi!", timestamp: 1_700_000_000, pushName: "Ann" },
          { text: "hello 👋", fromMe: true, timestamp: 1_700_000_060 },
        ],
      },
      {
        id: GROUP,
        name: "Climbing",
        description: "Tuesdays 7pm",
        createdBy: ANN,
        participants: [{ jid: ANN, rank: "SUPERADMIN" }, { jid: BOB, rank: "ADMIN" }, {
          jid: "15551230003@s.whatsapp.net",
        }],
        messages: [
          { text: "who's in?", sender: BOB, timestamp: 1_700_001_000, pushName: "Bob" },
          { text: "me", fromMe: true, timestamp: 1_700_001_030 },
        ],
      },
    ],
    pushNames: [{ id: ANN, name: "Ann" }, { id: BOB, name: "Bob" }],
    lidMappings: [{ pn: BOB, lid: BOB_LID }],
    nctSalt: new Uint8Array(16).fill(7),
    companionMetaNonce: "nonce-1",
    globalSettings: { disappearingModeDuration: 86400, fontSize: 2, showGroupNotificationsPreview: true },
  },
  INITIAL_STATUS_V3: {
    syncType: "INITIAL_STATUS_V3",
    statusMessages: [{ text: "at the beach", sender: ANN, timestamp: 1_700_002_000 }],
  },
  RECENT: {
    syncType: "RECENT",
    chunkOrder: 2,
    progress: 40,
    conversations: [{
      id: BOB_LID,
      pnJid: BOB,
      lidJid: BOB_LID,
      archived: true,
      muteEndTime: 1_800_000_000,
      ephemeralExpiration: 604800,
      messages: Array.from(
        { length: 30 },
        (_, i) => ({ text: `m${i}`, fromMe: i % 3 === 0, timestamp: 1_700_010_000 + i }),
      ),
    }],
  },
  FULL: {
    syncType: "FULL",
    chunkOrder: 7,
    progress: 100,
    conversations: Array.from({ length: 5 }, (_, i) => ({
      id: `1555999000${i}@s.whatsapp.net`,
      messages: Array.from(
        { length: 4 },
        (_, j) => ({ text: `old ${i}.${j}`, timestamp: 1_600_000_000 + i * 100 + j }),
      ),
    })),
    pastParticipants: [{
      groupJid: GROUP,
      pastParticipants: [{ userJid: "15551230009@s.whatsapp.net", leaveReason: 1, leaveTs: 1_699_000_000n }],
    }],
  },
  PUSH_NAME: {
    syncType: "PUSH_NAME",
    pushNames: Array.from(
      { length: 50 },
      (_, i) => ({ id: `1555777${String(i).padStart(4, "0")}@s.whatsapp.net`, name: `Näme ${i}` }),
    ),
  },
  NON_BLOCKING_DATA: {
    syncType: "NON_BLOCKING_DATA",
    lidMappings: Array.from(
      { length: 20 },
      (_, i) => ({ pn: `1555666${i}@s.whatsapp.net`, lid: `3000000${i}@lid` }),
    ),
    pastParticipants: [{
      groupJid: GROUP,
      pastParticipants: [{ userJid: BOB, leaveReason: 0, leaveTs: 1n }],
    }],
  },
  ON_DEMAND: {
    syncType: "ON_DEMAND",
    chunkOrder: 1,
    progress: 100,
    conversations: [{
      id: GROUP,
      messages: Array.from(
        { length: 10 },
        (_, i) => ({ text: `older ${i}`, sender: ANN, timestamp: 1_690_000_000 + i }),
      ),
    }],
  },
};
