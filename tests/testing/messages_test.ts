/**
 * FakeWhatsApp's 1:1 message routing, checked on raw stanzas: the sender's ack, the attributes of each
 * delivered copy, enc bytes passed on unchanged, participants-only fan-out and retry resends. Attribute
 * names follow whatsmeow message.go (`parseMessageSource`: sender_lid / sender_pn / recipient).
 */

import { assert, assertEquals } from "../_assert.ts";
import { getChild, Jid } from "../../src/binary/mod.ts";
import {
  enc,
  encBytes,
  newId,
  pairedClient,
  participants,
  payload,
  sendAndAck,
  startServer,
} from "./helpers.ts";

const now = () => Math.floor(Date.now() / 1000);

Deno.test("1:1 message: acked with t, each listed device gets its own enc with sender_lid, notify and recipient on own devices", async () => {
  await using wa = await startServer();
  const alicePhone = wa.phone("15550001001");
  const bobPhone = wa.phone("15550001002");
  const carolPhone = wa.phone("15550001003");
  const { client: alice, inbox: aliceInbox } = await pairedClient(wa, alicePhone, "Alice");
  await using _a = alice;
  const bob1 = await pairedClient(wa, bobPhone);
  await using _b1 = bob1.client;
  const bob2 = await pairedClient(wa, bobPhone);
  await using _b2 = bob2.client;
  const bob3 = await pairedClient(wa, bobPhone);
  await using _b3 = bob3.client;
  const alice2 = await pairedClient(wa, alicePhone);
  await using _a2 = alice2.client;
  const carol = await pairedClient(wa, carolPhone);
  await using _c = carol.client;

  const bytes = { bob1: payload(), bob2: payload(80), alice2: payload(33), carol: payload() };
  const identity = payload(120);
  const id = newId();
  const before = now();
  const ack = await sendAndAck(alice, aliceInbox, {
    tag: "message",
    attrs: { id, to: bobPhone.jid, type: "text" },
    content: [
      participants([
        [bob1.jid, enc("pkmsg", bytes.bob1)],
        [bob2.jid, enc("msg", bytes.bob2, { mediatype: "image" })],
        [alice2.jid, enc("pkmsg", bytes.alice2)],
        [carol.jid, enc("msg", bytes.carol)], // not the chat's account and not ours: ignored
      ]),
      { tag: "device-identity", attrs: {}, content: identity },
      { tag: "meta", attrs: { appdata: "default" } },
    ],
  });
  assertEquals(ack.attrs.class, "message");
  assertEquals(ack.attrs.from, bobPhone.jid.toString());
  assertEquals(ack.attrs.error, undefined);
  const t = Number(ack.attrs.t);
  assert(t >= before && t <= now(), `ack t ${t} is the server's clock`);

  const got1 = await bob1.inbox.message(id);
  assertEquals(got1.attrs.from, alice.jid!.toString());
  assertEquals(got1.attrs.sender_lid, alice.lid!.toString());
  assertEquals(got1.attrs.t, String(t));
  assertEquals(got1.attrs.type, "text");
  assertEquals(got1.attrs.notify, "Alice");
  assertEquals(got1.attrs.recipient, undefined, "no recipient for the other party's devices");
  assertEquals(encBytes(got1), bytes.bob1);
  assertEquals(getChild(got1, "enc")!.attrs, { v: "2", type: "pkmsg" });
  assertEquals(getChild(got1, "device-identity")!.content, identity);
  assertEquals(getChild(got1, "meta")!.attrs, { appdata: "default" });
  assertEquals(getChild(got1, "participants"), undefined);

  const got2 = await bob2.inbox.message(id);
  assertEquals(encBytes(got2), bytes.bob2);
  assertEquals(getChild(got2, "enc")!.attrs, { v: "2", type: "msg", mediatype: "image" });

  const gotOwn = await alice2.inbox.message(id);
  assertEquals(gotOwn.attrs.from, alice.jid!.toString());
  assertEquals(gotOwn.attrs.recipient, bobPhone.jid.toString(), "own devices learn the chat");
  assertEquals(encBytes(gotOwn), bytes.alice2);

  // bob3 was not listed and carol is not part of the chat: the next thing each receives is a later
  // message addressed to it, nothing before it.
  for (const other of [bob3, carol]) {
    const probe = newId("P");
    await sendAndAck(alice, aliceInbox, {
      tag: "message",
      attrs: { id: probe, to: other.jid.toNonAd(), type: "text" },
      content: [participants([[other.jid, enc("msg", payload())]])],
    });
    await other.inbox.message(probe);
    assertEquals(other.inbox.nodes("message").map((n) => n.attrs.id), [probe]);
  }
  assertEquals(aliceInbox.nodes("message").length, 0, "the sending device gets no copy");
});

Deno.test("1:1 message to a LID: from and recipient use LIDs, sender_pn carries the phone number", async () => {
  await using wa = await startServer();
  const alicePhone = wa.phone("15550001011");
  const bobPhone = wa.phone("15550001012");
  const alice = await pairedClient(wa, alicePhone);
  await using _a = alice.client;
  const alice2 = await pairedClient(wa, alicePhone);
  await using _a2 = alice2.client;
  const bob = await pairedClient(wa, bobPhone);
  await using _b = bob.client;
  const id = newId();
  const bytes = payload();
  const ack = await sendAndAck(alice.client, alice.inbox, {
    tag: "message",
    attrs: { id, to: bobPhone.lid, type: "text" },
    content: [participants([[bob.lid, enc("pkmsg", bytes)], [alice2.lid, enc("msg", payload())]])],
  });
  assertEquals(ack.attrs.from, bobPhone.lid.toString());
  const got = await bob.inbox.message(id);
  assertEquals(got.attrs.from, alice.lid.toString());
  assertEquals(got.attrs.sender_pn, alice.jid.toString());
  assertEquals(got.attrs.sender_lid, undefined);
  assertEquals(encBytes(got), bytes);
  const own = await alice2.inbox.message(id);
  assertEquals(own.attrs.recipient, bobPhone.lid.toString());
});

Deno.test("refused messages: unknown user or group -> 404, not a member -> 403, fault switch -> its code", async () => {
  await using wa = await startServer();
  const alicePhone = wa.phone("15550001021");
  const alice = await pairedClient(wa, alicePhone);
  await using _a = alice.client;
  const bob = wa.phone("15550001022");
  const send = (to: Jid) =>
    sendAndAck(alice.client, alice.inbox, {
      tag: "message",
      attrs: { id: newId(), to, type: "text" },
      content: [enc("skmsg", payload())],
    });
  assertEquals((await send(Jid.pn("19990000000"))).attrs.error, "404");
  assertEquals((await send(Jid.lid("1"))).attrs.error, "404");
  assertEquals((await send(Jid.group("120363000000000000"))).attrs.error, "404");
  const group = wa.createGroup({ creator: bob.jid, participants: [] });
  const refused = await send(group);
  assertEquals([refused.attrs.error, refused.attrs.t], ["403", undefined]);
  assertEquals(refused.attrs.from, group.toString());
  wa.faults.messageAckError = 479;
  assertEquals((await send(bob.jid)).attrs.error, "479");
});

Deno.test("retry resend with device_fanout=false reaches only the named device, with its count", async () => {
  await using wa = await startServer();
  const alicePhone = wa.phone("15550001031");
  const bobPhone = wa.phone("15550001032");
  const alice = await pairedClient(wa, alicePhone, "Alice");
  await using _a = alice.client;
  const bob1 = await pairedClient(wa, bobPhone);
  await using _b1 = bob1.client;
  const bob2 = await pairedClient(wa, bobPhone);
  await using _b2 = bob2.client;
  const id = newId();
  const bytes = payload();
  const ack = await sendAndAck(alice.client, alice.inbox, {
    tag: "message",
    attrs: { id, to: bob2.jid, type: "text", device_fanout: "false" },
    content: [enc("msg", bytes, { count: "1" })],
  });
  assertEquals(ack.attrs.from, bob2.jid.toString());
  assert(ack.attrs.t !== undefined);
  const got = await bob2.inbox.message(id);
  assertEquals(got.attrs.from, alice.jid.toString());
  assertEquals(got.attrs.sender_lid, alice.lid.toString());
  assertEquals(got.attrs.notify, "Alice");
  assertEquals(encBytes(got), bytes);
  assertEquals(getChild(got, "enc")!.attrs.count, "1");
  // bob1 got nothing: the first message it sees is a later probe.
  const probe = newId("P");
  await sendAndAck(alice.client, alice.inbox, {
    tag: "message",
    attrs: { id: probe, to: bob1.jid, type: "text", device_fanout: "false" },
    content: [enc("msg", payload())],
  });
  await bob1.inbox.message(probe);
  assertEquals(bob1.inbox.nodes("message").map((n) => n.attrs.id), [probe]);
  // A resend to a device that does not exist is refused.
  const missing = await sendAndAck(alice.client, alice.inbox, {
    tag: "message",
    attrs: { id: newId(), to: bobPhone.jid.withDevice(40), type: "text", device_fanout: "false" },
    content: [enc("msg", payload())],
  });
  assertEquals(missing.attrs.error, "404");
});

Deno.test("push name comes from the sender's login payload; edit is passed through", async () => {
  await using wa = await startServer();
  const alicePhone = wa.phone("15550001041");
  const bobPhone = wa.phone("15550001042");
  const alice = await pairedClient(wa, alicePhone, "Alice Liddell");
  await using _a = alice.client;
  const bob = await pairedClient(wa, bobPhone);
  await using _b = bob.client;
  assertEquals(alicePhone.account.pushName, "Alice Liddell");
  const id = newId();
  await sendAndAck(alice.client, alice.inbox, {
    tag: "message",
    attrs: { id, to: bobPhone.jid, type: "text", edit: "1" },
    content: [participants([[bob.jid, enc("msg", payload())]])],
  });
  const got = await bob.inbox.message(id);
  assertEquals([got.attrs.notify, got.attrs.edit], ["Alice Liddell", "1"]);
});
