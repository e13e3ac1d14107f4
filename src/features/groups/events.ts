/**
 * The groups feature's events: `joinedGroup` (we created a group, were added to one, or joined one) and
 * `groupUpdate`, one per change a `<notification type="w:gp2">` carries (the seed's `JoinedGroup` and
 * `GroupUpdate` events; the changes are the notification children of reference/protocol-facts-features.md
 * 4.4).
 *
 * @module
 */

import type { Jid } from "../../binary/mod.ts";
import type { AddressingMode } from "../message_info.ts";
import type { SubGroup } from "./communities.ts";
import type { GroupDescription, GroupInfo, GroupMember, MemberAddMode } from "./parse.ts";

/**
 * One change to a group. `type` says which:
 *
 * - `participantsAdded` (`reason` `invite` when they joined by link), `participantsRemoved` (`left` when
 *   the author removed themselves), `participantsPromoted`, `participantsDemoted`, `participantsChangedNumber`;
 * - `subject`, `description` (undefined `description` = deleted), `announce`, `locked`, `memberAddMode`,
 *   `membershipApproval`, `ephemeral` (0 = off);
 * - `inviteLinkChanged` (a new code, when the server tells it), `inviteLinkRevoked`;
 * - `joinRequested` (admins see new requests), `joinRequestsRevoked` (cancelled or rejected);
 * - `subGroupLinked`, `subGroupUnlinked` (community changes), `deleted`, `suspended`;
 * - `unknown`: a child this library does not know (`tag` names it).
 */
export type GroupChange =
  | { type: "participantsAdded"; participants: GroupMember[]; reason?: string }
  | { type: "participantsRemoved"; participants: GroupMember[]; left: boolean; reason?: string }
  | { type: "participantsPromoted"; participants: GroupMember[] }
  | { type: "participantsDemoted"; participants: GroupMember[] }
  | { type: "participantsChangedNumber"; participants: GroupMember[] }
  | { type: "subject"; subject: string; setBy?: Jid; setByPn?: Jid; setAt?: Date }
  | { type: "description"; id: string; description?: GroupDescription }
  | { type: "announce"; announce: boolean }
  | { type: "locked"; locked: boolean }
  | { type: "memberAddMode"; mode: MemberAddMode }
  | { type: "membershipApproval"; enabled: boolean }
  | { type: "ephemeral"; expiration: number }
  | { type: "inviteLinkChanged"; code: string }
  | { type: "inviteLinkRevoked" }
  | { type: "joinRequested"; requests: GroupMember[]; method?: string }
  | { type: "joinRequestsRevoked"; participants: GroupMember[] }
  | { type: "subGroupLinked"; subGroup: SubGroup }
  | { type: "subGroupUnlinked"; subGroup: SubGroup; reason?: string }
  | { type: "deleted"; reason?: string }
  | { type: "suspended"; suspended: boolean }
  | { type: "unknown"; tag: string };

/** Payload of `groupUpdate`: one change to a group, with who made it. */
export interface GroupUpdateEvent {
  /** The group. */
  group: Jid;
  /** Who made the change, as the group addresses members (absent for the server's own changes). */
  author?: Jid;
  /** The author's phone number, in lid-mode groups. */
  authorPn?: Jid;
  /** The author's push name, when given. */
  authorName?: string;
  /** When it happened (server time). */
  timestamp: Date;
  /** How the group addresses members, when the notification says. */
  addressingMode?: AddressingMode;
  /** What changed. */
  change: GroupChange;
  /** True when the notification was queued while we were offline. */
  offline: boolean;
}

/** Payload of `joinedGroup`: we are now in a group (created it, were added, joined by link or invite). */
export interface JoinedGroupEvent {
  /** The group's metadata as the server sent it. */
  group: GroupInfo;
  /** Who added us (or created it), when given. */
  author?: Jid;
  /** The author's phone number, in lid-mode groups. */
  authorPn?: Jid;
  /** `invite` when we joined by link or invite; the server's reason otherwise. */
  reason?: string;
  /** `new` for a group just created. */
  type?: string;
  /** The create key of `create({ createKey })`, to match our own creations. */
  createKey?: string;
  /** When it happened. */
  timestamp: Date;
  /** True when the notification was queued while we were offline. */
  offline: boolean;
  /**
   * True when the group came from a history sync (a chat we were already in when this device linked),
   * not from a join just now; `group` then holds what the phone's copy of the chat says (subject,
   * members, description), and `timestamp` is the chat's creation time or the sync's.
   */
  fromHistory?: boolean;
}

/** The events of the groups feature. */
export interface GroupEvents {
  /** We created, were added to, or joined a group. */
  joinedGroup: JoinedGroupEvent;
  /** A group we are in changed (one event per change). */
  groupUpdate: GroupUpdateEvent;
}
