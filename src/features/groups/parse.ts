/**
 * Reading group metadata: the `<group>` node of a `w:g2` answer or of a `<create>` notification, and the
 * `<participant>` nodes of participant changes (shapes as whatsmeow's group.go `parseGroupNode`,
 * `parseParticipant` and `parseParticipantList` read them; reference/protocol-facts-features.md 4.2, 4.3).
 *
 * The node comes from the network: every loop runs over children the decoder already bounded, text is
 * decoded leniently (a bad UTF-8 byte becomes U+FFFD rather than an exception), and a malformed JID in
 * a participant drops that participant, never the whole group.
 *
 * @module
 */

import { getChild, getChildren, Jid, type Node } from "../../binary/mod.ts";
import type { AddressingMode } from "../message_info.ts";

/** One member of a group. */
export interface GroupMember {
  /** The member as the group addresses it (a phone-number or LID user JID). */
  jid: Jid;
  /** The member's phone-number JID, when known. */
  phoneNumber?: Jid;
  /** The member's LID, when known. */
  lid?: Jid;
  /** Admin or super admin. */
  isAdmin: boolean;
  /** The group's creator/super admin. */
  isSuperAdmin: boolean;
  /** The masked phone number the server shows for a LID member to non-contacts, when given. */
  displayName?: string;
}

/** Who may add members: only admins, or every member. */
export type MemberAddMode = "admin_add" | "all_member_add";

/** The group description, with the id that the next change must name as `prev`. */
export interface GroupDescription {
  /** The text. */
  text: string;
  /** Its id (the next change names it as the previous id). */
  id: string;
  /** Who set it, as the group addresses members. */
  setBy?: Jid;
  /** Who set it, by phone number (lid-mode groups). */
  setByPn?: Jid;
  /** When it was set. */
  setAt?: Date;
}

/** What the client knows of a group. */
export interface GroupInfo {
  /** The group JID. */
  jid: Jid;
  /** The subject (name). */
  subject: string;
  /** Who last set the subject. */
  subjectOwner?: Jid;
  /** Who last set the subject, by phone number (lid-mode groups). */
  subjectOwnerPn?: Jid;
  /** When the subject was last set. */
  subjectTime?: Date;
  /** How participants are addressed. */
  addressingMode?: AddressingMode;
  /** The members. */
  participants: GroupMember[];
  /** The creator, when given. */
  creator?: Jid;
  /** The creator by phone number (lid-mode groups), when given. */
  creatorPn?: Jid;
  /** Creation time, when given. */
  created?: Date;
  /** The member count the server gave (`size`), which may exceed `participants` in a truncated list. */
  size?: number;
  /** The description, when set. */
  description?: GroupDescription;
  /** Only admins may send messages. */
  announce: boolean;
  /** Only admins may change the group's info (subject, description, timer). */
  locked: boolean;
  /** Who may add members (the server's default when absent is every member). */
  memberAddMode?: MemberAddMode;
  /** Joining needs an admin's approval. */
  membershipApproval: boolean;
  /** The disappearing-messages timer in seconds (0 = off). */
  ephemeralExpiration: number;
  /** The group is a community (a parent of linked subgroups). */
  isCommunity: boolean;
  /** The community this group belongs to, for a subgroup. */
  linkedParent?: Jid;
  /** The community's default subgroup (with `announce`, its announcement group). */
  isDefaultSubGroup: boolean;
  /** Members' phone numbers are hidden (incognito). */
  incognito: boolean;
  /** The group is suspended. */
  suspended: boolean;
}

const lenientUtf8 = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

/** A node's content as text, decoding bytes leniently; `""` for child lists and empty nodes. */
export function nodeText(node: Node | undefined): string {
  const content = node?.content;
  if (typeof content === "string") return content;
  if (content instanceof Uint8Array) return lenientUtf8.decode(content);
  return "";
}

/** An attribute as a JID, or `undefined` when absent or malformed. */
export function jidAttr(node: Node, name: string): Jid | undefined {
  const value = node.attrs[name];
  return value ? Jid.tryParse(value) : undefined;
}

/** A Unix-seconds attribute as a date, or `undefined` when absent, zero or not a number. */
export function timeAttr(node: Node, name: string): Date | undefined {
  const seconds = Number(node.attrs[name]);
  return Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1000) : undefined;
}

/**
 * One `<participant jid [type] [phone_number|lid] [display_name]>`, or `undefined` when its `jid` is
 * missing or is not a user (PN or LID).
 */
export function parseParticipant(p: Node): GroupMember | undefined {
  const pj = jidAttr(p, "jid");
  if (!pj || (!pj.isPn() && !pj.isLid())) return undefined;
  const type = p.attrs.type ?? "";
  const member: GroupMember = {
    jid: pj.toNonAd(),
    isAdmin: type === "admin" || type === "superadmin",
    isSuperAdmin: type === "superadmin",
  };
  if (pj.isLid()) {
    member.lid = member.jid;
    const pn = jidAttr(p, "phone_number");
    if (pn?.isPn()) member.phoneNumber = pn.toNonAd();
  } else {
    member.phoneNumber = member.jid;
    const lid = jidAttr(p, "lid");
    if (lid?.isLid()) member.lid = lid.toNonAd();
  }
  if (p.attrs.display_name) member.displayName = p.attrs.display_name;
  return member;
}

/** The `<participant>` children of a node (a `<group>`, an `<add>`...), skipping malformed ones. */
export function parseParticipants(node: Node, tag = "participant"): GroupMember[] {
  const out: GroupMember[] = [];
  for (const p of getChildren(node, tag)) {
    const member = parseParticipant(p);
    if (member) out.push(member);
  }
  return out;
}

/** The group JID a `<group id|jid>` names: `id` is the user part alone, or a whole JID. */
export function groupJidOf(node: Node): Jid | undefined {
  const text = node.attrs.jid ?? node.attrs.id ?? "";
  if (!text) return undefined;
  const jid = text.includes("@") ? Jid.tryParse(text) : Jid.tryParse(`${text}@g.us`);
  return jid?.isGroup() ? jid : undefined;
}

/** Parses a `<description id participant participant_pn t><body/></description>` node. */
export function parseDescription(node: Node): GroupDescription | undefined {
  const body = getChild(node, "body");
  if (!body) return undefined;
  return {
    text: nodeText(body),
    id: node.attrs.id ?? "",
    setBy: jidAttr(node, "participant"),
    setByPn: jidAttr(node, "participant_pn"),
    setAt: timeAttr(node, "t"),
  };
}

/** Parses a `<group>` node. A missing or malformed `id` gives the JID `@g.us` with an empty user. */
export function parseGroupNode(node: Node): GroupInfo {
  const mode = node.attrs.addressing_mode;
  const size = Number(node.attrs.size);
  const info: GroupInfo = {
    jid: groupJidOf(node) ?? Jid.group(""),
    subject: node.attrs.subject ?? "",
    subjectOwner: jidAttr(node, "s_o"),
    subjectOwnerPn: jidAttr(node, "s_o_pn"),
    subjectTime: timeAttr(node, "s_t"),
    addressingMode: mode === "lid" || mode === "pn" ? mode : undefined,
    participants: [],
    creator: jidAttr(node, "creator"),
    creatorPn: jidAttr(node, "creator_pn"),
    created: timeAttr(node, "creation"),
    size: Number.isSafeInteger(size) && size >= 0 ? size : undefined,
    announce: false,
    locked: false,
    membershipApproval: false,
    ephemeralExpiration: 0,
    isCommunity: false,
    isDefaultSubGroup: false,
    incognito: false,
    suspended: false,
  };
  for (const child of getChildren(node)) {
    switch (child.tag) {
      case "participant": {
        // A create answer lists the people it could not add with an error code: they are not members.
        if (child.attrs.error !== undefined && child.attrs.error !== "200") break;
        const member = parseParticipant(child);
        if (member) info.participants.push(member);
        break;
      }
      case "description":
        info.description = parseDescription(child);
        break;
      case "announcement":
        info.announce = true;
        break;
      case "locked":
        info.locked = true;
        break;
      case "ephemeral": {
        const seconds = Number(child.attrs.expiration);
        info.ephemeralExpiration = Number.isSafeInteger(seconds) && seconds > 0 ? seconds : 0;
        break;
      }
      case "member_add_mode": {
        const text = nodeText(child);
        if (text === "admin_add" || text === "all_member_add") info.memberAddMode = text;
        break;
      }
      case "membership_approval_mode": {
        // whatsmeow treats the element's presence as "on"; the state attribute says so explicitly.
        const join = getChild(child, "group_join");
        info.membershipApproval = join?.attrs.state !== "off";
        break;
      }
      case "parent":
        info.isCommunity = true;
        break;
      case "linked_parent":
        info.linkedParent = jidAttr(child, "jid");
        break;
      case "default_sub_group":
        info.isDefaultSubGroup = true;
        break;
      case "incognito":
        info.incognito = true;
        break;
      case "suspended":
        info.suspended = true;
        break;
    }
  }
  return info;
}
