// The encoder rejects what the format cannot represent with BinaryEncodeError (list sizes as in
// tulir/whatsmeow binary/encoder.go writeListStart: LIST_16 holds at most 65535 entries).
import assert from "node:assert/strict";
import {
  BinaryEncodeError,
  encodeNode,
  Jid,
  MAX_ENCODE_DEPTH,
  type NodeInput,
} from "../../src/binary/mod.ts";

function rejects(node: unknown, message: RegExp, path?: string): void {
  assert.throws(
    () => encodeNode(node as NodeInput),
    (error: unknown) => {
      assert.ok(error instanceof BinaryEncodeError, `expected BinaryEncodeError, got ${error}`);
      assert.match(error.message, message);
      if (path !== undefined) assert.equal(error.path, path);
      return true;
    },
  );
}

Deno.test("tags must be non-empty strings", () => {
  rejects({ tag: "", attrs: {} }, /node tag must be a non-empty string, got ""/);
  rejects({ tag: 5, attrs: {} }, /node tag must be a non-empty string, got number 5/);
  rejects({ attrs: {} }, /node tag must be a non-empty string, got undefined/);
  rejects(null, /expected a node object, got null/);
  rejects(
    { tag: "iq", attrs: {}, content: [{ tag: "ok", attrs: {} }, "text"] },
    /expected a node object/,
    "iq",
  );
  rejects({ tag: "iq", attrs: {}, content: [{ tag: 1 }] }, /node tag must be/, "iq");
});

Deno.test("attribute values must be strings, Jids or undefined", () => {
  rejects(
    { tag: "iq", attrs: { id: 5 } },
    /attribute "id" must be a string, a Jid or undefined, got number 5/,
    "iq",
  );
  rejects({ tag: "iq", attrs: { id: null } }, /attribute "id" .* got null/);
  rejects({ tag: "iq", attrs: { id: true } }, /got boolean true/);
  rejects(
    { tag: "iq", attrs: {}, content: [{ tag: "query", attrs: { x: {} } }] },
    /attribute "x"/,
    "iq/query",
  );
  // undefined is skipped and Jids are fine.
  const bytes = encodeNode({ tag: "iq", attrs: { id: undefined, to: Jid.server("s.whatsapp.net") } });
  assert.equal(bytes.toHex(), "f80319" + "11" + "fa0003");
});

Deno.test("content must be a string, bytes or an array of nodes", () => {
  rejects(
    { tag: "iq", attrs: {}, content: 5 },
    /content must be a string, a Uint8Array or an array of nodes/,
  );
  rejects({ tag: "iq", attrs: {}, content: null }, /content must be/);
  rejects({ tag: "iq", attrs: {}, content: new ArrayBuffer(3) }, /content must be/);
});

Deno.test("lists over 65535 entries are rejected", () => {
  const children = Array.from({ length: 65536 }, () => ({ tag: "a", attrs: {} }));
  rejects({ tag: "list", attrs: {}, content: children }, /list of 65536 entries exceeds the 65535/, "list");
  const ok = encodeNode({ tag: "list", attrs: {}, content: children.slice(1) });
  assert.equal(ok.subarray(0, 6).toHex(), "f802" + "71" + "f9ffff");
  const attrs: Record<string, string> = {};
  for (let i = 0; i < 32768; i++) attrs["k" + i] = "v";
  rejects({ tag: "x", attrs }, /list of 65537 entries/);
});

Deno.test("nesting deeper than the decoder accepts is rejected", () => {
  let node: NodeInput = { tag: "x", attrs: {} };
  for (let i = 1; i < MAX_ENCODE_DEPTH; i++) node = { tag: "x", attrs: {}, content: [node] };
  encodeNode(node);
  rejects({ tag: "x", attrs: {}, content: [node] }, /nesting deeper than 64 levels/);
  // A cycle ends in the same error, not a stack overflow.
  const cyclic: { tag: string; attrs: object; content: unknown[] } = { tag: "x", attrs: {}, content: [] };
  cyclic.content.push(cyclic);
  rejects(cyclic, /nesting deeper/);
});

Deno.test("the encoder stays usable after an error", () => {
  rejects({ tag: "iq", attrs: { bad: 1 } }, /attribute "bad"/);
  assert.equal(encodeNode({ tag: "iq", attrs: {} }).toHex(), "f80119");
});
