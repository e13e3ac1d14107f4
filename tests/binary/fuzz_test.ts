// Bounded mutation fuzzing of the decoder: valid encodings (stanza shapes as in the benchmark corpus)
// are damaged by bit flips, truncations, insertions, byte swaps and length fields set to huge values.
// Every input must give a Node or a BinaryDecodeError with an offset inside the input: nothing else,
// no hang. A fixed-seed generator keeps failures reproducible.
import assert from "node:assert/strict";
import { deflateSync } from "node:zlib";
import {
  BinaryDecodeError,
  decodeNode,
  encodeNode,
  Jid,
  type NodeInput,
  unmarshal,
} from "../../src/binary/mod.ts";

let state = 0x9e3779b9;
function rand(n: number): number {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) % n;
}

const seeds: NodeInput[] = [
  {
    tag: "message",
    attrs: { to: "15551234567@s.whatsapp.net", id: "3EB0C431D8A4B6A1E2F5", type: "text", t: "1700000000" },
    content: [
      { tag: "enc", attrs: { v: "2", type: "msg" }, content: new Uint8Array(40).fill(7) },
      { tag: "body", attrs: {}, content: "héllo wörld, this is text" },
    ],
  },
  {
    tag: "iq",
    attrs: { from: "@s.whatsapp.net", type: "result", id: "1" },
    content: [{
      tag: "usync",
      attrs: { index: "0" },
      content: Array.from({ length: 6 }, (_, i) => ({
        tag: "user",
        attrs: { jid: Jid.lid(`12345678${i}`, i), pn: Jid.pn(`1555123${i}`) },
        content: [{ tag: "device", attrs: { id: String(i), "key-index": "ABC1" } }],
      })),
    }],
  },
  {
    tag: "notification",
    attrs: {
      from: "120363025246125486@g.us",
      participant: "100012345678901:2@msgr",
      other: "5-15551234567:1@interop",
      agent: "1555.5:3@s.whatsapp.net",
    },
    content: [{ tag: "x", attrs: {}, content: new Uint8Array(300) }],
  },
];
const valid = seeds.map((node) => encodeNode(node));

function mutate(input: Uint8Array): Uint8Array {
  const out = Array.from(input);
  const edits = 1 + rand(4);
  for (let e = 0; e < edits && out.length > 0; e++) {
    const at = rand(out.length);
    switch (rand(7)) {
      case 0: // bit flip
        out[at] ^= 1 << rand(8);
        break;
      case 1: // truncation
        out.length = at;
        break;
      case 2: // insertion of random bytes
        out.splice(at, 0, ...Array.from({ length: 1 + rand(4) }, () => rand(256)));
        break;
      case 3: // a length or size field set to a huge value
        out.splice(at, 0, [0xf9, 0xfd, 0xfe, 0xff][rand(4)], 0xff, 0xff, 0xff, 0xff);
        break;
      case 4: // random byte
        out[at] = rand(256);
        break;
      case 5: // deletion
        out.splice(at, 1 + rand(3));
        break;
      default: // a tag byte that is special
        out[at] = [0x00, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff, 0xec][rand(13)];
    }
  }
  return new Uint8Array(out);
}

function decodesOrRejects(
  input: Uint8Array,
  decode: (bytes: Uint8Array) => unknown,
  maxOffset = input.length,
): "ok" | "error" {
  try {
    decode(input);
    return "ok";
  } catch (error) {
    if (!(error instanceof BinaryDecodeError)) {
      throw new Error(`input ${input.toHex()} threw ${error}`, { cause: error });
    }
    assert.ok(error.offset >= 0 && error.offset <= maxOffset, `offset ${error.offset} for ${input.toHex()}`);
    return "error";
  }
}

Deno.test("fuzz: 20,000 mutated stanzas decode or fail with BinaryDecodeError", () => {
  const outcomes = { ok: 0, error: 0 };
  for (let i = 0; i < 20_000; i++) {
    const input = mutate(valid[i % valid.length]);
    outcomes[decodesOrRejects(input, decodeNode)]++;
  }
  // Both outcomes occur, so the mutations neither always break nor never break the input.
  assert.ok(outcomes.ok > 100 && outcomes.error > 10_000, JSON.stringify(outcomes));
});

Deno.test("fuzz: random byte strings and mutated frames through unmarshal (with zlib)", () => {
  for (let i = 0; i < 5_000; i++) {
    const random = new Uint8Array(rand(64)).map(() => rand(256));
    decodesOrRejects(random, decodeNode);
    const frame = mutate(new Uint8Array([0, ...valid[i % valid.length]]));
    decodesOrRejects(frame, unmarshal);
  }
  for (let i = 0; i < 500; i++) {
    const compressed = new Uint8Array([2, ...deflateSync(valid[i % valid.length])]);
    // Offsets of a compressed frame point into the inflated bytes (at most the bound).
    decodesOrRejects(mutate(compressed), (bytes) => unmarshal(bytes, { maxInflatedSize: 1 << 16 }), 1 << 16);
  }
});
