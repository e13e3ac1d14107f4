// JID parsing and formatting. String forms follow tulir/whatsmeow types/jid.go (ParseJID / String,
// commit 33cfac5116293e4cb86f8e4099e8eaf6de7ebc08) and jlucaso1/whatsapp-rust wacore/binary/src/jid.rs
// tests (commit 240d631adcdb73c1537ce97ac75bba61a31d9514, e.g. "12345.6789:25@lid" keeps the dot in
// the user); the interop form "integrator-user:device@interop" is the one Baileys' decoder produces
// (baileys@7.0.0-rc14 lib/WABinary/decode.js readInteropJid). Signal addresses: the seed page
// reference/seed/02_advanced_signal-protocol.md (examples quoted in the test).
import assert from "node:assert/strict";
import {
  BOT_SERVER,
  BROADCAST_SERVER,
  DEFAULT_USER_SERVER,
  GROUP_SERVER,
  HOSTED_LID_SERVER,
  HOSTED_SERVER,
  INTEROP_SERVER,
  Jid,
  JidParseError,
  LID_SERVER,
  MESSENGER_SERVER,
  NEWSLETTER_SERVER,
} from "../../src/binary/mod.ts";

interface Parts {
  user: string;
  server: string;
  device?: number;
  agent?: number;
  integrator?: number;
}

function parts(jid: Jid): Parts {
  const out: Parts = { user: jid.user, server: jid.server };
  if (jid.device) out.device = jid.device;
  if (jid.agent) out.agent = jid.agent;
  if (jid.integrator) out.integrator = jid.integrator;
  return out;
}

// [string, parts, canonical string if different]
const FORMS: [string, Parts, string?][] = [
  ["15551234567@s.whatsapp.net", { user: "15551234567", server: DEFAULT_USER_SERVER }],
  ["15551234567:1@s.whatsapp.net", { user: "15551234567", server: DEFAULT_USER_SERVER, device: 1 }],
  ["15551234567:65535@s.whatsapp.net", { user: "15551234567", server: DEFAULT_USER_SERVER, device: 65535 }],
  ["15551234567.5:3@s.whatsapp.net", {
    user: "15551234567",
    server: DEFAULT_USER_SERVER,
    agent: 5,
    device: 3,
  }],
  ["15551234567.5:0@s.whatsapp.net", { user: "15551234567", server: DEFAULT_USER_SERVER, agent: 5 }],
  // whatsmeow's ADString form with agent 0 (seed 27: PairSuccess "15551234567.0:1@s.whatsapp.net").
  [
    "15551234567.0:1@s.whatsapp.net",
    { user: "15551234567", server: DEFAULT_USER_SERVER, device: 1 },
    "15551234567:1@s.whatsapp.net",
  ],
  [
    "100000012345678.0:1@lid",
    { user: "100000012345678", server: LID_SERVER, device: 1 },
    "100000012345678:1@lid",
  ],
  ["123456789@lid", { user: "123456789", server: LID_SERVER }],
  ["123456789:33@lid", { user: "123456789", server: LID_SERVER, device: 33 }],
  ["12345.6789@lid", { user: "12345.6789", server: LID_SERVER }],
  ["12345.6789:25@lid", { user: "12345.6789", server: LID_SERVER, device: 25 }],
  // An agent is not allowed on lid, so ".5" stays in the user.
  ["12345.5:25@lid", { user: "12345.5", server: LID_SERVER, device: 25 }],
  ["120363025246125486@g.us", { user: "120363025246125486", server: GROUP_SERVER }],
  ["15551234567-1600000000@g.us", { user: "15551234567-1600000000", server: GROUP_SERVER }],
  ["status@broadcast", { user: "status", server: BROADCAST_SERVER }],
  ["1600000000@broadcast", { user: "1600000000", server: BROADCAST_SERVER }],
  ["120363144038483540@newsletter", { user: "120363144038483540", server: NEWSLETTER_SERVER }],
  ["15551234567:99@hosted", { user: "15551234567", server: HOSTED_SERVER, device: 99 }],
  ["123456789:99@hosted.lid", { user: "123456789", server: HOSTED_LID_SERVER, device: 99 }],
  ["100012345678901@msgr", { user: "100012345678901", server: MESSENGER_SERVER }],
  ["100012345678901:2@msgr", { user: "100012345678901", server: MESSENGER_SERVER, device: 2 }],
  ["5-15551234567@interop", { user: "15551234567", server: INTEROP_SERVER, integrator: 5 }],
  ["5-15551234567:1@interop", { user: "15551234567", server: INTEROP_SERVER, integrator: 5, device: 1 }],
  ["0-abc-def@interop", { user: "abc-def", server: INTEROP_SERVER }],
  ["867051314767696@bot", { user: "867051314767696", server: BOT_SERVER }],
  ["user.5:10@bot", { user: "user", server: BOT_SERVER, agent: 5, device: 10 }],
  ["s.whatsapp.net", { user: "", server: DEFAULT_USER_SERVER }],
  ["@s.whatsapp.net", { user: "", server: DEFAULT_USER_SERVER }, "s.whatsapp.net"],
  ["g.us", { user: "", server: GROUP_SERVER }],
  ["@g.us", { user: "", server: GROUP_SERVER }, "g.us"],
  ["lid", { user: "", server: LID_SERVER }],
  ["foo@example.com", { user: "foo", server: "example.com" }],
];

Deno.test("Jid.parse and toString round-trip every form", () => {
  for (const [text, expected, canonical] of FORMS) {
    const jid = Jid.parse(text);
    assert.deepEqual(parts(jid), expected, text);
    assert.equal(jid.toString(), canonical ?? text, text);
    assert.ok(Jid.parse(jid.toString()).equals(jid), `${text} re-parses to an equal JID`);
  }
});

Deno.test("Signal protocol addresses (seed 02_advanced_signal-protocol.md examples)", () => {
  assert.equal(Jid.parse("5511999887766@s.whatsapp.net").toSignalAddress(), "5511999887766@c.us.0");
  assert.equal(Jid.parse("5511999887766:33@s.whatsapp.net").toSignalAddress(), "5511999887766:33@c.us.0");
  assert.equal(Jid.parse("123456789@lid").toSignalAddress(), "123456789@lid.0");
  assert.equal(Jid.parse("123456789:33@lid").toSignalAddress(), "123456789:33@lid.0");
});

Deno.test("typed constructors", () => {
  assert.equal(Jid.pn("15551234567").toString(), "15551234567@s.whatsapp.net");
  assert.equal(Jid.pn("15551234567", 4).toString(), "15551234567:4@s.whatsapp.net");
  assert.equal(Jid.lid("123456789", 33).toString(), "123456789:33@lid");
  assert.equal(Jid.group("120363025246125486").toString(), "120363025246125486@g.us");
  assert.equal(Jid.server("s.whatsapp.net").toString(), "s.whatsapp.net");
  assert.equal(Jid.statusBroadcast().toString(), "status@broadcast");
  assert.equal(Jid.newsletter("120363144038483540").toString(), "120363144038483540@newsletter");
  assert.equal(Jid.bot("867051314767696").toString(), "867051314767696@bot");
  assert.equal(Jid.messenger("100012345678901", 2).toString(), "100012345678901:2@msgr");
  assert.equal(Jid.interop("15551234567", 5, 1).toString(), "5-15551234567:1@interop");
});

Deno.test("predicates, toNonAd, userKey, withDevice, equals", () => {
  const device = Jid.parse("15551234567:3@s.whatsapp.net");
  assert.ok(device.isPn() && !device.isLid() && !device.isGroup());
  assert.ok(Jid.parse("1@lid").isLid());
  assert.ok(Jid.parse("1@g.us").isGroup());
  assert.ok(Jid.parse("status@broadcast").isStatusBroadcast());
  assert.ok(Jid.parse("status@broadcast").isBroadcast());
  assert.ok(Jid.parse("1600000000@broadcast").isBroadcast());
  assert.ok(!Jid.parse("1600000000@broadcast").isStatusBroadcast());
  assert.ok(Jid.parse("1@newsletter").isNewsletter());
  assert.ok(Jid.parse("1:99@hosted").isHosted() && Jid.parse("1:99@hosted.lid").isHosted());
  assert.ok(Jid.parse("867051314767696@bot").isBot());
  // whatsmeow's botUserRegex: ^1313555\d{4}$ on s.whatsapp.net.
  assert.ok(Jid.parse("13135550002@s.whatsapp.net").isBot());
  assert.ok(!Jid.parse("15551234567@s.whatsapp.net").isBot());
  assert.ok(Jid.parse("s.whatsapp.net").isServerOnly());
  assert.equal(device.toNonAd().toString(), "15551234567@s.whatsapp.net");
  assert.equal(device.toUserJid().toString(), "15551234567@s.whatsapp.net");
  assert.equal(device.userKey(), "15551234567@s.whatsapp.net");
  assert.equal(Jid.parse("5-1:2@interop").toNonAd().toString(), "5-1@interop");
  assert.equal(device.withDevice(7).toString(), "15551234567:7@s.whatsapp.net");
  assert.ok(device.equals(Jid.pn("15551234567", 3)));
  assert.ok(!device.equals(Jid.pn("15551234567", 4)));
  assert.ok(!device.equals(Jid.lid("15551234567", 3)));
  assert.ok(!device.equals(undefined));
  assert.equal(JSON.stringify({ to: device }), `{"to":"15551234567:3@s.whatsapp.net"}`);
  // toString is cached: the same string object comes back.
  assert.equal(device.toString(), device.toString());
});

Deno.test("malformed JIDs are rejected with JidParseError", () => {
  const bad = [
    "",
    "thisisnotajid",
    "2",
    "a@b@c",
    "user@",
    "user@bad server",
    "user@.net",
    "user:@s.whatsapp.net",
    ":5@s.whatsapp.net",
    "user:abc@s.whatsapp.net",
    "user:65536@s.whatsapp.net",
    "user:1:2@s.whatsapp.net",
    "15551234567@interop",
    "x-15551234567@interop",
    "70000-1@interop",
  ];
  for (const text of bad) {
    assert.throws(
      () => Jid.parse(text),
      (e: unknown) => e instanceof JidParseError && e.input === text,
      text,
    );
    assert.equal(Jid.tryParse(text), undefined, text);
  }
  assert.throws(() => Jid.parse(42 as unknown as string), JidParseError);
});

Deno.test("constructor rejects parts the wire cannot carry", () => {
  assert.throws(() => new Jid("a", "s.whatsapp.net", { device: 70000 }), RangeError);
  assert.throws(() => new Jid("a", "s.whatsapp.net", { device: 1.5 }), RangeError);
  assert.throws(() => new Jid("a", "s.whatsapp.net", { agent: 1 }), RangeError); // would read as lid
  assert.throws(() => new Jid("a", "lid", { agent: 5 }), RangeError);
  assert.throws(() => new Jid("a", "g.us", { integrator: 5 }), RangeError);
  assert.throws(() => new Jid("", "s.whatsapp.net", { device: 1 }), RangeError);
  assert.throws(() => new Jid("a@b", "s.whatsapp.net"), RangeError);
  assert.throws(() => new Jid("a", ""), RangeError);
});
