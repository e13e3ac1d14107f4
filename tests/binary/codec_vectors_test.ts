// Known byte encodings. Each vector names its source:
// - [rust] jlucaso1/whatsapp-rust wacore/binary/src/encoder.rs and decoder.rs unit tests,
//   commit 240d631adcdb73c1537ce97ac75bba61a31d9514.
// - [whatsmeow] layouts from tulir/whatsmeow binary/encoder.go writeJID and binary/decoder.go
//   readFBJID / readInteropJID / readADJID, commit 33cfac5116293e4cb86f8e4099e8eaf6de7ebc08
//   (bytes assembled by hand from those layouts and the token table).
// - [baileys] bytes produced by baileys@7.0.0-rc14 lib/WABinary/encode.js encodeBinaryNode, an
//   independent implementation, and checked byte-for-byte here (the cross-check test re-runs Baileys).
// The seed page's wire examples are wrong (see reference/seed-inventory-core.md section 5); none is used.
import assert from "node:assert/strict";
import {
  contentString,
  decodeNode,
  encodeNode,
  Jid,
  marshal,
  type Node,
  type NodeInput,
  unmarshal,
} from "../../src/binary/mod.ts";

const hex = (bytes: Uint8Array) => bytes.toHex();
const bytes = (text: string) => Uint8Array.fromHex(text.replace(/\s+/g, ""));

/** Encodes, checks the bytes, decodes them again and checks the node. */
function vector(node: NodeInput, expectedHex: string, decoded: Node = node as Node): void {
  const encoded = marshal(node);
  assert.equal(hex(encoded), expectedHex.replace(/\s+/g, ""));
  assert.deepEqual(unmarshal(encoded), { content: undefined, ...decoded });
}

Deno.test("[rust] test_encode_node: <message>receipt</message>", () => {
  vector({ tag: "message", attrs: {}, content: "receipt" }, "00 f8 02 13 07");
});

Deno.test("[rust] test_nibble_packing: <test>-.0123456789</test>", () => {
  const expected = [0, 248, 2, 252, 4, 116, 101, 115, 116, 255, 6, 171, 1, 35, 69, 103, 137];
  vector({ tag: "test", attrs: {}, content: "-.0123456789" }, hex(new Uint8Array(expected)));
});

Deno.test("[rust][baileys] test_empty_string_encoding/roundtrip: '' is BINARY_8 0, content reads back as bytes", () => {
  const node = { tag: "test", attrs: { key: "", "": "value" }, content: "" };
  const encoded = encodeNode(node);
  // f8 06 | "test" raw | "key" (token 0x9e), fc 00 | fc 00, "value" (token 0x6c) | fc 00
  assert.equal(hex(encoded), "f806fc04746573749efc00fc006cfc00");
  const decoded = decodeNode(encoded);
  assert.deepEqual(decoded.attrs, { key: "", "": "value" });
  assert.deepEqual(decoded.content, new Uint8Array(0));
  assert.equal(contentString(decoded), "");
});

Deno.test("[rust] test_binary_length_boundaries: 255 bytes is BINARY_8, 256 is BINARY_20 00 01 00", () => {
  const b255 = encodeNode({ tag: "enc", attrs: {}, content: new Uint8Array(255).fill(0x42) });
  assert.equal(hex(b255.subarray(0, 5)), "f8021dfcff");
  const b256 = encodeNode({ tag: "enc", attrs: {}, content: new Uint8Array(256).fill(0x42) });
  assert.equal(hex(b256.subarray(0, 7)), "f8021dfd000100");
  assert.equal(b256.length, 7 + 256);
});

Deno.test("[rust] test_node_with_255/256_children: LIST_8 ff, then LIST_16 01 00", () => {
  const children = (n: number) => Array.from({ length: n }, () => ({ tag: "item", attrs: {} }));
  const e255 = encodeNode({ tag: "list", attrs: {}, content: children(255) });
  assert.equal(hex(e255.subarray(0, 5)), "f80271f8ff");
  const e256 = encodeNode({ tag: "list", attrs: {}, content: children(256) });
  assert.equal(hex(e256.subarray(0, 6)), "f80271f90100");
  assert.equal((decodeNode(e256).content as Node[]).length, 256);
});

Deno.test("[rust] decoder tests: hex ABCDEF, odd nibble 123, u20 lengths", () => {
  // <x>ABCDEF</x>: read_packed(HEX_8) of [3, AB, CD, EF]
  assert.equal(decodeNode(bytes("f8 02 fc 01 78 fb 03 ab cd ef")).content, "ABCDEF");
  // read_packed(NIBBLE_8) of [0x82, 0x12, 0x3F] is "123"
  assert.equal(decodeNode(bytes("f8 02 fc 01 78 ff 82 12 3f")).content, "123");
  // test_u20_encoding: 0x0FFFFF = 1048575 is the largest BINARY_20 length
  const big = encodeNode({ tag: "x", attrs: {}, content: new Uint8Array(0xfffff) });
  assert.equal(hex(big.subarray(0, 9)), "f802fc0178fd0fffff");
  const bigger = encodeNode({ tag: "x", attrs: {}, content: new Uint8Array(0x100000) });
  assert.equal(hex(bigger.subarray(0, 10)), "f802fc0178fe00100000");
  assert.equal((decodeNode(bigger).content as Uint8Array).length, 0x100000);
});

Deno.test("[rust] test_ad_jid_domain_type_lid / _whatsapp: domain byte follows the server", () => {
  const lid = encodeNode({ tag: "to", attrs: { jid: Jid.lid("236395184570386", 39) } });
  // f8 03 | "to" | "jid" | AD_JID, domain 1, device 39 (0x27), user nibble-packed
  assert.equal(hex(lid), "f80311" + "0c" + "f70127" + "ff88236395184570386f");
  const pn = encodeNode({ tag: "to", attrs: { jid: Jid.pn("551199887766", 33) } });
  assert.equal(hex(pn), "f80311" + "0c" + "f70021" + "ff06551199887766");
  assert.equal(decodeNode(lid).attrs.jid, "236395184570386:39@lid");
  assert.equal(decodeNode(pn).attrs.jid, "551199887766:33@s.whatsapp.net");
});

Deno.test("[baileys] iq with a server-only JID and double-byte tokens", () => {
  vector(
    {
      tag: "iq",
      attrs: { id: "1234", to: "@s.whatsapp.net", type: "get", xmlns: "w:g2" },
      content: [{ tag: "query", attrs: { request: "interactive" } }],
    },
    "00 f80a 19 08 ff021234 11 fa0003 04 29 16 ed33 f801 f803 6d edc7 e5",
    {
      tag: "iq",
      attrs: { id: "1234", to: "@s.whatsapp.net", type: "get", xmlns: "w:g2" },
      content: [{ tag: "query", attrs: { request: "interactive" }, content: undefined }],
    },
  );
});

Deno.test("[baileys] message with an enc child (JID_PAIR, HEX_8 id, BINARY_8 bytes)", () => {
  vector(
    {
      tag: "message",
      attrs: { to: "15551234567@s.whatsapp.net", id: "3EB0C431D8A4B6A1E2F5", type: "text" },
      content: [{ tag: "enc", attrs: { v: "2", type: "msg" }, content: new Uint8Array([1, 2, 3]) }],
    },
    "00 f808 13 11 faff8615551234567f03 08 fb0a3eb0c431d8a4b6a1e2f5 04 38" +
      " f801 f806 1d 51 45 04 4d fc03010203",
  );
});

Deno.test("[baileys] receipt with AD_JIDs, a group JID_PAIR and a nibble timestamp", () => {
  vector(
    {
      tag: "receipt",
      attrs: {
        from: "15551234567:12@s.whatsapp.net",
        participant: "123456789:3@lid",
        to: "120363025246125486@g.us",
        t: "1700000000",
      },
    },
    "00 f809 07 06 f7000cff8615551234567f 05 f70103ff85123456789f 11 faff09120363025246125486 1c" +
      " 1a ff051700000000",
  );
});

Deno.test("[baileys] status@broadcast (token user), newsletter (raw server), hex and non-ASCII", () => {
  vector(
    {
      tag: "x",
      attrs: { a: "status@broadcast", b: "123@newsletter", c: "ABCDEF0", d: "", e: "héllo wörld" },
    },
    "00 f80b fc0178 fc0161 fa0b0d fc0162 faff82123f fc0a6e6577736c6574746572 ee25 fb84abcdef0f" +
      " fc0164 fc00 edeb fc0d68c3a96c6c6f2077c3b6726c64",
  );
});

Deno.test("[baileys] hosted and hosted.lid device JIDs are AD_JID with domain 128 / 129", () => {
  vector(
    { tag: "x", attrs: { h: "1555:99@hosted", hl: "1555:99@hosted.lid" } },
    "00 f805 fc0178 fc0168 f78063ff021555 fc02686c f78163ff021555",
  );
});

Deno.test("[whatsmeow] FB_JID: user, u16 device, server msgr", () => {
  // <iq from=FB_JID("100012345678901", 2, "msgr")>; "msgr" is single-byte token 0xcc (204).
  const encoded = bytes("f8 03 19 06 f6 ff88100012345678901f 0002 cc");
  assert.deepEqual(decodeNode(encoded), {
    tag: "iq",
    attrs: { from: "100012345678901:2@msgr" },
    content: undefined,
  });
  // A Messenger Jid (and its string form) encodes the same way as whatsmeow's writeJID.
  assert.equal(
    hex(encodeNode({ tag: "iq", attrs: { from: Jid.messenger("100012345678901", 2) } })),
    hex(encoded),
  );
  assert.equal(hex(encodeNode({ tag: "iq", attrs: { from: "100012345678901:2@msgr" } })), hex(encoded));
});

Deno.test("[whatsmeow] INTEROP_JID: user, u16 device, u16 integrator, server interop", () => {
  // <iq from=INTEROP_JID("15551234567", device 1, integrator 5, "interop")>; "interop" is not a token.
  const encoded = bytes("f8 03 19 06 f5 ff8615551234567f 0001 0005 fc07696e7465726f70");
  assert.deepEqual(decodeNode(encoded).attrs, { from: "5-15551234567:1@interop" });
  assert.equal(
    hex(encodeNode({ tag: "iq", attrs: { from: Jid.interop("15551234567", 5, 1) } })),
    hex(encoded),
  );
  assert.equal(hex(encodeNode({ tag: "iq", attrs: { from: "5-15551234567:1@interop" } })), hex(encoded));
});

Deno.test("[whatsmeow] AD_JID domain types 0, 1, 128, 129 and an agent byte", () => {
  const ad = (domain: string, device: string) => bytes(`f8 03 19 06 f7 ${domain} ${device} ff021234`);
  assert.equal(decodeNode(ad("00", "00")).attrs.from, "1234@s.whatsapp.net");
  assert.equal(decodeNode(ad("00", "05")).attrs.from, "1234:5@s.whatsapp.net");
  assert.equal(decodeNode(ad("01", "05")).attrs.from, "1234:5@lid");
  assert.equal(decodeNode(ad("80", "63")).attrs.from, "1234:99@hosted");
  assert.equal(decodeNode(ad("81", "63")).attrs.from, "1234:99@hosted.lid");
  // NewADJID: any other domain byte is an agent on s.whatsapp.net, printed user.agent:device.
  const agent = ad("05", "03");
  assert.equal(decodeNode(agent).attrs.from, "1234.5:3@s.whatsapp.net");
  assert.equal(hex(encodeNode(decodeNode(agent))), hex(agent));
});

Deno.test("JID_PAIR with an empty user keeps its '@' so it encodes back to JID_PAIR", () => {
  const encoded = bytes("f8 03 19 11 fa 00 03"); // <iq to=JID_PAIR(LIST_EMPTY, s.whatsapp.net)>
  const node = decodeNode(encoded);
  assert.equal(node.attrs.to, "@s.whatsapp.net");
  assert.equal(hex(encodeNode(node)), hex(encoded));
  assert.equal(hex(encodeNode({ tag: "iq", attrs: { to: Jid.server("s.whatsapp.net") } })), hex(encoded));
  // The bare server name is a plain token, a different wire form.
  assert.equal(hex(encodeNode({ tag: "iq", attrs: { to: "s.whatsapp.net" } })), "f803191103");
});

Deno.test("string content decoding: tokens, packed and JIDs are strings, BINARY is bytes", () => {
  assert.equal(decodeNode(encodeNode({ tag: "x", attrs: {}, content: "available" })).content, "available");
  assert.equal(decodeNode(encodeNode({ tag: "x", attrs: {}, content: "0123" })).content, "0123");
  assert.equal(decodeNode(encodeNode({ tag: "x", attrs: {}, content: "1@g.us" })).content, "1@g.us");
  const raw = decodeNode(encodeNode({ tag: "x", attrs: {}, content: "hello" }));
  assert.deepEqual(raw.content, new TextEncoder().encode("hello"));
  assert.equal(contentString(raw), "hello");
  // LIST_EMPTY content is an empty child list.
  assert.deepEqual(decodeNode(bytes("f8 02 fc 01 78 00")).content, []);
  assert.equal(hex(encodeNode({ tag: "x", attrs: {}, content: [] })), "f802fc017800");
});

Deno.test("byte content is a view into the input, not a copy", () => {
  const payload = marshal({ tag: "enc", attrs: {}, content: new Uint8Array([1, 2, 3]) });
  const node = unmarshal(payload);
  const content = node.content as Uint8Array;
  assert.equal(content.buffer, payload.buffer);
  payload[payload.length - 1] = 9;
  assert.deepEqual([...content], [1, 2, 9]);
});

Deno.test("strings longer than PACKED_MAX are raw even when they would pack", () => {
  const digits127 = "1".repeat(127);
  const digits128 = "1".repeat(128);
  // f8 02 | fc 01 78 ("x") | content tag at index 5
  assert.equal(encodeNode({ tag: "x", attrs: {}, content: digits127 })[5], 0xff); // NIBBLE_8
  assert.equal(encodeNode({ tag: "x", attrs: {}, content: digits128 })[5], 0xfc); // BINARY_8
  assert.equal(encodeNode({ tag: "x", attrs: {}, content: "A".repeat(127) })[5], 0xfb); // HEX_8
  assert.equal(encodeNode({ tag: "x", attrs: {}, content: "a".repeat(127) })[5], 0xfc); // lowercase: raw
});

Deno.test("non-ASCII text of every length class is raw UTF-8 with the right length prefix", () => {
  for (
    const [text, prefix] of [["é".repeat(70), "fc8c"], ["é".repeat(127), "fcfe"], [
      "€".repeat(100),
      "fd00012c",
    ]]
  ) {
    const encoded = encodeNode({ tag: "x", attrs: {}, content: text });
    assert.equal(encoded.subarray(5, 5 + prefix.length / 2).toHex(), prefix);
    assert.equal(contentString(decodeNode(encoded)), text);
  }
  // Lone surrogates become U+FFFD (EF BF BD), as TextEncoder writes them.
  assert.equal(encodeNode({ tag: "x", attrs: {}, content: "a\ud800" }).subarray(5).toHex(), "fc0461efbfbd");
  assert.equal(
    encodeNode({ tag: "x", attrs: {}, content: "\udc00".repeat(100) }).subarray(5, 10).toHex(),
    "fd00012cef",
  );
});

Deno.test("JID-like strings with a device that does not fit stay JID_PAIRs of the whole user part", () => {
  // Leading zeros and non-numeric devices are not devices: whatsapp-rust's encoder test
  // test_jid_parser_preserves_non_numeric_device_suffix keeps such strings intact the same way.
  for (const text of ["15551234567:03@s.whatsapp.net", "foo:bar@s.whatsapp.net", "1:2:3@lid", "x:1@g.us"]) {
    const encoded = encodeNode({ tag: "x", attrs: {}, content: text });
    assert.equal(encoded[5], 0xfa, text); // JID_PAIR
    assert.equal(decodeNode(encoded).content, text);
  }
});

Deno.test("a re-entrant marshal (from an attribute getter) gets its own buffer", () => {
  const inner = { tag: "inner", attrs: { id: "1" } };
  let innerBytes = new Uint8Array(0);
  const attrs = {
    get id() {
      innerBytes = marshal(inner);
      return "outer";
    },
  };
  const outer = marshal({ tag: "outer", attrs });
  assert.deepEqual(unmarshal(outer).attrs, { id: "outer" });
  assert.deepEqual(unmarshal(innerBytes).attrs, { id: "1" });
});
