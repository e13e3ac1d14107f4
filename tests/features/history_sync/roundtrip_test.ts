// The streaming decoder against the generated full decoder (HistorySync.decode on the whole inflated
// blob): builder-made chunks of every sync type, hand-encoded fields in shuffled order (protobuf allows
// any order and repeats), and input cut into chunks at random boundaries, compressed and not.
import fc from "npm:fast-check@4.10.2";
import { assert, assertEquals } from "../../_assert.ts";
import { concatBytes } from "../../../src/crypto/mod.ts";
import { streamHistorySync } from "../../../src/features/history_sync/mod.ts";
import {
  Conversation,
  HistorySync,
  HistorySyncType,
  WebMessageInfo,
  Writer,
} from "../../../src/proto/mod.ts";
import { compressHistorySync, syntheticHistory } from "../../../src/testing/history_builder.ts";
import { cut } from "../helpers.ts";
import { CHUNKS_BY_TYPE, collect, inflate } from "./helpers.ts";

Deno.test("every sync type streams to what the full decoder reads", async () => {
  for (const [name, spec] of Object.entries(CHUNKS_BY_TYPE)) {
    const blob = compressHistorySync(spec);
    const expected = HistorySync.decode(inflate(blob));
    const { sync, summary } = await collect(blob);
    assertEquals(sync, expected, name);
    // Against the description itself, not only the other decoder.
    assertEquals(summary.fields.syncType, HistorySyncType[spec.syncType], name);
    assertEquals(sync.conversations?.map((c) => c.id), spec.conversations?.map((c) => c.id), name);
    assertEquals(
      sync.conversations?.map((c) => c.messages?.map((m) => m.message?.message?.conversation)),
      spec.conversations?.map((c) => c.messages?.map((m) => m.text)),
      name,
    );
    assertEquals(sync.pushnames?.map((p) => p.pushname), spec.pushNames?.map((p) => p.name), name);
    assertEquals(
      sync.phoneNumberToLidMappings?.map((m) => m.lidJid),
      spec.lidMappings?.map((m) => m.lid),
      name,
    );
    assertEquals(summary.fields.chunkOrder, spec.chunkOrder, name);
    assertEquals(summary.fields.progress, spec.progress, name);
    assertEquals(summary.conversations, spec.conversations?.length ?? 0, name);
    assertEquals(summary.pushnames, spec.pushNames?.length ?? 0, name);
    assertEquals(
      summary.messages,
      spec.conversations?.reduce((n, c) => n + (c.messages?.length ?? 0), 0) ?? 0,
    );
  }
});

Deno.test("lazy conversations carry the scanned id and message count of the description", async () => {
  const spec = CHUNKS_BY_TYPE.INITIAL_BOOTSTRAP;
  const seen: [string, number, boolean][] = [];
  for await (const item of streamHistorySync(compressHistorySync(spec))) {
    if (item.kind === "conversation") {
      const c = item.conversation;
      seen.push([c.id, c.messageCount, c.isGroup]);
    }
  }
  assertEquals(seen, spec.conversations!.map((c) => [c.id, c.messages!.length, c.id.endsWith("@g.us")]));
});

// --- hand-encoded fields, any order ---------------------------------------------------------------

function piece(write: (w: Writer) => void): Uint8Array {
  const w = new Writer();
  write(w);
  return w.finish();
}

const conv = (id: string, n: number) =>
  Conversation.encode({
    id,
    name: `chat ${id}`,
    messages: Array.from({ length: n }, (_, i) => ({
      msgOrderId: BigInt(i),
      message: { key: { remoteJid: id, id: `M${i}` }, messageTimestamp: 1_700_000_000n + BigInt(i) },
    })),
  });

// Every top-level field of HistorySync (field numbers from src/proto/history_sync.proto), some repeated,
// plus fields the schema does not know in every wire type, and a syncType outside the enum.
const PIECES: Uint8Array[] = [
  piece((w) => (w.uint32(0x08), w.int32(3))),
  piece((w) => (w.uint32(0x12), w.bytes(conv("1@s.whatsapp.net", 3)))),
  piece((w) => (w.uint32(0x12), w.bytes(conv("2@g.us", 0)))),
  piece((w) => (w.uint32(0x12), w.bytes(conv("3@lid", 40)))),
  piece((w) => (w.uint32(0x1a), w.bytes(WebMessageInfo.encode({ key: { id: "S1" }, messageTimestamp: 5n })))),
  piece((w) => (w.uint32(0x28), w.uint32(4))),
  piece((w) => (w.uint32(0x28), w.uint32(9))),
  piece((w) => (w.uint32(0x30), w.uint32(55))),
  piece((
    w,
  ) => (w.uint32(0x3a),
    w.bytes(piece((p) => (p.uint32(0x0a), p.string("a@s.whatsapp.net"), p.uint32(0x12), p.string("A")))))
  ),
  piece((w) => (w.uint32(0x3a), w.bytes(piece((p) => (p.uint32(0x12), p.string("no id")))))),
  piece((w) => (w.uint32(0x42), w.bytes(piece((p) => (p.uint32(0x48), p.int32(604800)))))),
  piece((w) => (w.uint32(0x4a), w.bytes(new Uint8Array([9, 9, 9])))),
  piece((w) => (w.uint32(0x50), w.uint32(77))),
  piece((w) => (w.uint32(0x62), w.bytes(piece((p) => (p.uint32(0x0a), p.string("2@g.us")))))),
  piece((
    w,
  ) => (w.uint32(0x7a),
    w.bytes(piece((p) => (p.uint32(0x0a), p.string("1@s.whatsapp.net"), p.uint32(0x12), p.string("1@lid")))))
  ),
  piece((w) => (w.uint32(0x7a), w.bytes(new Uint8Array(0)))),
  piece((w) => (w.uint32(130), w.string("nonce"))),
  piece((w) => (w.uint32(138), w.bytes(new Uint8Array(32).fill(1)))),
  piece((w) => (w.uint32(154), w.bytes(new Uint8Array(16).fill(2)))),
  // Unknown to the schema: 11 recentStickers and 13 callLogRecords (length-delimited), 21
  // inlineContactsProvided (varint), and invented 30 (fixed32), 31 (fixed64), 40 (a group).
  piece((w) => (w.uint32((11 << 3) | 2), w.bytes(new Uint8Array([0x0a, 0x01, 0x41])))),
  piece((w) => (w.uint32((13 << 3) | 2), w.bytes(new Uint8Array(300).fill(0x20)))),
  piece((w) => (w.uint32(21 << 3), w.uint32(1))),
  piece((w) => (w.uint32((30 << 3) | 5), w.fixed32(0xdeadbeef))),
  piece((w) => (w.uint32((31 << 3) | 1), w.fixed64(1n << 60n))),
  piece((
    w,
  ) => (w.uint32((40 << 3) | 3),
    w.uint32(8),
    w.uint32(5),
    w.uint32((2 << 3) | 3),
    w.uint32(2 << 3 | 4),
    w.uint32((40 << 3) | 4))
  ),
  piece((w) => (w.uint32(0x08), w.int32(42))),
];

Deno.test("fields in any order, cut anywhere, stream to what the full decoder reads", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.shuffledSubarray(PIECES, { minLength: PIECES.length, maxLength: PIECES.length }),
      fc.array(fc.nat(), { maxLength: 40 }),
      fc.boolean(),
      async (order, cuts, compressed) => {
        const inflated = concatBytes(...order);
        const expected = HistorySync.decode(inflated);
        const bytes = compressed ? compressHistorySync(inflated) : inflated;
        const chunks = cut(bytes, cuts.map((c) => c % (bytes.length + 1)));
        const { sync, summary } = await collect(chunks, { compressed });
        assertEquals(sync, expected);
        assertEquals(summary.inflatedBytes, inflated.length);
      },
    ),
    { numRuns: 60, seed: 20260301 },
  );
});

Deno.test("one-byte chunks and a scalar after the conversations", async () => {
  // syncType last: the decoder must not assume the phone's usual order.
  const inflated = concatBytes(...PIECES.slice(1, 5), PIECES[0]);
  const chunks = cut(inflated, Array.from({ length: inflated.length }, (_, i) => i));
  const kinds: string[] = [];
  for await (const item of streamHistorySync(chunks, { compressed: false })) kinds.push(item.kind);
  assertEquals(kinds, ["conversation", "conversation", "conversation", "status_message", "field"]);
});

Deno.test("a synthetic history streams to what the full decoder reads", async () => {
  const { stream, contents } = syntheticHistory({ conversations: 40, messagesPerConversation: 25, seed: 5 });
  const blob = new Uint8Array(await new Response(stream).arrayBuffer());
  const expected = HistorySync.decode(inflate(blob));
  const { sync, summary } = await collect(cut(blob, [1, 2, 1000, 5000, 5001]));
  assertEquals(sync, expected);
  assertEquals(summary.conversations, contents.conversations);
  assertEquals(summary.messages, contents.messages);
  assertEquals(summary.pushnames, contents.pushNames);
  assertEquals(summary.lidMappings, contents.lidMappings);
  assert(sync.conversations!.every((c, i) => c.id === contents.conversationId(i)));
});
