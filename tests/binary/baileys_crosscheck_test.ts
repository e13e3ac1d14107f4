// Cross-check against an independent implementation: Baileys' WABinary codec (baileys@7.0.0-rc14,
// lib/WABinary/encode.js and decode.js). Where both are correct the bytes must be identical and each side
// must decode the other's output to the same node. Where they differ, the test pins the difference and
// says which side tulir/whatsmeow (binary/*.go, types/jid.go, commit
// 33cfac5116293e4cb86f8e4099e8eaf6de7ebc08) agrees with.
import assert from "node:assert/strict";
import fc from "npm:fast-check@4.10.2";
import * as baileysBinary from "npm:/baileys@7.0.0-rc14/lib/WABinary/index.js";
import * as baileysConstants from "npm:/baileys@7.0.0-rc14/lib/WABinary/constants.js";
import {
  decodeNode,
  DOUBLE_BYTE_TOKENS,
  marshal,
  type Node,
  SINGLE_BYTE_TOKENS,
  unmarshal,
} from "../../src/binary/mod.ts";

// Baileys is plain JS typed for Node's Buffer; one cast at this boundary.
type BaileysNode = { tag: string; attrs: Record<string, string>; content?: unknown };
const baileysEncode = baileysBinary.encodeBinaryNode as unknown as (node: BaileysNode) => Uint8Array;
const baileysDecodeRaw = baileysBinary.decodeDecompressedBinaryNode as unknown as (
  buffer: Uint8Array,
  opts: typeof baileysConstants,
) => BaileysNode;

function baileysDecode(payload: Uint8Array): Node {
  return plain(baileysDecodeRaw(Buffer.from(payload.subarray(1)), baileysConstants));
}

/** Baileys' nodes as plain data: Buffers become Uint8Arrays, absent content becomes undefined. */
function plain(node: BaileysNode): Node {
  const c = node.content;
  const content = c instanceof Uint8Array
    ? new Uint8Array(c)
    : Array.isArray(c)
    ? c.map((child) => plain(child))
    : c as string | undefined;
  return { tag: node.tag, attrs: { ...node.attrs }, content };
}

function ours(node: Node): Node {
  const c = node.content;
  const content = c instanceof Uint8Array ? new Uint8Array(c) : Array.isArray(c) ? c.map(ours) : c;
  return { tag: node.tag, attrs: { ...node.attrs }, content };
}

function crossCheck(node: Node): void {
  const mine = marshal(node);
  const theirs = new Uint8Array(baileysEncode(node));
  assert.equal(mine.toHex(), theirs.toHex(), `bytes differ for <${node.tag}>`);
  assert.deepStrictEqual(baileysDecode(mine), ours(unmarshal(mine)));
  assert.deepStrictEqual(ours(unmarshal(theirs)), baileysDecode(theirs));
}

const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

const CORPUS: Node[] = [
  {
    tag: "message",
    attrs: { to: "15551234567@s.whatsapp.net", type: "text", id: "3EB0C431D8A4B6A1E2F5" },
    content: [{ tag: "enc", attrs: { v: "2", type: "msg" }, content: bytes(180, 1) }],
  },
  {
    tag: "receipt",
    attrs: { id: "3EB0AA", to: "15551234567@s.whatsapp.net", type: "read", t: "1700000000" },
    content: [{
      tag: "list",
      attrs: {},
      content: ["3EB0B1", "3EB0B2", "ABCDEF0123"].map((id) => ({ tag: "item", attrs: { id } })),
    }],
  },
  {
    tag: "message",
    attrs: { to: "120363025246125486@g.us", type: "text", id: "3EB0C4", phash: "2:abcDEF12" },
    content: [
      {
        tag: "participants",
        attrs: {},
        content: Array.from({ length: 64 }, (_, i) => ({
          tag: "to",
          attrs: { jid: `1555000${String(i).padStart(4, "0")}:${i % 5}@s.whatsapp.net` },
          content: [{ tag: "enc", attrs: { v: "2", type: i % 3 ? "msg" : "pkmsg" }, content: bytes(90, i) }],
        })),
      },
      { tag: "enc", attrs: { v: "2", type: "skmsg" }, content: bytes(300, 9) },
    ],
  },
  {
    tag: "iq",
    attrs: { from: "@s.whatsapp.net", id: "abc", type: "result" },
    content: [{
      tag: "usync",
      attrs: { sid: "sync_sid_1", index: "0", last: "true", mode: "query", context: "message" },
      content: [{
        tag: "list",
        attrs: {},
        content: Array.from({ length: 20 }, (_, i) => ({
          tag: "user",
          attrs: { jid: `1555${1000000 + i}@s.whatsapp.net` },
          content: [{
            tag: "devices",
            attrs: {},
            content: [{ tag: "device-list", attrs: {}, content: [{ tag: "device", attrs: { id: "0" } }] }],
          }],
        })),
      }],
    }],
  },
  {
    tag: "notification",
    attrs: {
      from: "120363025246125486@g.us",
      type: "w:gp2",
      id: "123",
      participant: "123456789012345@lid",
      t: "1",
    },
    content: [{
      tag: "add",
      attrs: {},
      content: [{
        tag: "participant",
        attrs: { jid: "98765@lid", phone_number: "15551234567@s.whatsapp.net" },
      }],
    }],
  },
  { tag: "presence", attrs: { from: "15551234567@s.whatsapp.net", type: "unavailable", last: "deny" } },
  { tag: "ack", attrs: { id: "3EB0", class: "message", participant: "123:4@lid", to: "status@broadcast" } },
  {
    tag: "iq",
    attrs: { to: "@g.us", xmlns: "w:g2", type: "get", id: "1" },
    content: [{ tag: "participating", attrs: {} }],
  },
  {
    tag: "iq",
    attrs: { from: "s.whatsapp.net", type: "result", id: "2" },
    content: [{
      tag: "media_conn",
      attrs: { auth: "AWxyz_-123", ttl: "300" },
      content: [{ tag: "host", attrs: { hostname: "mmg.whatsapp.net" } }],
    }],
  },
  {
    tag: "message",
    attrs: { to: "123:99@hosted", id: "x" },
    content: [{ tag: "body", attrs: {}, content: "héllo 👋" }],
  },
  { tag: "enc", attrs: { v: "2", type: "msg" }, content: bytes(70_000, 3) },
  { tag: "body", attrs: {}, content: "" },
  { tag: "body", attrs: { a: "" }, content: [] },
];

Deno.test("corpus: identical bytes, and each side decodes the other's output the same", () => {
  for (const node of CORPUS) crossCheck(node);
});

Deno.test("more than 127 attributes: the list header grows to LIST_16, bytes as Baileys writes them", () => {
  // 2 x 127 + 1 (+ content) entries is the most a LIST_8 header holds; the encoder reserves two header
  // bytes and moves the node by one when the count needs three.
  for (const n of [126, 127, 128, 300]) {
    const attrs = Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, `value ${i}`]));
    crossCheck({ tag: "many", attrs });
    crossCheck({ tag: "many", attrs, content: [{ tag: "child", attrs: { id: "1" } }] });
    crossCheck({
      tag: "many",
      attrs: { ...attrs, jid: "15551234567@s.whatsapp.net" },
      content: bytes(20_000, n),
    });
  }
});

const TOKENS = [...SINGLE_BYTE_TOKENS.slice(1), ...DOUBLE_BYTE_TOKENS.flat()];
const safeText = fc.string({ unit: fc.constantFrom(..."abcxyzABC019 -._/é€😀"), maxLength: 40 })
  .filter((s) => !(s in Object.prototype) && !s.includes("@") && !s.includes(":"));
const userDigits = fc.string({ unit: fc.constantFrom(..."0123456789"), minLength: 5, maxLength: 15 });
const baileysJid = fc.oneof(
  fc.tuple(userDigits, fc.constantFrom("s.whatsapp.net", "lid", "g.us", "broadcast", "newsletter"))
    .map(([u, s]) => `${u}@${s}`),
  fc.tuple(userDigits, fc.integer({ min: 1, max: 255 }), fc.constantFrom("s.whatsapp.net", "lid", "hosted"))
    .map((
      [u, d, s],
    ) => `${u}:${d}@${s}`),
  fc.constantFrom("@s.whatsapp.net", "@g.us", "status@broadcast"),
);
const value = fc.oneof(
  fc.constantFrom(...TOKENS),
  safeText,
  fc.string({ unit: fc.constantFrom(..."0123456789-."), maxLength: 130 }),
  fc.string({ unit: fc.constantFrom(..."0123456789ABCDEF"), maxLength: 130 }),
  baileysJid,
);
const { tree } = fc.letrec<{ tree: Node }>((tie) => ({
  tree: fc.record({
    tag: fc.oneof(fc.constantFrom(...TOKENS), safeText.filter((s) => s !== "")),
    attrs: fc.dictionary(fc.oneof(fc.constantFrom(...TOKENS), safeText), value, {
      maxKeys: 5,
      noNullPrototype: true,
    }),
    content: fc.oneof(
      { depthIdentifier: "tree", maxDepth: 4 },
      fc.constant(undefined),
      value,
      fc.uint8Array({ maxLength: 600 }),
      fc.array(tie("tree"), { maxLength: 5, depthIdentifier: "tree" }),
    ),
  }),
}));

Deno.test("property: random nodes in the range where Baileys is correct", () => {
  fc.assert(fc.property(tree, crossCheck), { numRuns: 300, seed: 42 });
});

Deno.test("divergence: Baileys treats inherited object names as tokens (whatsmeow's Go map does not)", () => {
  // Baileys' TOKEN_MAP is a plain object, so TOKEN_MAP["constructor"] is Object and the encoder writes
  // its undefined index as byte 0 (LIST_EMPTY): the value is lost. Our lookup is a Map: raw bytes.
  const node: Node = { tag: "x", attrs: { a: "constructor" } };
  assert.equal(new Uint8Array(baileysEncode(node)).toHex(), "00f803fc0178fc016100");
  assert.equal(marshal(node).toHex(), "00f803fc0178fc0161fc0b636f6e7374727563746f72");
  assert.equal(unmarshal(marshal(node)).attrs.a, "constructor");
});

Deno.test("divergence: device JIDs on msgr and interop, devices over 255, non-numeric devices", () => {
  // Baileys' jidDecode sends any "user:device@server" as AD_JID with domain 0, so these come back on
  // s.whatsapp.net. whatsmeow writes msgr as FB_JID and interop as INTEROP_JID (encoder.go writeJID).
  const check = (jid: string, theirsReadsBackAs: string) => {
    const node: Node = { tag: "x", attrs: { jid } };
    assert.equal(baileysDecode(new Uint8Array(baileysEncode(node))).attrs.jid, theirsReadsBackAs);
    assert.equal(unmarshal(marshal(node)).attrs.jid, jid);
    assert.equal(baileysDecode(marshal(node)).attrs.jid, jid);
  };
  check("100012345678901:2@msgr", "100012345678901:2@s.whatsapp.net");
  check("5-15551234567:1@interop", "5-15551234567:1@s.whatsapp.net");
  // A device over 255 does not fit AD_JID's byte: Baileys (and whatsmeow, uint8(jid.Device)) truncate
  // it; we keep the string as the user of a JID_PAIR.
  check("15551234567:300@s.whatsapp.net", "15551234567:44@s.whatsapp.net");
  // "foo:bar": Baileys writes device NaN as 0; whatsapp-rust's encoder keeps the string (JID_PAIR), as we do.
  check("foo:bar@s.whatsapp.net", "foo@s.whatsapp.net");
});

Deno.test("divergence: decoding FB_JID / INTEROP_JID with device 0 and unknown AD_JID domains", () => {
  const hex = (text: string) => new Uint8Array([0, ...Uint8Array.fromHex(text.replace(/\s+/g, ""))]);
  // FB_JID device 0: Baileys prints ":0"; whatsmeow's JID.String omits a zero device, as we do.
  const fb = hex("f8 03 19 06 f6 ff 02 1234 0000 cc");
  assert.equal(baileysDecode(fb).attrs.from, "1234:0@msgr");
  assert.equal(unmarshal(fb).attrs.from, "1234@msgr");
  // INTEROP_JID: same on the device; the integrator prefix is Baileys' form (whatsmeow prints none).
  const interop = hex("f8 03 19 06 f5 ff 02 1234 0000 0005 fc07696e7465726f70");
  assert.equal(baileysDecode(interop).attrs.from, "5-1234:0@interop");
  assert.equal(unmarshal(interop).attrs.from, "5-1234@interop");
  // AD_JID with domain byte 5: whatsmeow's NewADJID keeps it as the agent; Baileys drops it.
  const agent = hex("f8 03 19 06 f7 05 03 ff 02 1234");
  assert.equal(baileysDecode(agent).attrs.from, "1234:3@s.whatsapp.net");
  assert.equal(unmarshal(agent).attrs.from, "1234.5:3@s.whatsapp.net");
  // A JID_PAIR whose server is itself a JID: Baileys accepts it, whatsmeow cannot (server.(string)),
  // we reject it.
  const nested = new Uint8Array(baileysEncode({ tag: "x", attrs: { a: "u@v@w" } }));
  assert.equal(baileysDecode(nested).attrs.a, "u@v@w");
  assert.throws(() => decodeNode(nested.subarray(1)), /JID server is itself a JID/);
  assert.equal(unmarshal(marshal({ tag: "x", attrs: { a: "u@v@w" } })).attrs.a, "u@v@w");
});
