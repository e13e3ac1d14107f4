// Framing: 3-byte big-endian length prefixes and the connection intro (whatsmeow socket/framesocket.go and
// socket/constants.go, commit e946b5a421c796a8357f9fe96c0d948df5174c20; edge-routing pre-intro from
// jlucaso1/whatsapp-rust wacore/noise/src/edge_routing.rs build_edge_routing_preintro).
import assert from "node:assert/strict";
import fc from "npm:fast-check@4.10.2";
import { concatBytes } from "../../src/crypto/mod.ts";
import {
  encodeFrame,
  encodeIntro,
  FRAME_MAX_SIZE,
  FrameDecoder,
  FrameReader,
  NoiseError,
  WA_CONN_HEADER,
} from "../../src/noise/mod.ts";
import { assertNoiseError, assertNoiseRejects, fill, hex } from "./helpers.ts";

Deno.test("encodeFrame writes a 3-byte big-endian length, then the payload", () => {
  assert.equal(encodeFrame(Uint8Array.of(1, 2, 3, 4, 5)).toHex(), "0000050102030405");
  assert.equal(encodeFrame(new Uint8Array(0)).toHex(), "000000");
  const big = encodeFrame(new Uint8Array(0x012345));
  assert.equal(big.subarray(0, 3).toHex(), "012345");
  assert.equal(big.length, 3 + 0x012345);
  assert.equal(encodeFrame(Uint8Array.of(9), WA_CONN_HEADER).toHex(), "5741060300000109");
});

Deno.test("encodeFrame refuses a payload of 16 MiB (it cannot be described in 3 bytes)", () => {
  assertNoiseError(() => encodeFrame(new Uint8Array(FRAME_MAX_SIZE)), "frame_too_large");
  assert.equal(encodeFrame(new Uint8Array(FRAME_MAX_SIZE - 1)).subarray(0, 3).toHex(), "ffffff");
});

Deno.test("the exported constants are copies: writing to them does not change the wire format", () => {
  const saved = WA_CONN_HEADER.slice();
  WA_CONN_HEADER.fill(0);
  try {
    assert.equal(encodeIntro().toHex(), "57410603");
    assert.deepEqual(new FrameDecoder({ expectIntro: true }).push(hex("57410603000001aa")), [hex("aa")]);
  } finally {
    WA_CONN_HEADER.set(saved);
  }
});

Deno.test("encodeIntro: the WA header, or the ED,0,1 pre-intro with a 3-byte length before it", () => {
  assert.equal(encodeIntro().toHex(), "57410603");
  assert.equal(encodeIntro(Uint8Array.of(0xaa, 0xbb)).toHex(), "45440001000002aabb57410603");
  const long = encodeIntro(new Uint8Array(0x010203));
  assert.equal(long.subarray(0, 7).toHex(), "45440001010203");
  assert.equal(long.subarray(long.length - 4).toHex(), "57410603");
});

/** Frames, and cut points (taken modulo the stream length) that split their wire form into chunks. */
const framesAndCuts = fc.tuple(
  fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 12 }),
  fc.array(fc.nat(), { maxLength: 30 }),
);

function cut(bytes: Uint8Array, points: number[]): Uint8Array[] {
  const sorted = [...new Set(points.map((p) => p % Math.max(1, bytes.length)))]
    .filter((p) => p > 0)
    .sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let at = 0;
  for (const p of [...sorted, bytes.length]) {
    chunks.push(bytes.slice(at, p));
    at = p;
  }
  return chunks;
}

Deno.test("any chunking of a frame stream decodes to the same frames (property)", () => {
  fc.assert(
    fc.property(framesAndCuts, ([frames, points]) => {
      const wire = concatBytes(...frames.map((f) => encodeFrame(f)));
      const decoder = new FrameDecoder();
      const out = cut(wire, points).flatMap((chunk) => decoder.push(chunk));
      assert.deepEqual(out, frames);
      assert.equal(decoder.buffered, 0);
    }),
    { numRuns: 300, seed: 11 },
  );
});

Deno.test("any chunking of intro + frames decodes on the responder side, with and without edge routing", () => {
  fc.assert(
    fc.property(framesAndCuts, fc.option(fc.uint8Array({ maxLength: 40 })), ([frames, points], routing) => {
      const intro = encodeIntro(routing ?? undefined);
      const wire = concatBytes(intro, ...frames.map((f) => encodeFrame(f)));
      const decoder = new FrameDecoder({ expectIntro: true });
      const out = cut(wire, points).flatMap((c) => decoder.push(c));
      assert.deepEqual(out, frames);
      assert.deepEqual(decoder.intro, routing === null ? {} : { routingInfo: routing });
    }),
    { numRuns: 300, seed: 12 },
  );
});

Deno.test("byte-at-a-time delivery of a larger stream", () => {
  const frames = [fill(70_000, 1), fill(0), fill(5, 2), fill(1000, 3)];
  const wire = concatBytes(encodeIntro(fill(9)), ...frames.map((f) => encodeFrame(f)));
  const decoder = new FrameDecoder({ expectIntro: true });
  const out: Uint8Array[] = [];
  for (let i = 0; i < wire.length; i++) out.push(...decoder.push(wire.subarray(i, i + 1)));
  assert.deepEqual(out, frames);
  assert.deepEqual(decoder.intro, { routingInfo: fill(9) });
});

Deno.test("a frame inside one chunk is returned as a view of it (no copy)", () => {
  const chunk = concatBytes(encodeFrame(fill(10)), encodeFrame(fill(20)));
  const [a, b] = new FrameDecoder().push(chunk);
  assert.equal(a.buffer, chunk.buffer);
  assert.equal(b.buffer, chunk.buffer);
});

Deno.test("a length over the limit is rejected on its prefix, before the frame's bytes are kept", () => {
  // A 3-byte length cannot exceed 2^24 - 1, so the 16 MiB default is enforced by encodeFrame; a decoder with
  // a lower limit shows the check: it fails on the three prefix bytes alone and keeps nothing.
  const decoder = new FrameDecoder({ maxFrameSize: 1000 });
  assert.deepEqual(decoder.push(encodeFrame(fill(1000))), [fill(1000)]);
  const e = assertNoiseError(() => decoder.push(hex("0003e9")), "frame_too_large");
  assert.match(e.message, /at most 1000 bytes, the prefix says 1001/);
  assert.equal(decoder.buffered, 0);
  // The stream cannot be resynchronised: the decoder stays failed.
  assert.throws(() => decoder.push(encodeFrame(fill(1))), (x) => x === e);

  // At the default limit the largest announceable frame (2^24 - 1) is accepted and waits for its bytes;
  // nothing of that size is allocated up front.
  const big = new FrameDecoder();
  assert.deepEqual(big.push(hex("ffffff0102")), []);
  assert.equal(big.buffered, 2);
});

Deno.test("the responder rejects a connection that does not start with the WA header", () => {
  const cases: Record<string, string> = {
    "old magic 5": "57410503",
    "dictionary version 2": "57410602",
    "HTTP": "474554202f",
    "ED with wrong version": "4544000200000057410603",
    "WA header missing after edge routing": "45440001000001aa57410503",
  };
  for (const [name, bytes] of Object.entries(cases)) {
    assertNoiseError(() => new FrameDecoder({ expectIntro: true }).push(hex(bytes)), "bad_intro", name);
  }
  // The first two bytes are enough to refuse an unknown intro.
  assertNoiseError(() => new FrameDecoder({ expectIntro: true }).push(hex("1603")), "bad_intro", "TLS");
  // An oversize edge-routing length is refused on its prefix as well.
  assertNoiseError(
    () => new FrameDecoder({ expectIntro: true, maxFrameSize: 10 }).push(hex("454400010000ff")),
    "frame_too_large",
  );
});

Deno.test("FrameReader queues frames, wakes waiting readers, and ends with the error that ended it", async () => {
  const reader = new FrameReader();
  const waiting = reader.read();
  reader.push(concatBytes(encodeFrame(fill(3)), encodeFrame(fill(4))));
  assert.deepEqual(await waiting, fill(3));
  assert.deepEqual(await reader.read(), fill(4));

  reader.push(encodeFrame(fill(5)));
  reader.end();
  assert.deepEqual(await reader.read(), fill(5), "frames queued before the end are still read");
  await assertNoiseRejects(reader.read(), "closed");

  const failing = new FrameReader({ maxFrameSize: 10 });
  const pending = failing.read();
  failing.push(hex("0000ff"));
  await assertNoiseRejects(pending, "frame_too_large");

  const dropped = new FrameReader();
  const cause = new Error("socket reset");
  const read = dropped.read();
  dropped.end(cause);
  const e = await assertNoiseRejects(read, "closed");
  assert.equal(e.cause, cause);
});

Deno.test("FrameReader.read rejects with the signal's reason on abort and forgets the reader", async () => {
  const reader = new FrameReader();
  const controller = new AbortController();
  const read = reader.read(controller.signal);
  controller.abort(new Error("deadline"));
  await assert.rejects(read, /deadline/);
  reader.push(encodeFrame(fill(2)));
  assert.deepEqual(await reader.read(), fill(2), "the aborted read did not consume the frame");
  await assert.rejects(reader.read(AbortSignal.abort(new Error("already"))), /already/);
});

Deno.test("FrameReader is async-iterable until a clean end, and throws on an error end", async () => {
  const reader = new FrameReader();
  reader.push(concatBytes(encodeFrame(fill(1)), encodeFrame(fill(2))));
  reader.end();
  const seen: Uint8Array[] = [];
  for await (const frame of reader) seen.push(frame);
  assert.deepEqual(seen, [fill(1), fill(2)]);

  const broken = new FrameReader({ maxFrameSize: 5 });
  broken.push(encodeFrame(fill(1)));
  broken.push(encodeFrame(fill(6)));
  const got: Uint8Array[] = [];
  await assert.rejects(
    (async () => {
      for await (const frame of broken) got.push(frame);
    })(),
    (e) => e instanceof NoiseError && e.code === "frame_too_large",
  );
  assert.deepEqual(got, [fill(1)]);
});

Deno.test("a frame that arrives a byte at a time is held in bytes, not in one array per byte", () => {
  const size = 1 << 20;
  const payload = Uint8Array.from({ length: size }, (_, i) => (i * 31) & 0xff);
  const wire = encodeFrame(payload);
  const decoder = new FrameDecoder();
  let frames: Uint8Array[] = [];
  for (let i = 0; i < wire.length; i++) {
    frames = decoder.push(wire.subarray(i, i + 1));
    if (i === wire.length - 2) {
      // Almost all of it buffered: the chunks kept are 64 KiB staging buffers, not a million 1-byte arrays.
      assert.ok(decoder.storedChunks <= Math.ceil(size / 65_536) + 1, `${decoder.storedChunks} chunks held`);
    }
  }
  assert.deepEqual(frames.length, 1);
  assert.deepEqual(frames[0], payload);
  assert.deepEqual(decoder.buffered, 0);
});

Deno.test("small and large chunks mixed, split anywhere, give the same frames", () => {
  const frames = [8, 5000, 1, 70_000, 3, 0].map((n, k) =>
    Uint8Array.from({ length: n }, (_, i) => (i + k) & 0xff)
  );
  const wire = new Uint8Array(frames.reduce((n, f) => n + f.length + 3, 0));
  let at = 0;
  for (const f of frames) {
    wire.set(encodeFrame(f), at);
    at += f.length + 3;
  }
  for (const step of [1, 2, 7, 4095, 4096, 5000, 65_537]) {
    const decoder = new FrameDecoder();
    const out: Uint8Array[] = [];
    for (let i = 0; i < wire.length; i += step) out.push(...decoder.push(wire.subarray(i, i + step)));
    assert.deepEqual(out, frames, `chunks of ${step}`);
  }
});
