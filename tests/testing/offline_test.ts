/**
 * FakeWhatsApp's offline queues and delivery faults: stanzas routed to a device that is away are replayed
 * after its next `<success>` between `<ib><offline_preview/>` and `<ib><offline count/>`, in order, with
 * `offline="1"`, exactly once; `holdDelivery` reorders and `dropNextDelivery` loses stanzas on demand.
 * The ib shapes are whatsmeow's (handleIB / offline_preview attributes count, message, receipt,
 * notification, appdata).
 */

import { assert, assertEquals } from "../_assert.ts";
import {
  deadline,
  enc,
  encBytes,
  Inbox,
  newId,
  pairedClient,
  participants,
  payload,
  rawQuery,
  sendAndAck,
  startServer,
} from "./helpers.ts";

Deno.test("offline queue: preview, stanzas in order with offline=1, end marker; delivered exactly once", async () => {
  await using wa = await startServer();
  const alicePhone = wa.phone("15550003001");
  const bobPhone = wa.phone("15550003002");
  const alice = await pairedClient(wa, alicePhone);
  await using _a = alice.client;
  const bob = await pairedClient(wa, bobPhone);
  await using _b = bob.client;

  await bob.client.disconnect();
  await wa.waitForOffline(bob.jid, { signal: deadline() });
  const ids = [newId("A"), newId("B"), newId("C")];
  const sent = new Map<string, Uint8Array>();
  for (const id of ids) {
    const bytes = payload();
    sent.set(id, bytes);
    const ack = await sendAndAck(alice.client, alice.inbox, {
      tag: "message",
      attrs: { id, to: bobPhone.jid, type: "text" },
      content: [participants([[bob.jid, enc("msg", bytes)]])],
    });
    assert(ack.attrs.t !== undefined && ack.attrs.error === undefined, "queued messages are acked");
  }
  // A receipt for one of bob's earlier messages queues too (counted separately in the preview).
  await sendAndAck(alice.client, alice.inbox, {
    tag: "receipt",
    attrs: { id: "EARLIER", to: bob.jid, type: "read" },
  });
  assertEquals(wa.delivery.queued(bob.jid).map((d) => d.stanza.attrs.id), [...ids, "EARLIER"]);

  bob.inbox.items.length = 0;
  await bob.client.connect({ signal: deadline() });
  await bob.inbox.waitFor("ib:offline");
  assertEquals(
    bob.inbox.items.map((r) => r.key),
    ["ib:offline_preview", "message", "message", "message", "receipt", "ib:offline"],
  );
  const preview = bob.inbox.nodes("ib:offline_preview")[0];
  assertEquals(preview.attrs, { count: "4", message: "3", receipt: "1", notification: "0", appdata: "0" });
  const messages = bob.inbox.nodes("message");
  assertEquals(messages.map((m) => m.attrs.id), ids);
  for (const m of messages) {
    assertEquals(m.attrs.offline, "1");
    assertEquals(m.attrs.from, alice.jid.toString());
    assertEquals(encBytes(m), sent.get(m.attrs.id));
  }
  assertEquals(bob.inbox.nodes("receipt")[0].attrs.offline, "1");
  assertEquals(bob.inbox.nodes("ib:offline")[0].attrs.count, "4");
  assertEquals(wa.delivery.queued(bob.jid), []);

  // Live again: the next message arrives at once, without the offline marker.
  const live = newId("L");
  await sendAndAck(alice.client, alice.inbox, {
    tag: "message",
    attrs: { id: live, to: bobPhone.jid, type: "text" },
    content: [participants([[bob.jid, enc("msg", payload())]])],
  });
  assertEquals((await bob.inbox.message(live)).attrs.offline, undefined);

  // A second reconnect replays nothing: the backlog was delivered exactly once.
  await bob.client.disconnect();
  await wa.waitForOffline(bob.jid, { signal: deadline() });
  bob.inbox.items.length = 0;
  await bob.client.connect({ signal: deadline() });
  const marker = await bob.inbox.waitFor("ib:offline");
  assertEquals(marker.attrs.count, "0");
  assertEquals(bob.inbox.items.map((r) => r.key), ["ib:offline"]);
});

Deno.test("offline_batch from the client is accepted and changes nothing", async () => {
  await using wa = await startServer();
  const alice = await pairedClient(wa, wa.phone("15550003011"));
  await using _a = alice.client;
  const seen = wa.waitForStanza((n) => n.tag === "ib", { signal: deadline() });
  await alice.client.sendNode({
    tag: "ib",
    attrs: {},
    content: [{ tag: "offline_batch", attrs: { count: "100" } }],
  });
  assertEquals((await seen).tag, "ib");
  // The connection is still usable: an IQ round trip works.
  await rawQuery(alice.client, {
    namespace: "passive",
    type: "set",
    content: [{ tag: "active", attrs: {} }],
  });
});

Deno.test("holdDelivery: held while connected, released in reverse order", async () => {
  await using wa = await startServer();
  const alicePhone = wa.phone("15550003021");
  const bobPhone = wa.phone("15550003022");
  const alice = await pairedClient(wa, alicePhone);
  await using _a = alice.client;
  const bob = await pairedClient(wa, bobPhone);
  await using _b = bob.client;
  const hold = wa.faults.holdDelivery(bob.lid); // by LID: the same device
  const ids = [newId("A"), newId("B"), newId("C")];
  for (const id of ids) {
    await sendAndAck(alice.client, alice.inbox, {
      tag: "message",
      attrs: { id, to: bobPhone.jid, type: "text" },
      content: [participants([[bob.jid, enc("msg", payload())]])],
    });
  }
  await hold.whenHeld(3, { signal: deadline() });
  assertEquals(hold.size, 3);
  assertEquals(bob.inbox.nodes("message").length, 0, "nothing delivered while held");
  assertEquals(hold.release({ reorder: true }), 3);
  await bob.inbox.message(ids[0]);
  assertEquals(bob.inbox.nodes("message").map((m) => m.attrs.id), [...ids].reverse());
  // Released: later messages flow normally.
  const after = newId("D");
  await sendAndAck(alice.client, alice.inbox, {
    tag: "message",
    attrs: { id: after, to: bobPhone.jid, type: "text" },
    content: [participants([[bob.jid, enc("msg", payload())]])],
  });
  await bob.inbox.message(after);
});

Deno.test("holdDelivery of an offline device, released, lands in its offline queue", async () => {
  await using wa = await startServer();
  const alice = await pairedClient(wa, wa.phone("15550003031"));
  await using _a = alice.client;
  const bobPhone = wa.phone("15550003032");
  const bob = await pairedClient(wa, bobPhone);
  await using _b = bob.client;
  await bob.client.disconnect();
  await wa.waitForOffline(bob.jid, { signal: deadline() });
  const hold = wa.faults.holdDelivery();
  const id = newId();
  await sendAndAck(alice.client, alice.inbox, {
    tag: "message",
    attrs: { id, to: bobPhone.jid, type: "text" },
    content: [participants([[bob.jid, enc("msg", payload())]])],
  });
  assertEquals(wa.delivery.queued(bob.jid).length, 0);
  hold.release();
  assertEquals(wa.delivery.queued(bob.jid).map((d) => d.stanza.attrs.id), [id]);
  await bob.client.connect({ signal: deadline() });
  assertEquals((await bob.inbox.message(id)).attrs.offline, "1");
});

Deno.test("dropNextDelivery: the matching stanza is lost once, the sender is still acked", async () => {
  await using wa = await startServer();
  const alicePhone = wa.phone("15550003041");
  const bobPhone = wa.phone("15550003042");
  const alice = await pairedClient(wa, alicePhone);
  await using _a = alice.client;
  const bob = await pairedClient(wa, bobPhone);
  await using _b = bob.client;
  const drop = wa.faults.dropNextDelivery({ tag: "message", device: bob.jid });
  const lost = newId("X");
  const ack = await sendAndAck(alice.client, alice.inbox, {
    tag: "message",
    attrs: { id: lost, to: bobPhone.jid, type: "text" },
    content: [participants([[bob.jid, enc("msg", payload())]])],
  });
  assert(ack.attrs.t !== undefined && ack.attrs.error === undefined);
  const dropped = await drop.dropped;
  assertEquals([dropped.stanza.attrs.id, dropped.device.toString()], [lost, bob.jid.toString()]);
  assert(drop.done);
  const next = newId("Y");
  await sendAndAck(alice.client, alice.inbox, {
    tag: "message",
    attrs: { id: next, to: bobPhone.jid, type: "text" },
    content: [participants([[bob.jid, enc("msg", payload())]])],
  });
  await bob.inbox.message(next);
  assertEquals(bob.inbox.nodes("message").map((m) => m.attrs.id), [next]);
});

Deno.test("unacknowledged stanzas are redelivered after the connection drops, in order (at least once)", async () => {
  await using wa = await startServer();
  const alicePhone = wa.phone("15550003101");
  const bobPhone = wa.phone("15550003102");
  const alice = await pairedClient(wa, alicePhone);
  await using _a = alice.client;
  const bob = await pairedClient(wa, bobPhone);
  await using _b = bob.client;
  // Bob's handler records but does not ack: the server must keep the messages in flight.
  const silent = new Inbox(bob.client, ["message"], { ack: false });
  const ids = [newId("U"), newId("V")];
  for (const id of ids) {
    await sendAndAck(alice.client, alice.inbox, {
      tag: "message",
      attrs: { id, to: bobPhone.jid, type: "text" },
      content: [participants([[bob.jid, enc("msg", payload())]])],
    });
  }
  await silent.waitFor("message", (n) => n.attrs.id === ids[1]);
  assertEquals(wa.delivery.unacked(wa.connectionOf(bob.jid)!).map((d) => d.stanza.attrs.id), ids);
  const gone = wa.waitForOffline(bob.jid, { signal: deadline() });
  wa.dropConnections(bob.jid);
  await gone;
  assertEquals(wa.delivery.queued(bob.jid).map((d) => d.stanza.attrs.id), ids);
  // This time the handler acks: after the replay nothing is left.
  const acking = new Inbox(bob.client, ["message", "ib:offline"]);
  await bob.client.waitFor("connected", { signal: deadline() });
  await acking.waitFor("ib:offline");
  assertEquals(acking.nodes("message").map((m) => [m.attrs.id, m.attrs.offline]), ids.map((id) => [id, "1"]));
  assertEquals(wa.delivery.queued(bob.jid), []);
});
