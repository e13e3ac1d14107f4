/**
 * FakeWhatsApp's `w:g2` IQs: the groups feature's server side. Requests to `g.us` create groups and
 * communities, list the groups an account is in (`<participating>`), leave groups, and look up or use
 * invite codes; requests to a group read its metadata and change it (see server_groups_members.ts,
 * server_groups_settings.ts, server_groups_invites.ts, server_groups_communities.ts for the rules).
 * Shapes from reference/protocol-facts-features.md 4.1.
 *
 * Errors: 401 for a connection that is not logged in; 404 `item-not-found` for an unknown group; 403
 * `forbidden` when the asking account is not a member; 400 for a request this server cannot read.
 *
 * Create (`<create subject key>`): the subject must be 1 to 100 characters (else 406); each participant
 * is screened like an add (a refused one appears in the answer's `<group>` with its `error`); every
 * member's devices, the creator's included, get `<create type="new" key>` with the group. A community
 * (`<parent>`) also gets its announcement group; a subgroup (`<linked_parent jid/>`) needs its creator
 * to be an admin of the community (401).
 *
 * @module
 */

import { getChild, getChildren, Jid, type Node, type NodeInput } from "../binary/mod.ts";
import { nodeText } from "../features/groups/parse.ts";
import type { Account } from "./accounts.ts";
import { type FakeWhatsApp, iqError } from "./fake_whatsapp.ts";
import { groupNode, isAdmin, isMember, type ServerGroup } from "./groups.ts";
import type { ServerConnection } from "./server_connection.ts";
import type { ServerFeature } from "./server_feature.ts";
import { linkedParticipants, linkGroups, listSubGroups, unlinkGroup } from "./server_groups_communities.ts";
import { acceptInvite, inviteByCode, inviteCode, inviteMessageInfo } from "./server_groups_invites.ts";
import {
  actOnJoinRequests,
  addMembers,
  changeRoles,
  type GroupRefusal,
  isRefusal,
  leave,
  listJoinRequests,
  NOT_ADMIN,
  NOT_MEMBER,
  removeMembers,
  screenAdds,
} from "./server_groups_members.ts";
import { notifyJoined } from "./server_groups_notify.ts";
import { changeGroupSetting } from "./server_groups_settings.ts";
import { SERVER_EPHEMERAL_TIMERS } from "./server_groups_settings.ts";

const SETTING_TAGS: ReadonlySet<string> = new Set([
  "subject",
  "description",
  "ephemeral",
  "not_ephemeral",
  "announcement",
  "not_announcement",
  "locked",
  "unlocked",
  "member_add_mode",
  "membership_approval_mode",
]);

function reply(node: Node, from: Jid | string, content?: NodeInput[]): NodeInput {
  return { tag: "iq", attrs: { from, type: "result", id: node.attrs.id }, content };
}

function refuse(node: Node, from: Jid | string, refusal: GroupRefusal): NodeInput {
  const error = iqError(node, refusal.code, refusal.text);
  return { ...error, attrs: { from, type: "error", id: node.attrs.id } };
}

/** The user JIDs of the `<participant jid>` children (malformed ones dropped). */
function participantJids(node: Node | undefined): Jid[] {
  const out: Jid[] = [];
  for (const p of node ? getChildren(node, "participant") : []) {
    const jid = p.attrs.jid ? Jid.tryParse(p.attrs.jid) : undefined;
    if (jid && (jid.isPn() || jid.isLid())) out.push(jid.toNonAd());
  }
  return out;
}

/** `<create>`: makes the group (and a community's announcement group); the answer's `<group>`. */
function createGroup(wa: FakeWhatsApp, actor: Account, create: Node): NodeInput | GroupRefusal {
  const subject = create.attrs.subject ?? "";
  if (subject.trim().length === 0 || subject.length > 100) return { code: 406, text: "not-acceptable" };
  const community = getChild(create, "parent") !== undefined;
  const linked = getChild(create, "linked_parent")?.attrs.jid;
  let parent: ServerGroup | undefined;
  if (linked) {
    const jid = Jid.tryParse(linked);
    parent = jid && wa.groups.get(jid);
    if (!parent?.isCommunity) return { code: 404, text: "item-not-found" };
    if (!isAdmin(parent, actor)) return NOT_ADMIN;
  }
  const ephemeral = Number(getChild(create, "ephemeral")?.attrs.expiration ?? 0);
  if (ephemeral && !SERVER_EPHEMERAL_TIMERS.includes(ephemeral)) return { code: 400, text: "bad-request" };
  const addMode = nodeText(getChild(create, "member_add_mode"));
  const descriptionNode = getChild(create, "description");
  const description = descriptionNode && nodeText(getChild(descriptionNode, "body"));
  const group = wa.groups.create({
    creator: Jid.pn(actor.phone),
    participants: [],
    subject,
    announce: getChild(create, "announcement") !== undefined,
    locked: getChild(create, "locked") !== undefined,
    memberAddMode: addMode === "admin_add" ? "admin_add" : "all_member_add",
    membershipApproval: getChild(getChild(create, "membership_approval_mode") ?? create, "group_join")?.attrs
      .state === "on",
    ephemeral,
    community,
    parent: parent?.jid,
    description: description || undefined,
  });
  const { results, admitted } = screenAdds(wa, group, actor, participantJids(create));
  for (const a of admitted) group.members.set(a.phone, { account: a, role: "member" });
  const key = create.attrs.key;
  notifyJoined(wa, group, actor, [...group.members.values()].map((m) => m.account), { type: "new", key });
  if (community) {
    const announcement = wa.groups.create({
      creator: Jid.pn(actor.phone),
      participants: admitted.map((a) => Jid.pn(a.phone)),
      subject,
      addressingMode: group.addressingMode,
      announce: true,
      parent: group.jid,
      defaultSubGroup: true,
    });
    notifyJoined(wa, announcement, actor, [...announcement.members.values()].map((m) => m.account), {
      type: "new",
    });
  }
  const node = groupNode(group);
  const failed = results.filter((r) => r.attrs?.error !== undefined);
  return { ...node, content: [...(node.content as NodeInput[]), ...failed] };
}

/** `<leave><group id/>…</leave>`: leaves each; the answer's `<leave>` with a per-group `error` for misses. */
function leaveGroups(wa: FakeWhatsApp, account: Account, node: Node): NodeInput {
  const items: NodeInput[] = [];
  for (const g of getChildren(node, "group")) {
    const id = g.attrs.id ?? "";
    const jid = Jid.tryParse(id.includes("@") ? id : `${id}@g.us`);
    const group = jid && wa.groups.get(jid);
    if (!group) items.push({ tag: "group", attrs: { id, error: "404" } });
    else if (!leave(wa, group, account)) items.push({ tag: "group", attrs: { id, error: "403" } });
    else items.push({ tag: "group", attrs: { id } });
  }
  return { tag: "leave", attrs: {}, content: items };
}

/** Answers a `w:g2` IQ addressed to `g.us`. */
function serverIq(wa: FakeWhatsApp, account: Account, node: Node, child: Node): NodeInput {
  const from = "g.us";
  const set = node.attrs.type === "set";
  let answer: NodeInput | GroupRefusal | undefined;
  switch (child.tag) {
    case "create":
      answer = set ? createGroup(wa, account, child) : undefined;
      break;
    case "participating": {
      const groups = [...wa.groups.all()].filter((g) => isMember(g, account)).map(groupNode);
      answer = { tag: "groups", attrs: {}, content: groups };
      break;
    }
    case "leave":
      answer = set ? leaveGroups(wa, account, child) : undefined;
      break;
    case "invite":
      answer = inviteByCode(wa, account, child, set);
      break;
  }
  if (answer === undefined) return refuse(node, from, { code: 400, text: "bad-request" });
  if (isRefusal(answer)) return refuse(node, from, answer);
  return reply(node, from, [answer]);
}

/** Answers a `w:g2` IQ addressed to a group. */
function groupIqFor(
  wa: FakeWhatsApp,
  account: Account,
  node: Node,
  group: ServerGroup,
  child: Node,
): NodeInput {
  const from = group.jid;
  const set = node.attrs.type === "set";
  const wrap = (tag: string, result: NodeInput[] | GroupRefusal) =>
    isRefusal(result) ? result : { tag, attrs: {}, content: result };
  let answer: NodeInput | GroupRefusal | null | undefined;
  switch (child.tag) {
    case "query":
      if (getChild(child, "add_request")) answer = inviteMessageInfo(wa, group, account, child);
      else answer = isMember(group, account) ? groupNode(group) : NOT_MEMBER;
      break;
    case "add":
      answer = set ? wrap("add", addMembers(wa, group, account, participantJids(child))) : undefined;
      break;
    case "remove":
      answer = set ? wrap("remove", removeMembers(wa, group, account, participantJids(child))) : undefined;
      break;
    case "promote":
    case "demote":
      answer = set
        ? wrap(child.tag, changeRoles(wa, group, account, participantJids(child), child.tag === "promote"))
        : undefined;
      break;
    case "membership_approval_requests":
      answer = wrap("membership_approval_requests", listJoinRequests(group, account));
      break;
    case "membership_requests_action": {
      const action = getChild(child, "approve") ?? getChild(child, "reject");
      if (!set || !action) break;
      const result = actOnJoinRequests(wa, group, account, participantJids(action), action.tag === "approve");
      answer = isRefusal(result) ? result : {
        tag: "membership_requests_action",
        attrs: {},
        content: [{ tag: action.tag, attrs: {}, content: result }],
      };
      break;
    }
    case "invite":
      answer = inviteCode(wa, group, account, set);
      break;
    case "accept":
      answer = set ? (acceptInvite(wa, group, account, child) ?? null) : undefined;
      break;
    case "links":
      answer = set ? (linkGroups(wa, group, account, child) ?? null) : undefined;
      break;
    case "unlink":
      answer = set ? (unlinkGroup(wa, group, account, child) ?? null) : undefined;
      break;
    case "sub_groups":
      answer = listSubGroups(wa, group, account);
      break;
    case "linked_groups_participants":
      answer = linkedParticipants(wa, group, account);
      break;
    default:
      if (set && SETTING_TAGS.has(child.tag)) answer = changeGroupSetting(wa, group, account, child) ?? null;
  }
  if (answer === undefined) return refuse(node, from, { code: 400, text: "bad-request" });
  if (answer === null) return reply(node, from);
  if (isRefusal(answer)) return refuse(node, from, answer);
  return reply(node, from, [answer]);
}

/** `iq xmlns="w:g2"`: every group request. */
export function groupIq(wa: FakeWhatsApp, conn: ServerConnection, node: Node): NodeInput {
  const account = conn.device ? wa.accounts.byJid(conn.device) : undefined;
  if (!account) return iqError(node, 401, "not-authorized");
  const to = node.attrs.to ? Jid.tryParse(node.attrs.to) : undefined;
  const child = getChildren(node)[0];
  if (!to || !child) return iqError(node, 400, "bad-request");
  if (to.isServerOnly() && to.server === "g.us") return serverIq(wa, account, node, child);
  const group = wa.groups.get(to);
  if (!group) return refuse(node, to, { code: 404, text: "item-not-found" });
  // Someone outside may only use an invite message addressed to them; everything else needs membership.
  if (!isMember(group, account) && child.tag !== "accept" && !getChild(child, "add_request")) {
    const community = group.isCommunity &&
      (child.tag === "sub_groups" || child.tag === "linked_groups_participants");
    if (!community) return refuse(node, to, NOT_MEMBER);
  }
  return groupIqFor(wa, account, node, group, child);
}

/** The groups feature's server side. */
export const groupsFeature: ServerFeature = {
  name: "groups",
  iq: { "w:g2": groupIq },
};
