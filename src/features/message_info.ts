/**
 * Who sent a stanza, in which chat, and how it is addressed: `MessageSource` and `MessageInfo` parsed from
 * a `<message>` (or `<receipt>`) node's attributes, as WhatsApp Web reads them (reference:
 * reference/seed-inventory-features.md section 19 "Messages", whatsmeow message.go parseMessageSource).
 *
 * @module
 */

import { Jid, type Node, optAttrInt } from "../binary/mod.ts";
import type { Message } from "../proto/mod.ts";

/** How a group (or chat) addresses participants: by phone number or by LID. */
export type AddressingMode = "pn" | "lid";

/** Where a message or receipt came from. */
export interface MessageSource {
  /** The chat: the other user in a 1:1 chat, the group, or a broadcast list. */
  chat: Jid;
  /** The sending device (with device id). */
  sender: Jid;
  /** True when the sender is one of our own devices. */
  isFromMe: boolean;
  /** True in groups and broadcast lists. */
  isGroup: boolean;
  /** The chat's addressing mode, when the server said. */
  addressingMode?: AddressingMode;
  /** The sender in the other addressing (the LID when `sender` is a phone number, and back). */
  senderAlt?: Jid;
  /** For messages we sent from another device: the recipient in the other addressing. */
  recipientAlt?: Jid;
  /** For broadcast lists: the list owner. */
  broadcastListOwner?: Jid;
}

/**
 * The kinds of the `edit` stanza attribute (whatsmeow's EditAttribute values): `none` (a plain message,
 * no attribute), `edited` ("1"), `pinned` ("2", pin in chat), `admin_edit` ("3"), `revoked` ("7", deleted by
 * its sender), `admin_revoked` ("8", deleted by a group admin), `other` for a value this library does not
 * know.
 */
export type EditKind = "none" | "edited" | "pinned" | "admin_edit" | "revoked" | "admin_revoked" | "other";

const EDIT_KINDS: Readonly<Record<string, EditKind>> = {
  "": "none",
  "1": "edited",
  "2": "pinned",
  "3": "admin_edit",
  "7": "revoked",
  "8": "admin_revoked",
};

/** A received message's metadata. */
export interface MessageInfo {
  /** Where it came from. */
  source: MessageSource;
  /** The message id (unique per sender). */
  id: string;
  /** Server-assigned id in newsletters, when present. */
  serverId?: number;
  /** The stanza's `type` (`text`, `media`, `reaction`, `poll`, ...). */
  type: string;
  /** The sender's push name (`notify`), possibly empty. */
  pushName: string;
  /** Server timestamp. */
  timestamp: Date;
  /** `category` (e.g. `peer` for messages between our own devices). */
  category: string;
  /** What the stanza's `edit` attribute says: a plain message, an edit, a revoke, a pin... */
  edit: EditKind;
  /** Media type announced on the stanza, empty when none. */
  mediaType: string;
  /** True when the message came from the server's offline queue. */
  offline: boolean;
}

function optJid(node: Node, key: string): Jid | undefined {
  const v = node.attrs[key];
  if (!v) return undefined;
  return Jid.tryParse(v) ?? undefined;
}

function requireJid(node: Node, key: string): Jid {
  const jid = optJid(node, key);
  if (!jid) {
    throw new MessageParseError(
      `<${node.tag}> lacks a valid ${key} attribute (got ${JSON.stringify(node.attrs[key])})`,
    );
  }
  return jid;
}

/** A message or receipt stanza lacks what it must carry. */
export class MessageParseError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "MessageParseError";
  }
}

/** Our own identities, to tell our messages from others'. */
export interface OwnIdentity {
  /** Our PN with device. */
  pn: Jid;
  /** Our LID with device, when known. */
  lid?: Jid;
}

function isOwn(jid: Jid, own: OwnIdentity): boolean {
  return jid.user === own.pn.user || (own.lid !== undefined && jid.user === own.lid.user);
}

/** Parses the source of a `<message>` or `<receipt>`; `requireParticipant` for group messages. */
export function parseMessageSource(node: Node, own: OwnIdentity, requireParticipant: boolean): MessageSource {
  const from = requireJid(node, "from");
  const mode = node.attrs.addressing_mode;
  const addressingMode: AddressingMode | undefined = mode === "lid" || mode === "pn" ? mode : undefined;
  if (from.isGroup() || from.isBroadcast()) {
    const participant = requireParticipant ? requireJid(node, "participant") : optJid(node, "participant");
    const sender = participant ?? from;
    const senderAlt = sameDevice(
      addressingMode === "lid" ? optJid(node, "participant_pn") : optJid(node, "participant_lid"),
      sender,
    );
    return {
      chat: from,
      sender,
      isFromMe: participant !== undefined && isOwn(participant, own),
      isGroup: true,
      addressingMode,
      senderAlt,
      broadcastListOwner: from.isBroadcast() ? optJid(node, "recipient") : undefined,
    };
  }
  if (isOwn(from, own)) {
    const recipient = optJid(node, "recipient");
    const chat = recipient ?? from.toNonAd();
    const recipientAlt = chat.isLid()
      ? optJid(node, "peer_recipient_pn")
      : optJid(node, "peer_recipient_lid");
    return { chat, sender: from, isFromMe: true, isGroup: false, addressingMode, recipientAlt };
  }
  const senderAlt = sameDevice(from.isLid() ? optJid(node, "sender_pn") : optJid(node, "sender_lid"), from);
  return { chat: from.toNonAd(), sender: from, isFromMe: false, isGroup: false, addressingMode, senderAlt };
}

/** The alternate JID carries no device in some stanzas: give it the sender's. */
function sameDevice(alt: Jid | undefined, sender: Jid): Jid | undefined {
  if (!alt) return undefined;
  return alt.device === 0 && sender.device !== 0 ? alt.withDevice(sender.device) : alt;
}

/** Parses a `<message>` node's metadata. */
export function parseMessageInfo(node: Node, own: OwnIdentity): MessageInfo {
  const source = parseMessageSource(node, own, true);
  const id = node.attrs.id;
  if (!id) throw new MessageParseError("<message> lacks an id");
  const t = optAttrInt(node, "t") ?? Math.floor(Date.now() / 1000);
  let mediaType = "";
  for (const child of Array.isArray(node.content) ? node.content : []) {
    if (child.attrs.mediatype) mediaType = child.attrs.mediatype;
  }
  return {
    source,
    id,
    serverId: optAttrInt(node, "server_id"),
    type: node.attrs.type ?? "",
    pushName: node.attrs.notify ?? "",
    timestamp: new Date(t * 1000),
    category: node.attrs.category ?? "",
    edit: EDIT_KINDS[node.attrs.edit ?? ""] ?? "other",
    mediaType,
    offline: node.attrs.offline !== undefined,
  };
}

/** Payload of the `message` event: a decrypted message and where it came from. */
export interface MessageEvent {
  /** The decrypted message (device-sent wrappers already removed). */
  message: Message;
  /** Who sent it, where, when. */
  info: MessageInfo;
}
