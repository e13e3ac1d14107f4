/**
 * Contacts specs without a server: the usync requests' shape and the parsing of hand-built answers.
 * Shapes from reference/protocol-facts-features.md 5.2 (whatsmeow user.go `IsOnWhatsApp` reads `jid`,
 * `pn_jid`, `<contact type>`; `GetUserInfo` reads `<status>`, `<picture id>`, `<devices>`, `<lid val>`),
 * and the notification shapes of whatsapp-rust src/handlers/notification.rs and
 * wacore/src/stanza/business.rs. VerifiedNameCertificate layout cross-checked with Baileys' WAProto.
 */

import { assert, assertEquals, assertThrows } from "../_assert.ts";
import { proto } from "npm:/baileys@7.0.0-rc14/WAProto/index.js";
import { getChild, getChildren, Jid, type Node, type NodeInput } from "../../src/binary/mod.ts";
import { InputError } from "../../src/features/errors.ts";
import {
  isOnWhatsAppSpec,
  lidLookupSpec,
  normalisePhone,
  parseBusinessNotification,
  parseContactsNotification,
  userInfoSpec,
} from "../../src/features/contacts.ts";
import { parseUsyncStatus, usyncProtocolError, usyncSpec } from "../../src/features/usync.ts";
import { decodeVerifiedName, encodeVerifiedName } from "../../src/features/verified_name.ts";
import { asNode } from "./helpers.ts";

function answer(users: NodeInput[]): Node {
  return asNode({
    tag: "iq",
    attrs: { type: "result" },
    content: [{ tag: "usync", attrs: {}, content: [{ tag: "list", attrs: {}, content: users }] }],
  });
}

Deno.test("isOnWhatsApp: <usync mode=query context=interactive>, <contact>+digits</contact> users, one query", () => {
  const spec = isOnWhatsAppSpec(["+1 555 010 0001", "15550100002"]);
  const built = spec.build();
  assertEquals([built.namespace, built.type], ["usync", "get"]);
  const usync = asNode((built.content as NodeInput[])[0]);
  assertEquals([usync.attrs.mode, usync.attrs.context, usync.attrs.last, usync.attrs.index], [
    "query",
    "interactive",
    "true",
    "0",
  ]);
  assertEquals(getChildren(getChild(usync, "query")!).map((c) => c.tag), ["contact", "lid", "business"]);
  assertEquals(getChildren(getChild(usync, "list")!).map((u) => getChild(u, "contact")?.content), [
    "+15550100001",
    "+15550100002",
  ]);
});

Deno.test("isOnWhatsApp parse: LID-addressed answers (jid=LID pn_jid=PN), PN answers, and out numbers", () => {
  const results = isOnWhatsAppSpec(["15550100001"]).parse(answer([
    {
      tag: "user",
      attrs: { jid: "100000000000001@lid", pn_jid: "15550100001@s.whatsapp.net" },
      content: [{ tag: "contact", attrs: { type: "in" }, content: "+15550100001" }, {
        tag: "business",
        attrs: {},
      }],
    },
    {
      tag: "user",
      attrs: { jid: "15550100002@s.whatsapp.net" },
      content: [
        { tag: "contact", attrs: { type: "in" }, content: "+15550100002" },
        { tag: "lid", attrs: { val: "100000000000002@lid" } },
      ],
    },
    {
      tag: "user",
      attrs: { jid: "15550100003@s.whatsapp.net" },
      content: [{ tag: "contact", attrs: { type: "out" }, content: "+15550100003@c.us" }],
    },
  ]));
  assertEquals(
    results.map((r) => [r.query, r.jid.toString(), r.lid?.toString(), r.isRegistered, r.isBusiness]),
    [
      ["15550100001", "15550100001@s.whatsapp.net", "100000000000001@lid", true, true],
      ["15550100002", "15550100002@s.whatsapp.net", "100000000000002@lid", true, false],
      ["15550100003", "15550100003@s.whatsapp.net", undefined, false, false],
    ],
  );
});

Deno.test("phone numbers: +, spaces, dashes and brackets are dropped; words and short numbers refused", () => {
  assertEquals(normalisePhone("+1 (555) 010-0001"), "15550100001");
  assertEquals(normalisePhone("15550100001@c.us"), "15550100001");
  assertThrows(() => normalisePhone("hello"), InputError);
  assertThrows(() => normalisePhone("123"), InputError);
  assertThrows(() => isOnWhatsAppSpec(["+1 555", "x"]), InputError);
});

Deno.test("userInfo: full/background, our tc token inside <user>, every field read", () => {
  const token = new Uint8Array([9, 8, 7]);
  const spec = userInfoSpec([{ jid: Jid.pn("15550100001", 3), tcToken: token }, {
    jid: Jid.lid("100000000000009"),
  }]);
  const usync = asNode((spec.build().content as NodeInput[])[0]);
  assertEquals([usync.attrs.mode, usync.attrs.context], ["full", "background"]);
  assertEquals(getChildren(getChild(usync, "query")!).map((c) => c.tag), [
    "business",
    "status",
    "picture",
    "devices",
    "lid",
  ]);
  const users = getChildren(getChild(usync, "list")!);
  assertEquals(users[0].attrs.jid, "15550100001@s.whatsapp.net");
  assertEquals(getChild(users[0], "tctoken")?.content, token);
  assertEquals(users[1].content, undefined);

  const cert = encodeVerifiedName({ name: "Shop", issuer: "smb:wa", serial: 5n });
  const info = spec.parse(answer([{
    tag: "user",
    attrs: { jid: "15550100001@s.whatsapp.net" },
    content: [
      { tag: "business", attrs: {}, content: [{ tag: "verified_name", attrs: { v: "1" }, content: cert }] },
      { tag: "status", attrs: { t: "1700000000" }, content: "Hey there" },
      { tag: "picture", attrs: { id: "1700000123" } },
      {
        tag: "devices",
        attrs: {},
        content: [{
          tag: "device-list",
          attrs: {},
          content: [{ tag: "device", attrs: { id: "2", "key-index": "1" } }, {
            tag: "device",
            attrs: { id: "0" },
          }],
        }],
      },
      { tag: "lid", attrs: { val: "100000000000001@lid" } },
    ],
  }, {
    tag: "user",
    attrs: { jid: "100000000000009@lid" },
    content: [{ tag: "status", attrs: { code: "401" } }, {
      tag: "picture",
      attrs: {},
      content: [{ tag: "error", attrs: { code: "401", text: "not-authorized" } }],
    }],
  }]));
  const a = info.get("15550100001@s.whatsapp.net")!;
  assertEquals([
    a.about,
    a.aboutSetAt?.getTime(),
    a.pictureId,
    a.isBusiness,
    a.verifiedName,
    a.lid?.toString(),
  ], [
    "Hey there",
    1_700_000_000_000,
    "1700000123",
    true,
    "Shop",
    "100000000000001@lid",
  ]);
  assertEquals(a.devices.map((d) => d.toString()), [
    "15550100001@s.whatsapp.net",
    "15550100001:2@s.whatsapp.net",
  ]);
  const b = info.get("100000000000009@lid")!;
  assertEquals([b.about, b.aboutHidden, b.pictureId, b.lid?.toString()], [
    undefined,
    true,
    undefined,
    "100000000000009@lid",
  ]);
});

Deno.test("usync: per-protocol errors, a missing <list> is a bad_response, oversized requests refused", () => {
  assertEquals(usyncProtocolError(asNode({ tag: "status", attrs: { code: "401" } })), {
    code: 401,
    text: "",
  });
  assertEquals(
    usyncProtocolError(
      asNode({ tag: "picture", attrs: {}, content: [{ tag: "error", attrs: { code: "404", text: "x" } }] }),
    ),
    { code: 404, text: "x" },
  );
  assertEquals(
    parseUsyncStatus(asNode({ tag: "user", attrs: {}, content: [{ tag: "status", attrs: {} }] })),
    {
      text: undefined,
      setAt: undefined,
      hidden: false,
    },
  );
  const spec = lidLookupSpec([Jid.pn("15550100001")]);
  assertThrows(() =>
    spec.parse(asNode({ tag: "iq", attrs: { type: "result" }, content: [{ tag: "usync", attrs: {} }] }))
  );
  assertEquals(
    spec.parse(
      answer([{
        tag: "user",
        attrs: { jid: "15550100001@s.whatsapp.net" },
        content: [{ tag: "lid", attrs: { val: "5@lid" } }],
      }]),
    )
      .get("15550100001@s.whatsapp.net")?.toString(),
    "5@lid",
  );
  const users = Array.from({ length: 10_001 }, () => ({ tag: "user" }));
  assertThrows(
    () => usyncSpec({ operation: "x", mode: "query", context: "interactive", protocols: [], users }, () => 0),
    RangeError,
  );
});

Deno.test("verified names: our encoding decodes in Baileys' WAProto and back", () => {
  const cert = encodeVerifiedName({
    name: "Beach Bar",
    issuer: "smb:wa",
    serial: 42n,
    issueTime: 1_700_000_000n,
  });
  const decoded = proto.VerifiedNameCertificate.decode(cert);
  const details = proto.VerifiedNameCertificate.Details.decode(decoded.details!);
  assertEquals([details.verifiedName, details.issuer, String(details.serial), String(details.issueTime)], [
    "Beach Bar",
    "smb:wa",
    "42",
    "1700000000",
  ]);
  const theirs = proto.VerifiedNameCertificate.encode({
    details: proto.VerifiedNameCertificate.Details.encode({
      verifiedName: "Café",
      serial: 7,
      issuer: "ent:wa",
    }).finish(),
    signature: new Uint8Array(64),
  }).finish();
  assertEquals(decodeVerifiedName(theirs), { name: "Café", serial: 7n, issuer: "ent:wa" });
  assertEquals(decodeVerifiedName(new Uint8Array()), undefined);
  assertThrows(() => decodeVerifiedName(new Uint8Array([0x0a, 0x05, 1])));
});

Deno.test("contacts notifications: update, modify (with LIDs), sync; hash-only updates and add/remove ignored", () => {
  const n = (child: NodeInput) =>
    asNode({ tag: "notification", attrs: { type: "contacts", t: "1700000000" }, content: [child] });
  assertEquals(
    parseContactsNotification(n({ tag: "update", attrs: { jid: "15550100001@s.whatsapp.net" } }))?.type,
    "contactUpdated",
  );
  assertEquals(parseContactsNotification(n({ tag: "update", attrs: { hash: "abcd" } })), undefined);
  assertEquals(parseContactsNotification(n({ tag: "add", attrs: {} })), undefined);
  const modify = parseContactsNotification(n({
    tag: "modify",
    attrs: { old: "15550100001@s.whatsapp.net", new: "15550100002@s.whatsapp.net", new_lid: "7@lid" },
  }));
  assert(modify?.type === "contactNumberChanged");
  assertEquals([
    modify.event.oldJid.user,
    modify.event.newJid.user,
    modify.event.oldLid,
    modify.event.newLid?.user,
  ], [
    "15550100001",
    "15550100002",
    undefined,
    "7",
  ]);
  assertEquals(modify.event.timestamp.getTime(), 1_700_000_000_000);
  assertThrows(() => parseContactsNotification(n({ tag: "modify", attrs: { old: "1@s.whatsapp.net" } })));
  const sync = parseContactsNotification(n({ tag: "sync", attrs: { after: "1690000000" } }));
  assert(sync?.type === "contactSyncRequested");
  assertEquals(sync.event.after?.getTime(), 1_690_000_000_000);
});

Deno.test("business notifications: remove, verified name (attribute or certificate), profile, catalog", () => {
  const n = (child: NodeInput) =>
    asNode({
      tag: "notification",
      attrs: { type: "business", from: "15550100001@s.whatsapp.net", t: "5" },
      content: [child],
    });
  assertEquals(
    parseBusinessNotification(n({ tag: "remove", attrs: { jid: "15550100001@s.whatsapp.net" } })).kind,
    "removed_as_business",
  );
  assertEquals(
    parseBusinessNotification(n({ tag: "verified_name", attrs: { jid: "1@s.whatsapp.net", name: "A" } }))
      .verifiedName,
    "A",
  );
  assertEquals(
    parseBusinessNotification(
      n({ tag: "verified_name", attrs: { hash: "h" }, content: encodeVerifiedName({ name: "B" }) }),
    ).verifiedName,
    "B",
  );
  assertEquals(parseBusinessNotification(n({ tag: "profile", attrs: { hash: "x1" } })).hash, "x1");
  const catalog = parseBusinessNotification(n({
    tag: "product_catalog",
    attrs: {},
    content: [{ tag: "product", attrs: {}, content: [{ tag: "id", attrs: {}, content: "p1" }] }],
  }));
  assertEquals([catalog.kind, catalog.productIds], ["products_updated", ["p1"]]);
  assertEquals(parseBusinessNotification(n({ tag: "whatever", attrs: {} })).kind, "unknown");
  assertThrows(() => parseBusinessNotification(asNode({ tag: "notification", attrs: { type: "business" } })));
});
