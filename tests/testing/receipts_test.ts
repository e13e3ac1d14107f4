/**
 * FakeWhatsApp's receipt routing on raw stanzas: the receipt ack (class, id, from, type), 1:1 and group
 * delivery, read-self copies to the reader's other devices, retry receipts with their children, and
 * client acks. Receipt attribute meanings follow whatsmeow receipt.go (`parseReceipt`, `MarkRead`,
 * `buildBaseReceipt`).
 */

import { assert, assertEquals } from "../_assert.ts";
import { getChild, getChildren } from "../../src/binary/mod.ts";
import { deadline, newId, pairedClient, payload, rawQuery, sendAndAck, startServer } from "./helpers.ts";

Deno.test("1:1 read receipt: acked, routed to the sender's device, copied as read-self to the reader's devices", async () => {
  await using wa = await startServer();
  const alicePhone = wa.phone("15550004001");
  const bobPhone = wa.phone("15550004002");
  const alice1 = await pairedClient(wa, alicePhone);
  await using _a1 = alice1.client;
  const alice2 = await pairedClient(wa, alicePhone);
  await using _a2 = alice2.client;
  const bob1 = await pairedClient(wa, bobPhone);
  await using _b1 = bob1.client;
  const bob2 = await pairedClient(wa, bobPhone);
  await using _b2 = bob2.client;

  const id = newId();
  const ack = await sendAndAck(bob1.client, bob1.inbox, {
    tag: "receipt",
    attrs: { id, to: alice1.jid, type: "read", t: "1700000000" },
    content: [{ tag: "list", attrs: {}, content: [{ tag: "item", attrs: { id: "SECOND" } }] }],
  });
  assertEquals(ack.attrs, { class: "receipt", id, from: alice1.jid.toString(), type: "read" });

  const got = await alice1.inbox.waitFor("receipt", (n) => n.attrs.id === id);
  assertEquals(got.attrs, { from: bob1.jid.toString(), id, t: "1700000000", type: "read" });
  assertEquals(getChildren(getChild(got, "list")!, "item").map((i) => i.attrs.id), ["SECOND"]);

  const self = await bob2.inbox.waitFor("receipt", (n) => n.attrs.id === id);
  assertEquals(self.attrs, {
    from: bob1.jid.toString(),
    id,
    t: "1700000000",
    type: "read-self",
    recipient: alicePhone.jid.toString(),
  });
  assertEquals(getChild(self, "list") !== undefined, true);

  // alice2 was not the original sender: nothing for it. The next receipt it sees is a later probe.
  const probe = newId("P");
  await sendAndAck(bob1.client, bob1.inbox, { tag: "receipt", attrs: { id: probe, to: alice2.jid } });
  await alice2.inbox.waitFor("receipt", (n) => n.attrs.id === probe);
  assertEquals(alice2.inbox.nodes("receipt").map((n) => n.attrs.id), [probe]);
  assertEquals(bob1.inbox.nodes("receipt").length, 0, "the reader's own device gets no copy");
});

Deno.test("delivery receipt (no type): server time, no type attribute on the ack or the routed receipt", async () => {
  await using wa = await startServer();
  const alice = await pairedClient(wa, wa.phone("15550004011"));
  await using _a = alice.client;
  const bob = await pairedClient(wa, wa.phone("15550004012"));
  await using _b = bob.client;
  const id = newId();
  const before = Math.floor(Date.now() / 1000);
  const ack = await sendAndAck(bob.client, bob.inbox, { tag: "receipt", attrs: { id, to: alice.lid } });
  assertEquals(ack.attrs.type, undefined);
  assertEquals(ack.attrs.from, alice.lid.toString());
  const got = await alice.inbox.waitFor("receipt", (n) => n.attrs.id === id);
  assertEquals(got.attrs.from, bob.lid.toString(), "addressed like the receipt's to (LID)");
  assertEquals(got.attrs.type, undefined);
  assert(Number(got.attrs.t) >= before);
});

Deno.test("retry receipt: routed to the one device with retry, registration and keys unchanged", async () => {
  await using wa = await startServer();
  const alicePhone = wa.phone("15550004021");
  const alice1 = await pairedClient(wa, alicePhone);
  await using _a1 = alice1.client;
  const bob1 = await pairedClient(wa, wa.phone("15550004022"));
  await using _b1 = bob1.client;
  const bob2 = await pairedClient(wa, wa.phone("15550004022"));
  await using _b2 = bob2.client;
  const id = newId();
  const registration = new Uint8Array([0, 0, 0x12, 0x34]);
  const identity = payload(32);
  await sendAndAck(bob1.client, bob1.inbox, {
    tag: "receipt",
    attrs: { id, to: alice1.jid, type: "retry" },
    content: [
      { tag: "retry", attrs: { count: "1", id, t: "1700000001", v: "1" } },
      { tag: "registration", attrs: {}, content: registration },
      { tag: "keys", attrs: {}, content: [{ tag: "identity", attrs: {}, content: identity }] },
    ],
  });
  const got = await alice1.inbox.waitFor("receipt", (n) => n.attrs.id === id);
  assertEquals([got.attrs.type, got.attrs.from], ["retry", bob1.jid.toString()]);
  assertEquals(getChild(got, "retry")!.attrs, { count: "1", id, t: "1700000001", v: "1" });
  assertEquals(getChild(got, "registration")!.content, registration);
  assertEquals(getChild(getChild(got, "keys")!, "identity")!.content, identity);
  // No read-self style copy of a retry receipt to the requester's other device.
  const probe = newId("P");
  await sendAndAck(bob1.client, bob1.inbox, { tag: "receipt", attrs: { id: probe, to: bob2.jid } });
  await bob2.inbox.waitFor("receipt", (n) => n.attrs.id === probe);
  assertEquals(bob2.inbox.nodes("receipt").map((n) => n.attrs.id), [probe]);
});

Deno.test("group receipt: to=GROUP participant=SENDER -> from=GROUP participant=READER at the sender", async () => {
  await using wa = await startServer();
  const alicePhone = wa.phone("15550004031");
  const bobPhone = wa.phone("15550004032");
  const alice = await pairedClient(wa, alicePhone);
  await using _a = alice.client;
  const bob1 = await pairedClient(wa, bobPhone);
  await using _b1 = bob1.client;
  const bob2 = await pairedClient(wa, bobPhone);
  await using _b2 = bob2.client;
  const group = wa.createGroup({ creator: alice.jid, participants: [bobPhone.jid] });
  const id = newId();
  const ack = await sendAndAck(bob1.client, bob1.inbox, {
    tag: "receipt",
    attrs: { id, to: group, participant: alice.jid, type: "read" },
  });
  assertEquals([ack.attrs.from, ack.attrs.type, ack.attrs.error], [group.toString(), "read", undefined]);
  const got = await alice.inbox.waitFor("receipt", (n) => n.attrs.id === id);
  assertEquals(got.attrs.from, group.toString());
  assertEquals(got.attrs.participant, bob1.jid.toString());
  assertEquals(got.attrs.type, "read");
  const self = await bob2.inbox.waitFor("receipt", (n) => n.attrs.id === id);
  assertEquals([self.attrs.from, self.attrs.participant, self.attrs.type], [
    group.toString(),
    bob1.jid.toString(),
    "read-self",
  ]);

  const unknown = await sendAndAck(bob1.client, bob1.inbox, {
    tag: "receipt",
    attrs: { id: newId(), to: group, participant: alicePhone.jid.withDevice(55) },
  });
  assertEquals(unknown.attrs.error, "404");
});

Deno.test("client acks are accepted and logged on the connection", async () => {
  await using wa = await startServer();
  const alicePhone = wa.phone("15550004041");
  const alice = await pairedClient(wa, alicePhone);
  await using _a = alice.client;
  const seen = wa.waitForStanza((n) => n.tag === "ack" && n.attrs.id === "ACKED1", { signal: deadline() });
  await alice.client.sendNode({
    tag: "ack",
    attrs: { class: "message", id: "ACKED1", to: alicePhone.jid, from: alice.jid },
  });
  await seen;
  const conn = wa.connectionOf(alice.jid)!;
  assertEquals(conn.acks.at(-1)?.attrs.id, "ACKED1");
  // The connection is still fine: an IQ round trip works.
  await rawQuery(alice.client, {
    namespace: "passive",
    type: "set",
    content: [{ tag: "active", attrs: {} }],
  });
});
