// Bad input: every corruption of a history blob fails with a typed HistorySyncError, within a deadline,
// without allocating what a corrupt length declares.
import { createDeflate, deflateSync } from "node:zlib";
import fc from "npm:fast-check@4.10.2";
import { assert, assertEquals, assertRejects } from "../../_assert.ts";
import { HistorySyncError, streamHistorySync } from "../../../src/features/history_sync/mod.ts";
import { compressHistorySync, encodeHistorySync } from "../../../src/testing/history_builder.ts";
import { cut } from "../helpers.ts";
import { CHUNKS_BY_TYPE, collect, countingStream, expectFailure } from "./helpers.ts";

const SPEC = CHUNKS_BY_TYPE.INITIAL_BOOTSTRAP;
const INFLATED = encodeHistorySync(SPEC);
const BLOB = compressHistorySync(INFLATED);
const raw = { compressed: false };

Deno.test("a truncated zlib stream fails truncated, wherever it is cut", async () => {
  // Cut inside the header, inside the deflate data, and inside the 4-byte adler32 trailer (RFC 1950 §2.2).
  for (const cut of [0, 1, 2, 10, BLOB.length >> 1, BLOB.length - 4, BLOB.length - 1]) {
    await expectFailure(BLOB.subarray(0, cut), "truncated");
  }
});

Deno.test("bad zlib fails inflate_failed", async () => {
  await expectFailure(new Uint8Array([1, 2, 3, 4, 5, 6]), "inflate_failed"); // not a zlib header
  const badData = BLOB.slice();
  badData[8] ^= 0xff;
  const badSum = BLOB.slice();
  badSum[badSum.length - 1] ^= 1; // adler32 mismatch
  for (const blob of [badData, badSum]) {
    const e = await assertRejects(() => collect(blob), HistorySyncError);
    assert(e.code === "inflate_failed" || e.code === "bad_protobuf", `got ${e.code}`);
  }
  await expectFailure(badSum, "inflate_failed");
});

Deno.test("inflated data cut inside a field fails truncated at that field", async () => {
  for (const cut of [1, 3, 50, INFLATED.length - 1]) {
    const e = await expectFailure(INFLATED.subarray(0, cut), "truncated", raw);
    assert(e.offset !== undefined && e.offset <= cut, `offset ${e.offset} for a cut at ${cut}`);
  }
});

Deno.test("a bad varint fails bad_protobuf; a length beyond the data fails truncated", async () => {
  // Eleven continuation bytes: longer than the 10 a varint may have.
  await expectFailure(new Uint8Array(11).fill(0xff), "bad_protobuf", raw);
  await expectFailure(compressHistorySync(new Uint8Array(11).fill(0xff)), "bad_protobuf");
  // conversations (field 2) declaring 1000 bytes with 3 present.
  await expectFailure(new Uint8Array([0x12, 0xe8, 0x07, 1, 2, 3]), "truncated", raw);
  // A tag whose varint never ends.
  await expectFailure(new Uint8Array([0x08, 0x01, 0x80, 0x80]), "truncated", raw);
});

Deno.test("malformed structure fails bad_protobuf with the field and offset", async () => {
  const cases: [Uint8Array, number | undefined][] = [
    [new Uint8Array([0x00, 0x01]), undefined], // field number 0
    [new Uint8Array([0x08, 0x01, 0x10, 0x01]), 2], // conversations as a varint
    [new Uint8Array([0x08, 0x01, 0x0c]), 1], // end-group at the top level
    [new Uint8Array([0x08, 0x01, 0x0e]), 1], // wire type 6
    [new Uint8Array([0x08, 0x01, 0x3a, 0x02, 0x08, 0x01]), 7], // Pushname.id as a varint
    [new Uint8Array([0x12, 0x03, 0x12, 0x05, 0x00]), 2], // a message entry longer than its conversation
    [new Uint8Array([0xc3, 0x02, 0x08, 0x01, 0xcc, 0x02]), 40], // group 40 closed by the end-group of 41
  ];
  for (const [bytes, field] of cases) {
    const e = await expectFailure(bytes, "bad_protobuf", raw);
    assertEquals(e.field, field, e.message);
    assert(e.offset !== undefined && e.offset <= bytes.length, e.message);
  }
});

Deno.test("groups nested past the depth limit fail bad_protobuf", async () => {
  const depth = 150;
  const bytes = new Uint8Array(depth * 2 + 2);
  for (let i = 0; i < depth; i++) bytes[i] = (11 << 3) | 3;
  for (let i = 0; i < depth; i++) bytes[depth + i] = (11 << 3) | 4;
  await expectFailure(bytes.subarray(0, depth * 2), "bad_protobuf", raw);
});

Deno.test("a huge declared length fails too_large before anything is allocated", async () => {
  // 2^40, 1 GiB and 64 MiB + 1 declared, with nothing after the length.
  for (
    const len of [[0x80, 0x80, 0x80, 0x80, 0x80, 0x20], [0x80, 0x80, 0x80, 0x80, 0x04], [
      0x81,
      0x80,
      0x80,
      0x20,
    ]]
  ) {
    const e = await expectFailure(new Uint8Array([0x12, ...len]), "too_large", raw);
    assertEquals(e.field, 2);
    await expectFailure(compressHistorySync(new Uint8Array([0x3a, ...len])), "too_large");
  }
  // Under the limit but only partly sent: buffering follows the bytes that arrive, not the declared 60 MiB.
  const before = Deno.memoryUsage().external;
  const e = await expectFailure(new Uint8Array([0x12, 0x80, 0x80, 0x80, 0x1e, 1, 2, 3]), "truncated", raw);
  assertEquals(e.field, 2);
  const grew = Deno.memoryUsage().external - before;
  assert(grew < 30 * 1024 * 1024, `external memory grew by ${grew} bytes`);
  // A configured lower limit applies too.
  await expectFailure(INFLATED, "too_large", { ...raw, maxFieldSize: 16 });
});

/** A zlib bomb that stays valid protobuf: `mib` copies of a 1 MiB block, compressed as they are made. */
async function bomb(mib: number, block: Uint8Array): Promise<Uint8Array> {
  const deflate = createDeflate({ level: 9 });
  const out: Uint8Array<ArrayBuffer>[] = [];
  deflate.on("data", (c: Uint8Array) => out.push(c.slice()));
  const done = new Promise((resolve, reject) => (deflate.on("end", resolve), deflate.on("error", reject)));
  for (let i = 0; i < mib; i++) deflate.write(block);
  deflate.end();
  await done;
  return new Uint8Array(await new Blob(out).arrayBuffer());
}

// 16 fields of 64 KiB: field 13 (callLogRecords, unknown to the schema), length 65532, zeros.
const BIG_FIELDS = new Uint8Array(1 << 20);
for (let i = 0; i < BIG_FIELDS.length; i += 65536) BIG_FIELDS.set([0x6a, 0xfc, 0xff, 0x03], i);
// 512 Ki two-byte fields: chunkOrder = 0.
const TINY_FIELDS = new Uint8Array(1 << 20);
for (let i = 0; i < TINY_FIELDS.length; i += 2) TINY_FIELDS[i] = 0x28;

Deno.test("a zlib bomb past the inflated limit fails inflated_too_large", async () => {
  const blob = await bomb(64, BIG_FIELDS);
  assert(blob.length < 100_000, `bomb is ${blob.length} bytes`);
  const e = await expectFailure(blob, "inflated_too_large", { maxInflatedSize: 16 << 20 });
  assertEquals(e.offset, 16 << 20);
  // Not yielding the entries does not change the bound.
  await expectFailure(blob, "inflated_too_large", {
    maxInflatedSize: 16 << 20,
    filter: { kinds: ["pushname"] },
  });
  // Nor does cutting it into the smallest fields protobuf allows.
  await expectFailure(await bomb(1, TINY_FIELDS), "inflated_too_large", { maxInflatedSize: 256 << 10 });
  // The same bound holds for input that is already inflated.
  await expectFailure([INFLATED, INFLATED], "inflated_too_large", {
    ...raw,
    maxInflatedSize: INFLATED.length + 1,
  });
});

Deno.test("a stalled source gives way to the abort signal", async () => {
  for (const compressed of [true, false]) {
    // The first 20 bytes, then nothing: the stream neither ends nor errors.
    const head = (compressed ? BLOB : INFLATED).subarray(0, 20);
    const stalled = new ReadableStream<Uint8Array>({ start: (controller) => controller.enqueue(head) });
    const signal = AbortSignal.timeout(50);
    const e = await assertRejects(() => collect(stalled, { signal, compressed }));
    assertEquals(e.name, "TimeoutError");
  }
});

Deno.test("an error of the source reaches the consumer unchanged", async () => {
  class SourceBroke extends Error {}
  async function* source() {
    yield BLOB.subarray(0, 30);
    throw new SourceBroke("connection reset");
  }
  await assertRejects(() => collect(source()), SourceBroke, "connection reset");
});

Deno.test("random bytes and mutations of a valid blob fail typed or decode, never otherwise", async () => {
  const deadline = AbortSignal.timeout(20_000);
  const check = async (bytes: Uint8Array, compressed: boolean) => {
    try {
      await collect(cut(bytes, [7, 64]), { compressed, signal: deadline, maxFieldSize: 1 << 20 });
    } catch (e) {
      if (!(e instanceof HistorySyncError)) throw e;
    }
  };
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.boolean(), async (bytes, deflate) => {
      // Random protobuf inside a valid zlib stream, or random bytes raw.
      if (deflate) await check(new Uint8Array(deflateSync(bytes)), true);
      else await check(bytes, false);
    }),
    { numRuns: 300, seed: 7 },
  );
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(fc.nat(INFLATED.length - 1), fc.nat(255)), { minLength: 1, maxLength: 4 }),
      async (edits) => {
        const bytes = INFLATED.slice();
        for (const [at, b] of edits) bytes[at] = b;
        await check(bytes, false);
        await check(compressHistorySync(bytes), true);
      },
    ),
    { numRuns: 200, seed: 11 },
  );
  assert(!deadline.aborted, "decoding random input ran into the deadline");
});

Deno.test("breaking out early releases the stream", async () => {
  // Stored (level 0) and in 4 KiB chunks: far more than the decoder reads before the first item.
  const big = compressHistorySync(BIG_FIELDS, 0);
  const chunks = cut(big, Array.from({ length: big.length >> 12 }, (_, i) => i << 12));
  const { stream, pulled, whenCancelled } = countingStream(chunks);
  for await (const _ of streamHistorySync(stream)) break;
  await whenCancelled(AbortSignal.timeout(5000));
  assert(pulled.chunks < chunks.length, `read all ${chunks.length} chunks`);
});
