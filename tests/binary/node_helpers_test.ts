// NodeBuilder, child helpers and typed attribute getters. Stanza shapes follow the seed page
// reference/seed/01_advanced_binary-protocol.md (iq with xmlns w:g2 and a <query/> child; receipt with
// to/id/type/t), written here as plain data; no wire bytes are asserted in this file.
import assert from "node:assert/strict";
import {
  attrBool,
  attrInt,
  attrJid,
  attrString,
  childBytes,
  childString,
  contentBytes,
  contentString,
  getChild,
  getChildByPath,
  getChildren,
  Jid,
  marshal,
  type Node,
  NodeAttrError,
  NodeBuilder,
  optAttrBool,
  optAttrInt,
  optAttrJid,
  optAttrString,
  readUint,
  uintBytes,
  unmarshal,
} from "../../src/binary/mod.ts";

Deno.test("NodeBuilder builds nodes and skips undefined parts", () => {
  const maybe: string | undefined = undefined;
  const query = new NodeBuilder("query").attr("request", "interactive").build();
  const iq = new NodeBuilder("iq")
    .attr("id", "1234")
    .attr("type", "get")
    .attr("xmlns", "w:g2")
    .attr("t", 1700000000)
    .attr("urgent", true)
    .attr("missing", maybe)
    .jidAttr("to", Jid.server("g.us"))
    .jidAttr("participant", undefined)
    .children([query, undefined])
    .child(undefined)
    .build();
  assert.deepEqual(Object.keys(iq.attrs!), ["id", "type", "xmlns", "t", "urgent", "to"]);
  assert.equal(iq.attrs!.t, "1700000000");
  assert.equal(iq.attrs!.urgent, "true");
  assert.ok(iq.attrs!.to instanceof Jid);
  assert.deepEqual(iq.content, [query]);
  const decoded = unmarshal(marshal(iq));
  assert.equal(decoded.attrs.to, "@g.us");
  assert.equal(getChild(decoded, "query")?.attrs.request, "interactive");

  const enc = new NodeBuilder("enc").attrs({ v: "2", type: "msg", skip: undefined }).bytes(
    new Uint8Array([1]),
  ).build();
  assert.deepEqual(enc, { tag: "enc", attrs: { v: "2", type: "msg" }, content: new Uint8Array([1]) });
  assert.deepEqual(new NodeBuilder("body").string("hi").bytes(undefined).string(undefined).build(), {
    tag: "body",
    attrs: {},
    content: "hi",
  });
  // build() snapshots: later changes to the builder do not leak into built nodes.
  const builder = new NodeBuilder("list").child({ tag: "a", attrs: {} });
  const first = builder.build();
  builder.child({ tag: "b", attrs: {} }).attr("x", "1");
  assert.equal((first.content as unknown[]).length, 1);
  assert.deepEqual(first.attrs, {});
});

const usync: Node = {
  tag: "iq",
  attrs: { from: "@s.whatsapp.net", id: "abc", type: "result", t: "1700000000", ok: "true", off: "0" },
  content: [{
    tag: "usync",
    attrs: {},
    content: [
      { tag: "result", attrs: {}, content: [] },
      {
        tag: "list",
        attrs: {},
        content: [
          {
            tag: "user",
            attrs: { jid: "15551234567@s.whatsapp.net" },
            content: new TextEncoder().encode("x"),
          },
          { tag: "user", attrs: { jid: "15557654321@s.whatsapp.net" }, content: "status" },
          { tag: "other", attrs: {} },
        ],
      },
    ],
  }],
};

Deno.test("child helpers", () => {
  const list = getChildByPath(usync, "usync", "list")!;
  assert.equal(list.tag, "list");
  assert.equal(getChildByPath(usync, "usync", "missing", "list"), undefined);
  assert.equal(getChildByPath(usync), usync);
  assert.equal(getChildren(list, "user").length, 2);
  assert.equal(getChildren(list).length, 3);
  assert.deepEqual(getChildren(getChild(list, "other")!, "x"), []);
  assert.equal(getChild(list, "user")?.attrs.jid, "15551234567@s.whatsapp.net");
  assert.equal(childString(list, "user"), "x");
  assert.deepEqual(childBytes(list, "user"), new TextEncoder().encode("x"));
  assert.equal(childString(list, "nothing"), undefined);
  const second = getChildren(list, "user")[1];
  assert.equal(contentString(second), "status");
  assert.deepEqual(contentBytes(second), new TextEncoder().encode("status"));
  assert.equal(contentString(list), undefined);
  assert.equal(contentBytes(getChild(list, "other")!), undefined);
  assert.throws(() => contentString({ tag: "x", attrs: {}, content: new Uint8Array([0xff]) }), TypeError);
});

Deno.test("typed attribute getters", () => {
  assert.equal(attrString(usync, "id"), "abc");
  assert.equal(attrInt(usync, "t"), 1700000000);
  assert.equal(attrBool(usync, "ok"), true);
  assert.equal(attrBool(usync, "off"), false);
  assert.ok(attrJid(usync, "from").equals(Jid.server("s.whatsapp.net")));
  assert.equal(optAttrString(usync, "nope"), undefined);
  assert.equal(optAttrInt(usync, "nope"), undefined);
  assert.equal(optAttrJid(usync, "nope"), undefined);
  assert.equal(optAttrBool(usync, "nope"), undefined);
  assert.equal(optAttrInt(usync, "t"), 1700000000);
  assert.equal(optAttrString(usync, "id"), "abc");
  // Jid-valued attributes of an input node work too.
  const built = new NodeBuilder("x").jidAttr("to", Jid.pn("1", 2)).build();
  assert.equal(attrJid(built, "to").device, 2);
  assert.equal(attrString(built, "to"), "1:2@s.whatsapp.net");
  // Inherited properties are not attributes.
  assert.equal(optAttrString({ tag: "x", attrs: {} }, "toString"), undefined);
});

Deno.test("getters throw NodeAttrError naming the tag and the attribute", () => {
  const check = (fn: () => unknown, attr: string, value: string | undefined, text: RegExp) =>
    assert.throws(fn, (e: unknown) => {
      assert.ok(e instanceof NodeAttrError);
      assert.equal(e.tag, "iq");
      assert.equal(e.attr, attr);
      assert.equal(e.value, value);
      assert.match(e.message, text);
      return true;
    });
  check(() => attrString(usync, "missing"), "missing", undefined, /<iq> has no "missing" attribute/);
  check(() => attrInt(usync, "id"), "id", "abc", /<iq> attribute "id" is "abc", expected a decimal integer/);
  check(() => optAttrInt(usync, "id"), "id", "abc", /decimal integer/);
  check(() => attrInt({ tag: "iq", attrs: { n: "01" } }, "n"), "n", "01", /decimal integer/);
  check(
    () => attrInt({ tag: "iq", attrs: { n: "9007199254740993" } }, "n"),
    "n",
    "9007199254740993",
    /integer/,
  );
  check(() => attrJid(usync, "id"), "id", "abc", /expected a JID/);
  check(() => attrBool(usync, "id"), "id", "abc", /"true", "false", "1" or "0"/);
  check(() => attrJid(usync, "missing"), "missing", undefined, /no "missing" attribute/);
  assert.equal(attrInt({ tag: "iq", attrs: { n: "-5" } }, "n"), -5);
});

// Big-endian content integers as WhatsApp sends registration ids (4 bytes) and prekey ids (3 bytes);
// whatsmeow prekeys.go writes the 3-byte id as the low bytes of a big-endian uint32.
Deno.test("uintBytes / readUint: big-endian, fixed size, round trip", () => {
  assert.deepStrictEqual(uintBytes(0x010203, 3), new Uint8Array([1, 2, 3]));
  assert.deepStrictEqual(uintBytes(0xfffffe, 3), new Uint8Array([0xff, 0xff, 0xfe]));
  assert.deepStrictEqual(uintBytes(16380, 4), new Uint8Array([0, 0, 0x3f, 0xfc]));
  assert.deepStrictEqual(readUint(new Uint8Array([0, 0, 0x3f, 0xfc])), 16380);
  assert.deepStrictEqual(readUint(undefined), 0);
  for (const n of [0, 1, 255, 256, 0xffffff, 0xffffffff]) {
    assert.deepStrictEqual(readUint(uintBytes(n, 4)), n);
  }
});
