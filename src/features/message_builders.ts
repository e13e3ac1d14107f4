/**
 * Building and reading common messages: text (with mentions and replies), reactions, edits, revokes,
 * locations and contact cards. Shapes follow whatsmeow's BuildEdit /
 * BuildRevoke / BuildReaction and the seed's send guide (reference/seed-inventory-features.md section 3).
 *
 * @module
 */

import { Jid } from "../binary/mod.ts";
import {
  type ContactMessage,
  type ContextInfo,
  type Message,
  type MessageKey,
  ProtocolMessageType,
} from "../proto/mod.ts";
import { InputError } from "./errors.ts";
import type { MessageInfo } from "./message_info.ts";

/**
 * The key that identifies a message (for replies, reactions, edits, revokes).
 *
 * @example
 * ```ts
 * import { type Client, messageKey } from "@wadeno/client";
 * export function example(client: Client) {
 *   client.on("message", async ({ info }) => {
 *     await client.sendReaction(info.source.chat, messageKey(info), "👀");
 *   });
 * }
 * ```
 */
export function messageKey(info: MessageInfo): MessageKey {
  const key: MessageKey = {
    remoteJid: info.source.chat.toString(),
    fromMe: info.source.isFromMe,
    id: info.id,
  };
  if (info.source.isGroup && !info.source.isFromMe) key.participant = info.source.sender.toNonAd().toString();
  return key;
}

/** A message being replied to. */
export interface Quoted {
  /** Its info (from the `message` event). */
  info: MessageInfo;
  /** Its content. */
  message: Message;
}

/**
 * The `ContextInfo` that makes a message a reply to `quoted` (nested quotes and mentions dropped).
 *
 * @example
 * ```ts
 * import { type Client, quoteContext } from "@wadeno/client";
 * export function example(client: Client) {
 *   client.on("message", async (event) => {
 *     const location = { degreesLatitude: 52.52, degreesLongitude: 13.405, contextInfo: quoteContext(event) };
 *     await client.sendMessage(event.info.source.chat, { locationMessage: location });
 *   });
 * }
 * ```
 */
export function quoteContext(quoted: Quoted): ContextInfo {
  return {
    stanzaId: quoted.info.id,
    participant: quoted.info.source.sender.toNonAd().toString(),
    quotedMessage: stripForQuote(quoted.message),
    remoteJid: quoted.info.source.isGroup ? quoted.info.source.chat.toString() : undefined,
  };
}

/** A copy without its own quote chain and mentions (WhatsApp quotes one level deep). */
function stripForQuote(message: Message): Message {
  const copy: Message = { ...message };
  if (copy.extendedTextMessage?.contextInfo) {
    copy.extendedTextMessage = { ...copy.extendedTextMessage, contextInfo: undefined };
  }
  delete copy.messageContextInfo;
  delete copy.senderKeyDistributionMessage;
  return copy;
}

/** Options for {@linkcode textMessage}. */
export interface TextOptions {
  /** Users mentioned in the text (write them as `@<number>` in the text too). */
  mentions?: readonly Jid[];
  /** Reply to this message. */
  replyTo?: Quoted;
  /** The chat's disappearing-messages timer in seconds, when it has one. */
  expiration?: number;
}

/**
 * A text message: a plain `conversation` when there is nothing else to say, an `extendedTextMessage`
 * when it mentions someone, quotes a message or carries an expiration.
 *
 * @example
 * ```ts
 * import { Jid, textMessage } from "@wadeno/client";
 * textMessage("hi"); // { conversation: "hi" }
 * const m = textMessage("@15551234567 look", { mentions: [Jid.pn("15551234567")] });
 * m.extendedTextMessage?.contextInfo?.mentionedJid; // ["15551234567@s.whatsapp.net"]
 * ```
 */
export function textMessage(text: string, options: TextOptions = {}): Message {
  const context: ContextInfo = {};
  if (options.mentions?.length) context.mentionedJid = options.mentions.map((j) => j.toNonAd().toString());
  if (options.replyTo) Object.assign(context, quoteContext(options.replyTo));
  if (options.expiration) context.expiration = options.expiration;
  if (Object.keys(context).length === 0) return { conversation: text };
  return { extendedTextMessage: { text, contextInfo: context } };
}

/** Checks a message key given by a caller: it must name a chat and a message id. */
export function checkMessageKey(key: MessageKey, argument = "key"): MessageKey {
  if (!key || typeof key !== "object") {
    throw new InputError("invalid_argument", argument, "expected a MessageKey ({ remoteJid, fromMe, id })");
  }
  if (typeof key.id !== "string" || key.id.length === 0) {
    throw new InputError("invalid_argument", argument, "the key has no message id");
  }
  if (typeof key.remoteJid !== "string" || !Jid.tryParse(key.remoteJid)) {
    throw new InputError(
      "invalid_argument",
      argument,
      `the key's remoteJid is not a JID (${String(key.remoteJid)})`,
    );
  }
  return key;
}

function checkMessageId(id: string, argument = "messageId"): string {
  if (typeof id !== "string" || id.length === 0 || id.length > 128) {
    throw new InputError("invalid_argument", argument, `expected a message id, got ${JSON.stringify(id)}`);
  }
  return id;
}

/**
 * A reaction (an emoji; the empty string removes our reaction). Throws {@linkcode InputError} for a key
 * without a chat or id, or an emoji that is not a short string.
 *
 * @example
 * ```ts
 * import { reactionMessage } from "@wadeno/client";
 * const key = { remoteJid: "15551234567@s.whatsapp.net", fromMe: false, id: "3EB0C0FFEE" };
 * reactionMessage(key, "👍").reactionMessage?.text; // "👍"
 * reactionMessage(key, "").reactionMessage?.text; // "": removes our reaction
 * ```
 */
export function reactionMessage(target: MessageKey, emoji: string): Message {
  checkMessageKey(target, "target");
  if (typeof emoji !== "string" || emoji.length > 32) {
    throw new InputError("invalid_argument", "emoji", 'expected one emoji (or "" to remove a reaction)');
  }
  return { reactionMessage: { key: target, text: emoji, senderTimestampMs: BigInt(Date.now()) } };
}

/**
 * An edit of one of our own messages (WhatsApp allows text edits for 15 minutes).
 *
 * @example
 * ```ts
 * import { editMessage, getEdit, Jid } from "@wadeno/client";
 * const edit = editMessage(Jid.pn("15551234567"), "3EB0C0FFEE", { conversation: "hello" });
 * getEdit(edit)?.newContent; // { conversation: "hello" }
 * ```
 */
export function editMessage(chat: Jid, messageId: string, newContent: Message): Message {
  checkMessageId(messageId);
  if (!newContent || typeof newContent !== "object" || Object.keys(newContent).length === 0) {
    throw new InputError(
      "invalid_argument",
      "newContent",
      "expected the new content (a Message or a string)",
    );
  }
  return {
    editedMessage: {
      message: {
        protocolMessage: {
          key: { remoteJid: chat.toString(), fromMe: true, id: messageId },
          type: ProtocolMessageType.MESSAGE_EDIT,
          editedMessage: newContent,
          timestampMs: BigInt(Date.now()),
        },
      },
    },
  };
}

/**
 * "Delete for everyone". For a message someone else sent in a group (admin revoke), pass its sender;
 * it must use the same addressing (PN or LID) as the original.
 *
 * @example
 * ```ts
 * import { getRevoke, Jid, revokeMessage } from "@wadeno/client";
 * const own = revokeMessage(Jid.pn("15551234567"), "3EB0C0FFEE");
 * getRevoke(own)?.fromMe; // true
 * // An admin deleting someone else's message in a group:
 * const other = revokeMessage(Jid.group("120363000000000000"), "3EB0BEEF", Jid.pn("15557654321"));
 * getRevoke(other)?.participant; // "15557654321@s.whatsapp.net"
 * ```
 */
export function revokeMessage(chat: Jid, messageId: string, originalSender?: Jid): Message {
  checkMessageId(messageId);
  const key: MessageKey = { remoteJid: chat.toString(), fromMe: originalSender === undefined, id: messageId };
  if (originalSender) key.participant = originalSender.toNonAd().toString();
  return { protocolMessage: { key, type: ProtocolMessageType.REVOKE } };
}

/**
 * A location pin.
 *
 * @example
 * ```ts
 * import { locationMessage } from "@wadeno/client";
 * const m = locationMessage({ latitude: 52.52, longitude: 13.405, name: "Alexanderplatz" });
 * m.locationMessage?.degreesLatitude; // 52.52
 * ```
 */
export function locationMessage(location: {
  latitude: number;
  longitude: number;
  name?: string;
  address?: string;
  url?: string;
}): Message {
  return {
    locationMessage: {
      degreesLatitude: location.latitude,
      degreesLongitude: location.longitude,
      name: location.name,
      address: location.address,
      url: location.url,
    },
  };
}

/**
 * A contact card from a vCard (several cards become a contacts array).
 *
 * @example
 * ```ts
 * import { contactMessage, vcard } from "@wadeno/client";
 * const one = contactMessage({ displayName: "Ana", vcard: vcard("Ana", "+1 555 123 4567") });
 * one.contactMessage?.displayName; // "Ana"
 * const two = contactMessage(
 *   { displayName: "Ana", vcard: vcard("Ana", "+1 555 123 4567") },
 *   { displayName: "Bo", vcard: vcard("Bo", "+1 555 765 4321") },
 * );
 * two.contactsArrayMessage?.contacts?.length; // 2
 * ```
 */
export function contactMessage(...contacts: Array<{ displayName: string; vcard: string }>): Message {
  if (contacts.length === 1) return { contactMessage: { ...contacts[0] } };
  return {
    contactsArrayMessage: {
      displayName: `${contacts.length} contacts`,
      contacts: contacts.map((c): ContactMessage => ({ ...c })),
    },
  };
}

/**
 * A minimal vCard for a phone number.
 *
 * @example
 * ```ts
 * import { vcard } from "@wadeno/client";
 * vcard("Ana", "+1 555 123 4567");
 * // "BEGIN:VCARD\nVERSION:3.0\nFN:Ana\nTEL;type=CELL;waid=15551234567:+15551234567\nEND:VCARD"
 * ```
 */
export function vcard(name: string, phoneNumber: string): string {
  const digits = phoneNumber.replace(/\D/g, "");
  return `BEGIN:VCARD\nVERSION:3.0\nFN:${name}\nTEL;type=CELL;waid=${digits}:+${digits}\nEND:VCARD`;
}

/**
 * The message inside ephemeral / view-once / document-with-caption wrappers.
 *
 * @example
 * ```ts
 * import { unwrapMessage } from "@wadeno/client";
 * unwrapMessage({ ephemeralMessage: { message: { viewOnceMessage: { message: { conversation: "hi" } } } } });
 * // { conversation: "hi" }
 * ```
 */
export function unwrapMessage(message: Message): Message {
  const inner = message.ephemeralMessage?.message ?? message.viewOnceMessage?.message ??
    message.viewOnceMessageV2?.message ?? message.viewOnceMessageV2Extension?.message ??
    message.documentWithCaptionMessage?.message;
  return inner ? unwrapMessage(inner) : message;
}

/**
 * The text of a message (text, extended text, or a media caption), if it has one.
 *
 * @example
 * ```ts
 * import { messageText } from "@wadeno/client";
 * messageText({ conversation: "hi" }); // "hi"
 * messageText({ imageMessage: { caption: "a cat" } }); // "a cat"
 * messageText({ reactionMessage: { text: "👍" } }); // undefined
 * ```
 */
export function messageText(message: Message): string | undefined {
  const m = unwrapMessage(message);
  return m.conversation ?? m.extendedTextMessage?.text ?? m.imageMessage?.caption ??
    m.videoMessage?.caption ??
    m.documentMessage?.caption;
}

/**
 * When a message is an edit: the edited message's key and its new content.
 *
 * @example
 * ```ts
 * import { type Client, getEdit, messageText } from "@wadeno/client";
 * export function example(client: Client) {
 *   client.on("message", ({ message }) => {
 *     const edit = getEdit(message);
 *     if (edit) console.log(`message ${edit.key.id} now reads:`, messageText(edit.newContent));
 *   });
 * }
 * ```
 */
export function getEdit(message: Message): { key: MessageKey; newContent: Message } | undefined {
  const pm = message.editedMessage?.message?.protocolMessage ?? message.protocolMessage;
  if (pm?.type !== ProtocolMessageType.MESSAGE_EDIT || !pm.key || !pm.editedMessage) return undefined;
  return { key: pm.key, newContent: pm.editedMessage };
}

/**
 * When a message is a revoke ("deleted for everyone"): the revoked message's key.
 *
 * @example
 * ```ts
 * import { type Client, getRevoke } from "@wadeno/client";
 * export function example(client: Client) {
 *   client.on("message", ({ message }) => {
 *     const revoked = getRevoke(message);
 *     if (revoked) console.log(`message ${revoked.id} was deleted for everyone`);
 *   });
 * }
 * ```
 */
export function getRevoke(message: Message): MessageKey | undefined {
  const pm = message.protocolMessage;
  return pm?.type === ProtocolMessageType.REVOKE && pm.key ? pm.key : undefined;
}

/**
 * When a message is a reaction: the target key and the emoji (empty when removed).
 *
 * @example
 * ```ts
 * import { getReaction, reactionMessage } from "@wadeno/client";
 * const key = { remoteJid: "15551234567@s.whatsapp.net", fromMe: true, id: "3EB0C0FFEE" };
 * getReaction(reactionMessage(key, "🎉"))?.emoji; // "🎉"
 * getReaction({ conversation: "hi" }); // undefined
 * ```
 */
export function getReaction(message: Message): { key: MessageKey; emoji: string } | undefined {
  const r = message.reactionMessage;
  return r?.key ? { key: r.key, emoji: r.text ?? "" } : undefined;
}

/**
 * When a message is a reply: the quoted message's id and sender.
 *
 * @example
 * ```ts
 * import { type Client, getReplyTo } from "@wadeno/client";
 * export function example(client: Client) {
 *   client.on("message", ({ message }) => {
 *     const reply = getReplyTo(message);
 *     if (reply) console.log("a reply to", reply.id, "by", reply.participant);
 *   });
 * }
 * ```
 */
export function getReplyTo(
  message: Message,
): { id: string; participant?: string; quoted?: Message } | undefined {
  const ctx = unwrapMessage(message).extendedTextMessage?.contextInfo;
  return ctx?.stanzaId
    ? { id: ctx.stanzaId, participant: ctx.participant, quoted: ctx.quotedMessage }
    : undefined;
}
