// What a bot keeps (skip, conversation predicate, kinds, messages since a date), lazy decoding of one
// conversation, and backpressure: the decoder reads its source only as fast as the consumer goes.
import { assert, assertEquals, assertThrows } from "../../_assert.ts";
import {
  compileHistorySyncFilter,
  HistorySyncError,
  type HistorySyncItemKind,
  LazyConversation,
  streamHistorySync,
} from "../../../src/features/history_sync/mod.ts";
import { Conversation, HistorySync, Writer } from "../../../src/proto/mod.ts";
import { compressHistorySync, syntheticHistory } from "../../../src/testing/history_builder.ts";
import { cut } from "../helpers.ts";
import { CHUNKS_BY_TYPE, collect, countingStream, inflate } from "./helpers.ts";

const RECENT = CHUNKS_BY_TYPE.RECENT; // 30 messages at 1_700_010_000 + i seconds
const BOOTSTRAP = CHUNKS_BY_TYPE.INITIAL_BOOTSTRAP;

Deno.test("messagesSince keeps messages at or after the date, in count, messages() and decode()", async () => {
  // 500 ms before second 1_700_010_010: the message at ...009 is older, the one at ...010 is kept.
  const since = new Date(1_700_010_010 * 1000 - 500);
  const blob = compressHistorySync(RECENT);
  const full = HistorySync.decode(inflate(blob)).conversations![0];
  let lazy: LazyConversation | undefined;
  for await (const item of streamHistorySync(blob, { filter: { messagesSince: since } })) {
    if (item.kind === "conversation") lazy = item.conversation;
  }
  assert(lazy !== undefined);
  const expectedTimes = RECENT.conversations![0].messages!.map((m) => m.timestamp as number).filter((t) =>
    t >= 1_700_010_010
  );
  assertEquals(expectedTimes.length, 20);
  assertEquals(lazy.messageCount, 20);
  assertEquals(lazy.totalMessageCount, 30);
  assertEquals([...lazy.messages()].map((m) => Number(m.message!.messageTimestamp)), expectedTimes);
  const decoded = lazy.decode();
  assertEquals(decoded.messages, full.messages!.slice(10));
  assertEquals({ ...decoded, messages: undefined }, { ...full, messages: undefined });
});

Deno.test("decodeMetadata is the conversation without its messages", () => {
  const bytes = Conversation.encode(
    HistorySync.decode(inflate(compressHistorySync(BOOTSTRAP))).conversations![1],
  );
  const lazy = new LazyConversation(bytes);
  const full = Conversation.decode(bytes);
  assertEquals(lazy.decode(), full);
  assertEquals(lazy.decodeMetadata(), { ...full, messages: undefined });
  assertEquals(
    lazy.decodeMetadata().participant?.map((p) => p.userJid),
    BOOTSTRAP.conversations![1].participants!.map((p) => p.jid),
  );
});

Deno.test("a message without a timestamp is dropped by messagesSince", () => {
  const bytes = Conversation.encode({
    id: "1@s.whatsapp.net",
    messages: [{ msgOrderId: 1n, message: { key: { id: "A" } } }, {
      msgOrderId: 2n,
      message: { messageTimestamp: 9n },
    }],
  });
  const lazy = new LazyConversation(bytes, { since: 5n });
  assertEquals([...lazy.messages()].map((m) => m.msgOrderId), [2n]);
});

Deno.test("messages() decodes one message at a time: a bad third message fails only when reached", () => {
  const good = (n: bigint) => {
    const w = new Writer();
    w.uint32(0x12);
    w.bytes(new Uint8Array([0x10, Number(n)])); // HistorySyncMsg.msgOrderId = n
    return w.finish();
  };
  // Third entry: HistorySyncMsg.message (field 1) sent as a varint, a wire-type error inside the entry.
  const bad = new Uint8Array([0x12, 0x02, 0x08, 0x01]);
  const bytes = new Uint8Array([0x0a, 0x01, 0x78, ...good(1n), ...good(2n), ...bad]);
  const lazy = new LazyConversation(bytes, { offset: 1000 });
  assertEquals(lazy.id, "x");
  assertEquals(lazy.messageCount, 3);
  const it = lazy.messages();
  assertEquals(it.next().value?.msgOrderId, 1n);
  assertEquals(it.next().value?.msgOrderId, 2n);
  const error = assertThrows(() => it.next(), HistorySyncError);
  assertEquals(error.code, "bad_protobuf");
  assertEquals(error.offset, 1000 + bytes.length - 2);
});

Deno.test("a conversation predicate keeps only matching chats and counts the rest", async () => {
  const { sync, summary } = await collect(compressHistorySync(BOOTSTRAP), {
    filter: { conversation: (id) => id.endsWith("@g.us") },
  });
  assertEquals(sync.conversations?.map((c) => c.id), ["120363000000000001@g.us"]);
  assertEquals(summary.conversations, 1);
  assertEquals(summary.conversationsSkipped, 1);
  assertEquals(sync.pushnames?.length, 2);
});

Deno.test("kinds limits what is yielded; singular fields still reach the summary", async () => {
  const { sync, summary } = await collect(compressHistorySync(BOOTSTRAP), {
    filter: { kinds: ["pushname"] },
  });
  assertEquals(Object.keys(sync), ["pushnames"]);
  assertEquals(summary.conversationsSkipped, 2);
  assertEquals(summary.fields.progress, 12);
  assertEquals(summary.fields.globalSettings?.disappearingModeDuration, 86400);
  assertEquals(summary.fields.nctSalt, new Uint8Array(16).fill(7));
});

Deno.test("skip reads nothing and cancels a stream source", async () => {
  const { stream, pulled } = countingStream(cut(compressHistorySync(BOOTSTRAP), [10, 20]));
  const { sync, summary } = await collect(stream, { filter: { skip: true } });
  assertEquals(sync, {});
  assertEquals(summary.inflatedBytes, 0);
  assertEquals(pulled.chunks, 0);
  assert(pulled.cancelled, "the source was not cancelled");
});

Deno.test("filter options are checked", () => {
  assertThrows(() => compileHistorySyncFilter({ messagesSince: new Date(NaN) }), TypeError, "valid Date");
  // A plural typo, as an untyped caller could pass it.
  const kinds = ["conversations"] as unknown as HistorySyncItemKind[];
  assertThrows(
    () => compileHistorySyncFilter({ kinds }),
    TypeError,
    "conversations",
  );
});

Deno.test("backpressure: the source is read only as far as the consumer has gone", async () => {
  const { stream: gen } = syntheticHistory({ conversations: 300, messagesPerConversation: 50, seed: 3 });
  const blob = new Uint8Array(await new Response(gen).arrayBuffer());
  const chunks = cut(blob, Array.from({ length: Math.ceil(blob.length / 4096) }, (_, i) => i * 4096));
  const { stream, pulled, whenCancelled } = countingStream(chunks);
  let conversations = 0;
  let pulledAtFirst = 0;
  for await (const item of streamHistorySync(stream)) {
    if (item.kind !== "conversation") continue;
    if (++conversations === 1) pulledAtFirst = pulled.bytes;
    if (conversations === 10) break;
  }
  // One conversation is ~15 KB inflated, ~6 KB compressed: the first came after reading a few chunks of a
  // blob of about a megabyte, and leaving the loop stopped the reads and cancelled the source.
  assert(blob.length > 1_000_000, `blob is only ${blob.length} bytes`);
  assert(pulledAtFirst < 128 * 1024, `read ${pulledAtFirst} bytes before the first conversation`);
  assert(pulled.bytes < 256 * 1024, `read ${pulled.bytes} bytes for ten conversations`);
  await whenCancelled(AbortSignal.timeout(5000));
});
