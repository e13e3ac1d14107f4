/**
 * Keeping cached group metadata current: a change from a `w:gp2` notification applied to the
 * `GroupInfo` we hold, so that the next send into the group does not need a metadata query (the reason
 * Baileys users without a cache hit rate limits). Pure: returns a new object, never edits the old one
 * (a send may be reading it).
 *
 * @module
 */

import type { GroupChange, GroupUpdateEvent } from "./events.ts";
import type { GroupInfo, GroupMember } from "./parse.ts";

/** True when two member records name the same person (by any of their addresses). */
export function sameMember(a: GroupMember, b: GroupMember): boolean {
  const ids = (m: GroupMember) => [m.jid.toString(), m.lid?.toString(), m.phoneNumber?.toString()];
  const mine = new Set(ids(a).filter((s) => s !== undefined));
  return ids(b).some((s) => s !== undefined && mine.has(s));
}

function hasMember(list: readonly GroupMember[], m: GroupMember): boolean {
  return list.some((x) => sameMember(x, m));
}

/**
 * The group after `change`, or `undefined` when the cache cannot follow it and must drop the entry
 * (the group was deleted, or the change is one this library does not know).
 */
export function applyGroupChange(
  info: GroupInfo,
  change: GroupChange,
  header: Pick<GroupUpdateEvent, "author" | "authorPn" | "timestamp">,
): GroupInfo | undefined {
  const next: GroupInfo = { ...info, participants: info.participants };
  switch (change.type) {
    case "participantsAdded": {
      const added = change.participants.filter((p) => !hasMember(info.participants, p));
      next.participants = [...info.participants, ...added.map((p) => ({ ...p }))];
      if (next.size !== undefined) next.size += added.length;
      return next;
    }
    case "participantsRemoved": {
      next.participants = info.participants.filter((p) => !hasMember(change.participants, p));
      if (next.size !== undefined) {
        next.size = Math.max(0, next.size - (info.participants.length - next.participants.length));
      }
      return next;
    }
    case "participantsPromoted":
    case "participantsDemoted": {
      const admin = change.type === "participantsPromoted";
      next.participants = info.participants.map((p) =>
        hasMember(change.participants, p)
          ? { ...p, isAdmin: admin, isSuperAdmin: admin && p.isSuperAdmin }
          : p
      );
      return next;
    }
    case "participantsChangedNumber":
      // The new number is not in the notification: ask the server again.
      return undefined;
    case "subject":
      next.subject = change.subject;
      next.subjectOwner = change.setBy ?? header.author;
      next.subjectOwnerPn = change.setByPn ?? header.authorPn;
      next.subjectTime = change.setAt ?? header.timestamp;
      return next;
    case "description":
      next.description = change.description
        ? {
          ...change.description,
          setBy: change.description.setBy ?? header.author,
          setAt: change.description.setAt ?? header.timestamp,
        }
        : undefined;
      return next;
    case "announce":
      next.announce = change.announce;
      return next;
    case "locked":
      next.locked = change.locked;
      return next;
    case "memberAddMode":
      next.memberAddMode = change.mode;
      return next;
    case "membershipApproval":
      next.membershipApproval = change.enabled;
      return next;
    case "ephemeral":
      next.ephemeralExpiration = change.expiration;
      return next;
    case "suspended":
      next.suspended = change.suspended;
      return next;
    case "inviteLinkChanged":
    case "inviteLinkRevoked":
    case "joinRequested":
    case "joinRequestsRevoked":
    case "subGroupLinked":
    case "subGroupUnlinked":
      // Nothing the metadata holds.
      return info;
    case "deleted":
    case "unknown":
      return undefined;
  }
}
