// The history-sync feature's pure parts: receipts, the on-demand request and its waiters, group metadata
// from a conversation, options and what they ask of the phone, and one chunk from bytes to events.
import { assert, assertEquals, assertRejects, assertThrows } from "../../_assert.ts";
import { Jid } from "../../../src/binary/mod.ts";
import { InputError } from "../../../src/features/errors.ts";
import { HISTORY_DATA_BATCH, type HistorySyncEvents } from "../../../src/features/history_sync/events.ts";
import { groupInfoFromConversation } from "../../../src/features/history_sync/group_info.ts";
import { chunkOf } from "../../../src/features/history_sync/history_sync.ts";
import {
  historyRequestMessage,
  MAX_ON_DEMAND_COUNT,
  OnDemandWaiters,
  toHistoryAnchor,
} from "../../../src/features/history_sync/on_demand.ts";
import {
  chunkFilter,
  historyDeviceProps,
  resolveHistoryOptions,
  skipReason,
} from "../../../src/features/history_sync/options.ts";
import { emptySummary, processHistoryChunk } from "../../../src/features/history_sync/process.ts";
import { StallGuard } from "../../../src/features/history_sync/stall.ts";
import { historySyncReceipts, protocolReceipt } from "../../../src/features/history_sync/receipts.ts";
import { HistorySyncError } from "../../../src/features/history_sync/mod.ts";
import { silentLogger } from "../../../src/logger.ts";
import {
  GroupParticipantRank,
  HistorySyncType,
  PeerDataOperationRequestType,
  ProtocolMessageType,
} from "../../../src/proto/mod.ts";
import { compressHistorySync } from "../../../src/testing/history_builder.ts";
import { buildDeviceProps } from "../../../src/client/payload.ts";

const OWN = Jid.pn("15551234567", 4);

Deno.test("receipts: peer_msg then hist_sync, to our own PN without device, no children", () => {
  // Shape: reference/protocol-facts-features.md 3.2 (whatsmeow sendProtocolMessageReceipt, Baileys
  // messages-recv.ts sends peer_msg first, then hist_sync).
  const nodes = historySyncReceipts("3EB0AA", "peer", OWN);
  assertEquals(nodes.map((n) => n.attrs?.type), ["peer_msg", "hist_sync"]);
  for (const n of nodes) {
    assertEquals(n.tag, "receipt");
    assertEquals(String(n.attrs?.to), "15551234567@s.whatsapp.net");
    assertEquals(n.attrs?.id, "3EB0AA");
    assertEquals(n.content, undefined);
  }
  assertEquals(historySyncReceipts("3EB0AB", "", OWN).map((n) => n.attrs?.type), ["hist_sync"]);
  assertEquals(protocolReceipt("X", "peer_msg", Jid.pn("1", 0)).attrs?.type, "peer_msg");
});

Deno.test("on-demand request: the peer data operation whatsmeow's BuildHistorySyncRequest builds", () => {
  // Field layout: protocol-facts-features.md 3.3; the timestamp in seconds as whatsmeow sends it.
  const m = historyRequestMessage(
    Jid.pn("15550001111", 2),
    { id: "3EB0OLD", fromMe: true, timestamp: new Date(1_700_000_123_456) },
    25,
    Jid.lid("123456789", 3),
  );
  const pm = m.protocolMessage!;
  assertEquals(pm.type, ProtocolMessageType.PEER_DATA_OPERATION_REQUEST_MESSAGE);
  assertEquals(pm.type, 16);
  const op = pm.peerDataOperationRequestMessage!;
  assertEquals(op.peerDataOperationRequestType, PeerDataOperationRequestType.HISTORY_SYNC_ON_DEMAND);
  assertEquals(op.peerDataOperationRequestType, 3);
  assertEquals(op.historySyncOnDemandRequest, {
    chatJid: "15550001111@s.whatsapp.net",
    oldestMsgId: "3EB0OLD",
    oldestMsgFromMe: true,
    onDemandMsgCount: 25,
    oldestMsgTimestampMs: 1_700_000_123n,
    accountLid: "123456789@lid",
  });
  for (const bad of [0, -1, 1.5, MAX_ON_DEMAND_COUNT + 1]) {
    const e = assertThrows(
      () => historyRequestMessage(Jid.pn("1"), { id: "a", fromMe: false, timestamp: new Date() }, bad),
      InputError,
    );
    assertEquals(e.argument, "count");
  }
});

Deno.test("on-demand anchors: from a history WebMessageInfo or given, checked", () => {
  assertEquals(
    toHistoryAnchor({ key: { id: "A", fromMe: true }, messageTimestamp: 1_700_000_000n }),
    { id: "A", fromMe: true, timestamp: new Date(1_700_000_000_000) },
  );
  assertThrows(() => toHistoryAnchor({ key: { id: "A" } }), InputError, "messageTimestamp");
  assertThrows(() => toHistoryAnchor({ messageTimestamp: 1n }), InputError, "key.id");
  assertThrows(() => toHistoryAnchor({ id: "", fromMe: false, timestamp: new Date() }), InputError);
  assertThrows(() => toHistoryAnchor({ id: "A", fromMe: false, timestamp: new Date(NaN) }), InputError);
});

Deno.test("on-demand waiters: matched by request id, else by chat; bounded; aborts reject", async () => {
  const waiters = new OnDemandWaiters(2);
  const never = new AbortController().signal;
  const a = waiters.wait("R1", Jid.pn("111"), never);
  const b = waiters.wait("R2", Jid.pn("222"), never);
  assertThrows(() => waiters.wait("R3", Jid.pn("333"), never), InputError);
  // No session id in the answer: the oldest request for the chat.
  const byChat = waiters.take(undefined, "222@s.whatsapp.net")!;
  assertEquals(waiters.size, 1);
  const byId = waiters.take("R1", "999@s.whatsapp.net")!;
  assertEquals(waiters.take("R1", undefined), undefined);
  const chunk = chunkOf({ syncType: HistorySyncType.ON_DEMAND }, "M");
  const summary = emptySummary(performance.now());
  byChat.resolve({ requestId: "R2", chunk, summary });
  byId.reject(new Error("boom"));
  assertEquals((await b).requestId, "R2");
  await assertRejects(() => a, Error, "boom");
  const abort = new AbortController();
  const c = waiters.wait("R4", Jid.pn("444"), abort.signal);
  abort.abort(new Error("gave up"));
  await assertRejects(() => c, Error, "gave up");
  assertEquals(waiters.size, 0);
});

Deno.test("chunkOf: what the notification says, before any download", () => {
  const chunk = chunkOf({
    syncType: HistorySyncType.PUSH_NAME,
    chunkOrder: 3,
    progress: 75,
    peerDataRequestSessionId: "REQ",
    oldestMsgInChunkTimestampSec: 1_700_000_000n,
    initialHistBootstrapInlinePayload: new Uint8Array([1]),
  }, "3EB0MSG");
  assertEquals(chunk, {
    syncType: "PUSH_NAME",
    chunkOrder: 3,
    progress: 75,
    messageId: "3EB0MSG",
    inline: true,
    requestId: "REQ",
    oldestMessageTime: new Date(1_700_000_000_000),
  });
  // proto2 default: an absent syncType is INITIAL_BOOTSTRAP (0).
  assertEquals(chunkOf({}, "X").syncType, "INITIAL_BOOTSTRAP");
});

Deno.test("group metadata from a conversation: subject, ranks, creator, description, community flags", () => {
  const info = groupInfoFromConversation({
    id: "120363000000000042@g.us",
    name: "Lunch",
    participant: [
      { userJid: "15550000001@s.whatsapp.net", rank: GroupParticipantRank.SUPERADMIN },
      { userJid: "15550000002@s.whatsapp.net", rank: GroupParticipantRank.ADMIN },
      { userJid: "15550000003@s.whatsapp.net" },
      { userJid: "not a jid" },
    ],
    createdBy: "15550000001@s.whatsapp.net",
    createdAt: 1_700_000_000n,
    description: "noon",
    ephemeralExpiration: 86_400,
    locked: true,
    parentGroupId: "120363000000000001@g.us",
  })!;
  assertEquals(info.jid.toString(), "120363000000000042@g.us");
  assertEquals(info.subject, "Lunch");
  assertEquals(info.participants.map((p) => [p.jid.toString(), p.isAdmin, p.isSuperAdmin]), [
    ["15550000001@s.whatsapp.net", true, true],
    ["15550000002@s.whatsapp.net", true, false],
    ["15550000003@s.whatsapp.net", false, false],
  ]);
  assertEquals(info.creator?.toString(), "15550000001@s.whatsapp.net");
  assertEquals(info.created, new Date(1_700_000_000_000));
  assertEquals(info.description, { text: "noon", id: "" });
  assertEquals(info.ephemeralExpiration, 86_400);
  assertEquals(info.locked, true);
  assertEquals(info.linkedParent?.toString(), "120363000000000001@g.us");
  assertEquals(info.addressingMode, undefined);
  assertEquals(groupInfoFromConversation({ id: "15550000001@s.whatsapp.net" }), undefined);
  assertEquals(groupInfoFromConversation({}), undefined);
  const lid = groupInfoFromConversation({ id: "1@g.us", participant: [{ userJid: "99@lid" }] })!;
  assertEquals(lid.addressingMode, "lid");
  assertEquals(lid.participants[0].lid?.toString(), "99@lid");
});

Deno.test("options: checked, skip reasons, the filter with days counted from now", () => {
  assertThrows(() => resolveHistoryOptions({ days: 0 }), TypeError, "history.days");
  assertThrows(() => resolveHistoryOptions({ messagesSince: new Date(NaN) }), TypeError, "messagesSince");
  assertThrows(() => resolveHistoryOptions({ maxDownloadBytes: -1 }), TypeError, "maxDownloadBytes");
  const skip = resolveHistoryOptions({ skip: true });
  assert(skipReason(skip, "INITIAL_BOOTSTRAP")?.includes("history.skip"));
  const some = resolveHistoryOptions({ syncTypes: ["INITIAL_BOOTSTRAP", "PUSH_NAME"] });
  assertEquals(skipReason(some, "PUSH_NAME"), undefined);
  assert(skipReason(some, "FULL")?.includes("history.syncTypes"));
  const now = Date.UTC(2025, 0, 31);
  // days and messagesSince together: the later bound wins.
  const both = resolveHistoryOptions({ days: 10, messagesSince: new Date(Date.UTC(2025, 0, 1)) });
  assertEquals(chunkFilter(both, now).messagesSince, new Date(Date.UTC(2025, 0, 21)));
  const early = resolveHistoryOptions({ days: 10, messagesSince: new Date(Date.UTC(2025, 0, 25)) });
  assertEquals(chunkFilter(early, now).messagesSince, new Date(Date.UTC(2025, 0, 25)));
  assertEquals(chunkFilter(resolveHistoryOptions({}), now).messagesSince, undefined);
});

Deno.test("options: what skip, days and fullSync ask of the phone in DeviceProps", () => {
  assertEquals(historyDeviceProps({}), {});
  assertEquals(historyDeviceProps({ skip: true }), {
    requireFullSync: false,
    historySyncConfig: { fullSyncDaysLimit: 1, recentSyncDaysLimit: 1 },
  });
  assertEquals(historyDeviceProps({ days: 6.5, fullSync: true }), {
    requireFullSync: true,
    historySyncConfig: { fullSyncDaysLimit: 7, recentSyncDaysLimit: 7 },
  });
  // Merged over the client's defaults (inline bootstrap, storage quota stay).
  const props = buildDeviceProps(historyDeviceProps({ skip: true }));
  assertEquals(props.requireFullSync, false);
  assertEquals(props.historySyncConfig?.inlineInitialPayloadInE2eeMsg, true);
  assertEquals(props.historySyncConfig?.storageQuotaMb, 10240);
  assertEquals(props.historySyncConfig?.recentSyncDaysLimit, 1);
});

/** A sink that records events and mappings. */
function sink() {
  const events: { name: keyof HistorySyncEvents; data: unknown }[] = [];
  const learned: string[] = [];
  return {
    events,
    learned,
    sink: {
      emit<K extends keyof HistorySyncEvents>(name: K, data: HistorySyncEvents[K]) {
        events.push({ name, data });
        return Promise.resolve();
      },
      learnLidMapping(lid: Jid, pn: Jid) {
        learned.push(`${lid}=${pn}`);
        return Promise.resolve();
      },
      log: silentLogger,
    },
  };
}

const KEEP_ALL = {
  kinds: ["conversation", "pushname", "lid_mapping", "status_message", "past_participants"] as const,
};

Deno.test("one chunk: conversations one event each, push names batched, LID mappings learned first", async () => {
  const n = HISTORY_DATA_BATCH * 2 + 7;
  const blob = compressHistorySync({
    syncType: "INITIAL_BOOTSTRAP",
    chunkOrder: 1,
    progress: 40,
    conversations: [
      { id: "15550000001@s.whatsapp.net", messages: [{ text: "a", timestamp: 1_700_000_000 }] },
      { id: "120363000000000042@g.us", name: "G", participants: [{ jid: "15550000001@s.whatsapp.net" }] },
    ],
    pushNames: Array.from(
      { length: n },
      (_, i) => ({ id: `1555${1_000_000 + i}@s.whatsapp.net`, name: `P${i}` }),
    ),
    lidMappings: [{ pn: "15550000001@s.whatsapp.net", lid: "777@lid" }, { pn: "bad", lid: "888@lid" }],
  });
  const chunk = chunkOf({ syncType: 0, chunkOrder: 1 }, "M1");
  const { events, learned, sink: s } = sink();
  const announced: string[] = [];
  const outcome = await processHistoryChunk(blob, chunk, s, {
    filter: { kinds: [...KEEP_ALL.kinds] },
    maxInflatedSize: 1 << 24,
    maxFieldSize: 1 << 20,
    startedAt: performance.now(),
    announceGroup: (g) => (announced.push(g.jid.toString()), true),
  });
  assertEquals(outcome.error, undefined);
  assertEquals(events.filter((e) => e.name === "historySync").length, 2);
  assertEquals(events.filter((e) => e.name === "joinedGroup").length, 1);
  assertEquals(announced, ["120363000000000042@g.us"]);
  const batches = events.filter((e) => e.name === "historySyncData").map((e) =>
    e.data as HistorySyncEvents["historySyncData"]
  );
  assertEquals(batches.map((b) => b.pushNames.length + b.lidMappings.length), [
    HISTORY_DATA_BATCH,
    HISTORY_DATA_BATCH,
    8,
  ]);
  assertEquals(batches.flatMap((b) => b.pushNames).map((p) => p.name).slice(-2), [`P${n - 2}`, `P${n - 1}`]);
  // The malformed mapping is dropped; the good one is learned before its event.
  assertEquals(learned, ["777@lid=15550000001@s.whatsapp.net"]);
  assertEquals(outcome.summary.conversations, 2);
  assertEquals(outcome.summary.messages, 1);
  assertEquals(outcome.summary.pushNames, n);
  assertEquals(outcome.summary.lidMappings, 1);
  assertEquals(outcome.summary.fields.progress, 40);
  assert(outcome.summary.inflatedBytes > 0);
});

Deno.test("one chunk: a corrupt blob ends it with the error, what came before stays delivered", async () => {
  const good = compressHistorySync({
    syncType: "RECENT",
    conversations: Array.from({ length: 300 }, (_, i) => ({
      id: `1555${1_000_000 + i}@s.whatsapp.net`,
      messages: [{ text: "x".repeat(2000), timestamp: 1_700_000_000 + i }],
    })),
  }, 0);
  // Level 0 stores the data: damaging the Adler-32 trailer leaves every entry readable, then fails.
  const bad = good.slice();
  bad[bad.length - 1] ^= 0xff;
  const { events, sink: s } = sink();
  const outcome = await processHistoryChunk(bad, chunkOf({ syncType: 3 }, "M2"), s, {
    filter: { kinds: [...KEEP_ALL.kinds] },
    maxInflatedSize: 1 << 24,
    maxFieldSize: 1 << 20,
    startedAt: performance.now(),
  });
  assert(outcome.error instanceof HistorySyncError);
  assertEquals(outcome.error.code, "inflate_failed");
  assertEquals(outcome.summary.conversations, events.filter((e) => e.name === "historySync").length);
  assert(outcome.summary.conversations > 0);
  // Garbage from the first byte: nothing delivered.
  const none = await processHistoryChunk(new Uint8Array([1, 2, 3]), chunkOf({}, "M3"), sink().sink, {
    filter: {},
    maxInflatedSize: 1 << 24,
    maxFieldSize: 1 << 20,
    startedAt: performance.now(),
  });
  assertEquals((none.error as HistorySyncError).code, "inflate_failed");
  assertEquals(none.summary.conversations, 0);
});

Deno.test("stall guard: a download that sends nothing fails `stalled`; a slow listener does not count", async () => {
  const guard = new StallGuard(40);
  let cancelled = false;
  const silent = new ReadableStream<Uint8Array>({ cancel: () => void (cancelled = true) });
  const error = await assertRejects(async () => {
    for await (const _ of guard.watch(silent)) { /* nothing comes */ }
  }, HistorySyncError);
  assertEquals(error.code, "stalled");
  assert(guard.signal.aborted && cancelled);

  // Two chunks with a consumer that takes longer than the timeout between them: no stall.
  const patient = new StallGuard(40);
  const chunks = [new Uint8Array([1]), new Uint8Array([2])];
  const source = new ReadableStream<Uint8Array>({
    pull: (c) => void (chunks.length ? c.enqueue(chunks.shift()!) : c.close()),
  });
  const got: number[] = [];
  for await (const chunk of patient.watch(source)) {
    got.push(chunk[0]);
    await new Promise((resolve) => setTimeout(resolve, 80)); // the listener's work, not the network
  }
  assertEquals(got, [1, 2]);
  assertEquals(patient.fired, false);
});
