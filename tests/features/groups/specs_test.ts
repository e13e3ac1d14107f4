// The w:g2 request specs: build() against the shapes of /work/shared/reference/protocol-facts-features.md §4.1
// (whatsmeow group.go CreateGroup, LeaveGroup, UpdateGroupParticipants, GetGroupRequestParticipants,
// UpdateGroupRequestParticipants, SetGroupName, SetGroupTopic, SetGroupLocked, SetGroupAnnounce,
// GetJoinedGroups), and parse() on hand-built answers of the shapes those functions read.
import { assertEquals, assertThrows } from "../../_assert.ts";
import { Jid, type Node, type NodeInput } from "../../../src/binary/mod.ts";
import { InputError, IqError } from "../../../src/features/errors.ts";
import { checkParticipants, GROUP_SIZE_LIMIT } from "../../../src/features/groups/options.ts";
import {
  createGroupSpec,
  descriptionSpec,
  groupInfoSpec,
  joinRequestsActionSpec,
  joinRequestsSpec,
  leaveGroupSpec,
  participantsSpec,
  participatingSpec,
  settingSpec,
  subjectSpec,
} from "../../../src/features/groups/specs.ts";
import { groupDisappearingSpec } from "../../../src/features/disappearing.ts";
import { asNode } from "../helpers.ts";

const G = Jid.parse("120363000000000001@g.us");
const A = Jid.parse("15550000001@s.whatsapp.net");
const L = Jid.parse("100000000000002@lid");
const LP = Jid.parse("15550000002@s.whatsapp.net");

function result(content: Node[] = []): Node {
  return { tag: "iq", attrs: { type: "result", from: G.toString() }, content };
}

/** The built content as plain tags/attrs (JIDs as strings) for comparison. */
function shape(content: unknown): unknown {
  return Array.isArray(content) ? (content as NodeInput[]).map(asNode) : content;
}

Deno.test("metadata and participating: get requests and their answers", () => {
  const info = groupInfoSpec(G);
  const q = info.build();
  assertEquals([q.namespace, q.type, String(q.to)], ["w:g2", "get", G.toString()]);
  assertEquals(shape(q.content), [{ tag: "query", attrs: { request: "interactive" } }]);
  assertEquals(info.parse(result([{ tag: "group", attrs: { id: G.user, subject: "S" } }])).subject, "S");
  assertEquals(assertThrows(() => info.parse(result()), IqError).code, "bad_response");

  const list = participatingSpec();
  const lq = list.build();
  assertEquals([lq.type, String(lq.to)], ["get", "g.us"]);
  assertEquals(shape(lq.content), [{
    tag: "participating",
    attrs: {},
    content: [{ tag: "participants", attrs: {} }, { tag: "description", attrs: {} }],
  }]);
  const groups = list.parse(result([{
    tag: "groups",
    attrs: {},
    content: [
      { tag: "group", attrs: { id: "120363000000000001", subject: "one" } },
      { tag: "group", attrs: { id: "120363000000000002", subject: "two" } },
    ],
  }]));
  assertEquals(groups.map((g) => [g.jid.toString(), g.subject]), [
    ["120363000000000001@g.us", "one"],
    ["120363000000000002@g.us", "two"],
  ]);
});

Deno.test("create: children in whatsmeow's order, LID participants with their phone number, failures read", () => {
  const spec = createGroupSpec({
    subject: "Team",
    participants: [A, { jid: L, phoneNumber: LP }],
    locked: true,
    announce: true,
    ephemeral: 86_400,
    membershipApproval: true,
    memberAddMode: "admin_add",
    parent: "120363000000000009@g.us",
    createKey: "KEY",
  });
  const q = spec.build();
  assertEquals([q.type, String(q.to)], ["set", "g.us"]);
  assertEquals(shape(q.content), [{
    tag: "create",
    attrs: { subject: "Team", key: "KEY" },
    content: [
      { tag: "member_add_mode", attrs: {}, content: "admin_add" },
      { tag: "participant", attrs: { jid: A.toString() } },
      { tag: "participant", attrs: { jid: L.toString(), phone_number: LP.toString() } },
      { tag: "linked_parent", attrs: { jid: "120363000000000009@g.us" } },
      { tag: "locked", attrs: {} },
      { tag: "announcement", attrs: {} },
      { tag: "ephemeral", attrs: { expiration: "86400", trigger: "1" } },
      {
        tag: "membership_approval_mode",
        attrs: {},
        content: [{ tag: "group_join", attrs: { state: "on" } }],
      },
    ],
  }]);
  const community = createGroupSpec({ subject: "C", participants: [], community: true, description: "d" })
    .build();
  const tags =
    (shape(community.content) as { content: { tag: string; attrs: Record<string, string> }[] }[])[0].content;
  assertEquals(tags.map((t) => t.tag), [
    "member_add_mode",
    "description",
    "parent",
    "allow_non_admin_sub_group_creation",
  ]);
  assertEquals(tags[2].attrs, { default_membership_approval_mode: "request_required" });

  const answer = spec.parse(result([{
    tag: "group",
    attrs: { id: G.user, subject: "Team" },
    content: [
      { tag: "participant", attrs: { jid: A.toString(), type: "superadmin" } },
      {
        tag: "participant",
        attrs: { jid: LP.toString(), error: "403" },
        content: [{ tag: "add_request", attrs: { code: "C0DE", expiration: "1700000000" } }],
      },
    ],
  }]));
  assertEquals(answer.group.participants.map((p) => p.jid.user), [A.user]);
  assertEquals(answer.failed.map((f) => [f.jid.user, f.status, f.outcome, f.addRequest?.code]), [
    [LP.user, 403, "invite_needed", "C0DE"],
  ]);
  assertEquals(answer.failed[0].addRequest?.expiration.getTime(), 1_700_000_000_000);
});

Deno.test("input checks: subject and description lengths, timers, participant lists", () => {
  assertThrows(() => createGroupSpec({ subject: "x".repeat(101), participants: [] }), InputError);
  assertThrows(() => createGroupSpec({ subject: "   ", participants: [] }), InputError);
  createGroupSpec({ subject: "x".repeat(100), participants: [] });
  assertThrows(() => createGroupSpec({ subject: "s", participants: [], ephemeral: 5 }), InputError);
  assertThrows(() => descriptionSpec(G, "d".repeat(2049), "ID"), InputError);
  descriptionSpec(G, "d".repeat(2048), "ID");
  assertThrows(() => participantsSpec(G, "add", []), InputError);
  assertThrows(() => checkParticipants([G]), InputError);
  assertThrows(() => checkParticipants(["15551234567"]), InputError);
  const many = Array.from({ length: GROUP_SIZE_LIMIT + 1 }, (_, i) => Jid.pn(String(15550000000 + i)));
  assertThrows(() => checkParticipants(many), InputError);
  assertEquals(
    checkParticipants(["15550000001@c.us", A, Jid.pn(A.user, 3)]).map((p) => p.jid.toString()),
    [A.toString()],
    "duplicates (and devices) fold into one user",
  );
});

Deno.test("leave: to g.us with the group id; a per-group error is an IqError", () => {
  const spec = leaveGroupSpec(G);
  const q = spec.build();
  assertEquals([q.type, String(q.to)], ["set", "g.us"]);
  assertEquals(shape(q.content), [{
    tag: "leave",
    attrs: {},
    content: [{ tag: "group", attrs: { id: G.toString() } }],
  }]);
  spec.parse(result());
  spec.parse(result([{ tag: "leave", attrs: {}, content: [{ tag: "group", attrs: { id: G.toString() } }] }]));
  const e = assertThrows(
    () =>
      spec.parse(
        result([{
          tag: "leave",
          attrs: {},
          content: [{ tag: "group", attrs: { id: G.toString(), error: "403" } }],
        }]),
      ),
    IqError,
  );
  assertEquals([e.code, e.status], ["server", 403]);
});

Deno.test("participant changes: one result per participant with the server's codes (facts §4.3)", () => {
  const add = participantsSpec(G, "add", [{ jid: A }, { jid: L, phoneNumber: LP }]);
  assertEquals(shape(add.build().content), [{
    tag: "add",
    attrs: {},
    content: [
      { tag: "participant", attrs: { jid: A.toString() } },
      { tag: "participant", attrs: { jid: L.toString(), phone_number: LP.toString() } },
    ],
  }]);
  const remove = participantsSpec(G, "remove", [{ jid: L, phoneNumber: LP }]);
  assertEquals(shape(remove.build().content), [{
    tag: "remove",
    attrs: {},
    content: [{ tag: "participant", attrs: { jid: L.toString() } }],
  }]);
  const codes = ["", "403", "404", "408", "409", "500", "418"];
  const parsed = add.parse(result([{
    tag: "add",
    attrs: {},
    content: codes.map((code, i): Node => ({
      tag: "participant",
      attrs: code
        ? { jid: `1555000010${i}@s.whatsapp.net`, error: code }
        : { jid: `1555000010${i}@s.whatsapp.net`, lid: "1@lid" },
    })),
  }]));
  assertEquals(parsed.map((r) => [r.status, r.outcome]), [
    [200, "ok"],
    [403, "not_allowed"],
    [404, "not_found"],
    [408, "recently_left"],
    [409, "already_member"],
    [500, "group_full"],
    [418, "other"],
  ]);
  assertEquals(parsed[0].lid?.toString(), "1@lid");
  assertThrows(() => add.parse(result([{ tag: "remove", attrs: {} }])), IqError);
});

Deno.test("join requests: listing and the approve/reject action", () => {
  const list = joinRequestsSpec(G);
  assertEquals(shape(list.build().content), [{ tag: "membership_approval_requests", attrs: {} }]);
  const requests = list.parse(result([{
    tag: "membership_approval_requests",
    attrs: {},
    content: [
      {
        tag: "membership_approval_request",
        attrs: { jid: L.toString(), phone_number: LP.toString(), request_time: "1700000000" },
      },
      { tag: "membership_approval_request", attrs: { jid: "garbage" } },
    ],
  }]));
  assertEquals(requests.map((r) => [r.jid.toString(), r.phoneNumber?.toString(), r.requestedAt?.getTime()]), [
    [L.toString(), LP.toString(), 1_700_000_000_000],
  ]);
  const approve = joinRequestsActionSpec(G, "approve", [{ jid: L }]);
  assertEquals(shape(approve.build().content), [{
    tag: "membership_requests_action",
    attrs: {},
    content: [{ tag: "approve", attrs: {}, content: [{ tag: "participant", attrs: { jid: L.toString() } }] }],
  }]);
  const r = approve.parse(result([{
    tag: "membership_requests_action",
    attrs: {},
    content: [{
      tag: "approve",
      attrs: {},
      content: [{ tag: "participant", attrs: { jid: L.toString(), error: "404" } }],
    }],
  }]));
  assertEquals(r.map((x) => x.outcome), ["not_found"]);
});

Deno.test("subject, description (id chain, delete) and settings", () => {
  assertEquals(shape(subjectSpec(G, "New").build().content), [{ tag: "subject", attrs: {}, content: "New" }]);
  assertEquals(shape(descriptionSpec(G, "text", "NEW", "OLD").build().content), [{
    tag: "description",
    attrs: { id: "NEW", prev: "OLD" },
    content: [{ tag: "body", attrs: {}, content: "text" }],
  }]);
  assertEquals(shape(descriptionSpec(G, undefined, "NEW").build().content), [{
    tag: "description",
    attrs: { id: "NEW", delete: "true" },
  }]);
  const settings: [Parameters<typeof settingSpec>[1], unknown][] = [
    [{ setting: "announce", value: true }, { tag: "announcement", attrs: {} }],
    [{ setting: "announce", value: false }, { tag: "not_announcement", attrs: {} }],
    [{ setting: "locked", value: true }, { tag: "locked", attrs: {} }],
    [{ setting: "locked", value: false }, { tag: "unlocked", attrs: {} }],
    [{ setting: "memberAddMode", value: "all_member_add" }, {
      tag: "member_add_mode",
      attrs: {},
      content: "all_member_add",
    }],
    [{ setting: "membershipApproval", value: false }, {
      tag: "membership_approval_mode",
      attrs: {},
      content: [{ tag: "group_join", attrs: { state: "off" } }],
    }],
  ];
  for (const [change, node] of settings) {
    const q = settingSpec(G, change).build();
    assertEquals([q.type, String(q.to)], ["set", G.toString()]);
    assertEquals(shape(q.content), [node]);
  }
  assertEquals(shape(groupDisappearingSpec(G, 0).build().content), [{ tag: "not_ephemeral", attrs: {} }]);
});
