/**
 * FakeWhatsApp's communities (reference/protocol-facts-features.md 4.5): a community is a group with
 * `isCommunity`; creating one also creates its announcement group (the default subgroup: announcement
 * mode on, the community's members), as the real server does. Subgroups point at their community
 * (`parent`).
 *
 * - `<links><link link_type="sub_group"><group jid/>…` links existing groups: the actor must be an
 *   admin of the community (401) and of each group (401); an unknown group is 404, one already in a
 *   community 409. Members of the community and of the group get `<link link_type="sub_group"><group
 *   jid subject s_t/></link>`.
 * - `<unlink unlink_type="sub_group"><group jid/></unlink>`: admins of the community; 404 when the group
 *   is not its subgroup. Members of both get `<unlink unlink_type unlink_reason><group/></unlink>`.
 * - `<sub_groups/>` lists `<group id subject s_t creation>[<default_sub_group/>]`, and
 *   `<linked_groups_participants/>` every member of the community and its subgroups.
 *
 * @module
 */

import { getChild, getChildren, Jid, type Node, type NodeInput } from "../binary/mod.ts";
import type { Account } from "./accounts.ts";
import type { FakeWhatsApp } from "./fake_whatsapp.ts";
import { isAdmin, isMember, participantNode, type ServerGroup } from "./groups.ts";
import { type GroupRefusal, NOT_ADMIN, NOT_MEMBER } from "./server_groups_members.ts";
import { memberAccounts, notifyGroup } from "./server_groups_notify.ts";

function mayManage(community: ServerGroup, actor: Account): GroupRefusal | undefined {
  if (!community.isCommunity) return { code: 400, text: "bad-request" };
  if (!isMember(community, actor)) return NOT_MEMBER;
  if (!isAdmin(community, actor)) return NOT_ADMIN;
  return undefined;
}

function subGroupNode(group: ServerGroup): NodeInput {
  return {
    tag: "group",
    attrs: { jid: group.jid, subject: group.subject, s_t: String(group.subjectTime) },
    content: group.isDefaultSubGroup ? [{ tag: "default_sub_group", attrs: {} }] : undefined,
  };
}

function tellBoth(
  wa: FakeWhatsApp,
  community: ServerGroup,
  sub: ServerGroup,
  actor: Account,
  node: NodeInput,
) {
  notifyGroup(wa, community, actor, [node], memberAccounts(community));
  notifyGroup(wa, sub, actor, [node], memberAccounts(sub));
}

/** `<links>`: links existing groups to a community; nothing, or a refusal. */
export function linkGroups(
  wa: FakeWhatsApp,
  community: ServerGroup,
  actor: Account,
  links: Node,
): GroupRefusal | undefined {
  const refusal = mayManage(community, actor);
  if (refusal) return refusal;
  const targets: ServerGroup[] = [];
  for (const link of getChildren(links, "link")) {
    for (const g of getChildren(link, "group")) {
      const jid = g.attrs.jid ? Jid.tryParse(g.attrs.jid) : undefined;
      const sub = jid && wa.groups.get(jid);
      if (!sub || sub.isCommunity) return { code: 404, text: "item-not-found" };
      if (!isAdmin(sub, actor)) return NOT_ADMIN;
      if (sub.parent && !sub.parent.equals(community.jid)) return { code: 409, text: "conflict" };
      targets.push(sub);
    }
  }
  if (targets.length === 0) return { code: 400, text: "bad-request" };
  for (const sub of targets) {
    sub.parent = community.jid;
    tellBoth(wa, community, sub, actor, {
      tag: "link",
      attrs: { link_type: "sub_group" },
      content: [subGroupNode(sub)],
    });
  }
  return undefined;
}

/** `<unlink>`: removes a subgroup from a community; nothing, or a refusal. */
export function unlinkGroup(
  wa: FakeWhatsApp,
  community: ServerGroup,
  actor: Account,
  unlink: Node,
): GroupRefusal | undefined {
  const refusal = mayManage(community, actor);
  if (refusal) return refusal;
  const target = getChild(unlink, "group");
  const jid = target?.attrs.jid ? Jid.tryParse(target.attrs.jid) : undefined;
  const sub = jid && wa.groups.get(jid);
  if (!sub || !sub.parent?.equals(community.jid) || sub.isDefaultSubGroup) {
    return { code: 404, text: "item-not-found" };
  }
  sub.parent = undefined;
  tellBoth(wa, community, sub, actor, {
    tag: "unlink",
    attrs: { unlink_type: "sub_group", unlink_reason: "unlink_group" },
    content: [subGroupNode(sub)],
  });
  return undefined;
}

/** Whether an account may see a community's structure: a member of it or of one of its subgroups. */
function maySee(wa: FakeWhatsApp, community: ServerGroup, account: Account): boolean {
  return isMember(community, account) || wa.groups.subGroups(community.jid).some((g) => isMember(g, account));
}

/** `<sub_groups/>`: the answer's `<sub_groups>` node, or a refusal. */
export function listSubGroups(
  wa: FakeWhatsApp,
  community: ServerGroup,
  account: Account,
): NodeInput | GroupRefusal {
  if (!community.isCommunity) return { code: 400, text: "bad-request" };
  if (!maySee(wa, community, account)) return NOT_MEMBER;
  return {
    tag: "sub_groups",
    attrs: {},
    content: wa.groups.subGroups(community.jid).map((g) => {
      const node = subGroupNode(g);
      return {
        ...node,
        attrs: {
          id: g.jid.user,
          subject: g.subject,
          s_t: String(g.subjectTime),
          creation: String(g.creation),
        },
      };
    }),
  };
}

/** `<linked_groups_participants/>`: every member of the community and its subgroups. */
export function linkedParticipants(
  wa: FakeWhatsApp,
  community: ServerGroup,
  account: Account,
): NodeInput | GroupRefusal {
  if (!community.isCommunity) return { code: 400, text: "bad-request" };
  if (!maySee(wa, community, account)) return NOT_MEMBER;
  const seen = new Map<string, Account>();
  for (const g of [community, ...wa.groups.subGroups(community.jid)]) {
    for (const m of g.members.values()) seen.set(m.account.phone, m.account);
  }
  return {
    tag: "linked_groups_participants",
    attrs: {},
    content: [...seen.values()].map((a) => participantNode(community, a)),
  };
}
