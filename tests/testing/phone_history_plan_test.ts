// How a virtual phone cuts its history into chunks (kinds, limits the companion asked for, inline
// bootstrap, progress) and answers on-demand requests; decoded with the generated HistorySync decoder.
import { inflateSync } from "node:zlib";
import { assert, assertEquals, assertThrows } from "../_assert.ts";
import { HistorySync, HistorySyncType } from "../../src/proto/mod.ts";
import { buildHistorySync } from "../../src/testing/history_builder.ts";
import {
  onDemandAnswer,
  type PhoneHistorySpec,
  planHistory,
  type PlannedChunk,
} from "../../src/testing/phone_history_plan.ts";

const DAY = 86_400_000;
const NOW = Date.UTC(2025, 5, 1);

function decode(chunk: PlannedChunk): HistorySync {
  return HistorySync.decode(new Uint8Array(inflateSync(chunk.payload)));
}

/** 30 chats of 10 messages: messages 0-2 400 days old, 3-5 100 days old, 6-9 from the last days. */
function spec(): PhoneHistorySpec {
  return {
    conversations: Array.from({ length: 30 }, (_, c) => ({
      id: `1555000${String(c).padStart(4, "0")}@s.whatsapp.net`,
      name: `Chat ${c}`,
      messages: Array.from({ length: 10 }, (_, j) => ({
        text: `m${j}`,
        timestamp: new Date(NOW - (j < 3 ? 400 : j < 6 ? 100 : 10 - j) * DAY),
      })),
    })),
    pushNames: Array.from(
      { length: 250 },
      (_, i) => ({ id: `1555${1_000_000 + i}@s.whatsapp.net`, name: `N${i}` }),
    ),
    lidMappings: [{ pn: "15550000000@s.whatsapp.net", lid: "42@lid" }],
    pastParticipants: [{ groupJid: "1@g.us", pastParticipants: [{ userJid: "2@s.whatsapp.net" }] }],
  };
}

Deno.test("plan: kinds in order, chunked, progress per kind, first bootstrap inline when asked", () => {
  const plan = planHistory(spec(), {
    requireFullSync: true,
    config: { inlineInitialPayloadInE2eeMsg: true, recentSyncDaysLimit: 200 },
  }, { conversationsPerChunk: 12, bootstrapMessages: 4, now: NOW });
  assertEquals(plan.map((c) => `${c.syncType}/${c.chunkOrder}/${c.progress}`), [
    "INITIAL_BOOTSTRAP/1/33",
    "INITIAL_BOOTSTRAP/2/67",
    "INITIAL_BOOTSTRAP/3/100",
    "PUSH_NAME/1/33",
    "PUSH_NAME/2/67",
    "PUSH_NAME/3/100",
    "RECENT/1/33",
    "RECENT/2/67",
    "RECENT/3/100",
    "FULL/1/33",
    "FULL/2/67",
    "FULL/3/100",
    "NON_BLOCKING_DATA/1/100",
  ]);
  assertEquals(plan.filter((c) => c.inline).map((c) => c.syncType + c.chunkOrder), ["INITIAL_BOOTSTRAP1"]);
  for (const chunk of plan) {
    const sync = decode(chunk);
    assertEquals(sync.syncType, HistorySyncType[chunk.syncType]);
    assertEquals(sync.chunkOrder, chunk.chunkOrder);
    assertEquals(sync.progress, chunk.progress);
  }
  // Bootstrap: the 4 newest messages with the chat's metadata; LID mappings in the first chunk only.
  const boot = decode(plan[0]);
  assertEquals(boot.conversations?.length, 12);
  assertEquals(boot.conversations![0].name, "Chat 0");
  assertEquals(boot.conversations![0].messages!.map((m) => m.message?.message?.conversation), [
    "m6",
    "m7",
    "m8",
    "m9",
  ]);
  assertEquals(boot.phoneNumberToLidMappings, [{ pnJid: "15550000000@s.whatsapp.net", lidJid: "42@lid" }]);
  assertEquals(decode(plan[1]).phoneNumberToLidMappings, undefined);
  // RECENT: within 200 days (messages 3-5); FULL: the rest (0-2).
  const texts = (c: PlannedChunk) =>
    decode(c).conversations![0].messages!.map((m) => m.message?.message?.conversation);
  assertEquals(texts(plan[6]), ["m3", "m4", "m5"]);
  assertEquals(texts(plan[9]), ["m0", "m1", "m2"]);
  assertEquals(plan[9].oldestMessageTime, Math.floor((NOW - 400 * DAY) / 1000));
  assertEquals(decode(plan[3]).pushnames?.length, 100);
  assertEquals(decode(plan[5]).pushnames?.length, 50);
});

Deno.test("plan: a message keeps its id and encoding whichever chunk it lands in", () => {
  const s = spec();
  const plan = planHistory(s, { requireFullSync: true }, { bootstrapMessages: 4, now: NOW });
  const whole = buildHistorySync({ syncType: "FULL", conversations: s.conversations!.slice(0, 1) });
  const expected = whole.conversations![0].messages!.map((m) =>
    HistorySync.encode({ conversations: [{ messages: [m] }] })
  );
  const got = new Map<bigint, Uint8Array>();
  for (const chunk of plan) {
    for (const c of decode(chunk).conversations ?? []) {
      if (c.id !== s.conversations![0].id) continue;
      for (const m of c.messages ?? []) {
        got.set(m.msgOrderId!, HistorySync.encode({ conversations: [{ messages: [m] }] }));
      }
    }
  }
  assertEquals([...got.keys()].sort((a, b) => Number(a - b)), expected.map((_, i) => BigInt(i + 1)));
  for (let i = 0; i < expected.length; i++) assertEquals(got.get(BigInt(i + 1)), expected[i]);
});

Deno.test("plan: without full sync old messages stay on the phone; limits and inline follow the companion", () => {
  const plan = planHistory(spec(), { config: { recentSyncDaysLimit: 1 } }, {
    bootstrapMessages: 4,
    now: NOW,
  });
  assert(!plan.some((c) => c.syncType === "FULL"));
  assert(!plan.some((c) => c.syncType === "RECENT"));
  assert(!plan.some((c) => c.inline));
  const capped = planHistory(spec(), {
    requireFullSync: true,
    config: { recentSyncDaysLimit: 50, fullSyncDaysLimit: 150 },
  }, {
    bootstrapMessages: 4,
    now: NOW,
  });
  const full = capped.filter((c) => c.syncType === "FULL").flatMap((c) => decode(c).conversations ?? []);
  assertEquals(full.length, 30);
  for (const c of full) {
    assertEquals(c.messages!.map((m) => m.message?.message?.conversation), ["m3", "m4", "m5"]);
  }
});

Deno.test("plan: faults damage exactly the chunk named", () => {
  const plan = planHistory(spec(), {}, {
    now: NOW,
    faults: [{ syncType: "PUSH_NAME", chunkOrder: 2, how: "zlib" }, {
      syncType: "INITIAL_BOOTSTRAP",
      chunkOrder: 1,
      how: "blob",
    }],
  });
  const names = plan.filter((c) => c.syncType === "PUSH_NAME");
  assertThrows(() => decode(names[1]));
  decode(names[0]);
  assertEquals(plan.filter((c) => c.corruptBlob).map((c) => c.syncType + c.chunkOrder), [
    "INITIAL_BOOTSTRAP1",
  ]);
});

Deno.test("on-demand answer: the newest `count` messages before the anchor, by id or by time", () => {
  const s = spec();
  const chat = s.conversations![0];
  const ids = (payload: Uint8Array) =>
    HistorySync.decode(new Uint8Array(inflateSync(payload))).conversations?.[0]?.messages?.map((m) =>
      m.message?.message?.conversation
    );
  const byId = onDemandAnswer(s, {
    chatJid: chat.id,
    oldestMsgId: buildHistorySync({ syncType: "FULL", conversations: [chat] }).conversations![0].messages![6]
      .message!.key!.id!,
    onDemandMsgCount: 2,
  });
  assertEquals(ids(byId), ["m4", "m5"]);
  assertEquals(HistorySync.decode(new Uint8Array(inflateSync(byId))).syncType, HistorySyncType.ON_DEMAND);
  // Unknown id: by the anchor's time, in seconds (whatsmeow) or milliseconds.
  const t = (chat.messages![6].timestamp as Date).getTime();
  assertEquals(
    ids(
      onDemandAnswer(s, {
        chatJid: chat.id,
        oldestMsgId: "?",
        oldestMsgTimestampMs: BigInt(t / 1000),
        onDemandMsgCount: 3,
      }),
    ),
    [
      "m3",
      "m4",
      "m5",
    ],
  );
  assertEquals(
    ids(onDemandAnswer(s, { chatJid: chat.id, oldestMsgTimestampMs: BigInt(t), onDemandMsgCount: 1 })),
    ["m5"],
  );
  const unknown = HistorySync.decode(
    new Uint8Array(inflateSync(onDemandAnswer(s, { chatJid: "9@s.whatsapp.net" }))),
  );
  assertEquals(unknown.conversations, undefined);
});
