/**
 * FakeWhatsApp's groups: creation, the w:g2 metadata query (node shape from whatsmeow group.go,
 * `parseGroupNode` / `parseParticipant`), and group message fan-out on raw stanzas (participant,
 * addressing_mode, participant_lid / participant_pn from whatsmeow message.go `parseMessageSource`).
 */

import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { getChild, getChildren, Jid } from "../../src/binary/mod.ts";
import { IqError } from "../../src/features/errors.ts";
import {
  enc,
  encBytes,
  newId,
  pairedClient,
  participants,
  payload,
  rawQuery,
  sendAndAck,
  startServer,
} from "./helpers.ts";

Deno.test("createGroup: 120363… id, creator is superadmin, members by PN and LID", async () => {
  await using wa = await startServer();
  const alice = wa.phone("15550002001");
  const bob = wa.phone("15550002002");
  const group = wa.createGroup({ creator: alice.jid, participants: [bob.lid], subject: "Lunch" });
  assert(/^120363\d{12}$/.test(group.user), group.user);
  assertEquals(group.server, "g.us");
  assertEquals(wa.groupParticipants(group), [
    { pn: Jid.pn(alice.jid.user), lid: Jid.lid(alice.lid.user), role: "superadmin" },
    { pn: Jid.pn(bob.jid.user), lid: Jid.lid(bob.lid.user), role: "member" },
  ]);
  assertEquals(wa.groupParticipants(Jid.group("120363999999999999")), []);
});

Deno.test("group message: skmsg to every member device but the sender, SKDM enc only to listed devices, first", async () => {
  await using wa = await startServer();
  const alicePhone = wa.phone("15550002011");
  const bobPhone = wa.phone("15550002012");
  const carolPhone = wa.phone("15550002013");
  const davePhone = wa.phone("15550002014");
  const alice = await pairedClient(wa, alicePhone, "Alice");
  await using _a = alice.client;
  const alice2 = await pairedClient(wa, alicePhone);
  await using _a2 = alice2.client;
  const bob = await pairedClient(wa, bobPhone);
  await using _b = bob.client;
  const carol = await pairedClient(wa, carolPhone);
  await using _c = carol.client;
  const dave = await pairedClient(wa, davePhone);
  await using _d = dave.client;
  const group = wa.createGroup({ creator: alice.jid, participants: [bobPhone.jid, carolPhone.jid] });

  const skmsg = payload(64);
  const skdmBob = payload(90);
  const skdmAlice2 = payload(91);
  const id = newId();
  const ack = await sendAndAck(alice.client, alice.inbox, {
    tag: "message",
    attrs: { id, to: group, type: "text", addressing_mode: "pn" },
    content: [
      participants([
        [bob.jid, enc("pkmsg", skdmBob)],
        [alice2.jid, enc("msg", skdmAlice2)],
        [dave.jid, enc("pkmsg", payload())], // not a member: ignored
      ]),
      enc("skmsg", skmsg),
      { tag: "device-identity", attrs: {}, content: payload(100) },
    ],
  });
  assertEquals([ack.attrs.from, ack.attrs.error], [group.toString(), undefined]);
  const t = ack.attrs.t;
  assert(t !== undefined);

  const gotBob = await bob.inbox.message(id);
  assertEquals(gotBob.attrs.from, group.toString());
  assertEquals(gotBob.attrs.participant, alice.jid.toString());
  assertEquals(gotBob.attrs.participant_lid, alice.lid.toString());
  assertEquals(gotBob.attrs.addressing_mode, "pn");
  assertEquals([gotBob.attrs.t, gotBob.attrs.type, gotBob.attrs.notify], [t, "text", "Alice"]);
  assertEquals(getChildren(gotBob, "enc").map((e) => e.attrs.type), ["pkmsg", "skmsg"]);
  assertEquals(encBytes(gotBob, "pkmsg"), skdmBob);
  assertEquals(encBytes(gotBob, "skmsg"), skmsg);
  assert(getChild(gotBob, "device-identity") !== undefined);

  const gotCarol = await carol.inbox.message(id);
  assertEquals(getChildren(gotCarol, "enc").map((e) => e.attrs.type), ["skmsg"]);
  assertEquals(encBytes(gotCarol, "skmsg"), skmsg);

  const gotAlice2 = await alice2.inbox.message(id);
  assertEquals(gotAlice2.attrs.participant, alice.jid.toString());
  assertEquals(encBytes(gotAlice2, "msg"), skdmAlice2);
  assertEquals(encBytes(gotAlice2, "skmsg"), skmsg);

  // Dave is not a member and got nothing: the first message he sees is a later 1:1 probe.
  const probe = newId("P");
  await sendAndAck(alice.client, alice.inbox, {
    tag: "message",
    attrs: { id: probe, to: davePhone.jid, type: "text" },
    content: [participants([[dave.jid, enc("msg", payload())]])],
  });
  await dave.inbox.message(probe);
  assertEquals(dave.inbox.nodes("message").map((n) => n.attrs.id), [probe]);
  assertEquals(alice.inbox.nodes("message").length, 0, "the sender gets no copy");
});

Deno.test("lid-mode group: participant is the LID device, participant_pn the phone number", async () => {
  await using wa = await startServer();
  const alicePhone = wa.phone("15550002021");
  const bobPhone = wa.phone("15550002022");
  const alice = await pairedClient(wa, alicePhone);
  await using _a = alice.client;
  const bob = await pairedClient(wa, bobPhone);
  await using _b = bob.client;
  const group = wa.createGroup({ creator: alice.lid, participants: [bobPhone.lid], addressingMode: "lid" });
  const id = newId();
  await sendAndAck(alice.client, alice.inbox, {
    tag: "message",
    attrs: { id, to: group, type: "text", addressing_mode: "lid" },
    content: [participants([[bob.lid, enc("pkmsg", payload())]]), enc("skmsg", payload())],
  });
  const got = await bob.inbox.message(id);
  assertEquals(got.attrs.participant, alice.lid.toString());
  assertEquals(got.attrs.participant_pn, alice.jid.toString());
  assertEquals(got.attrs.participant_lid, undefined);
  assertEquals(got.attrs.addressing_mode, "lid");
  assertEquals(getChildren(got, "enc").map((e) => e.attrs.type), ["pkmsg", "skmsg"]);
});

Deno.test("group retry resend (participant=DEV) reaches only that member device", async () => {
  await using wa = await startServer();
  const alicePhone = wa.phone("15550002031");
  const bobPhone = wa.phone("15550002032");
  const alice = await pairedClient(wa, alicePhone);
  await using _a = alice.client;
  const bob1 = await pairedClient(wa, bobPhone);
  await using _b1 = bob1.client;
  const bob2 = await pairedClient(wa, bobPhone);
  await using _b2 = bob2.client;
  const group = wa.createGroup({ creator: alice.jid, participants: [bobPhone.jid] });
  const id = newId();
  const bytes = payload();
  await sendAndAck(alice.client, alice.inbox, {
    tag: "message",
    attrs: { id, to: group, participant: bob2.jid, type: "text" },
    content: [enc("pkmsg", bytes, { count: "2" })],
  });
  const got = await bob2.inbox.message(id);
  assertEquals([got.attrs.from, got.attrs.participant], [group.toString(), alice.jid.toString()]);
  assertEquals(encBytes(got, "pkmsg"), bytes);
  assertEquals(getChild(got, "enc")!.attrs.count, "2");
  const probe = newId("P");
  await sendAndAck(alice.client, alice.inbox, {
    tag: "message",
    attrs: { id: probe, to: group, participant: bob1.jid, type: "text" },
    content: [enc("msg", payload())],
  });
  await bob1.inbox.message(probe);
  assertEquals(bob1.inbox.nodes("message").map((n) => n.attrs.id), [probe]);
});

Deno.test("w:g2 metadata: members see subject, creator, roles and both addresses; others get 403/404", async () => {
  await using wa = await startServer();
  const alicePhone = wa.phone("15550002041");
  const bobPhone = wa.phone("15550002042");
  const carolPhone = wa.phone("15550002043");
  const alice = await pairedClient(wa, alicePhone);
  await using _a = alice.client;
  const carol = await pairedClient(wa, carolPhone);
  await using _c = carol.client;
  const query = (client: typeof alice.client, to: Jid) =>
    rawQuery(client, {
      namespace: "w:g2",
      type: "get",
      to,
      content: [{ tag: "query", attrs: { request: "interactive" } }],
    });

  const pnGroup = wa.createGroup({ creator: alice.jid, participants: [bobPhone.jid], subject: "Plans" });
  const res = await query(alice.client, pnGroup);
  assertEquals(res.attrs.from, pnGroup.toString());
  const g = getChild(res, "group")!;
  assertEquals(g.attrs.id, pnGroup.user);
  assertEquals(g.attrs.subject, "Plans");
  assertEquals(g.attrs.creator, alicePhone.jid.toString());
  assertEquals(g.attrs.addressing_mode, "pn");
  assert(/^\d+$/.test(g.attrs.s_t) && /^\d+$/.test(g.attrs.creation));
  assertEquals(
    getChildren(g, "participant").map((p) => p.attrs),
    [
      { jid: alicePhone.jid.toString(), lid: alicePhone.lid.toString(), type: "superadmin" },
      { jid: bobPhone.jid.toString(), lid: bobPhone.lid.toString() },
    ],
  );

  const lidGroup = wa.createGroup({
    creator: alice.jid,
    participants: [bobPhone.jid],
    addressingMode: "lid",
  });
  const lidRes = getChild(await query(alice.client, lidGroup), "group")!;
  assertEquals(lidRes.attrs.addressing_mode, "lid");
  assertEquals(lidRes.attrs.creator, alicePhone.lid.toString());
  assertEquals(lidRes.attrs.creator_pn, alicePhone.jid.toString());
  assertEquals(
    getChildren(lidRes, "participant").map((p) => p.attrs),
    [
      { jid: alicePhone.lid.toString(), phone_number: alicePhone.jid.toString(), type: "superadmin" },
      { jid: bobPhone.lid.toString(), phone_number: bobPhone.jid.toString() },
    ],
  );

  const forbidden = await assertRejects(() => query(carol.client, pnGroup), IqError);
  assertEquals(forbidden.status, 403);
  const missing = await assertRejects(() => query(alice.client, Jid.group("120363000000000001")), IqError);
  assertEquals(missing.status, 404);
});
