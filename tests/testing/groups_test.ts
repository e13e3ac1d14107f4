/**
 * FakeWhatsApp's groups: creation, the w:g2 metadata query (node shape from whatsmeow group.go,
 * `parseGroupNode` / `parseParticipant`), group message fan-out on raw stanzas (participant,
 * addressing_mode, participant_lid / participant_pn from whatsmeow message.go `parseMessageSource`), and
 * the w:g2 administration IQs and w:gp2 notifications on the wire (shapes from
 * reference/protocol-facts-features.md 4.1, 4.3, 4.4).
 */

import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { getChild, getChildren, Jid, type Node } from "../../src/binary/mod.ts";
import { type Client, clientInternals } from "../../src/client/client.ts";
import { IqError } from "../../src/features/errors.ts";
import {
  deadline,
  enc,
  encBytes,
  newId,
  pairedClient,
  participants,
  payload,
  rawQuery,
  Recorded,
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

/** Records the raw w:gp2 notifications a client receives (beside its own groups handler). */
class Gp2Inbox {
  readonly #log = new Recorded<Node>();
  readonly nodes: Node[] = this.#log.all;
  constructor(client: Client) {
    clientInternals(client).router.on({ tag: "notification", type: "w:gp2" }, (node) => this.#log.push(node));
  }
  waitFor(match: (n: Node) => boolean = () => true, signal = deadline()): Promise<Node> {
    return this.#log.waitFor(
      match,
      signal,
      () => `no matching w:gp2; got ${this.nodes.map((n) => getChildren(n)[0]?.tag).join(", ")}`,
    );
  }
}

Deno.test("w:g2 create: the <group> answer, and <create type=new key> to every member device, offline ones at login", async () => {
  await using wa = await startServer();
  const alicePhone = wa.phone("15550002051");
  const bobPhone = wa.phone("15550002052");
  const alice = await pairedClient(wa, alicePhone);
  await using _a = alice.client;
  const alice2 = await pairedClient(wa, alicePhone);
  await using _a2 = alice2.client;
  const aliceGp2 = new Gp2Inbox(alice.client);
  const alice2Gp2 = new Gp2Inbox(alice2.client);
  const res = await rawQuery(alice.client, {
    namespace: "w:g2",
    type: "set",
    to: "g.us",
    content: [{
      tag: "create",
      attrs: { subject: "Wire", key: "KEY1" },
      content: [
        { tag: "member_add_mode", attrs: {}, content: "admin_add" },
        { tag: "participant", attrs: { jid: bobPhone.jid.toNonAd() } },
        { tag: "participant", attrs: { jid: "15550002059@s.whatsapp.net" } },
        { tag: "locked", attrs: {} },
      ],
    }],
  });
  const g = getChild(res, "group")!;
  assertEquals([res.attrs.from, g.attrs.subject, g.attrs.size], ["g.us", "Wire", "2"]);
  assertEquals(getChildren(g, "participant").map((p) => [p.attrs.jid, p.attrs.error]), [
    [alicePhone.jid.toString(), undefined],
    [bobPhone.jid.toString(), undefined],
    ["15550002059@s.whatsapp.net", "404"],
  ]);
  assert(getChild(g, "locked") !== undefined);
  const group = Jid.group(g.attrs.id);
  for (const inbox of [aliceGp2, alice2Gp2]) {
    const n = await inbox.waitFor();
    assertEquals([n.attrs.from, n.attrs.participant, n.attrs.addressing_mode], [
      group.toString(),
      alicePhone.jid.toString(),
      "pn",
    ]);
    const create = getChild(n, "create")!;
    assertEquals([create.attrs.type, create.attrs.key, getChild(create, "group")?.attrs.id], [
      "new",
      "KEY1",
      group.user,
    ]);
  }
  // Bob's phone was never online: its device 0's queue holds the notification until it logs in.
  const queued = wa.delivery.queued(bobPhone.jid).filter((d) => d.stanza.attrs.type === "w:gp2");
  assertEquals(queued.length, 1);
  assertEquals(String(queued[0].stanza.attrs.from), group.toString());
  await bobPhone.client();
  assertEquals(wa.delivery.queued(bobPhone.jid).length, 0, "flushed at login");
});

Deno.test("w:gp2 in a lid group: the author by LID with participant_pn; an add refused by privacy carries an add_request", async () => {
  await using wa = await startServer();
  const alicePhone = wa.phone("15550002061");
  const bobPhone = wa.phone("15550002062");
  const carolPhone = wa.phone("15550002063");
  const alice = await pairedClient(wa, alicePhone, "Alice");
  await using _a = alice.client;
  const bob = await pairedClient(wa, bobPhone);
  await using _b = bob.client;
  const bobGp2 = new Gp2Inbox(bob.client);
  const group = wa.createGroup({
    creator: alicePhone.jid,
    participants: [bobPhone.jid],
    addressingMode: "lid",
  });
  carolPhone.account.privacy.set("groupadd", "none");
  const add = (jid: Jid) =>
    rawQuery(alice.client, {
      namespace: "w:g2",
      type: "set",
      to: group,
      content: [{ tag: "add", attrs: {}, content: [{ tag: "participant", attrs: { jid } }] }],
    });
  const refused = getChild(getChild(await add(carolPhone.lid.toNonAd()), "add")!, "participant")!;
  assertEquals(refused.attrs.error, "403");
  const request = getChild(refused, "add_request")!;
  assert(request.attrs.code.length > 0 && Number(request.attrs.expiration) > Date.now() / 1000);
  const again = getChild(getChild(await add(bobPhone.jid.toNonAd()), "add")!, "participant")!;
  assertEquals(again.attrs.error, "409");

  await rawQuery(alice.client, {
    namespace: "w:g2",
    type: "set",
    to: group,
    content: [{ tag: "subject", attrs: {}, content: "Renamed" }],
  });
  const n = await bobGp2.waitFor((x) => getChild(x, "subject") !== undefined);
  assertEquals([n.attrs.participant, n.attrs.participant_pn, n.attrs.notify, n.attrs.addressing_mode], [
    alicePhone.lid.toString(),
    alicePhone.jid.toString(),
    "Alice",
    "lid",
  ]);
  const subject = getChild(n, "subject")!;
  assertEquals([subject.attrs.subject, subject.attrs.s_o, subject.attrs.s_o_pn], [
    "Renamed",
    alicePhone.lid.toString(),
    alicePhone.jid.toString(),
  ]);

  // Alice leaves: bob is told by a <remove> from alice, then promoted by the server (no author).
  await rawQuery(alice.client, {
    namespace: "w:g2",
    type: "set",
    to: "g.us",
    content: [{ tag: "leave", attrs: {}, content: [{ tag: "group", attrs: { id: group } }] }],
  });
  const removed = await bobGp2.waitFor((x) => getChild(x, "remove") !== undefined);
  assertEquals(
    getChildren(getChild(removed, "remove")!, "participant").map((p) => [p.attrs.jid, p.attrs.phone_number]),
    [
      [alicePhone.lid.toString(), alicePhone.jid.toString()],
    ],
  );
  const promoted = await bobGp2.waitFor((x) => getChild(x, "promote") !== undefined);
  assertEquals(promoted.attrs.participant, undefined);
  assertEquals(getChild(getChild(promoted, "promote")!, "participant")!.attrs.type, "admin");
  assertEquals(wa.groupParticipants(group).map((p) => p.role), ["admin"]);
});
