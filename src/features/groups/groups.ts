/**
 * Groups (`client.groups`): metadata, cached (the seed's group cache: 1 h, 250 entries) so that sending
 * into a group does not ask the server every time; administration (create, leave, participants, join
 * requests, subject, description, settings, invites, communities); and the `w:gp2` notifications as
 * typed `joinedGroup` / `groupUpdate` events, each applied to the cache. When someone leaves or is
 * removed, our sender key for the group is rotated so they cannot read what we send next.
 *
 * @module
 */

import type { Jid } from "../../binary/mod.ts";
import type { FeatureContext } from "../context.ts";
import { groupDisappearingSpec } from "../disappearing.ts";
import type { SendOptions, SendResult } from "../send_options.ts";
import { toJid } from "../jid_input.ts";
import {
  linkedParticipantsSpec,
  linkGroupsSpec,
  type SubGroup,
  subGroupsSpec,
  unlinkGroupSpec,
} from "./communities.ts";
import type { GroupChange, GroupEvents } from "./events.ts";
import {
  acceptInviteSpec,
  type GroupInvite,
  groupInviteMessage,
  INVITE_LINK_PREFIX,
  inviteCodeSpec,
  inviteInfoSpec,
  inviteMessageInfoSpec,
  type JoinResult,
  joinWithCodeSpec,
} from "./invites.ts";
import {
  checkGroupJid,
  checkParticipants,
  type CreateGroupOptions,
  type ParticipantInput,
} from "./options.ts";
import { GroupState } from "./state.ts";
import type { GroupInfo, GroupMember, MemberAddMode } from "./parse.ts";
import {
  createGroupSpec,
  descriptionSpec,
  type GroupCreateResult,
  type JoinRequest,
  joinRequestsActionSpec,
  joinRequestsSpec,
  leaveGroupSpec,
  type ParticipantAction,
  type ParticipantResult,
  participantsSpec,
  participatingSpec,
  randomGroupId,
  settingSpec,
  subjectSpec,
} from "./specs.ts";

export type { GroupEvents } from "./events.ts";
export { groupInfoSpec } from "./specs.ts";

/** A participant list as callers give it. */
export type Participants = readonly (Jid | string | ParticipantInput)[];

/** Options of calls that only wait. */
export interface GroupCallOptions {
  /** Cancels the wait. */
  signal?: AbortSignal;
}

/** Group metadata and administration. */
export class Groups {
  readonly #ctx: FeatureContext<GroupEvents>;
  readonly #state: GroupState;

  /** Creates the feature and subscribes to group notifications. */
  constructor(ctx: FeatureContext<GroupEvents>) {
    this.#ctx = ctx;
    this.#state = new GroupState(ctx);
    ctx.onStanza({ tag: "notification", type: "w:gp2" }, (node) => this.#state.onNotification(node));
  }

  // ---- metadata ---------------------------------------------------------------------------------

  /**
   * A group's metadata (subject, description, settings, participants with roles and both addresses),
   * from the cache when fresh. Rejects with `IqError` 404 (no such group) or 403 (not a member).
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export async function example(client: Client) {
   *   const info = await client.groups.metadata("120363000000000000@g.us");
   *   console.log(info.subject, info.participants.length, info.announce);
   * }
   * ```
   */
  metadata(group: Jid | string, options: GroupCallOptions & { refresh?: boolean } = {}): Promise<GroupInfo> {
    return this.#state.metadata(checkGroupJid(group), options);
  }

  /**
   * Every group we are a member of (and caches each).
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export async function example(client: Client) {
   *   for (const g of await client.groups.participating()) console.log(g.jid.toString(), g.subject);
   * }
   * ```
   */
  async participating(options: GroupCallOptions = {}): Promise<GroupInfo[]> {
    const groups = await this.#ctx.execute(participatingSpec(), options);
    for (const g of groups) await this.#state.remember(g);
    return groups;
  }

  /**
   * Drops a group from the cache (the next `metadata` asks the server).
   *
   * @example
   * ```ts
   * import type { Client, Jid } from "@wadeno/client";
   * export async function example(client: Client, group: Jid) {
   *   client.groups.invalidate(group);
   *   const fresh = await client.groups.metadata(group); // asks the server
   * }
   * ```
   */
  invalidate(group: Jid): void {
    this.#state.invalidate(group);
  }

  // ---- create and leave -------------------------------------------------------------------------

  /**
   * Creates a group with us as its super admin. `failed` lists the participants the server did not add
   * (for `invite_needed` ones, send them `sendInvite` with the result's `addRequest`). A `joinedGroup`
   * event with the same `createKey` follows on every device of ours.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export async function example(client: Client) {
   *   const { group, failed } = await client.groups.create({
   *     subject: "Lunch",
   *     participants: ["15551234567@s.whatsapp.net"],
   *     locked: true,
   *   });
   *   await client.sendText(group.jid, "welcome");
   *   for (const f of failed) console.log("not added:", f.jid.toString(), f.outcome);
   * }
   * ```
   */
  async create(options: CreateGroupOptions, call: GroupCallOptions = {}): Promise<GroupCreateResult> {
    const result = await this.#ctx.execute(createGroupSpec(options), call);
    await this.#state.remember(result.group);
    return result;
  }

  /**
   * Creates a community (a parent group; the server creates its announcement group with it). Add
   * subgroups with `create({ parent })` or `linkGroups`.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export async function example(client: Client) {
   *   const { group: community } = await client.groups.createCommunity({ subject: "Neighbours", participants: [] });
   *   await client.groups.create({ subject: "Garden", participants: [], parent: community.jid });
   * }
   * ```
   */
  createCommunity(
    options: Omit<CreateGroupOptions, "community" | "parent">,
    call: GroupCallOptions = {},
  ): Promise<GroupCreateResult> {
    return this.create({ ...options, community: true }, call);
  }

  /**
   * Leaves a group (the last admin to leave makes the server promote someone else).
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export async function example(client: Client) {
   *   await client.groups.leave("120363000000000000@g.us");
   * }
   * ```
   */
  async leave(group: Jid | string, options: GroupCallOptions = {}): Promise<void> {
    const jid = checkGroupJid(group);
    await this.#ctx.execute(leaveGroupSpec(jid), options);
    this.invalidate(jid);
    await this.#ctx.rotateGroupSenderKey(jid);
  }

  // ---- participants -----------------------------------------------------------------------------

  /**
   * Adds members; one result each (`outcome` `ok`, `already_member`, `recently_left`, `invite_needed`...).
   *
   * @example
   * ```ts
   * import type { Client, Jid } from "@wadeno/client";
   * export async function example(client: Client, group: Jid) {
   *   for (const r of await client.groups.addParticipants(group, ["15551234567@s.whatsapp.net"])) {
   *     if (r.outcome === "invite_needed" && r.addRequest) {
   *       await client.groups.sendInvite(r.jid, { group, ...r.addRequest });
   *     }
   *   }
   * }
   * ```
   */
  addParticipants(
    group: Jid | string,
    participants: Participants,
    options: GroupCallOptions = {},
  ): Promise<ParticipantResult[]> {
    return this.#change(group, "add", participants, options);
  }

  /**
   * Removes members (admins only); our sender key is rotated so they cannot read later messages.
   *
   * @example
   * ```ts
   * import type { Client, Jid } from "@wadeno/client";
   * export async function example(client: Client, group: Jid) {
   *   await client.groups.removeParticipants(group, ["15551234567@s.whatsapp.net"]);
   * }
   * ```
   */
  removeParticipants(
    group: Jid | string,
    participants: Participants,
    options: GroupCallOptions = {},
  ): Promise<ParticipantResult[]> {
    return this.#change(group, "remove", participants, options);
  }

  /**
   * Makes members admins.
   *
   * @example
   * ```ts
   * import type { Client, Jid } from "@wadeno/client";
   * export async function example(client: Client, group: Jid) {
   *   await client.groups.promoteParticipants(group, ["15551234567@s.whatsapp.net"]);
   * }
   * ```
   */
  promoteParticipants(
    group: Jid | string,
    participants: Participants,
    options: GroupCallOptions = {},
  ): Promise<ParticipantResult[]> {
    return this.#change(group, "promote", participants, options);
  }

  /**
   * Makes admins plain members again.
   *
   * @example
   * ```ts
   * import type { Client, Jid } from "@wadeno/client";
   * export async function example(client: Client, group: Jid) {
   *   await client.groups.demoteParticipants(group, ["15551234567@s.whatsapp.net"]);
   * }
   * ```
   */
  demoteParticipants(
    group: Jid | string,
    participants: Participants,
    options: GroupCallOptions = {},
  ): Promise<ParticipantResult[]> {
    return this.#change(group, "demote", participants, options);
  }

  async #change(
    group: Jid | string,
    action: ParticipantAction,
    participants: Participants,
    options: GroupCallOptions,
  ): Promise<ParticipantResult[]> {
    const jid = checkGroupJid(group);
    const epoch = this.#state.epoch(jid);
    const results = await this.#ctx.execute(
      participantsSpec(jid, action, checkParticipants(participants)),
      options,
    );
    const done = results.filter((r) => r.status === 200).map(asMember);
    if (done.length === 0) return results;
    if (action === "remove") await this.#state.removedBySelf(jid, epoch, done);
    const change: GroupChange = action === "add"
      ? { type: "participantsAdded", participants: done }
      : action === "remove"
      ? { type: "participantsRemoved", participants: done, left: false }
      : action === "promote"
      ? { type: "participantsPromoted", participants: done }
      : { type: "participantsDemoted", participants: done };
    await this.#state.apply(jid, change, this.#state.selfHeader());
    return results;
  }

  /**
   * The pending requests to join (admins only; groups with membership approval on).
   *
   * @example
   * ```ts
   * import type { Client, Jid } from "@wadeno/client";
   * export async function example(client: Client, group: Jid) {
   *   const requests = await client.groups.joinRequests(group);
   *   await client.groups.approveJoinRequests(group, requests.map((r) => r.jid));
   * }
   * ```
   */
  joinRequests(group: Jid | string, options: GroupCallOptions = {}): Promise<JoinRequest[]> {
    return this.#ctx.execute(joinRequestsSpec(checkGroupJid(group)), options);
  }

  /**
   * Approves join requests (they become members); one result each.
   *
   * @example
   * ```ts
   * import type { Client, Jid } from "@wadeno/client";
   * export async function example(client: Client, group: Jid) {
   *   const requests = await client.groups.joinRequests(group);
   *   for (const r of await client.groups.approveJoinRequests(group, requests.map((r) => r.jid))) {
   *     if (r.status !== 200) console.log("not approved:", r.jid.toString(), r.outcome);
   *   }
   * }
   * ```
   */
  async approveJoinRequests(
    group: Jid | string,
    participants: Participants,
    options: GroupCallOptions = {},
  ): Promise<ParticipantResult[]> {
    const jid = checkGroupJid(group);
    const results = await this.#ctx.execute(
      joinRequestsActionSpec(jid, "approve", checkParticipants(participants)),
      options,
    );
    const done = results.filter((r) => r.status === 200).map(asMember);
    if (done.length) {
      await this.#state.apply(
        jid,
        { type: "participantsAdded", participants: done },
        this.#state.selfHeader(),
      );
    }
    return results;
  }

  /**
   * Rejects join requests; one result each.
   *
   * @example
   * ```ts
   * import type { Client, Jid } from "@wadeno/client";
   * export async function example(client: Client, group: Jid, who: Jid) {
   *   await client.groups.rejectJoinRequests(group, [who]);
   * }
   * ```
   */
  rejectJoinRequests(
    group: Jid | string,
    participants: Participants,
    options: GroupCallOptions = {},
  ): Promise<ParticipantResult[]> {
    const jid = checkGroupJid(group);
    return this.#ctx.execute(joinRequestsActionSpec(jid, "reject", checkParticipants(participants)), options);
  }

  // ---- subject, description, settings -----------------------------------------------------------

  /**
   * Renames the group (1 to 100 characters; admins only in a locked group).
   *
   * @example
   * ```ts
   * import type { Client, Jid } from "@wadeno/client";
   * export async function example(client: Client, group: Jid) {
   *   await client.groups.setSubject(group, "Lunch on Friday");
   * }
   * ```
   */
  async setSubject(group: Jid | string, subject: string, options: GroupCallOptions = {}): Promise<void> {
    const jid = checkGroupJid(group);
    await this.#ctx.execute(subjectSpec(jid, subject), options);
    await this.#state.apply(jid, { type: "subject", subject }, this.#state.selfHeader());
  }

  /**
   * Sets the description (at most 2048 characters), or deletes it with `undefined` or `""`. Resolves with
   * the new description's id. `previousId` is the id of the description being replaced; by default the
   * current one from the metadata, so that a change made meanwhile by someone else is refused (409)
   * instead of being overwritten unseen.
   *
   * @example
   * ```ts
   * import type { Client, Jid } from "@wadeno/client";
   * export async function example(client: Client, group: Jid) {
   *   const id = await client.groups.setDescription(group, "Fridays at noon");
   *   await client.groups.setDescription(group, undefined, { previousId: id }); // deletes it again
   * }
   * ```
   */
  async setDescription(
    group: Jid | string,
    text: string | undefined,
    options: GroupCallOptions & { previousId?: string } = {},
  ): Promise<string> {
    const jid = checkGroupJid(group);
    const previousId = options.previousId ??
      (await this.metadata(jid, { signal: options.signal })).description?.id;
    const id = randomGroupId();
    await this.#ctx.execute(descriptionSpec(jid, text, id, previousId), options);
    const change: GroupChange = text
      ? { type: "description", id, description: { text, id } }
      : { type: "description", id };
    await this.#state.apply(jid, change, this.#state.selfHeader());
    return id;
  }

  /**
   * Announcement mode: when on, only admins may send (admins only).
   *
   * @example
   * ```ts
   * import type { Client, Jid } from "@wadeno/client";
   * export async function example(client: Client, group: Jid) {
   *   await client.groups.setAnnounce(group, true);
   * }
   * ```
   */
  async setAnnounce(group: Jid | string, announce: boolean, options: GroupCallOptions = {}): Promise<void> {
    const jid = checkGroupJid(group);
    await this.#ctx.execute(settingSpec(jid, { setting: "announce", value: announce }), options);
    await this.#state.apply(jid, { type: "announce", announce }, this.#state.selfHeader());
  }

  /**
   * Locks the group info: when on, only admins may change the subject, description and timer (admins only).
   *
   * @example
   * ```ts
   * import type { Client, Jid } from "@wadeno/client";
   * export async function example(client: Client, group: Jid) {
   *   await client.groups.setLocked(group, true);
   * }
   * ```
   */
  async setLocked(group: Jid | string, locked: boolean, options: GroupCallOptions = {}): Promise<void> {
    const jid = checkGroupJid(group);
    await this.#ctx.execute(settingSpec(jid, { setting: "locked", value: locked }), options);
    await this.#state.apply(jid, { type: "locked", locked }, this.#state.selfHeader());
  }

  /**
   * Who may add members: `admin_add` or `all_member_add` (admins only).
   *
   * @example
   * ```ts
   * import type { Client, Jid } from "@wadeno/client";
   * export async function example(client: Client, group: Jid) {
   *   await client.groups.setMemberAddMode(group, "admin_add");
   * }
   * ```
   */
  async setMemberAddMode(
    group: Jid | string,
    mode: MemberAddMode,
    options: GroupCallOptions = {},
  ): Promise<void> {
    const jid = checkGroupJid(group);
    await this.#ctx.execute(settingSpec(jid, { setting: "memberAddMode", value: mode }), options);
    await this.#state.apply(jid, { type: "memberAddMode", mode }, this.#state.selfHeader());
  }

  /**
   * Join approval: when on, joining by link files a request that an admin approves (admins only).
   *
   * @example
   * ```ts
   * import type { Client, Jid } from "@wadeno/client";
   * export async function example(client: Client, group: Jid) {
   *   await client.groups.setMembershipApproval(group, true);
   * }
   * ```
   */
  async setMembershipApproval(
    group: Jid | string,
    enabled: boolean,
    options: GroupCallOptions = {},
  ): Promise<void> {
    const jid = checkGroupJid(group);
    await this.#ctx.execute(settingSpec(jid, { setting: "membershipApproval", value: enabled }), options);
    await this.#state.apply(jid, { type: "membershipApproval", enabled }, this.#state.selfHeader());
  }

  /**
   * The disappearing-messages timer in seconds: 0 (off), 86400, 604800 or 7776000.
   *
   * @example
   * ```ts
   * import type { Client, Jid } from "@wadeno/client";
   * export async function example(client: Client, group: Jid) {
   *   await client.groups.setEphemeral(group, 604_800); // 7 days; 0 turns it off
   * }
   * ```
   */
  async setEphemeral(group: Jid | string, seconds: number, options: GroupCallOptions = {}): Promise<void> {
    const jid = checkGroupJid(group);
    await this.#ctx.execute(groupDisappearingSpec(jid, seconds), options);
    await this.#state.apply(jid, { type: "ephemeral", expiration: seconds }, this.#state.selfHeader());
  }

  // ---- invites ----------------------------------------------------------------------------------

  /**
   * The group's invite link (`https://chat.whatsapp.com/<code>`; admins only).
   *
   * @example
   * ```ts
   * import type { Client, Jid } from "@wadeno/client";
   * export async function example(client: Client, group: Jid) {
   *   console.log(await client.groups.inviteLink(group)); // https://chat.whatsapp.com/...
   * }
   * ```
   */
  async inviteLink(group: Jid | string, options: GroupCallOptions = {}): Promise<string> {
    return INVITE_LINK_PREFIX + await this.#ctx.execute(inviteCodeSpec(checkGroupJid(group), false), options);
  }

  /**
   * Revokes the invite link and resolves with the new one (the old one stops working at once).
   *
   * @example
   * ```ts
   * import type { Client, Jid } from "@wadeno/client";
   * export async function example(client: Client, group: Jid) {
   *   const fresh = await client.groups.revokeInviteLink(group);
   *   console.log("share this one instead:", fresh);
   * }
   * ```
   */
  async revokeInviteLink(group: Jid | string, options: GroupCallOptions = {}): Promise<string> {
    return INVITE_LINK_PREFIX + await this.#ctx.execute(inviteCodeSpec(checkGroupJid(group), true), options);
  }

  /**
   * A group's metadata from an invite link or code, without joining (`IqError` 410 revoked, 406 invalid).
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export async function example(client: Client) {
   *   const info = await client.groups.inviteInfo("https://chat.whatsapp.com/AbCdEf012345");
   *   console.log(info.subject, info.participants.length);
   * }
   * ```
   */
  inviteInfo(codeOrLink: string, options: GroupCallOptions = {}): Promise<GroupInfo> {
    return this.#ctx.execute(inviteInfoSpec(codeOrLink), options);
  }

  /**
   * Joins a group by invite link or code. `pending` is true when the group needs an admin's approval.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export async function example(client: Client) {
   *   const { group, pending } = await client.groups.joinWithLink("https://chat.whatsapp.com/AbCdEf012345");
   *   if (!pending) await client.sendText(group, "hello");
   * }
   * ```
   */
  joinWithLink(codeOrLink: string, options: GroupCallOptions = {}): Promise<JoinResult> {
    return this.#ctx.execute(joinWithCodeSpec(codeOrLink), options);
  }

  /**
   * Sends someone an invite message (v4): for a person whose privacy settings refused an add, with the
   * `addRequest` of that add's result.
   *
   * @example
   * ```ts
   * import type { Client, Jid } from "@wadeno/client";
   * export async function example(client: Client, group: Jid, who: Jid) {
   *   const [r] = await client.groups.addParticipants(group, [who]);
   *   if (r.addRequest) await client.groups.sendInvite(r.jid, { group, ...r.addRequest, groupName: "Lunch" });
   * }
   * ```
   */
  sendInvite(to: Jid | string, invite: GroupInvite, options?: SendOptions): Promise<SendResult> {
    return this.#ctx.sendMessage(toJid(to, "to"), groupInviteMessage(invite), options);
  }

  /**
   * Accepts an invite message (`parseGroupInvite(message)`) from `inviter` (the message's sender);
   * resolves with the group joined.
   *
   * @example
   * ```ts
   * import { type Client, parseGroupInvite } from "@wadeno/client";
   * export function example(client: Client) {
   *   client.on("message", async ({ message, info }) => {
   *     const invite = parseGroupInvite(message);
   *     if (invite) await client.groups.acceptInvite(invite, info.source.sender);
   *   });
   * }
   * ```
   */
  acceptInvite(invite: GroupInvite, inviter: Jid | string, options: GroupCallOptions = {}): Promise<Jid> {
    return this.#ctx.execute(acceptInviteSpec(invite, toJid(inviter, "inviter")), options);
  }

  /**
   * A group's metadata from an invite message, without joining.
   *
   * @example
   * ```ts
   * import { type Client, parseGroupInvite } from "@wadeno/client";
   * export function example(client: Client) {
   *   client.on("message", async ({ message, info }) => {
   *     const invite = parseGroupInvite(message);
   *     if (!invite) return;
   *     const group = await client.groups.inviteMessageInfo(invite, info.source.sender);
   *     console.log("invited to", group.subject, "with", group.participants.length, "members");
   *   });
   * }
   * ```
   */
  inviteMessageInfo(
    invite: GroupInvite,
    inviter: Jid | string,
    options: GroupCallOptions = {},
  ): Promise<GroupInfo> {
    return this.#ctx.execute(inviteMessageInfoSpec(invite, toJid(inviter, "inviter")), options);
  }

  // ---- communities ------------------------------------------------------------------------------

  /**
   * Links existing groups to a community (admins of both).
   *
   * @example
   * ```ts
   * import type { Client, Jid } from "@wadeno/client";
   * export async function example(client: Client, community: Jid, group: Jid) {
   *   await client.groups.linkGroups(community, [group]);
   * }
   * ```
   */
  async linkGroups(
    community: Jid | string,
    groups: readonly (Jid | string)[],
    options: GroupCallOptions = {},
  ) {
    const parent = checkGroupJid(community, "community");
    const list = groups.map((g) => checkGroupJid(g, "groups"));
    await this.#ctx.execute(linkGroupsSpec(parent, list), options);
    for (const g of list) this.invalidate(g);
  }

  /**
   * Unlinks a group from its community.
   *
   * @example
   * ```ts
   * import type { Client, Jid } from "@wadeno/client";
   * export async function example(client: Client, community: Jid, group: Jid) {
   *   await client.groups.unlinkGroup(community, group);
   * }
   * ```
   */
  async unlinkGroup(
    community: Jid | string,
    group: Jid | string,
    options: GroupCallOptions = {},
  ): Promise<void> {
    const jid = checkGroupJid(group);
    await this.#ctx.execute(unlinkGroupSpec(checkGroupJid(community, "community"), jid), options);
    this.invalidate(jid);
  }

  /**
   * A community's subgroups.
   *
   * @example
   * ```ts
   * import type { Client, Jid } from "@wadeno/client";
   * export async function example(client: Client, community: Jid) {
   *   for (const g of await client.groups.subGroups(community)) console.log(g.subject, g.isDefaultSubGroup);
   * }
   * ```
   */
  subGroups(community: Jid | string, options: GroupCallOptions = {}): Promise<SubGroup[]> {
    return this.#ctx.execute(subGroupsSpec(checkGroupJid(community, "community")), options);
  }

  /**
   * A community's announcement group (its default subgroup), if it has one.
   *
   * @example
   * ```ts
   * import type { Client, Jid } from "@wadeno/client";
   * export async function example(client: Client, community: Jid) {
   *   const announcements = await client.groups.announcementGroup(community);
   *   if (announcements) await client.sendText(announcements, "meeting on Monday");
   * }
   * ```
   */
  async announcementGroup(community: Jid | string, options: GroupCallOptions = {}): Promise<Jid | undefined> {
    return (await this.subGroups(community, options)).find((g) => g.isDefaultSubGroup)?.jid;
  }

  /**
   * Every member of every group of a community.
   *
   * @example
   * ```ts
   * import type { Client, Jid } from "@wadeno/client";
   * export async function example(client: Client, community: Jid) {
   *   const members = await client.groups.communityParticipants(community);
   *   console.log(members.length, "members in all");
   * }
   * ```
   */
  communityParticipants(community: Jid | string, options: GroupCallOptions = {}): Promise<GroupMember[]> {
    return this.#ctx.execute(linkedParticipantsSpec(checkGroupJid(community, "community")), options);
  }
}

function asMember(r: ParticipantResult): GroupMember {
  return {
    jid: r.jid,
    phoneNumber: r.phoneNumber ?? (r.jid.isPn() ? r.jid : undefined),
    lid: r.lid ?? (r.jid.isLid() ? r.jid : undefined),
    isAdmin: false,
    isSuperAdmin: false,
  };
}
