/**
 * Communities: a community is a parent group whose subgroups are linked to it; one of them, the default
 * subgroup, is its announcement group (only admins send). A community is created like a group with a
 * `<parent>` child (see `createGroupSpec`), a subgroup with `<linked_parent jid/>`. Existing groups are
 * linked and unlinked with `<links>` / `<unlink>` to the community, and `<sub_groups/>` lists them.
 * Shapes from reference/protocol-facts-features.md 4.5 (whatsmeow group.go `LinkGroup`, `UnlinkGroup`,
 * `GetSubGroups`, `GetLinkedGroupsParticipants`, `parseGroupLinkTargetNode`).
 *
 * @module
 */

import { getChild, getChildren, type Jid, type Node } from "../../binary/mod.ts";
import { InputError } from "../errors.ts";
import { type IqSpec, requireChild } from "../iq.ts";
import { groupJidOf, type GroupMember, parseParticipants, timeAttr } from "./parse.ts";

/** A subgroup of a community, as `<sub_groups>` and link notifications describe it. */
export interface SubGroup {
  /** The subgroup. */
  jid: Jid;
  /** Its subject. */
  subject: string;
  /** When the subject was set. */
  subjectTime?: Date;
  /** True for the community's default subgroup (its announcement group). */
  isDefaultSubGroup: boolean;
}

/** Reads a `<group jid|id subject s_t>[<default_sub_group/>]</group>`; `undefined` without a group JID. */
export function parseSubGroup(node: Node): SubGroup | undefined {
  const jid = groupJidOf(node);
  if (!jid) return undefined;
  return {
    jid,
    subject: node.attrs.subject ?? "",
    subjectTime: timeAttr(node, "s_t"),
    isDefaultSubGroup: getChild(node, "default_sub_group") !== undefined,
  };
}

function checkGroups(groups: readonly Jid[]): void {
  if (groups.length === 0) throw new InputError("invalid_argument", "groups", "expected at least one group");
  for (const g of groups) {
    if (!g.isGroup()) throw new InputError("invalid_jid", "groups", `expected group JIDs (…@g.us), got ${g}`);
  }
}

/** Links existing groups to a community (`<links><link link_type="sub_group"><group jid/>…`). */
export function linkGroupsSpec(community: Jid, groups: readonly Jid[]): IqSpec<void> {
  checkGroups(groups);
  return {
    operation: "link groups to community",
    about: community,
    build: () => ({
      namespace: "w:g2",
      type: "set",
      to: community,
      content: [{
        tag: "links",
        attrs: {},
        content: [{
          tag: "link",
          attrs: { link_type: "sub_group" },
          content: groups.map((g) => ({ tag: "group", attrs: { jid: g } })),
        }],
      }],
    }),
    parse: () => undefined,
  };
}

/** Unlinks a group from a community (`<unlink unlink_type="sub_group"><group jid/></unlink>`). */
export function unlinkGroupSpec(community: Jid, group: Jid): IqSpec<void> {
  checkGroups([group]);
  return {
    operation: "unlink group from community",
    about: community,
    build: () => ({
      namespace: "w:g2",
      type: "set",
      to: community,
      content: [{
        tag: "unlink",
        attrs: { unlink_type: "sub_group" },
        content: [{ tag: "group", attrs: { jid: group } }],
      }],
    }),
    parse: () => undefined,
  };
}

/** A community's subgroups (`<sub_groups/>`). */
export function subGroupsSpec(community: Jid): IqSpec<SubGroup[]> {
  const spec: IqSpec<SubGroup[]> = {
    operation: "list community subgroups",
    about: community,
    build: () => ({
      namespace: "w:g2",
      type: "get",
      to: community,
      content: [{ tag: "sub_groups", attrs: {} }],
    }),
    parse: (res) =>
      getChildren(requireChild(spec, res, "sub_groups"), "group")
        .map(parseSubGroup)
        .filter((g): g is SubGroup => g !== undefined),
  };
  return spec;
}

/** Every member of every group of a community (`<linked_groups_participants/>`). */
export function linkedParticipantsSpec(community: Jid): IqSpec<GroupMember[]> {
  const spec: IqSpec<GroupMember[]> = {
    operation: "list community members",
    about: community,
    build: () => ({
      namespace: "w:g2",
      type: "get",
      to: community,
      content: [{ tag: "linked_groups_participants", attrs: {} }],
    }),
    parse: (res) => parseParticipants(requireChild(spec, res, "linked_groups_participants")),
  };
  return spec;
}
