/**
 * Group metadata from a history-sync `Conversation` (the phone's copy of a group chat), in the shape the
 * groups feature reports (`GroupInfo`), so a group found in history can be announced as `joinedGroup`.
 * Field numbers: `Conversation` in src/proto/history_sync.proto (protocol-facts-features.md 3.1).
 *
 * @module
 */

import { Jid } from "../../binary/mod.ts";
import { type Conversation, GroupParticipantRank } from "../../proto/mod.ts";
import type { GroupInfo, GroupMember } from "../groups/parse.ts";

/**
 * The `GroupInfo` a group conversation describes, or `undefined` when `conversation.id` is not a group
 * JID. What a conversation does not carry takes the server's defaults (not announce-only, not locked
 * unless it says so, no approval); members whose JID does not parse are left out.
 *
 * @example
 * ```ts
 * import { groupInfoFromConversation } from "./group_info.ts";
 * const info = groupInfoFromConversation({
 *   id: "120363000000000001@g.us",
 *   name: "Lunch",
 *   participant: [{ userJid: "15551234567@s.whatsapp.net", rank: 2 }],
 * });
 * console.log(info?.subject, info?.participants[0].isSuperAdmin); // Lunch true
 * ```
 */
export function groupInfoFromConversation(conversation: Conversation): GroupInfo | undefined {
  const jid = conversation.id === undefined ? undefined : Jid.tryParse(conversation.id);
  if (jid === undefined || !jid.isGroup()) return undefined;
  const participants: GroupMember[] = [];
  for (const p of conversation.participant ?? []) {
    const member = p.userJid === undefined ? undefined : Jid.tryParse(p.userJid);
    if (member === undefined || !(member.isPn() || member.isLid())) continue;
    const user = member.toNonAd();
    const rank = p.rank ?? GroupParticipantRank.REGULAR;
    participants.push({
      jid: user,
      ...(user.isPn() ? { phoneNumber: user } : { lid: user }),
      isAdmin: rank === GroupParticipantRank.ADMIN || rank === GroupParticipantRank.SUPERADMIN,
      isSuperAdmin: rank === GroupParticipantRank.SUPERADMIN,
    });
  }
  const info: GroupInfo = {
    jid,
    subject: conversation.name ?? conversation.displayName ?? "",
    participants,
    announce: false,
    locked: conversation.locked === true,
    membershipApproval: false,
    ephemeralExpiration: conversation.ephemeralExpiration ?? 0,
    isCommunity: conversation.isParentGroup === true,
    isDefaultSubGroup: conversation.isDefaultSubgroup === true,
    incognito: false,
    suspended: conversation.suspended === true,
  };
  if (participants.length > 0) {
    info.size = participants.length;
    if (participants.every((m) => m.jid.isLid())) info.addressingMode = "lid";
  }
  const creator = conversation.createdBy === undefined ? undefined : Jid.tryParse(conversation.createdBy);
  if (creator !== undefined) info.creator = creator.toNonAd();
  if (conversation.createdAt !== undefined && conversation.createdAt > 0n) {
    info.created = new Date(Number(conversation.createdAt) * 1000);
  }
  if (conversation.description !== undefined && conversation.description !== "") {
    info.description = { text: conversation.description, id: "" };
  }
  const parent = conversation.parentGroupId === undefined
    ? undefined
    : Jid.tryParse(conversation.parentGroupId);
  if (parent?.isGroup()) info.linkedParent = parent;
  return info;
}
