// <notification type="w:gp2"> parsing and cache updates. Child shapes from
// /work/shared/reference/protocol-facts-features.md §4.4 (whatsmeow group.go parseGroupChange / parseGroupCreate,
// Baileys Socket/groups.ts handleGroupNotification, whatsapp-rust wacore/src/stanza/groups.rs).
import fc from "npm:fast-check@4.10.2";
import { assert, assertEquals } from "../../_assert.ts";
import { Jid, type Node } from "../../../src/binary/mod.ts";
import { applyGroupChange } from "../../../src/features/groups/apply.ts";
import type { GroupChange } from "../../../src/features/groups/events.ts";
import { parseGroupNotification } from "../../../src/features/groups/notifications.ts";
import { type GroupInfo, parseGroupNode } from "../../../src/features/groups/parse.ts";

const G = "120363000000000001@g.us";
const ACTOR = "15550000001@s.whatsapp.net";
const enc = new TextEncoder();

function notification(children: Node[], attrs: Record<string, string> = {}): Node {
  return {
    tag: "notification",
    attrs: {
      from: G,
      type: "w:gp2",
      id: "N1",
      t: "1700000000",
      participant: ACTOR,
      notify: "Alice",
      ...attrs,
    },
    content: children,
  };
}
const p = (jid: string, extra: Record<string, string> = {}): Node => ({
  tag: "participant",
  attrs: { jid, ...extra },
});

function only(children: Node[], attrs?: Record<string, string>): GroupChange {
  const parsed = parseGroupNotification(notification(children, attrs))!;
  assertEquals(parsed.changes.length, 1);
  return parsed.changes[0];
}

Deno.test("the header: group, author (both addresses), name, time, mode, offline", () => {
  const parsed = parseGroupNotification(notification([{ tag: "locked", attrs: {} }], {
    participant: "100000000000001:3@lid",
    participant_pn: "15550000001:3@s.whatsapp.net",
    addressing_mode: "lid",
    offline: "1",
  }))!;
  assertEquals(parsed.header.group.toString(), G);
  assertEquals([parsed.header.author?.toString(), parsed.header.authorPn?.toString()], [
    "100000000000001@lid",
    "15550000001@s.whatsapp.net",
  ]);
  assertEquals([
    parsed.header.authorName,
    parsed.header.timestamp.getTime(),
    parsed.header.addressingMode,
    parsed.header.offline,
  ], [
    "Alice",
    1_700_000_000_000,
    "lid",
    true,
  ]);
  assertEquals(
    parseGroupNotification({ ...notification([]), attrs: { from: ACTOR, type: "w:gp2" } }),
    undefined,
  );
  assertEquals(parseGroupNotification({ tag: "notification", attrs: { type: "w:gp2" } }), undefined);
});

Deno.test("create: the joined group with reason, type and key", () => {
  const parsed = parseGroupNotification(notification([{
    tag: "create",
    attrs: { type: "new", key: "K1", reason: "invite" },
    content: [{
      tag: "group",
      attrs: { id: "120363000000000001", subject: "New" },
      content: [p(ACTOR, { type: "superadmin" })],
    }],
  }]))!;
  assertEquals(parsed.changes, []);
  const j = parsed.joined!;
  assertEquals([j.group.jid.toString(), j.group.subject, j.type, j.createKey, j.reason, j.author?.user], [
    G,
    "New",
    "new",
    "K1",
    "invite",
    "15550000001",
  ]);
});

Deno.test("participant changes; a member removing themselves left", () => {
  const added = only([{
    tag: "add",
    attrs: { reason: "invite" },
    content: [p("15550000002@s.whatsapp.net", { lid: "2@lid" })],
  }]);
  assert(added.type === "participantsAdded");
  assertEquals([added.reason, added.participants[0].lid?.toString()], ["invite", "2@lid"]);
  const kicked = only([{ tag: "remove", attrs: {}, content: [p("15550000002@s.whatsapp.net")] }]);
  assert(kicked.type === "participantsRemoved" && !kicked.left);
  const left = only([{ tag: "remove", attrs: {}, content: [p(ACTOR)] }]);
  assert(left.type === "participantsRemoved" && left.left);
  assertEquals(only([{ tag: "promote", attrs: {}, content: [p(ACTOR)] }]).type, "participantsPromoted");
  assertEquals(only([{ tag: "demote", attrs: {}, content: [p(ACTOR)] }]).type, "participantsDemoted");
  assertEquals(only([{ tag: "modify", attrs: {}, content: [p(ACTOR)] }]).type, "participantsChangedNumber");
});

Deno.test("info and settings children", () => {
  const table: [Node, GroupChange][] = [
    [{ tag: "subject", attrs: { subject: "S", s_t: "1700000001", s_o: ACTOR } }, {
      type: "subject",
      subject: "S",
      setBy: Jid.parse(ACTOR),
      setByPn: undefined,
      setAt: new Date(1_700_000_001_000),
    }],
    [{ tag: "description", attrs: { id: "D2" }, content: [{ tag: "delete", attrs: {} }] }, {
      type: "description",
      id: "D2",
    }],
    [{ tag: "announcement", attrs: { v_id: "1" } }, { type: "announce", announce: true }],
    [{ tag: "not_announcement", attrs: {} }, { type: "announce", announce: false }],
    [{ tag: "locked", attrs: {} }, { type: "locked", locked: true }],
    [{ tag: "unlocked", attrs: {} }, { type: "locked", locked: false }],
    [{ tag: "member_add_mode", attrs: {}, content: enc.encode("admin_add") }, {
      type: "memberAddMode",
      mode: "admin_add",
    }],
    [
      {
        tag: "membership_approval_mode",
        attrs: {},
        content: [{ tag: "group_join", attrs: { state: "on" } }],
      },
      {
        type: "membershipApproval",
        enabled: true,
      },
    ],
    [{ tag: "ephemeral", attrs: { expiration: "86400", trigger: "1" } }, {
      type: "ephemeral",
      expiration: 86_400,
    }],
    [{ tag: "not_ephemeral", attrs: {} }, { type: "ephemeral", expiration: 0 }],
    [{ tag: "invite", attrs: { code: "NEWCODE1" } }, { type: "inviteLinkChanged", code: "NEWCODE1" }],
    [{ tag: "revoke", attrs: {} }, { type: "inviteLinkRevoked" }],
    [{ tag: "delete", attrs: { reason: "admin" } }, { type: "deleted", reason: "admin" }],
    [{ tag: "suspended", attrs: {} }, { type: "suspended", suspended: true }],
    [{ tag: "brand_new_thing", attrs: {} }, { type: "unknown", tag: "brand_new_thing" }],
  ];
  for (const [child, change] of table) assertEquals(only([child]), change, child.tag);
  const described = only([{
    tag: "description",
    attrs: { id: "D3" },
    content: [{ tag: "body", attrs: {}, content: enc.encode("hello") }],
  }]);
  assert(described.type === "description");
  assertEquals([described.id, described.description?.text], ["D3", "hello"]);
  assertEquals(
    parseGroupNotification(notification([{ tag: "missing_participant_identification", attrs: {} }]))!.changes,
    [],
  );
});

Deno.test("join requests and community links", () => {
  const requested = only([{
    tag: "created_membership_requests",
    attrs: { request_method: "invite_link" },
    content: [{ tag: "requested_user", attrs: { jid: "5@lid", phone_number: "15550000005@s.whatsapp.net" } }],
  }]);
  assert(requested.type === "joinRequested");
  assertEquals([requested.method, requested.requests[0].phoneNumber?.user], ["invite_link", "15550000005"]);
  const asked = only([{ tag: "membership_approval_request", attrs: { request_method: "invite_link" } }]);
  assert(asked.type === "joinRequested");
  assertEquals(asked.requests.map((r) => r.jid.toString()), [ACTOR]);
  assertEquals(
    only([{ tag: "revoked_membership_requests", attrs: {}, content: [p("5@lid")] }]).type,
    "joinRequestsRevoked",
  );
  const linked = only([{
    tag: "link",
    attrs: { link_type: "sub_group" },
    content: [{
      tag: "group",
      attrs: { jid: "120363000000000002@g.us", subject: "Sub" },
      content: [{ tag: "default_sub_group", attrs: {} }],
    }],
  }]);
  assert(linked.type === "subGroupLinked");
  assertEquals([linked.subGroup.subject, linked.subGroup.isDefaultSubGroup], ["Sub", true]);
  const unlinked = only([{
    tag: "unlink",
    attrs: { unlink_type: "sub_group", unlink_reason: "unlink_group" },
    content: [{ tag: "group", attrs: { id: "120363000000000002" } }],
  }]);
  assert(unlinked.type === "subGroupUnlinked");
  assertEquals(unlinked.reason, "unlink_group");
  assertEquals(
    parseGroupNotification(notification([{ tag: "link", attrs: {} }]))!.changes,
    [],
    "a link without a group",
  );
});

function baseGroup(): GroupInfo {
  return parseGroupNode({
    tag: "group",
    attrs: { id: "120363000000000001", subject: "Old", size: "2" },
    content: [
      p(ACTOR, { type: "superadmin", lid: "1@lid" }),
      p("15550000002@s.whatsapp.net", { lid: "2@lid" }),
    ],
  });
}
const header = { author: Jid.parse(ACTOR), timestamp: new Date(1_700_000_000_000) };

Deno.test("applyGroupChange follows each change without touching the original", () => {
  const info = baseGroup();
  const snapshot = structuredClone(info);
  const added = applyGroupChange(info, {
    type: "participantsAdded",
    participants: [
      { jid: Jid.parse("3@lid"), lid: Jid.parse("3@lid"), isAdmin: false, isSuperAdmin: false },
      { jid: Jid.parse("2@lid"), lid: Jid.parse("2@lid"), isAdmin: false, isSuperAdmin: false },
    ],
  }, header)!;
  assertEquals(
    added.participants.map((m) => m.jid.user),
    [ACTOR.split("@")[0], "15550000002", "3"],
    "2@lid is already in",
  );
  assertEquals(added.size, 3);
  const removed = applyGroupChange(added, {
    type: "participantsRemoved",
    left: false,
    participants: [{ jid: Jid.parse("2@lid"), isAdmin: false, isSuperAdmin: false }],
  }, header)!;
  assertEquals([removed.participants.length, removed.size], [2, 2], "matched by its LID");
  const promoted = applyGroupChange(removed, {
    type: "participantsPromoted",
    participants: [{ jid: Jid.parse("3@lid"), isAdmin: false, isSuperAdmin: false }],
  }, header)!;
  assertEquals(promoted.participants.map((m) => m.isAdmin), [true, true]);
  const demoted = applyGroupChange(promoted, {
    type: "participantsDemoted",
    participants: [{ jid: Jid.parse(ACTOR), isAdmin: false, isSuperAdmin: false }],
  }, header)!;
  assertEquals(demoted.participants.map((m) => [m.isAdmin, m.isSuperAdmin]), [[false, false], [true, false]]);
  const renamed = applyGroupChange(info, { type: "subject", subject: "New" }, header)!;
  assertEquals([renamed.subject, renamed.subjectOwner?.toString(), renamed.subjectTime?.getTime()], [
    "New",
    ACTOR,
    1_700_000_000_000,
  ]);
  const described = applyGroupChange(info, {
    type: "description",
    id: "D",
    description: { text: "t", id: "D" },
  }, header)!;
  assertEquals([described.description?.text, described.description?.setBy?.toString()], ["t", ACTOR]);
  assertEquals(applyGroupChange(described, { type: "description", id: "E" }, header)!.description, undefined);
  const s = (c: GroupChange) => applyGroupChange(info, c, header)!;
  assertEquals(s({ type: "announce", announce: true }).announce, true);
  assertEquals(s({ type: "locked", locked: true }).locked, true);
  assertEquals(s({ type: "memberAddMode", mode: "admin_add" }).memberAddMode, "admin_add");
  assertEquals(s({ type: "membershipApproval", enabled: true }).membershipApproval, true);
  assertEquals(s({ type: "ephemeral", expiration: 86_400 }).ephemeralExpiration, 86_400);
  assertEquals(s({ type: "inviteLinkRevoked" }), info);
  assertEquals(applyGroupChange(info, { type: "deleted" }, header), undefined);
  assertEquals(applyGroupChange(info, { type: "unknown", tag: "x" }, header), undefined);
  assertEquals(
    applyGroupChange(info, { type: "participantsChangedNumber", participants: [] }, header),
    undefined,
  );
  assertEquals(info, snapshot, "the cached object was never modified");
});

Deno.test("parseGroupNotification never throws on arbitrary children (bounded property run)", () => {
  const tags = [
    "add",
    "remove",
    "promote",
    "subject",
    "description",
    "ephemeral",
    "invite",
    "link",
    "unlink",
    "create",
    "member_add_mode",
    "created_membership_requests",
    "zzz",
  ];
  const leaf = fc.record({
    tag: fc.constantFrom("participant", "group", "body", "delete", "requested_user", "group_join"),
    attrs: fc.dictionary(
      fc.constantFrom("jid", "id", "subject", "state", "phone_number"),
      fc.string({ maxLength: 24 }),
    ),
  });
  const child = fc.record({
    tag: fc.constantFrom(...tags),
    attrs: fc.dictionary(
      fc.constantFrom("code", "expiration", "subject", "s_t", "id", "reason"),
      fc.string({ maxLength: 16 }),
    ),
    content: fc.oneof(
      fc.constant(undefined),
      fc.uint8Array({ maxLength: 12 }),
      fc.array(leaf, { maxLength: 4 }),
    ),
  });
  fc.assert(
    fc.property(fc.array(child, { maxLength: 6 }), fc.string({ maxLength: 20 }), (children, t) => {
      const parsed = parseGroupNotification(notification(children as Node[], { t }));
      assert(parsed !== undefined && parsed.changes.length <= children.length);
      for (const change of parsed.changes) applyGroupChange(baseGroup(), change, parsed.header);
    }),
    { numRuns: 300, seed: 13 },
  );
});
