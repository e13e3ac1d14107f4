// Frame payloads: flags byte, zlib (flag bit 0x02), marshal/marshalInto. The flags byte and the zlib
// bit are as in tulir/whatsmeow binary/unpack.go (Unpack) and jlucaso1/whatsapp-rust
// wacore/binary/src/util.rs (unpack), commits 33cfac5116293e4cb86f8e4099e8eaf6de7ebc08 and
// 240d631adcdb73c1537ce97ac75bba61a31d9514.
import assert from "node:assert/strict";
import { deflateSync } from "node:zlib";
import {
  BinaryDecodeError,
  BinaryEncodeError,
  DEFAULT_MAX_INFLATED_SIZE,
  encodeNode,
  marshal,
  marshalInto,
  type Node,
  unmarshal,
} from "../../src/binary/mod.ts";

const stanza: Node = {
  tag: "message",
  attrs: { from: "120363025246125486@g.us", id: "3EB0C431D8A4B6A1E2F5", type: "text" },
  content: [{ tag: "enc", attrs: { v: "2", type: "skmsg" }, content: new Uint8Array(300).fill(7) }],
};

Deno.test("marshal writes a 0x00 flags byte before the node", () => {
  const payload = marshal(stanza);
  assert.equal(payload[0], 0);
  assert.deepEqual(payload.subarray(1), encodeNode(stanza));
});

Deno.test("a zlib-compressed payload (flag 0x02) decodes to the same node", () => {
  const node = encodeNode(stanza);
  const compressed = new Uint8Array([0x02, ...deflateSync(node)]);
  assert.deepEqual(unmarshal(compressed), unmarshal(marshal(stanza)));
  // Other flag bits do not matter, only bit 0x02.
  assert.deepEqual(unmarshal(new Uint8Array([0x06, ...deflateSync(node)])).tag, "message");
  assert.deepEqual(unmarshal(new Uint8Array([0x01, ...node])).tag, "message");
});

Deno.test("inflated size is bounded; the default bound is 32 MiB", () => {
  assert.equal(DEFAULT_MAX_INFLATED_SIZE, 32 * 1024 * 1024);
  const node = encodeNode(stanza);
  const compressed = new Uint8Array([0x02, ...deflateSync(node)]);
  assert.equal(unmarshal(compressed, { maxInflatedSize: node.length }).tag, "message");
  assert.throws(
    () => unmarshal(compressed, { maxInflatedSize: node.length - 1 }),
    (e: unknown) => e instanceof BinaryDecodeError && e.offset === 1 && /exceeds/.test(e.message),
  );
  // A 40 MiB bomb against the default bound.
  const bomb = new Uint8Array([0x02, ...deflateSync(new Uint8Array(40 << 20))]);
  assert.throws(() => unmarshal(bomb), BinaryDecodeError);
});

Deno.test("errors in a compressed payload point into the inflated bytes", () => {
  const broken = encodeNode(stanza).subarray(0, 20);
  assert.throws(
    () => unmarshal(new Uint8Array([0x02, ...deflateSync(broken)])),
    (e: unknown) => e instanceof BinaryDecodeError && e.offset <= 20,
  );
});

Deno.test("marshalInto writes into the caller's buffer and reports the length", () => {
  const expected = marshal(stanza);
  const buffer = new Uint8Array(1024).fill(0xaa);
  const n = marshalInto(stanza, buffer, 10);
  assert.equal(n, expected.length);
  assert.deepEqual(buffer.subarray(10, 10 + n), expected);
  assert.equal(buffer[9], 0xaa);
  assert.equal(buffer[10 + n], 0xaa);
  assert.throws(() => marshalInto(stanza, new Uint8Array(expected.length - 1)), BinaryEncodeError);
  assert.equal(marshalInto(stanza, new Uint8Array(expected.length)), expected.length);
  assert.throws(() => marshalInto(stanza, buffer, 2000), RangeError);
});

Deno.test("marshal results are independent views even when pooled", () => {
  const a = marshal({ tag: "a", attrs: {} });
  const b = marshal({ tag: "b", attrs: {} });
  const aCopy = a.slice();
  b.fill(0xff);
  assert.deepEqual(a, aCopy);
  // Large payloads (deferred byte arrays) come back exactly sized.
  const big = marshal({ tag: "enc", attrs: {}, content: new Uint8Array(100_000).fill(3) });
  assert.equal(big.byteLength, big.buffer.byteLength);
  assert.equal(unmarshal(big).tag, "enc");
  // Many calls in a row never hand out overlapping bytes.
  const outs = Array.from({ length: 3000 }, (_, i) => marshal({ tag: "item", attrs: { id: String(i) } }));
  outs.forEach((out, i) => assert.equal(unmarshal(out).attrs.id, String(i)));
});
