/**
 * Reading `<notification type="w:gp2">`: the parent names the group (`from`), who acted (`participant`,
 * `participant_pn`, `notify`) and when (`t`); each child is one change (reference/protocol-facts-features.md
 * 4.4; whatsmeow group.go `parseGroupChange` / `parseGroupCreate`, Baileys `handleGroupNotification`,
 * whatsapp-rust `wacore/src/stanza/groups.rs`). A `<create>` child carries a whole `<group>`: we are in a
 * new group. Pure: no client, no store.
 *
 * @module
 */

import { getChild, getChildren, type Node } from "../../binary/mod.ts";
import { parseSubGroup } from "./communities.ts";
import type { GroupChange, GroupUpdateEvent, JoinedGroupEvent } from "./events.ts";
import {
  groupJidOf,
  jidAttr,
  nodeText,
  parseDescription,
  parseGroupNode,
  parseParticipants,
} from "./parse.ts";

/** A parsed group notification: the joined group (a `<create>`), and the other changes, in order. */
export interface GroupNotification {
  /** Who, when, which group: the fields every `groupUpdate` of this notification shares. */
  header: Omit<GroupUpdateEvent, "change">;
  /** Set when the notification carries a `<create>`. */
  joined?: JoinedGroupEvent;
  /** Every other change. */
  changes: GroupChange[];
}

/** Parses one child into a change; `undefined` for children that carry nothing to report. */
export function parseGroupChange(
  child: Node,
  header: Pick<GroupUpdateEvent, "author">,
): GroupChange | undefined {
  const a = child.attrs;
  switch (child.tag) {
    case "add":
      return { type: "participantsAdded", participants: parseParticipants(child), reason: a.reason };
    case "remove":
    case "leave": {
      const participants = parseParticipants(child);
      const author = header.author;
      // A member who removes themselves left (Baileys reads it so); `<leave>` says so outright.
      const left = child.tag === "leave" ||
        (author !== undefined && participants.length === 1 &&
          (participants[0].jid.user === author.user || participants[0].lid?.user === author.user ||
            participants[0].phoneNumber?.user === author.user));
      return { type: "participantsRemoved", participants, left, reason: a.reason };
    }
    case "promote":
      return { type: "participantsPromoted", participants: parseParticipants(child) };
    case "demote":
      return { type: "participantsDemoted", participants: parseParticipants(child) };
    case "modify":
      return { type: "participantsChangedNumber", participants: parseParticipants(child) };
    case "subject":
      return {
        type: "subject",
        subject: a.subject ?? "",
        setBy: jidAttr(child, "s_o"),
        setByPn: jidAttr(child, "s_o_pn"),
        setAt: a.s_t && Number(a.s_t) > 0 ? new Date(Number(a.s_t) * 1000) : undefined,
      };
    case "description": {
      if (getChild(child, "delete") || a.delete === "true") return { type: "description", id: a.id ?? "" };
      const description = parseDescription(child);
      return description ? { type: "description", id: description.id, description } : undefined;
    }
    case "announcement":
    case "not_announcement":
      return { type: "announce", announce: child.tag === "announcement" };
    case "locked":
    case "unlocked":
      return { type: "locked", locked: child.tag === "locked" };
    case "member_add_mode": {
      const mode = nodeText(child);
      return mode === "admin_add" || mode === "all_member_add" ? { type: "memberAddMode", mode } : undefined;
    }
    case "membership_approval_mode": {
      const join = getChild(child, "group_join");
      return { type: "membershipApproval", enabled: join?.attrs.state === "on" };
    }
    case "ephemeral": {
      const seconds = Number(a.expiration);
      return { type: "ephemeral", expiration: Number.isSafeInteger(seconds) && seconds > 0 ? seconds : 0 };
    }
    case "not_ephemeral":
      return { type: "ephemeral", expiration: 0 };
    case "invite":
      return a.code ? { type: "inviteLinkChanged", code: a.code } : { type: "inviteLinkRevoked" };
    case "revoke":
      return { type: "inviteLinkRevoked" };
    case "created_membership_requests":
      return {
        type: "joinRequested",
        requests: parseParticipants(child, "requested_user"),
        method: a.request_method,
      };
    case "membership_approval_request":
      // The requester is the notification's author.
      return {
        type: "joinRequested",
        requests: header.author ? [{ jid: header.author, isAdmin: false, isSuperAdmin: false }] : [],
        method: a.request_method,
      };
    case "revoked_membership_requests":
      return { type: "joinRequestsRevoked", participants: parseParticipants(child) };
    case "link":
    case "unlink": {
      const target = getChild(child, "group");
      const subGroup = target && parseSubGroup(target);
      if (!subGroup) return undefined;
      return child.tag === "link"
        ? { type: "subGroupLinked", subGroup }
        : { type: "subGroupUnlinked", subGroup, reason: a.unlink_reason };
    }
    case "delete":
      return { type: "deleted", reason: a.reason };
    case "suspended":
    case "unsuspended":
      return { type: "suspended", suspended: child.tag === "suspended" };
    case "missing_participant_identification":
      // WhatsApp Web drops it (whatsapp-rust does the same): nothing for a user.
      return undefined;
    default:
      return { type: "unknown", tag: child.tag };
  }
}

/**
 * Parses a `w:gp2` notification, or `undefined` when its `from` is not a group (nothing to apply it to).
 */
export function parseGroupNotification(node: Node): GroupNotification | undefined {
  const group = node.attrs.from ? groupJidOf({ tag: "group", attrs: { jid: node.attrs.from } }) : undefined;
  if (!group) return undefined;
  const t = Number(node.attrs.t);
  const mode = node.attrs.addressing_mode;
  const header: GroupNotification["header"] = {
    group,
    author: jidAttr(node, "participant")?.toNonAd(),
    authorPn: jidAttr(node, "participant_pn")?.toNonAd(),
    authorName: node.attrs.notify || undefined,
    timestamp: Number.isFinite(t) && t > 0 ? new Date(t * 1000) : new Date(),
    addressingMode: mode === "lid" || mode === "pn" ? mode : undefined,
    offline: node.attrs.offline !== undefined,
  };
  const out: GroupNotification = { header, changes: [] };
  for (const child of getChildren(node)) {
    if (child.tag === "create") {
      const groupNode = getChild(child, "group");
      if (!groupNode) continue;
      const info = parseGroupNode(groupNode);
      // The server's <group id> is the user part; trust the notification's sender for the JID.
      info.jid = group;
      out.joined = {
        group: info,
        author: header.author,
        authorPn: header.authorPn,
        reason: child.attrs.reason,
        type: child.attrs.type,
        createKey: child.attrs.key,
        timestamp: header.timestamp,
        offline: header.offline,
      };
      continue;
    }
    const change = parseGroupChange(child, header);
    if (change) out.changes.push(change);
  }
  return out;
}
