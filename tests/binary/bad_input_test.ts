// Malformed input: every case must end in a BinaryDecodeError naming the problem, with the byte offset.
// Byte layouts as in tulir/whatsmeow binary/decoder.go (commit 33cfac5116293e4cb86f8e4099e8eaf6de7ebc08).
import assert from "node:assert/strict";
import { deflateSync } from "node:zlib";
import {
  BinaryDecodeError,
  decodeNode,
  encodeNode,
  MAX_DEPTH,
  type NodeInput,
  unmarshal,
} from "../../src/binary/mod.ts";

const bytes = (text: string) => Uint8Array.fromHex(text.replace(/\s+/g, ""));

function rejects(input: Uint8Array, message: RegExp, offset: number, decode = decodeNode): void {
  assert.throws(
    () => decode(input),
    (error: unknown) => {
      assert.ok(error instanceof BinaryDecodeError, `expected BinaryDecodeError, got ${error}`);
      assert.match(error.message, message);
      assert.equal(error.offset, offset, `offset for ${input.toHex()}: ${error.message}`);
      return true;
    },
  );
}

Deno.test("empty and truncated input", () => {
  rejects(new Uint8Array(0), /truncated input: node header/, 0);
  rejects(bytes("f8"), /truncated input: a node size/, 1);
  rejects(bytes("f8 02"), /truncated input: node tag/, 2);
  rejects(bytes("f8 03 19 08"), /truncated input: attribute value/, 4);
  rejects(bytes("f8 02 19 fc 05 01 02"), /byte string of 5 bytes exceeds the 2 bytes left/, 5);
  rejects(bytes("f8 02 19 fd 00 01"), /truncated input: BINARY_20 length/, 4);
  rejects(bytes("f8 02 19 fe 00 00 01"), /truncated input: BINARY_32 length/, 4);
  rejects(bytes("f8 02 19 ff 03 12"), /truncated input: packed string/, 5);
  rejects(bytes("f8 03 19 06 f7 00"), /truncated input: AD_JID device/, 6);
  rejects(bytes("f8 03 19 06 f6 03 00"), /truncated input: FB_JID device/, 6);
  rejects(new Uint8Array(0), /empty payload/, 0, unmarshal);
});

Deno.test("unknown tags and missing parts", () => {
  for (const tag of [0xf0, 0xf1, 0xf2, 0xf3, 0xf4]) {
    rejects(bytes(`f8 02 19 ${tag.toString(16)}`), /unknown tag 0xf/, 3);
  }
  rejects(bytes("f0"), /expected a list tag for a node, got 0xf0/, 0);
  rejects(bytes("00"), /node header is an empty list/, 0);
  rejects(bytes("f8 00"), /node header is an empty list/, 0);
  rejects(bytes("f8 01 00"), /node tag is empty/, 2);
  rejects(bytes("f8 01 fc 00"), /node tag is empty/, 2);
  rejects(bytes("f8 03 19 00 03"), /attribute key of <iq> is missing/, 3);
  rejects(bytes("f8 03 19 06 fa 03 00"), /JID_PAIR has no server/, 6);
  rejects(bytes("f8 03 19 06 f7 00 00 00"), /AD_JID has no user/, 7);
  rejects(bytes("f8 03 19 06 f6 ff 01 12 00 02 03"), /FB_JID server must be "msgr"/, 10);
  rejects(bytes("f8 03 19 06 f5 ff 01 12 00 02 00 05 03"), /INTEROP_JID server must be "interop"/, 12);
  rejects(bytes("f8 03 19 06 fa fa 00 03 03"), /JID user is itself a JID/, 5);
});

Deno.test("token indices: every single-byte and double-byte index is in range", () => {
  // Version 3 has 236 single-byte tokens (1..235 usable; 236..239 select a dictionary) and four full
  // 256-entry dictionaries, so no index byte can be out of range; bytes 240..244 are unknown tags
  // (tested above). Each dictionary index decodes.
  for (let dict = 0; dict < 4; dict++) {
    for (let index = 0; index < 256; index++) {
      const node = decodeNode(new Uint8Array([0xf8, 0x02, 0x19, 0xec + dict, index]));
      assert.equal(typeof node.content, "string");
    }
  }
  rejects(bytes("f8 02 19 ec"), /truncated input: double-byte token index/, 4);
});

Deno.test("list sizes larger than the remaining bytes fail before allocating", () => {
  rejects(bytes("f8 02 19 f9 ff ff f8 01 19"), /list of 65535 nodes cannot fit in the 3 bytes left/, 3);
  rejects(bytes("f8 02 19 f8 02 f8 01 19"), /list of 2 nodes cannot fit/, 3);
  // A huge BINARY_32 length is checked against the input before anything is read.
  rejects(bytes("f8 02 19 fe ff ff ff ff 00"), /byte string of 4294967295 bytes exceeds the 1 bytes left/, 8);
  // A node size of 65535 (32767 attributes) with no bytes behind it ends at the first missing byte.
  rejects(bytes("f9 ff ff 19"), /truncated input: attribute key/, 4);
});

Deno.test("invalid packed nibbles", () => {
  // [rust] decoder.rs test_invalid_nibble_rejection: nibble 12 (0xC0) is invalid.
  rejects(bytes("f8 02 19 ff 01 c0"), /invalid nibble in packed string 0xc0/, 5);
  rejects(bytes("f8 02 19 ff 01 1d"), /invalid nibble in packed string 0x1d/, 5);
  // 15 is only padding: not allowed where a character is kept.
  rejects(bytes("f8 02 19 ff 01 f1"), /invalid nibble/, 5);
  rejects(bytes("f8 02 19 ff 81 e0"), /invalid nibble/, 5);
  // The dropped padding nibble of an odd-length string is not checked (as in whatsmeow and Baileys).
  assert.equal(decodeNode(bytes("f8 02 19 ff 81 10")).content, "1");
  // Hex has no invalid nibble.
  assert.equal(decodeNode(bytes("f8 02 19 fb 01 fa")).content, "FA");
});

Deno.test("invalid UTF-8 in strings", () => {
  rejects(bytes("f8 03 19 08 fc 02 c3 28"), /not valid UTF-8/, 6);
  rejects(bytes("f8 03 19 08 fc 01 ff"), /not valid UTF-8/, 6);
  rejects(bytes("f8 03 19 08 fc 03 ed a0 80"), /not valid UTF-8/, 6); // an encoded surrogate
  // Byte content is not text and is never checked.
  assert.deepEqual(decodeNode(bytes("f8 02 19 fc 01 ff")).content, new Uint8Array([0xff]));
  // A long attribute (past the short-string fast path) goes through TextDecoder.
  const long = new Uint8Array([
    0xf8,
    0x03,
    0x19,
    0x08,
    0xfd,
    0x00,
    0x01,
    0x2c,
    ...new Uint8Array(299).fill(0x61),
    0x80,
  ]);
  rejects(long, /not valid UTF-8/, 8);
});

Deno.test("trailing bytes after the node", () => {
  rejects(bytes("f8 01 19 00"), /1 trailing byte\(s\) after the node/, 3);
  rejects(bytes("00 f8 01 19 00 00"), /2 trailing byte\(s\)/, 4, unmarshal);
});

Deno.test("nesting deeper than the limit", () => {
  const nested = (depth: number): NodeInput => {
    let node: NodeInput = { tag: "x", attrs: {} };
    for (let i = 1; i < depth; i++) node = { tag: "x", attrs: {}, content: [node] };
    return node;
  };
  assert.equal(decodeNode(encodeNode(nested(MAX_DEPTH))).tag, "x");
  // Build 65 levels by hand (the encoder refuses to): each level is f8 02 <tag> f8 01.
  const level = [0xf8, 0x02, 0xfc, 0x01, 0x78, 0xf8, 0x01];
  const deep = new Uint8Array([...Array(MAX_DEPTH).fill(level).flat(), 0xf8, 0x01, 0xfc, 0x01, 0x78]);
  rejects(deep, /nesting deeper than 64 levels/, MAX_DEPTH * level.length);
  // A much deeper input still fails cleanly (no RangeError from the stack).
  const huge = new Uint8Array([...Array(100_000).fill(level).flat()]);
  rejects(huge, /nesting deeper than 64 levels/, MAX_DEPTH * level.length);
});

Deno.test("zlib: bad data and a bomb over the bound", () => {
  rejects(new Uint8Array([0x02, 1, 2, 3, 4]), /invalid zlib data/, 1, unmarshal);
  const bomb = deflateSync(new Uint8Array(8 << 20));
  assert.ok(bomb.length < 16_384);
  const payload = new Uint8Array([0x02, ...bomb]);
  assert.throws(
    () => unmarshal(payload, { maxInflatedSize: 1 << 20 }),
    (e: unknown) => e instanceof BinaryDecodeError && /exceeds the 1048576-byte limit/.test(e.message),
  );
});
