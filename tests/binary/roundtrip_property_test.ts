// Round-trip properties over random nodes (fast-check, fixed seeds and bounded runs). The model of what
// decoding returns is written from the wire rules (tulir/whatsmeow binary/decoder.go, commit
// 33cfac5116293e4cb86f8e4099e8eaf6de7ebc08; Baileys' decoder for "@server" JIDs without a user), not by
// calling the codec: strings come back as given (byte content as its UTF-8), Jid values as their
// string form, undefined attributes are dropped.
import assert from "node:assert/strict";
import fc from "npm:fast-check@4.10.2";
import {
  decodeNode,
  DOUBLE_BYTE_TOKENS,
  encodeNode,
  Jid,
  marshal,
  type Node,
  type NodeInput,
  SINGLE_BYTE_TOKENS,
  unmarshal,
} from "../../src/binary/mod.ts";

const TOKENS = [...SINGLE_BYTE_TOKENS.slice(1), ...DOUBLE_BYTE_TOKENS.flat()];
const utf8 = new TextDecoder();

const digits = (min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(..."0123456789"), minLength: min, maxLength: max });
const userDigits = fc.tuple(fc.constantFrom(..."123456789"), digits(4, 15)).map(([a, b]) => a + b);
const device = fc.integer({ min: 1, max: 255 });

/** Canonical JID strings of every kind the encoder knows. */
const canonicalJidString = fc.oneof(
  userDigits.map((u) => `${u}@s.whatsapp.net`),
  fc.tuple(userDigits, device).map(([u, d]) => `${u}:${d}@s.whatsapp.net`),
  fc.tuple(userDigits, fc.integer({ min: 256, max: 65535 })).map(([u, d]) => `${u}:${d}@s.whatsapp.net`),
  fc.tuple(userDigits, fc.integer({ min: 2, max: 127 }), fc.integer({ min: 0, max: 255 }))
    .map(([u, a, d]) => `${u}.${a}:${d}@s.whatsapp.net`),
  userDigits.map((u) => `${u}@lid`),
  fc.tuple(userDigits, device).map(([u, d]) => `${u}:${d}@lid`),
  fc.tuple(userDigits, userDigits).map(([a, b]) => `${a}-${b}@g.us`),
  userDigits.map((u) => `${u}@g.us`),
  fc.constant("status@broadcast"),
  userDigits.map((u) => `${u}@broadcast`),
  userDigits.map((u) => `${u}@newsletter`),
  userDigits.map((u) => `${u}:99@hosted`),
  userDigits.map((u) => `${u}:99@hosted.lid`),
  userDigits.map((u) => `${u}@msgr`),
  fc.tuple(userDigits, fc.integer({ min: 1, max: 65535 })).map(([u, d]) => `${u}:${d}@msgr`),
  fc.tuple(fc.integer({ min: 0, max: 65535 }), userDigits, fc.integer({ min: 0, max: 65535 }))
    .map(([i, u, d]) => (d === 0 ? `${i}-${u}@interop` : `${i}-${u}:${d}@interop`)),
  userDigits.map((u) => `${u}@bot`),
  fc.constantFrom("@s.whatsapp.net", "@g.us", "@lid", "@broadcast", "@newsletter"),
);

/** Canonical JIDs, plus forms the encoder must carry unchanged or normalizes. */
const jidString = fc.oneof(
  canonicalJidString,
  // An explicit device 0 (read back without it, see normalizeString).
  fc.tuple(userDigits, fc.constantFrom("s.whatsapp.net", "lid", "hosted", "hosted.lid", "msgr"))
    .map(([u, s]) => `${u}:0@${s}`),
  fc.tuple(fc.integer({ min: 0, max: 65535 }), userDigits).map(([i, u]) => `${i}-${u}:0@interop`),
  fc.tuple(fc.string({ minLength: 1, maxLength: 8 }), fc.constantFrom("s.whatsapp.net", "example.com"))
    .filter(([u]) => !u.includes("@"))
    .map(([u, s]) => `${u}@${s}`),
);

const jidObject: fc.Arbitrary<Jid> = fc.oneof(
  fc.tuple(userDigits, fc.integer({ min: 0, max: 400 })).map(([u, d]) => Jid.pn(u, d)),
  fc.tuple(userDigits, fc.integer({ min: 0, max: 400 })).map(([u, d]) => Jid.lid(u, d)),
  fc.tuple(userDigits, fc.integer({ min: 2, max: 127 }), fc.integer({ min: 0, max: 255 }))
    .map(([u, agent, d]) => new Jid(u, "s.whatsapp.net", { agent, device: d })),
  userDigits.map((u) => Jid.group(u)),
  fc.constantFrom("s.whatsapp.net", "g.us", "lid", "broadcast").map((s) => Jid.server(s)),
  fc.constant(Jid.statusBroadcast()),
  userDigits.map((u) => Jid.newsletter(u)),
  userDigits.map((u) => Jid.bot(u)),
  fc.tuple(userDigits, fc.integer({ min: 0, max: 65535 })).map(([u, d]) => Jid.messenger(u, d)),
  fc.tuple(userDigits, fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0, max: 65535 }))
    .map(([u, i, d]) => Jid.interop(u, i, d)),
  fc.tuple(userDigits, fc.integer({ min: 0, max: 300 })).map(([u, d]) => new Jid(u, "hosted", { device: d })),
  fc.tuple(userDigits, fc.integer({ min: 0, max: 300 })).map(([u, d]) =>
    new Jid(u, "hosted.lid", { device: d })
  ),
  fc.tuple(userDigits, fc.integer({ min: 1, max: 300 })).map(([u, d]) => new Jid(u, "g.us", { device: d })),
);

/** Nibble / hex strings of both parities up to PACKED_MAX and just over (128..130 are written raw). */
const packedString = fc.oneof(
  fc.string({ unit: fc.constantFrom(..."0123456789-."), minLength: 1, maxLength: 130 }),
  fc.string({ unit: fc.constantFrom(..."0123456789ABCDEF"), minLength: 1, maxLength: 130 }),
);

const text = fc.oneof(
  fc.constantFrom(...TOKENS),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.string({ unit: "binary", maxLength: 20 }), // includes lone surrogates (sent as U+FFFD)
  fc.string({ minLength: 120, maxLength: 400 }),
  packedString,
  jidString,
);

const tag = fc.oneof(fc.constantFrom(...TOKENS), fc.string({ minLength: 1, maxLength: 12 }), jidString);
const key = fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 12 }), fc.constant("__proto__"));
const attrValue: fc.Arbitrary<string | Jid | undefined> = fc.oneof(
  { weight: 6, arbitrary: text },
  { weight: 2, arbitrary: jidObject },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

const byteLength = fc.oneof(
  fc.integer({ min: 0, max: 300 }),
  fc.constantFrom(0, 1, 255, 256, 257, 4095),
  fc.integer({ min: 2000, max: 20000 }),
);
const bytesContent = byteLength.chain((n) => fc.uint8Array({ minLength: n, maxLength: n }));

const { node: single } = fc.letrec<{ node: NodeInput }>((tie) => ({
  node: fc.record(
    {
      tag,
      attrs: fc.dictionary(key, attrValue, { maxKeys: 6 }),
      content: fc.oneof(
        { depthIdentifier: "node", maxDepth: 5 },
        { weight: 2, arbitrary: fc.constant(undefined) },
        { weight: 3, arbitrary: text },
        { weight: 2, arbitrary: bytesContent },
        { weight: 4, arbitrary: fc.array(tie("node"), { maxLength: 5, depthIdentifier: "node" }) },
      ),
    },
    { requiredKeys: ["tag", "attrs"] },
  ) as fc.Arbitrary<NodeInput>,
}));

/** A random node, or a root with several random children (bigger trees). */
const node: fc.Arbitrary<NodeInput> = fc.oneof(
  single,
  fc.record({
    tag,
    attrs: fc.dictionary(key, attrValue, { maxKeys: 4 }),
    content: fc.array(single, { minLength: 1, maxLength: 8 }),
  }),
);

/**
 * The one lossy rewrite the encoder makes: an explicit device 0 on a device-JID server is sent as AD_JID
 * (as WhatsApp Web and Baileys do) and reads back without ":0".
 */
function normalizeString(s: string): string {
  const m = /^([^@:]+):0@(s\.whatsapp\.net|lid|hosted|hosted\.lid|msgr)$/.exec(s) ??
    /^(\d+-[^@:]+):0@(interop)$/.exec(s);
  if (m === null) return s;
  if (m[2] === "s.whatsapp.net" && /\.(\d{1,3})$/.test(m[1])) return s; // user.agent:0 keeps its device
  return `${m[1]}@${m[2]}`;
}

/** Lone surrogates are sent as U+FFFD, as TextEncoder does. */
function wellFormed(s: string): string {
  return s.toWellFormed();
}

function expectedValue(value: string | Jid): string {
  if (typeof value === "string") return normalizeString(wellFormed(value));
  return value.user === "" ? `@${value.server}` : value.toString();
}

function expected(input: NodeInput): Node {
  const attrs: Record<string, string> = {};
  for (const k of Object.keys(input.attrs ?? {})) {
    const v = input.attrs![k];
    if (v === undefined) continue;
    Object.defineProperty(attrs, expectedValue(k), {
      value: expectedValue(v),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  const c = input.content;
  const content = c === undefined
    ? undefined
    : typeof c === "string"
    ? expectedValue(c)
    : c instanceof Uint8Array
    ? c
    : c.map(expected);
  return { tag: expectedValue(input.tag), attrs, content };
}

/** Byte content that came from a raw string is compared as text; the rest as is. */
function comparable(node: Node, model: Node): Node {
  let content = node.content;
  if (content instanceof Uint8Array && typeof model.content === "string") content = utf8.decode(content);
  if (Array.isArray(content) && Array.isArray(model.content)) {
    const children = model.content;
    content = content.map((child, i) => comparable(child, children[i]));
  }
  return { tag: node.tag, attrs: node.attrs, content };
}

Deno.test("property: unmarshal(marshal(node)) matches the model", () => {
  fc.assert(
    fc.property(node, (input) => {
      const model = expected(input);
      const decoded = unmarshal(marshal(input));
      assert.deepStrictEqual(comparable(decoded, model), model);
    }),
    { numRuns: 400, seed: 20240601 },
  );
});

Deno.test("property: decoded nodes are fixed points (decode(encode(d)) equals d, same bytes)", () => {
  fc.assert(
    fc.property(node, (input) => {
      const first = encodeNode(input);
      const decoded = decodeNode(first);
      const again = encodeNode(decoded);
      assert.deepStrictEqual(decodeNode(again), decoded);
      assert.equal(encodeNode(decodeNode(again)).toHex(), again.toHex());
    }),
    { numRuns: 300, seed: 7 },
  );
});

Deno.test("property: a Jid attribute and its string form encode to the same bytes", () => {
  fc.assert(
    fc.property(jidObject, (jid) => {
      const asJid = encodeNode({ tag: "x", attrs: { to: jid } }).toHex();
      const asText = encodeNode({ tag: "x", attrs: { to: expectedValue(jid) } }).toHex();
      assert.equal(asJid, asText);
    }),
    { numRuns: 500, seed: 11 },
  );
});

Deno.test("property: every JID string form parses back to a Jid with the same string", () => {
  fc.assert(
    fc.property(canonicalJidString, (s) => {
      const jid = Jid.parse(s);
      assert.equal(s.startsWith("@") ? `@${jid.toString()}` : jid.toString(), s);
    }),
    { numRuns: 500, seed: 3 },
  );
});

Deno.test("binary content at the 20-bit boundary (2^20 - 1 is BINARY_20, 2^20 is BINARY_32)", () => {
  for (const n of [(1 << 20) - 1, 1 << 20]) {
    const payload = new Uint8Array(n);
    for (let i = 0; i < n; i += 4099) payload[i] = i & 0xff;
    const encoded = marshal({ tag: "enc", attrs: {}, content: payload });
    assert.equal(encoded[4], n < 1 << 20 ? 0xfd : 0xfe);
    assert.deepEqual(unmarshal(encoded).content, payload);
  }
});
