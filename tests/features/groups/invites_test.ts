// Invites and communities: request shapes from /work/shared/reference/protocol-facts-features.md §4.1 and §4.5
// (whatsmeow group.go GetGroupInviteLink, GetGroupInfoFromLink, JoinGroupWithLink, GetGroupInfoFromInvite,
// JoinGroupWithInvite, LinkGroup, UnlinkGroup, GetSubGroups, parseGroupLinkTargetNode), and the
// GroupInviteMessage fields of WAE2E (groupJid 1, inviteCode 2, inviteExpiration 3, groupName 4, caption 6,
// groupType 8; src/proto/e2e.proto).
import { assertEquals, assertThrows } from "../../_assert.ts";
import { Jid, type Node, type NodeInput } from "../../../src/binary/mod.ts";
import { InputError, IqError } from "../../../src/features/errors.ts";
import {
  acceptInviteSpec,
  groupInviteMessage,
  INVITE_LINK_PREFIX,
  inviteCodeOf,
  inviteCodeSpec,
  inviteInfoSpec,
  inviteMessageInfoSpec,
  joinWithCodeSpec,
  parseGroupInvite,
} from "../../../src/features/groups/invites.ts";
import {
  linkedParticipantsSpec,
  linkGroupsSpec,
  subGroupsSpec,
  unlinkGroupSpec,
} from "../../../src/features/groups/communities.ts";
import { Message } from "../../../src/proto/mod.ts";

const G = Jid.parse("120363000000000001@g.us");
const C = Jid.parse("120363000000000009@g.us");
const ADMIN = Jid.parse("15550000001:4@s.whatsapp.net");
const res = (content: Node[] = [], from = "g.us"): Node => ({
  tag: "iq",
  attrs: { type: "result", from },
  content,
});
const attrsOf = (content: unknown) =>
  (content as NodeInput[]).map((n) => ({
    tag: n.tag,
    attrs: Object.fromEntries(Object.entries(n.attrs ?? {}).map(([k, v]) => [k, String(v)])),
  }));

Deno.test("invite codes: links and bare codes accepted, anything else refused", () => {
  assertEquals(inviteCodeOf(`${INVITE_LINK_PREFIX}AbCdEf012345`), "AbCdEf012345");
  assertEquals(inviteCodeOf("  AbCdEf012345 "), "AbCdEf012345");
  assertThrows(() => inviteCodeOf("https://example.com/x"), InputError);
  assertThrows(() => inviteCodeOf("abc"), InputError);
});

Deno.test("invite link: get and reset to the group, info and join to g.us", () => {
  const get = inviteCodeSpec(G);
  assertEquals([get.build().type, String(get.build().to)], ["get", G.toString()]);
  assertEquals(inviteCodeSpec(G, true).build().type, "set");
  assertEquals(attrsOf(get.build().content), [{ tag: "invite", attrs: {} }]);
  assertEquals(get.parse(res([{ tag: "invite", attrs: { code: "XYZ123abc" } }])), "XYZ123abc");
  assertThrows(() => get.parse(res([{ tag: "invite", attrs: {} }])), IqError);

  const info = inviteInfoSpec(`${INVITE_LINK_PREFIX}XYZ123abc`);
  assertEquals([info.build().type, String(info.build().to)], ["get", "g.us"]);
  assertEquals(attrsOf(info.build().content), [{ tag: "invite", attrs: { code: "XYZ123abc" } }]);
  assertEquals(
    info.parse(res([{ tag: "group", attrs: { id: G.user, subject: "S" } }])).jid.toString(),
    G.toString(),
  );

  const join = joinWithCodeSpec("XYZ123abc");
  assertEquals(join.build().type, "set");
  assertEquals(join.parse(res([{ tag: "group", attrs: { jid: G.toString() } }])), {
    group: G,
    pending: false,
  });
  assertEquals(
    join.parse(res([{ tag: "membership_approval_request", attrs: { jid: G.toString() } }])),
    { group: G, pending: true },
  );
  assertThrows(
    () => join.parse(res([{ tag: "group", attrs: { jid: "15550000001@s.whatsapp.net" } }])),
    IqError,
  );
});

Deno.test("invite messages: encode and read back through the protobuf; accept and info IQs", () => {
  const expiration = new Date(1_700_000_000_000);
  const bytes = Message.encode(
    groupInviteMessage({ group: G, code: "C0DE", expiration, groupName: "Lunch", caption: "join" }),
  );
  const invite = parseGroupInvite(Message.decode(bytes))!;
  assertEquals([
    invite.group.toString(),
    invite.code,
    invite.expiration.getTime(),
    invite.groupName,
    invite.caption,
    invite.community,
  ], [
    G.toString(),
    "C0DE",
    1_700_000_000_000,
    "Lunch",
    "join",
    false,
  ]);
  assertEquals(parseGroupInvite({ conversation: "hi" }), undefined);
  assertEquals(
    parseGroupInvite({ groupInviteMessage: { groupJid: "15550000001@s.whatsapp.net", inviteCode: "x" } }),
    undefined,
  );
  assertThrows(() => groupInviteMessage({ group: ADMIN, code: "C", expiration }), InputError);

  const accept = acceptInviteSpec(invite, ADMIN);
  const q = accept.build();
  assertEquals([q.type, String(q.to)], ["set", G.toString()]);
  assertEquals(attrsOf(q.content), [{
    tag: "accept",
    attrs: { code: "C0DE", expiration: "1700000000", admin: "15550000001@s.whatsapp.net" },
  }]);
  assertEquals(accept.parse(res([], G.toString())).toString(), G.toString());
  const info = inviteMessageInfoSpec(invite, ADMIN).build();
  assertEquals(attrsOf(info.content), [{ tag: "query", attrs: {} }]);
  assertEquals(attrsOf((info.content as NodeInput[])[0].content), [{
    tag: "add_request",
    attrs: { code: "C0DE", expiration: "1700000000", admin: "15550000001@s.whatsapp.net" },
  }]);
});

Deno.test("communities: link, unlink, subgroups and members", () => {
  const link = linkGroupsSpec(C, [G]).build();
  assertEquals([link.type, String(link.to)], ["set", C.toString()]);
  const links = (link.content as NodeInput[])[0];
  assertEquals(links.tag, "links");
  const linkNode = (links.content as NodeInput[])[0];
  assertEquals([linkNode.tag, linkNode.attrs?.link_type], ["link", "sub_group"]);
  assertEquals(attrsOf(linkNode.content), [{ tag: "group", attrs: { jid: G.toString() } }]);
  assertThrows(() => linkGroupsSpec(C, []), InputError);
  assertThrows(() => linkGroupsSpec(C, [ADMIN]), InputError);
  const unlink = unlinkGroupSpec(C, G).build();
  assertEquals(attrsOf(unlink.content), [{ tag: "unlink", attrs: { unlink_type: "sub_group" } }]);

  const subs = subGroupsSpec(C);
  assertEquals(attrsOf(subs.build().content), [{ tag: "sub_groups", attrs: {} }]);
  const parsed = subs.parse(res([{
    tag: "sub_groups",
    attrs: {},
    content: [
      {
        tag: "group",
        attrs: { id: "120363000000000002", subject: "Announcements", s_t: "1700000000" },
        content: [{ tag: "default_sub_group", attrs: {} }],
      },
      { tag: "group", attrs: { jid: G.toString(), subject: "Garden" } },
      { tag: "group", attrs: { subject: "no id" } },
    ],
  }]));
  assertEquals(parsed.map((g) => [g.jid.toString(), g.subject, g.isDefaultSubGroup]), [
    ["120363000000000002@g.us", "Announcements", true],
    [G.toString(), "Garden", false],
  ]);
  const members = linkedParticipantsSpec(C).parse(res([{
    tag: "linked_groups_participants",
    attrs: {},
    content: [{ tag: "participant", attrs: { jid: "1@lid", phone_number: "15550000001@s.whatsapp.net" } }],
  }]));
  assertEquals(members.map((m) => m.phoneNumber?.user), ["15550000001"]);
});
