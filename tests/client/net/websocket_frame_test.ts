// RFC 6455 framing: the examples of section 5.7, every length encoding, arbitrary chunk splits, and
// the parser's bounds.
import fc from "npm:fast-check@4.10.2";
import { assert, assertEquals, assertThrows } from "../../_assert.ts";
import { TransportError } from "../../../src/client/net/errors.ts";
import {
  encodeClientFrame,
  type Frame,
  FrameParser,
  Opcode,
} from "../../../src/client/net/websocket_frame.ts";

const hello = new TextEncoder().encode("Hello");

/** Unmasks a client frame independently of the code under test (RFC 6455 section 5.2 and 5.3). */
function decodeClientFrame(frame: Uint8Array): { first: number; payload: Uint8Array } {
  assert(frame[1] & 0x80, "mask bit set");
  let length = frame[1] & 0x7f;
  let at = 2;
  if (length === 126) {
    length = (frame[2] << 8) | frame[3];
    at = 4;
  } else if (length === 127) {
    length = Number(new DataView(frame.buffer, frame.byteOffset).getBigUint64(2));
    at = 10;
  }
  const mask = frame.subarray(at, at + 4);
  const payload = frame.slice(at + 4);
  assertEquals(payload.length, length);
  for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i % 4];
  return { first: frame[0], payload };
}

function parseAll(chunks: Uint8Array[], max = 1 << 20): Frame[] {
  const parser = new FrameParser({ maxFrameBytes: max });
  const frames: Frame[] = [];
  for (const chunk of chunks) parser.push(chunk, (f) => frames.push(f));
  return frames;
}

Deno.test("RFC 6455 section 5.7: a masked client text frame 'Hello'", () => {
  const frame = encodeClientFrame(Opcode.text, hello, Uint8Array.of(0x37, 0xfa, 0x21, 0x3d));
  assertEquals(frame, Uint8Array.of(0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58));
});

Deno.test("RFC 6455 section 5.7: unmasked server frames (text, fragments, ping, 256 B and 64 KiB binary) parse", () => {
  const big = new Uint8Array(65536).fill(0x5a);
  const medium = new Uint8Array(256).fill(0xa5);
  const stream = [
    Uint8Array.of(0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f),
    Uint8Array.of(0x01, 0x03, 0x48, 0x65, 0x6c),
    Uint8Array.of(0x80, 0x02, 0x6c, 0x6f),
    Uint8Array.of(0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f),
    Uint8Array.of(0x82, 0x7e, 0x01, 0x00, ...medium),
    Uint8Array.of(0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0, ...big),
  ];
  const frames = parseAll(stream);
  assertEquals(frames.map((f) => [f.fin, f.opcode, f.payload.length]), [
    [true, Opcode.text, 5],
    [false, Opcode.text, 3],
    [true, Opcode.continuation, 2],
    [true, Opcode.ping, 5],
    [true, Opcode.binary, 256],
    [true, Opcode.binary, 65536],
  ]);
  assertEquals(frames[0].payload, hello);
  assertEquals(frames[3].payload, hello);
  assertEquals(frames[4].payload, medium);
  assertEquals(frames[5].payload, big);
});

Deno.test("client frames: 7-bit, 16-bit and 64-bit lengths at their edges unmask to the payload", () => {
  const mask = Uint8Array.of(1, 2, 3, 4);
  for (const [length, headerLength] of [[0, 6], [125, 6], [126, 8], [65535, 8], [65536, 14], [70001, 14]]) {
    const payload = new Uint8Array(length).map((_, i) => i * 7);
    const frame = encodeClientFrame(Opcode.binary, payload, mask);
    assertEquals(frame.length, headerLength + length, `length ${length}`);
    const decoded = decodeClientFrame(frame);
    assertEquals(decoded.first, 0x82);
    assertEquals(decoded.payload, payload);
  }
});

Deno.test("property: any payload and mask round-trip through the client encoder", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 700 }),
      fc.uint8Array({ minLength: 4, maxLength: 4 }),
      (payload, mask) => {
        assertEquals(decodeClientFrame(encodeClientFrame(Opcode.binary, payload, mask)).payload, payload);
      },
    ),
    { numRuns: 200 },
  );
});

Deno.test("property: a server stream split anywhere gives the same frames", () => {
  const frame = (opcode: number, payload: Uint8Array) => {
    const header = payload.length < 126
      ? [0x80 | opcode, payload.length]
      : [0x80 | opcode, 126, payload.length >> 8, payload.length & 0xff];
    return Uint8Array.of(...header, ...payload);
  };
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 400 }), { minLength: 1, maxLength: 6 }),
      fc.array(fc.nat(), { maxLength: 10 }),
      (payloads, cuts) => {
        const bytes = Uint8Array.from(payloads.flatMap((p) => [...frame(Opcode.binary, p)]));
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const chunks: Uint8Array[] = [];
        let last = 0;
        for (const p of [...points, bytes.length]) {
          chunks.push(bytes.subarray(last, p));
          last = p;
        }
        assertEquals(parseAll(chunks).map((f) => f.payload), payloads);
      },
    ),
    { numRuns: 150 },
  );
});

Deno.test("the parser holds only what arrived: a header announcing 16 MiB buffers the 10 bytes sent", () => {
  const parser = new FrameParser({ maxFrameBytes: 32 * 1024 * 1024 });
  const frames: Frame[] = [];
  parser.push(Uint8Array.of(0x82, 0x7f, 0, 0, 0, 0, 1, 0, 0, 0), (f) => frames.push(f));
  parser.push(new Uint8Array(10), (f) => frames.push(f));
  assertEquals(parser.buffered, 10);
  assertEquals(frames, []);
  // A parser's bound is checked on the header, before any payload byte is taken.
  const small = new FrameParser({ maxFrameBytes: 100 });
  const e = assertThrows(() => small.push(Uint8Array.of(0x82, 101), () => {}), TransportError);
  assertEquals(e.code, "frame_too_large");
});

Deno.test("the parser refuses what a server must not send, whatever the chunking", () => {
  const cases: [string, number[]][] = [
    ["masked", [0x82, 0x81, 0, 0, 0, 0, 1]],
    ["reserved bits", [0xa2, 0x00]],
    ["opcode 0xB", [0x8b, 0x00]],
    ["fragmented close", [0x08, 0x00]],
    ["long pong", [0x8a, 126, 0, 126]],
    ["63-bit length with top bit", [0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 1]],
  ];
  for (const [name, bytes] of cases) {
    for (const chunks of [[Uint8Array.from(bytes)], bytes.map((b) => Uint8Array.of(b))]) {
      const e = assertThrows(() => parseAll(chunks), TransportError);
      assertEquals(e.code, "ws_protocol", name);
    }
  }
});
