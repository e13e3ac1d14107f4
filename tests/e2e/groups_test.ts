/**
 * Groups end to end: a bot and virtual phones (real wadeno clients on FakeWhatsApp's phones) create and
 * administer groups over the real protocol; every operation, its refusals with the server's codes, and
 * the w:gp2 events on the other members' devices.
 */

import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { getChild, getChildren, type Jid, type Node } from "../../src/binary/mod.ts";
import type { Client } from "../../src/client/client.ts";
import { InputError, IqError, SendError } from "../../src/features/errors.ts";
import type { GroupChange, GroupUpdateEvent, JoinedGroupEvent } from "../../src/features/groups/events.ts";
import { INVITE_LINK_PREFIX, parseGroupInvite } from "../../src/features/groups/invites.ts";
import { messageText } from "../../src/features/message_builders.ts";
import type { FakeWhatsApp } from "../../src/testing/mod.ts";
import { deadline, newClient, pairByQr, Recorded, startServer } from "./helpers.ts";

/** Records a client's group events; `update` waits for a matching one (past or future). */
class GroupLog {
  readonly #updates = new Recorded<GroupUpdateEvent>();
  readonly #joins = new Recorded<JoinedGroupEvent>();
  readonly updates: GroupUpdateEvent[] = this.#updates.all;
  constructor(client: Client) {
    client.on("groupUpdate", (e) => this.#updates.push(e));
    client.on("joinedGroup", (e) => this.#joins.push(e));
  }
  joined(group: Jid, signal = deadline()): Promise<JoinedGroupEvent> {
    return this.#joins.waitFor((e) => e.group.jid.equals(group), signal, () => `never joined ${group}`);
  }
  update<T extends GroupChange["type"]>(
    group: Jid,
    type: T,
    match: (e: GroupUpdateEvent & { change: Extract<GroupChange, { type: T }> }) => boolean = () => true,
    signal = deadline(),
  ): Promise<GroupUpdateEvent & { change: Extract<GroupChange, { type: T }> }> {
    type E = GroupUpdateEvent & { change: Extract<GroupChange, { type: T }> };
    return this.#updates.waitFor(
      (e) => e.group.equals(group) && e.change.type === type && match(e as E),
      signal,
      () => `no ${type} for ${group}; got ${this.updates.map((u) => u.change.type).join(", ")}`,
    ) as Promise<E>;
  }
}

/** A bot paired with its own phone, and `n` other people running their phones' clients. */
async function setup(wa: FakeWhatsApp, base: string, n: number) {
  const bot = await newClient(wa, { pushName: "Bot" });
  await pairByQr(bot, wa.phone(`${base}99`));
  const people = [];
  for (let i = 0; i < n; i++) {
    const phone = wa.phone(`${base}0${i}`);
    const client = await phone.client();
    people.push({ phone, client, log: new GroupLog(client), user: phone.jid.toNonAd() });
  }
  return { bot, botLog: new GroupLog(bot), botUser: bot.jid!.toNonAd(), people };
}

/** Counts the w:g2 metadata queries a client sends, to show the cache answered instead. */
function countMetadataQueries(wa: FakeWhatsApp): { count: number; stop(): void } {
  const counter = { count: 0, stop: () => {} };
  counter.stop = wa.onStanza((node: Node) => {
    if (node.tag === "iq" && node.attrs.xmlns === "w:g2" && getChild(node, "query")) counter.count++;
  });
  return counter;
}

/** `p`, or a rejection once the deadline passes. */
function within<T>(p: Promise<T>, what: string, signal = deadline()): Promise<T> {
  return Promise.race([
    p,
    new Promise<never>((_, reject) =>
      signal.addEventListener("abort", () => reject(new Error(`timed out: ${what}`)))
    ),
  ]);
}

async function status(p: Promise<unknown>): Promise<number> {
  const e = await assertRejects(() => p, IqError);
  return e.status;
}

Deno.test("create, subject, description chain and settings: every member sees them; refusals carry the server's codes", async () => {
  await using wa = await startServer();
  const { bot, botLog, botUser, people: [alice, bob] } = await setup(wa, "155507100", 2);
  await using _bot = bot;

  const aliceJoined = alice.client.waitFor("joinedGroup", { signal: deadline() });
  const botJoined = bot.waitFor("joinedGroup", { signal: deadline() });
  const { group, failed } = await bot.groups.create({
    subject: "Lunch",
    participants: [alice.user, bob.user.toString()],
    createKey: "K1",
  });
  assertEquals(failed, []);
  assertEquals(group.subject, "Lunch");
  assertEquals(group.participants.map((p) => [p.jid.user, p.isAdmin, p.isSuperAdmin]), [
    [botUser.user, true, true],
    [alice.user.user, false, false],
    [bob.user.user, false, false],
  ]);
  assertEquals(group.memberAddMode, "all_member_add");
  const joined = await aliceJoined;
  assertEquals([joined.group.jid.toString(), joined.type, joined.createKey], [
    group.jid.toString(),
    "new",
    "K1",
  ]);
  assertEquals(joined.author?.user, botUser.user);
  assertEquals(joined.group.participants.length, 3);
  assertEquals((await botJoined).createKey, "K1");

  // The cache answers members' metadata after notifications changed it: no query goes out.
  await alice.client.groups.metadata(group.jid);
  const queries = countMetadataQueries(wa);
  await bot.groups.setSubject(group.jid, "Lunch on Friday");
  const renamed = await alice.log.update(group.jid, "subject");
  assertEquals([renamed.change.subject, renamed.author?.user, renamed.authorName], [
    "Lunch on Friday",
    botUser.user,
    "Bot",
  ]);
  assertEquals((await alice.client.groups.metadata(group.jid)).subject, "Lunch on Friday");
  assertEquals((await alice.client.groups.metadata(group.jid)).subjectOwner?.user, botUser.user);

  // Description: the id chain lets a stale writer be refused instead of overwriting unseen.
  const firstId = await bot.groups.setDescription(group.jid, "Fridays at noon");
  const described = await alice.log.update(group.jid, "description");
  assertEquals([described.change.description?.text, described.change.id], ["Fridays at noon", firstId]);
  const aliceInfo = await alice.client.groups.metadata(group.jid);
  assertEquals(aliceInfo.description?.id, firstId);
  const secondId = await alice.client.groups.setDescription(group.jid, "Fridays at one");
  assert(secondId !== firstId);
  await botLog.update(group.jid, "description", (e) => e.change.id === secondId);
  assertEquals(await status(bot.groups.setDescription(group.jid, "stale", { previousId: firstId })), 409);
  await bot.groups.setDescription(group.jid, undefined);
  const deleted = await alice.log.update(group.jid, "description", (e) => e.change.description === undefined);
  assertEquals(deleted.author?.user, botUser.user);
  assertEquals((await alice.client.groups.metadata(group.jid)).description, undefined);
  assertEquals(queries.count, 0, "every change above was applied to the cache");
  queries.stop();

  // Settings are for admins: 401 for a plain member, 403 for someone outside.
  assertEquals(await status(alice.client.groups.setAnnounce(group.jid, true)), 401);
  const outsider = await wa.phone("15550710050").client();
  assertEquals(await status(outsider.groups.setSubject(group.jid, "mine")), 403);
  assertEquals(await status(outsider.groups.metadata(group.jid)), 403);

  await bot.groups.setEphemeral(group.jid, 604_800);
  assertEquals((await bob.log.update(group.jid, "ephemeral")).change.expiration, 604_800);
  // A timer the server does not offer: refused locally, and by the server when sent anyway.
  await assertRejects(() => bot.groups.setEphemeral(group.jid, 12_345), InputError);
  const rawTimer = bot.execute({
    operation: "raw timer",
    build: () => ({
      namespace: "w:g2",
      type: "set",
      to: group.jid,
      content: [{ tag: "ephemeral", attrs: { expiration: "12345" } }],
    }),
    parse: () => undefined,
  });
  assertEquals(await status(rawTimer), 400);

  // Announcement mode: only admins may send.
  await bot.groups.setAnnounce(group.jid, true);
  assertEquals((await alice.log.update(group.jid, "announce")).change.announce, true);
  const refused = await assertRejects(() => alice.client.sendText(group.jid, "hi"), SendError);
  assertEquals(refused.status, 403);
  await bot.sendText(group.jid, "announcement");
  await bot.groups.setAnnounce(group.jid, false);
  await alice.log.update(group.jid, "announce", (e) => !e.change.announce);

  // Locked: only admins edit the info (and add people).
  await bot.groups.setLocked(group.jid, true);
  await alice.log.update(group.jid, "locked");
  assertEquals(await status(alice.client.groups.setSubject(group.jid, "Alice's")), 401);
  assertEquals(await status(alice.client.groups.addParticipants(group.jid, [outsider.jid!.toNonAd()])), 401);
  await bot.groups.setMemberAddMode(group.jid, "admin_add");
  assertEquals((await bob.log.update(group.jid, "memberAddMode")).change.mode, "admin_add");
  await bot.groups.setMembershipApproval(group.jid, true);
  assertEquals((await bob.log.update(group.jid, "membershipApproval")).change.enabled, true);
  const info = await bot.groups.metadata(group.jid, { refresh: true });
  assertEquals([
    info.locked,
    info.announce,
    info.memberAddMode,
    info.membershipApproval,
    info.ephemeralExpiration,
  ], [
    true,
    false,
    "admin_add",
    true,
    604_800,
  ]);
  assertEquals(
    botLog.updates.some((u) => u.change.type === "subject"),
    true,
    "the actor's devices see it too",
  );

  // The list of groups we are in.
  const mine = await bob.client.groups.participating();
  assertEquals(mine.map((g) => g.jid.toString()), [group.jid.toString()]);
});

Deno.test("participants: add, remove, promote, demote with per-participant codes; a removal rotates the sender key", async () => {
  await using wa = await startServer();
  const { bot, botLog, botUser, people: [alice, bob, carol, dave] } = await setup(wa, "155507200", 4);
  await using _bot = bot;
  const { group } = await bot.groups.create({ subject: "Team", participants: [alice.user, bob.user] });
  const g = group.jid;
  await bob.log.joined(g);

  // Add: carol joins (the others see who added her); alice is already in (409), a stranger is unknown (404).
  const carolJoined = carol.client.waitFor("joinedGroup", { signal: deadline() });
  const added = await bot.groups.addParticipants(g, [carol.user, alice.user, "15550729999@s.whatsapp.net"]);
  assertEquals(added.map((r) => [r.jid.user, r.status, r.outcome]), [
    [carol.user.user, 200, "ok"],
    [alice.user.user, 409, "already_member"],
    ["15550729999", 404, "not_found"],
  ]);
  assertEquals(added[0].lid?.user, carol.phone.lid.user, "the answer carries the other address");
  const seen = await alice.log.update(g, "participantsAdded");
  assertEquals([seen.change.participants.map((p) => p.jid.user), seen.author?.user], [
    [carol.user.user],
    botUser.user,
  ]);
  assertEquals((await carolJoined).group.participants.length, 4);

  // Promote and demote: plain members may not (401); an unknown member is 404.
  assertEquals(await status(alice.client.groups.promoteParticipants(g, [bob.user])), 401);
  const promoted = await bot.groups.promoteParticipants(g, [alice.user, dave.user]);
  assertEquals(promoted.map((r) => r.outcome), ["ok", "not_found"]);
  const promotion = await bob.log.update(g, "participantsPromoted");
  assertEquals(promotion.change.participants.map((p) => p.jid.user), [alice.user.user]);
  assert(
    (await bob.client.groups.metadata(g)).participants.find((p) => p.jid.user === alice.user.user)!.isAdmin,
  );
  // An admin may not demote or remove the group's creator (403 for that participant).
  const demoteCreator = await alice.client.groups.demoteParticipants(g, [botUser]);
  assertEquals(demoteCreator.map((r) => r.status), [403]);
  await bot.groups.demoteParticipants(g, [alice.user]);
  await bob.log.update(g, "participantsDemoted");
  assertEquals(await status(alice.client.groups.removeParticipants(g, [bob.user])), 401);

  // A first send distributes our sender key to everyone; a second needs no distribution.
  const aliceReads = new Promise<void>((resolve) =>
    alice.client.on("message", (e) => {
      if (messageText(e.message) === "three") resolve();
    })
  );
  const sent: Node[] = [];
  const stop = wa.onStanza((node) => {
    if (node.tag === "message" && node.attrs.to === g.toString()) sent.push(node);
  });
  await bot.sendText(g, "one");
  await bot.sendText(g, "two");
  const skdmTo = (n: Node) =>
    getChildren(getChild(n, "participants") ?? { tag: "", attrs: {} }, "to").map((t) =>
      t.attrs.jid.split(/[:@]/)[0]
    );
  assertEquals(skdmTo(sent[1]), []);

  // Removing bob: everyone (bob too) is told, and the next send carries a new key for the others only.
  // Our own devices' notification is held back so a send happens before it arrives, as it may live.
  const bobRemoved = bob.log.update(g, "participantsRemoved");
  const hold = wa.faults.holdDelivery(bot.jid!);
  const removed = await bot.groups.removeParticipants(g, [bob.user, dave.user]);
  assertEquals(removed.map((r) => r.outcome), ["ok", "not_found"]);
  const told = await alice.log.update(g, "participantsRemoved");
  assertEquals([told.change.participants.map((p) => p.jid.user), told.change.left], [[bob.user.user], false]);
  assertEquals((await bobRemoved).change.participants[0].jid.user, bob.user.user);
  await bot.sendText(g, "three");
  hold.release();
  await botLog.update(g, "participantsRemoved");
  await bot.sendText(g, "four");
  stop();
  assertEquals(skdmTo(sent[3]), [], "the late notification of our own removal did not rotate the key again");
  const redistributed = new Set(skdmTo(sent[2]));
  assert(redistributed.has(alice.user.user) && redistributed.has(carol.user.user), [...redistributed].join());
  assert(!redistributed.has(bob.user.user), "the removed member gets no new key");
  await within(aliceReads, "alice reads the message sent with the new key");
  assertEquals(await status(bob.client.groups.metadata(g)), 403);
});

Deno.test("leaving: a member who left cannot be re-added at once (408); the last admin leaving promotes another", async () => {
  await using wa = await startServer();
  const { bot, botLog, people: [alice, bob] } = await setup(wa, "155507300", 2);
  await using _bot = bot;
  const { group } = await alice.client.groups.create({ subject: "Club", participants: [bot.jid!, bob.user] });
  const g = group.jid;
  await botLog.joined(g);

  await bob.client.groups.leave(g);
  const left = await alice.log.update(g, "participantsRemoved");
  assertEquals([left.change.left, left.author?.user], [true, bob.user.user]);
  const readd = await alice.client.groups.addParticipants(g, [bob.user]);
  assertEquals(readd.map((r) => [r.status, r.outcome]), [[408, "recently_left"]]);
  assertEquals(await status(bob.client.groups.leave(g)), 403, "not a member any more");

  // Alice is the only admin: when she leaves the server makes the longest-standing member one.
  await alice.client.groups.leave(g);
  const promoted = await botLog.update(g, "participantsPromoted");
  assertEquals(promoted.author, undefined, "the server's own change has no author");
  const info = await bot.groups.metadata(g);
  assertEquals(info.participants.map((p) => [p.jid.user, p.isAdmin]), [[bot.jid!.user, true]]);
  // The new admin can administer.
  await bot.groups.setSubject(g, "Bot's club");
});

Deno.test("an add refused by privacy settings: 403 with an add request, the invite message, and its acceptance", async () => {
  await using wa = await startServer();
  const { bot, people: [alice, carol] } = await setup(wa, "155507400", 2);
  await using _bot = bot;
  carol.phone.account.privacy.set("groupadd", "contacts");
  const { group, failed } = await bot.groups.create({
    subject: "Book club",
    participants: [alice.user, carol.user],
  });
  assertEquals(failed.map((r) => [r.jid.user, r.status, r.outcome]), [[
    carol.user.user,
    403,
    "invite_needed",
  ]]);
  assertEquals(group.participants.map((p) => p.jid.user).includes(carol.user.user), false);
  const request = failed[0].addRequest!;
  assert(request.code.length > 0 && request.expiration.getTime() > Date.now());

  const inviteArrives = carol.client.waitFor("message", {
    signal: deadline(),
    filter: (e) => parseGroupInvite(e.message) !== undefined,
  });
  await bot.groups.sendInvite(carol.user, { group: group.jid, ...request, groupName: group.subject });
  const event = await inviteArrives;
  const invite = parseGroupInvite(event.message)!;
  assertEquals([invite.group.toString(), invite.groupName, invite.code], [
    group.jid.toString(),
    "Book club",
    request.code,
  ]);

  // Someone else cannot use carol's invite (406); carol can look at the group, then join.
  assertEquals(await status(alice.client.groups.acceptInvite(invite, event.info.source.sender)), 406);
  const peek = await carol.client.groups.inviteMessageInfo(invite, event.info.source.sender);
  assertEquals(peek.subject, "Book club");
  const joined = carol.client.waitFor("joinedGroup", { signal: deadline() });
  assertEquals(
    (await carol.client.groups.acceptInvite(invite, event.info.source.sender)).toString(),
    group.jid.toString(),
  );
  assertEquals((await joined).reason, "invite");
  const seen = await alice.log.update(group.jid, "participantsAdded");
  assertEquals(seen.change.participants.map((p) => p.jid.user), [carol.user.user]);
  assertEquals(
    await status(carol.client.groups.acceptInvite(invite, event.info.source.sender)),
    406,
    "used once",
  );
});

Deno.test("invite links: read, look up, join, revoke (410), invalid (406); with approval on, requests are approved or rejected", async () => {
  await using wa = await startServer();
  const { bot, botLog, people: [alice, carol, dave] } = await setup(wa, "155507500", 3);
  await using _bot = bot;
  const { group } = await bot.groups.create({ subject: "Open", participants: [alice.user] });
  const g = group.jid;
  assertEquals(await status(alice.client.groups.inviteLink(g)), 401, "admins only");
  const link = await bot.groups.inviteLink(g);
  assert(link.startsWith(INVITE_LINK_PREFIX), link);
  assertEquals(await bot.groups.inviteLink(g), link, "stable until reset");

  const peek = await carol.client.groups.inviteInfo(link);
  assertEquals([peek.jid.toString(), peek.subject, peek.participants.length], [g.toString(), "Open", 2]);
  const joined = await carol.client.groups.joinWithLink(link);
  assertEquals([joined.group.toString(), joined.pending], [g.toString(), false]);
  assertEquals((await carol.log.joined(g)).reason, "invite");
  const seen = await alice.log.update(g, "participantsAdded");
  assertEquals([seen.change.reason, seen.author?.user], ["invite", carol.user.user]);

  const fresh = await bot.groups.revokeInviteLink(g);
  assert(fresh !== link);
  assertEquals((await alice.log.update(g, "inviteLinkRevoked")).author?.user, bot.jid!.user);
  assertEquals(
    (await botLog.update(g, "inviteLinkChanged")).change.code,
    fresh.slice(INVITE_LINK_PREFIX.length),
  );
  assertEquals(await status(dave.client.groups.inviteInfo(link)), 410);
  assertEquals(await status(dave.client.groups.joinWithLink(link)), 410);
  assertEquals(await status(dave.client.groups.inviteInfo("AAAAAAAAAAAAAAAAAAAAAA")), 406);
  await assertRejects(() => dave.client.groups.inviteInfo("not a code!"), InputError);

  // Join approval: a link files a request; admins see it, list it, and decide.
  await bot.groups.setMembershipApproval(g, true);
  const pending = await dave.client.groups.joinWithLink(fresh);
  assertEquals([pending.group.toString(), pending.pending], [g.toString(), true]);
  const asked = await botLog.update(g, "joinRequested");
  assertEquals([asked.change.requests.map((r) => r.jid.user), asked.change.method], [
    [dave.user.user],
    "invite_link",
  ]);
  assertEquals((await bot.groups.joinRequests(g)).map((r) => r.jid.user), [dave.user.user]);
  assertEquals(await status(alice.client.groups.joinRequests(g)), 401);
  const approved = await bot.groups.approveJoinRequests(g, [dave.user, carol.user]);
  assertEquals(approved.map((r) => r.outcome), ["ok", "not_found"]);
  await dave.log.joined(g);
  assertEquals(
    (await bot.groups.metadata(g)).participants.length,
    4,
    "the approval was applied to the cache",
  );

  await dave.client.groups.leave(g);
  wa.groups.rejoinCooldownMs = 0;
  await dave.client.groups.joinWithLink(fresh);
  await botLog.update(g, "joinRequested", (e) => e.timestamp >= asked.timestamp && e !== asked);
  const rejected = await bot.groups.rejectJoinRequests(g, [dave.user]);
  assertEquals(rejected.map((r) => r.outcome), ["ok"]);
  const revoked = await dave.log.update(g, "joinRequestsRevoked");
  assertEquals(revoked.change.participants.map((p) => p.jid.user), [dave.user.user]);
  assertEquals(await bot.groups.joinRequests(g), []);
});

Deno.test("a bot that was offline when it was added gets joinedGroup and the changes at its next login", async () => {
  await using wa = await startServer();
  const { bot, botLog, people: [alice] } = await setup(wa, "155507600", 1);
  await using _bot = bot;
  await bot.disconnect();
  await wa.waitForOffline(bot.jid!, { signal: deadline() });
  const { group } = await alice.client.groups.create({
    subject: "While you were out",
    participants: [bot.jid!],
  });
  await alice.client.groups.setSubject(group.jid, "Renamed while out");
  await bot.connect({ signal: deadline() });
  const joined = await botLog.joined(group.jid);
  assertEquals([joined.offline, joined.type, joined.author?.user], [true, "new", alice.user.user]);
  const renamed = await botLog.update(group.jid, "subject");
  assertEquals([renamed.offline, renamed.change.subject], [true, "Renamed while out"]);
  // The cache followed both: the bot can send at once, and the member decrypts it.
  const queries = countMetadataQueries(wa);
  assertEquals((await bot.groups.metadata(group.jid)).subject, "Renamed while out");
  const read = new Promise<void>((resolve) =>
    alice.client.on("message", (e) => {
      if (messageText(e.message) === "back") resolve();
    })
  );
  await bot.sendText(group.jid, "back");
  await within(read, "alice reads the bot's message");
  assertEquals(queries.count, 0);
  queries.stop();
});

Deno.test("communities: create with its announcement group, subgroups created inside or linked and unlinked", async () => {
  await using wa = await startServer();
  const { bot, people: [alice] } = await setup(wa, "155507700", 1);
  await using _bot = bot;
  const { group: community } = await bot.groups.createCommunity({
    subject: "Neighbours",
    participants: [alice.user],
    description: "Our street",
  });
  assertEquals([community.isCommunity, community.description?.text], [true, "Our street"]);
  const c = community.jid;
  const announcement = await bot.groups.announcementGroup(c);
  assert(announcement !== undefined);
  const announceInfo = await alice.log.joined(announcement);
  assertEquals([announceInfo.group.announce, announceInfo.group.isDefaultSubGroup], [true, true]);
  assertEquals(announceInfo.group.linkedParent?.toString(), c.toString());

  const { group: garden } = await bot.groups.create({ subject: "Garden", participants: [], parent: c });
  assertEquals(garden.linkedParent?.toString(), c.toString());
  assertEquals(
    await status(alice.client.groups.create({ subject: "Mine", participants: [], parent: c })),
    401,
  );
  const { group: loose } = await bot.groups.create({ subject: "Parking", participants: [alice.user] });
  assertEquals(await status(alice.client.groups.linkGroups(c, [loose.jid])), 401);
  await bot.groups.linkGroups(c, [loose.jid]);
  const linked = await alice.log.update(c, "subGroupLinked");
  assertEquals([linked.change.subGroup.jid.toString(), linked.change.subGroup.subject], [
    loose.jid.toString(),
    "Parking",
  ]);
  const subs = await alice.client.groups.subGroups(c);
  assertEquals(subs.map((s) => [s.subject, s.isDefaultSubGroup]), [["Neighbours", true], ["Garden", false], [
    "Parking",
    false,
  ]]);
  assertEquals(
    (await bot.groups.communityParticipants(c)).map((p) => p.jid.user).sort(),
    [
      alice.user.user,
      bot.jid!.user,
    ].sort(),
  );

  await bot.groups.unlinkGroup(c, loose.jid);
  const unlinked = await alice.log.update(loose.jid, "subGroupUnlinked");
  assertEquals(unlinked.change.subGroup.jid.toString(), loose.jid.toString());
  assertEquals((await bot.groups.subGroups(c)).length, 2);
  assertEquals(await status(bot.groups.unlinkGroup(c, loose.jid)), 404);
});

Deno.test("a lid-addressed group: members by LID with their phone numbers; sends and changes work the same", async () => {
  await using wa = await startServer();
  wa.groups.defaultAddressingMode = "lid";
  const { bot, people: [alice, bob] } = await setup(wa, "155507800", 2);
  await using _bot = bot;
  const { group } = await bot.groups.create({ subject: "Private", participants: [alice.user, bob.user] });
  assertEquals(group.addressingMode, "lid");
  assertEquals(group.participants.map((p) => [p.jid.server, p.phoneNumber?.user]), [
    ["lid", bot.jid!.user],
    ["lid", alice.user.user],
    ["lid", bob.user.user],
  ]);
  const read = new Promise<void>((resolve) =>
    alice.client.on("message", (e) => {
      if (messageText(e.message) === "lid hello") resolve();
    })
  );
  await bot.sendText(group.jid, "lid hello");
  await within(read, "alice reads the lid-group message");
  await bot.groups.removeParticipants(group.jid, [bob.user]);
  const removed = await alice.log.update(group.jid, "participantsRemoved");
  assertEquals(
    [removed.change.participants[0].jid.server, removed.change.participants[0].phoneNumber?.user],
    [
      "lid",
      bob.user.user,
    ],
  );
  assertEquals([removed.author?.server, removed.authorPn?.user], ["lid", bot.jid!.user]);
  assertEquals((await alice.client.groups.metadata(group.jid)).participants.length, 2);
});
