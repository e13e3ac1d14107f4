/**
 * Reading group metadata: the `<group>` node of a `w:g2` answer (shape as whatsmeow's group.go
 * parseGroupNode reads it; reference/protocol-facts-features.md 4.2).
 *
 * @module
 */

import { getChildren, Jid, type Node } from "../../binary/mod.ts";
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
}

/** What the client knows of a group. */
export interface GroupInfo {
  /** The group JID. */
  jid: Jid;
  /** The subject (name). */
  subject: string;
  /** How participants are addressed. */
  addressingMode?: AddressingMode;
  /** The members. */
  participants: GroupMember[];
  /** The creator, when given. */
  creator?: Jid;
  /** Creation time, when given. */
  created?: Date;
}

/** Parses a `<group>` node. */
export function parseGroupNode(node: Node): GroupInfo {
  const id = node.attrs.id ?? "";
  const jid = id.includes("@") ? Jid.parse(id) : Jid.group(id);
  const mode = node.attrs.addressing_mode;
  const participants: GroupMember[] = [];
  for (const p of getChildren(node, "participant")) {
    const pj = p.attrs.jid ? Jid.tryParse(p.attrs.jid) : undefined;
    if (!pj) continue;
    const type = p.attrs.type ?? "";
    const participant: GroupMember = {
      jid: pj.toNonAd(),
      isAdmin: type === "admin" || type === "superadmin",
      isSuperAdmin: type === "superadmin",
    };
    if (pj.isLid()) {
      participant.lid = participant.jid;
      const pn = p.attrs.phone_number ? Jid.tryParse(p.attrs.phone_number) : undefined;
      if (pn) participant.phoneNumber = pn.toNonAd();
    } else {
      participant.phoneNumber = participant.jid;
      const lid = p.attrs.lid ? Jid.tryParse(p.attrs.lid) : undefined;
      if (lid) participant.lid = lid.toNonAd();
    }
    participants.push(participant);
  }
  const creation = Number(node.attrs.creation);
  return {
    jid,
    subject: node.attrs.subject ?? "",
    addressingMode: mode === "lid" || mode === "pn" ? mode : undefined,
    participants,
    creator: node.attrs.creator ? Jid.tryParse(node.attrs.creator) : undefined,
    created: Number.isFinite(creation) && creation > 0 ? new Date(creation * 1000) : undefined,
  };
}
