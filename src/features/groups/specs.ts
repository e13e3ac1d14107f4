/**
 * The group IQs (`xmlns="w:g2"`) as pure specs: metadata, the list of groups we are in, create, leave,
 * participant changes and join requests, subject, description and settings. Shapes from
 * reference/protocol-facts-features.md 4.1 (whatsmeow group.go `CreateGroup`, `LeaveGroup`,
 * `UpdateGroupParticipants`, `GetGroupRequestParticipants`, `UpdateGroupRequestParticipants`,
 * `SetGroupName`, `SetGroupTopic`, `SetGroupLocked`, `SetGroupAnnounce`, `GetJoinedGroups`).
 *
 * @module
 */

import { getChild, getChildren, Jid, type Node, type NodeInput } from "../../binary/mod.ts";
import { randomBytes } from "../../crypto/mod.ts";
import { checkDisappearingTimer } from "../disappearing.ts";
import { IqError } from "../errors.ts";
import { type IqSpec, requireChild } from "../iq.ts";
import {
  checkDescription,
  checkParticipants,
  checkSubject,
  type CreateGroupOptions,
  type ParticipantInput,
} from "./options.ts";
import { type GroupInfo, type MemberAddMode, parseGroupNode, parseParticipant, timeAttr } from "./parse.ts";

/** Where requests about no particular group go. */
export const GROUP_SERVER = "g.us";

/**
 * What happened to one participant of a change, from the server's per-participant `error` code
 * (facts 4.3): `ok` (no code), `not_allowed` (403, e.g. not an admin of it), `invite_needed` (403 with an
 * `<add_request>`: their privacy settings need an invite, send `inviteMessage` with `addRequest`),
 * `not_found` (404: not on WhatsApp, not a member, no request), `recently_left` (408), `already_member`
 * (409), `group_full` (500), `other`.
 */
export type ParticipantOutcome =
  | "ok"
  | "not_allowed"
  | "invite_needed"
  | "not_found"
  | "recently_left"
  | "already_member"
  | "group_full"
  | "other";

/** The result for one participant of an add, remove, promote, demote, approve or reject. */
export interface ParticipantResult {
  /** The participant as the server echoed it. */
  jid: Jid;
  /** 200 when it worked, else the server's code (403, 404, 408, 409, 500...). */
  status: number;
  /** What the code means. */
  outcome: ParticipantOutcome;
  /** Its phone number, when the server gave one. */
  phoneNumber?: Jid;
  /** Its LID, when the server gave one. */
  lid?: Jid;
  /** For `invite_needed`: the code and expiry of the invite to send them (`Groups.sendInvite`). */
  addRequest?: { code: string; expiration: Date };
}

/** A pending request to join a group. */
export interface JoinRequest {
  /** Who asked. */
  jid: Jid;
  /** Their phone number, when given (lid-mode groups). */
  phoneNumber?: Jid;
  /** When they asked. */
  requestedAt?: Date;
}

/** What `create` answers: the new group, and the participants the server did not add. */
export interface GroupCreateResult {
  /** The new group's metadata. */
  group: GroupInfo;
  /** Participants that were not added, with why (privacy settings, not on WhatsApp, ...). */
  failed: ParticipantResult[];
}

const OUTCOMES: Readonly<Record<number, ParticipantOutcome>> = {
  200: "ok",
  403: "not_allowed",
  404: "not_found",
  408: "recently_left",
  409: "already_member",
  500: "group_full",
};

/** Reads one `<participant jid [error] [phone_number|lid]>[<add_request code expiration/>]`. */
export function parseParticipantResult(p: Node): ParticipantResult | undefined {
  const jidText = p.attrs.jid;
  const jid = jidText ? Jid.tryParse(jidText) : undefined;
  if (!jid) return undefined;
  const code = Number(p.attrs.error ?? "200");
  const status = Number.isSafeInteger(code) && code > 0 ? code : 200;
  const result: ParticipantResult = { jid: jid.toNonAd(), status, outcome: OUTCOMES[status] ?? "other" };
  const member = parseParticipant(p);
  if (member?.phoneNumber) result.phoneNumber = member.phoneNumber;
  if (member?.lid) result.lid = member.lid;
  const addRequest = getChild(p, "add_request");
  if (addRequest?.attrs.code) {
    result.addRequest = {
      code: addRequest.attrs.code,
      expiration: timeAttr(addRequest, "expiration") ?? new Date(0),
    };
    if (status === 403) result.outcome = "invite_needed";
  }
  return result;
}

/** The `<participant>` nodes of a request. */
function participantNodes(list: readonly ParticipantInput[], withPhone: boolean): NodeInput[] {
  return list.map((p) => ({
    tag: "participant",
    attrs: { jid: p.jid, phone_number: withPhone && p.jid.isLid() ? p.phoneNumber : undefined },
  }));
}

/** A random id in WhatsApp Web's style, for description ids and create keys. */
export function randomGroupId(): string {
  return randomBytes(8).toHex().toUpperCase();
}

/** The group metadata query (`iq xmlns="w:g2" type="get" to=GROUP <query request="interactive"/>`). */
export function groupInfoSpec(group: Jid): IqSpec<GroupInfo> {
  const spec: IqSpec<GroupInfo> = {
    operation: "group info",
    about: group,
    build: () => ({
      namespace: "w:g2",
      type: "get",
      to: group,
      content: [{ tag: "query", attrs: { request: "interactive" } }],
    }),
    parse: (res: Node) => parseGroupNode(requireChild(spec, res, "group")),
  };
  return spec;
}

/** Every group we are a member of (`<participating><participants/><description/></participating>`). */
export function participatingSpec(): IqSpec<GroupInfo[]> {
  const spec: IqSpec<GroupInfo[]> = {
    operation: "list joined groups",
    build: () => ({
      namespace: "w:g2",
      type: "get",
      to: GROUP_SERVER,
      content: [{
        tag: "participating",
        attrs: {},
        content: [{ tag: "participants", attrs: {} }, { tag: "description", attrs: {} }],
      }],
    }),
    parse: (res) => getChildren(requireChild(spec, res, "groups"), "group").map(parseGroupNode),
  };
  return spec;
}

/**
 * Creates a group or community (`<create subject key>` to `g.us`; children in the order whatsmeow's
 * `CreateGroup` sends them, plus the community children of Baileys' `communityCreate`). Throws
 * `InputError` for a bad subject, description, timer or participant list.
 */
export function createGroupSpec(options: CreateGroupOptions): IqSpec<GroupCreateResult> {
  const subject = checkSubject(options.subject);
  const participants = checkParticipants(options.participants, "participants", true);
  if (options.ephemeral !== undefined) checkDisappearingTimer(options.ephemeral);
  if (options.description !== undefined) checkDescription(options.description);
  const parent = options.parent === undefined
    ? undefined
    : (typeof options.parent === "string" ? Jid.parse(options.parent) : options.parent);
  const key = options.createKey ?? randomGroupId();
  const children: NodeInput[] = [
    { tag: "member_add_mode", attrs: {}, content: options.memberAddMode ?? "all_member_add" },
    ...participantNodes(participants, true),
  ];
  if (options.description) {
    children.push({
      tag: "description",
      attrs: { id: randomGroupId() },
      content: [{ tag: "body", attrs: {}, content: options.description }],
    });
  }
  if (options.community) {
    children.push(
      { tag: "parent", attrs: { default_membership_approval_mode: "request_required" } },
      { tag: "allow_non_admin_sub_group_creation", attrs: {} },
    );
  } else if (parent) {
    children.push({ tag: "linked_parent", attrs: { jid: parent } });
  }
  if (options.locked) children.push({ tag: "locked", attrs: {} });
  if (options.announce) children.push({ tag: "announcement", attrs: {} });
  if (options.ephemeral) {
    children.push({ tag: "ephemeral", attrs: { expiration: String(options.ephemeral), trigger: "1" } });
  }
  if (options.membershipApproval) {
    children.push({
      tag: "membership_approval_mode",
      attrs: {},
      content: [{ tag: "group_join", attrs: { state: "on" } }],
    });
  }
  const spec: IqSpec<GroupCreateResult> = {
    operation: options.community ? "create community" : "create group",
    build: () => ({
      namespace: "w:g2",
      type: "set",
      to: GROUP_SERVER,
      content: [{ tag: "create", attrs: { subject, key }, content: children }],
    }),
    parse: (res) => {
      const node = requireChild(spec, res, "group");
      const failed = getChildren(node, "participant")
        .filter((p) => p.attrs.error !== undefined)
        .map(parseParticipantResult)
        .filter((r): r is ParticipantResult => r !== undefined);
      return { group: parseGroupNode(node), failed };
    },
  };
  return spec;
}

/**
 * Leaves a group (`<leave><group id=GROUP/></leave>` to `g.us`). A per-group `error` in the answer is
 * an {@linkcode IqError} like an IQ-level one.
 */
export function leaveGroupSpec(group: Jid): IqSpec<void> {
  const spec: IqSpec<void> = {
    operation: "leave group",
    about: group,
    build: () => ({
      namespace: "w:g2",
      type: "set",
      to: GROUP_SERVER,
      content: [{ tag: "leave", attrs: {}, content: [{ tag: "group", attrs: { id: group } }] }],
    }),
    parse: (res) => {
      const leave = getChild(res, "leave");
      const item = leave && getChildren(leave, "group").find((g) => g.attrs.id === group.toString());
      const code = Number(item?.attrs.error);
      if (item?.attrs.error !== undefined && code !== 200) {
        throw new IqError("server", {
          operation: spec.operation,
          about: group.toString(),
          status: Number.isFinite(code) ? code : 0,
          text: item.attrs.text ?? "refused",
          node: res,
        });
      }
    },
  };
  return spec;
}

/** Which participant change to make. */
export type ParticipantAction = "add" | "remove" | "promote" | "demote";

/** Adds, removes, promotes or demotes members; resolves with one result per participant. */
export function participantsSpec(
  group: Jid,
  action: ParticipantAction,
  participants: readonly ParticipantInput[],
): IqSpec<ParticipantResult[]> {
  const list = checkParticipants(participants);
  const spec: IqSpec<ParticipantResult[]> = {
    operation: `${action} participants`,
    about: group,
    build: () => ({
      namespace: "w:g2",
      type: "set",
      to: group,
      content: [{ tag: action, attrs: {}, content: participantNodes(list, action === "add") }],
    }),
    parse: (res) =>
      getChildren(requireChild(spec, res, action), "participant")
        .map(parseParticipantResult)
        .filter((r): r is ParticipantResult => r !== undefined),
  };
  return spec;
}

/** The pending requests to join a group (admins only). */
export function joinRequestsSpec(group: Jid): IqSpec<JoinRequest[]> {
  const spec: IqSpec<JoinRequest[]> = {
    operation: "list join requests",
    about: group,
    build: () => ({
      namespace: "w:g2",
      type: "get",
      to: group,
      content: [{ tag: "membership_approval_requests", attrs: {} }],
    }),
    parse: (res) => {
      const out: JoinRequest[] = [];
      const list = requireChild(spec, res, "membership_approval_requests");
      for (const r of getChildren(list, "membership_approval_request")) {
        const jid = r.attrs.jid ? Jid.tryParse(r.attrs.jid) : undefined;
        if (!jid) continue;
        const pn = r.attrs.phone_number ? Jid.tryParse(r.attrs.phone_number) : undefined;
        out.push({
          jid: jid.toNonAd(),
          phoneNumber: pn?.toNonAd(),
          requestedAt: timeAttr(r, "request_time"),
        });
      }
      return out;
    },
  };
  return spec;
}

/** Approves or rejects join requests; one result per participant. */
export function joinRequestsActionSpec(
  group: Jid,
  action: "approve" | "reject",
  participants: readonly ParticipantInput[],
): IqSpec<ParticipantResult[]> {
  const list = checkParticipants(participants);
  const spec: IqSpec<ParticipantResult[]> = {
    operation: `${action} join requests`,
    about: group,
    build: () => ({
      namespace: "w:g2",
      type: "set",
      to: group,
      content: [{
        tag: "membership_requests_action",
        attrs: {},
        content: [{ tag: action, attrs: {}, content: participantNodes(list, false) }],
      }],
    }),
    parse: (res) => {
      const wrapper = requireChild(spec, res, "membership_requests_action");
      return getChildren(requireChild(spec, wrapper, action), "participant")
        .map(parseParticipantResult)
        .filter((r): r is ParticipantResult => r !== undefined);
    },
  };
  return spec;
}

/** Renames a group (`<subject>text</subject>`). */
export function subjectSpec(group: Jid, subject: string): IqSpec<void> {
  const text = checkSubject(subject);
  return {
    operation: "set group subject",
    about: group,
    build: () => ({
      namespace: "w:g2",
      type: "set",
      to: group,
      content: [{ tag: "subject", attrs: {}, content: text }],
    }),
    parse: () => undefined,
  };
}

/**
 * Sets (or, with `text` empty or undefined, deletes) the description. `id` is the new description's
 * id and `previousId` the current one, which the server checks so two admins do not overwrite each
 * other unseen.
 */
export function descriptionSpec(
  group: Jid,
  text: string | undefined,
  id: string,
  previousId?: string,
): IqSpec<void> {
  const body = text ? checkDescription(text) : undefined;
  return {
    operation: body ? "set group description" : "delete group description",
    about: group,
    build: () => ({
      namespace: "w:g2",
      type: "set",
      to: group,
      content: [{
        tag: "description",
        attrs: { id, prev: previousId || undefined, delete: body ? undefined : "true" },
        content: body ? [{ tag: "body", attrs: {}, content: body }] : undefined,
      }],
    }),
    parse: () => undefined,
  };
}

/** A group setting an admin changes. */
export type GroupSetting =
  | { setting: "announce"; value: boolean }
  | { setting: "locked"; value: boolean }
  | { setting: "memberAddMode"; value: MemberAddMode }
  | { setting: "membershipApproval"; value: boolean };

/** Changes one group setting (announcement, locked, member add mode, join approval). */
export function settingSpec(group: Jid, change: GroupSetting): IqSpec<void> {
  let node: NodeInput;
  switch (change.setting) {
    case "announce":
      node = { tag: change.value ? "announcement" : "not_announcement", attrs: {} };
      break;
    case "locked":
      node = { tag: change.value ? "locked" : "unlocked", attrs: {} };
      break;
    case "memberAddMode":
      node = { tag: "member_add_mode", attrs: {}, content: change.value };
      break;
    case "membershipApproval":
      node = {
        tag: "membership_approval_mode",
        attrs: {},
        content: [{ tag: "group_join", attrs: { state: change.value ? "on" : "off" } }],
      };
      break;
  }
  return {
    operation: `set group ${change.setting}`,
    about: group,
    build: () => ({ namespace: "w:g2", type: "set", to: group, content: [node] }),
    parse: () => undefined,
  };
}
