/**
 * Group invites. Invite links (`https://chat.whatsapp.com/<code>`): read or reset a group's code, look a
 * code up without joining, join by code. Invite messages (v4): when an add fails because the person's
 * privacy settings allow only invites, the server answers 403 with an `<add_request code expiration/>`;
 * the admin sends them a `GroupInviteMessage` carrying that code, and they accept it with
 * `<accept code expiration admin=INVITER/>` to the group. Shapes from reference/protocol-facts-features.md
 * 4.1 (whatsmeow group.go `GetGroupInviteLink`, `GetGroupInfoFromLink`, `JoinGroupWithLink`,
 * `GetGroupInfoFromInvite`, `JoinGroupWithInvite`).
 *
 * @module
 */

import { getChild, Jid } from "../../binary/mod.ts";
import type { Message } from "../../proto/mod.ts";
import { GroupInviteMessageGroupType } from "../../proto/mod.ts";
import { InputError } from "../errors.ts";
import { badResponse, type IqSpec, requireChild } from "../iq.ts";
import { type GroupInfo, groupJidOf, parseGroupNode } from "./parse.ts";
import { GROUP_SERVER } from "./specs.ts";

/** What every invite link starts with. */
export const INVITE_LINK_PREFIX = "https://chat.whatsapp.com/";

/**
 * The code of an invite link, or the code itself; throws {@linkcode InputError} for anything else.
 *
 * @example
 * ```ts
 * import { inviteCodeOf } from "@wadeno/client";
 * inviteCodeOf("https://chat.whatsapp.com/AbCdEf012345"); // "AbCdEf012345"
 * ```
 */
export function inviteCodeOf(codeOrLink: string): string {
  if (typeof codeOrLink !== "string") {
    throw new InputError(
      "invalid_argument",
      "code",
      `expected an invite code or link, got ${typeof codeOrLink}`,
    );
  }
  const text = codeOrLink.trim();
  const code = text.startsWith(INVITE_LINK_PREFIX) ? text.slice(INVITE_LINK_PREFIX.length) : text;
  if (!/^[A-Za-z0-9_-]{6,64}$/.test(code)) {
    throw new InputError(
      "invalid_argument",
      "code",
      `expected an invite code or "${INVITE_LINK_PREFIX}<code>", got "${codeOrLink}"`,
    );
  }
  return code;
}

/** Reads (`reset` false) or resets (true, which revokes the old link) a group's invite code. */
export function inviteCodeSpec(group: Jid, reset = false): IqSpec<string> {
  const spec: IqSpec<string> = {
    operation: reset ? "reset invite link" : "get invite link",
    about: group,
    build: () => ({
      namespace: "w:g2",
      type: reset ? "set" : "get",
      to: group,
      content: [{ tag: "invite", attrs: {} }],
    }),
    parse: (res) => {
      const code = requireChild(spec, res, "invite").attrs.code;
      if (!code) throw badResponse(spec, "<invite> has no code", res);
      return code;
    },
  };
  return spec;
}

/** A group's metadata from an invite code, without joining (410 revoked, 406 invalid). */
export function inviteInfoSpec(code: string): IqSpec<GroupInfo> {
  const c = inviteCodeOf(code);
  const spec: IqSpec<GroupInfo> = {
    operation: "invite link info",
    about: c,
    build: () => ({
      namespace: "w:g2",
      type: "get",
      to: GROUP_SERVER,
      content: [{ tag: "invite", attrs: { code: c } }],
    }),
    parse: (res) => parseGroupNode(requireChild(spec, res, "group")),
  };
  return spec;
}

/** What joining by link did: joined, or asked the admins (the group needs approval). */
export interface JoinResult {
  /** The group. */
  group: Jid;
  /** True when the group needs an admin's approval and a request was filed instead. */
  pending: boolean;
}

/** Joins a group by invite code (`<invite code/>` set to `g.us`). */
export function joinWithCodeSpec(code: string): IqSpec<JoinResult> {
  const c = inviteCodeOf(code);
  const spec: IqSpec<JoinResult> = {
    operation: "join group by link",
    about: c,
    build: () => ({
      namespace: "w:g2",
      type: "set",
      to: GROUP_SERVER,
      content: [{ tag: "invite", attrs: { code: c } }],
    }),
    parse: (res) => {
      const request = getChild(res, "membership_approval_request");
      const node = request ?? requireChild(spec, res, "group");
      const group = groupJidOf(node);
      if (!group) throw badResponse(spec, `<${node.tag}> names no group`, res);
      return { group, pending: request !== undefined };
    },
  };
  return spec;
}

/** An invite (v4) as a `GroupInviteMessage` carries it. */
export interface GroupInvite {
  /** The group. */
  group: Jid;
  /** The invite code (from the 403 `addRequest` of an add). */
  code: string;
  /** When the invite expires. */
  expiration: Date;
  /** The group's subject, shown in the invite. */
  groupName?: string;
  /** A caption. */
  caption?: string;
  /** True for a community's invite. */
  community?: boolean;
}

/** The message inviting someone to a group (v4 invite). */
export function groupInviteMessage(invite: GroupInvite): Message {
  if (!invite.group.isGroup()) {
    throw new InputError("invalid_jid", "group", `expected a group JID (…@g.us), got ${invite.group}`);
  }
  return {
    groupInviteMessage: {
      groupJid: invite.group.toString(),
      inviteCode: invite.code,
      inviteExpiration: BigInt(Math.floor(invite.expiration.getTime() / 1000)),
      groupName: invite.groupName,
      caption: invite.caption,
      groupType: invite.community ? GroupInviteMessageGroupType.PARENT : GroupInviteMessageGroupType.DEFAULT,
    },
  };
}

/**
 * The invite a received message carries, or `undefined` when it carries none (or a malformed one).
 *
 * @example
 * ```ts
 * import { parseGroupInvite } from "@wadeno/client";
 * const invite = parseGroupInvite({
 *   groupInviteMessage: {
 *     groupJid: "120363000000000000@g.us",
 *     inviteCode: "AbCdEf012345",
 *     inviteExpiration: 1767225600n,
 *   },
 * });
 * invite?.expiration.toISOString(); // "2026-01-01T00:00:00.000Z"
 * ```
 */
export function parseGroupInvite(message: Message): GroupInvite | undefined {
  const m = message.groupInviteMessage;
  const group = m?.groupJid ? Jid.tryParse(m.groupJid) : undefined;
  if (!m || !group?.isGroup() || !m.inviteCode) return undefined;
  return {
    group,
    code: m.inviteCode,
    expiration: new Date(Number(m.inviteExpiration ?? 0n) * 1000),
    groupName: m.groupName,
    caption: m.caption,
    community: m.groupType === GroupInviteMessageGroupType.PARENT,
  };
}

/** Accepts an invite message: `<accept code expiration admin=INVITER/>` to the group. */
export function acceptInviteSpec(invite: GroupInvite, inviter: Jid): IqSpec<Jid> {
  const spec: IqSpec<Jid> = {
    operation: "accept group invite",
    about: invite.group,
    build: () => ({
      namespace: "w:g2",
      type: "set",
      to: invite.group,
      content: [{
        tag: "accept",
        attrs: {
          code: invite.code,
          expiration: String(Math.floor(invite.expiration.getTime() / 1000)),
          admin: inviter.toNonAd(),
        },
      }],
    }),
    // Baileys reads the joined group from the answer's `from`; the request's group otherwise.
    parse: (res) => {
      const from = res.attrs.from ? Jid.tryParse(res.attrs.from) : undefined;
      return from?.isGroup() ? from : invite.group;
    },
  };
  return spec;
}

/** A group's metadata from an invite message, without joining. */
export function inviteMessageInfoSpec(invite: GroupInvite, inviter: Jid): IqSpec<GroupInfo> {
  const spec: IqSpec<GroupInfo> = {
    operation: "invite message info",
    about: invite.group,
    build: () => ({
      namespace: "w:g2",
      type: "get",
      to: invite.group,
      content: [{
        tag: "query",
        attrs: {},
        content: [{
          tag: "add_request",
          attrs: {
            code: invite.code,
            expiration: String(Math.floor(invite.expiration.getTime() / 1000)),
            admin: inviter.toNonAd(),
          },
        }],
      }],
    }),
    parse: (res) => parseGroupNode(requireChild(spec, res, "group")),
  };
  return spec;
}
