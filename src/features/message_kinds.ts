/**
 * Builders and readers for the message kinds beyond text, reactions and edits: pins (pin in chat),
 * keep-in-chat, forwarded flags and forwarding score, link previews the caller supplies, static and live
 * locations, contact cards and arrays, and event invitations (the builder with its secret is
 * `client.polls.createEvent`). Field shapes from the protobuf schema (whatsmeow WAWebProtobufsE2E.proto,
 * Baileys WAProto.proto) and Baileys Utils/messages.ts (pins: `messageAddOnDurationInSecs` is the pin's
 * duration, 0 for an unpin).
 *
 * Each builder returns a plain `Message` to pass to `client.sendMessage`; each reader takes a received
 * `Message` (wrappers such as ephemeral or view-once are looked through) and returns plain data, or
 * `undefined` when the message is not of that kind.
 *
 * @module
 */

import {
  type ContextInfo,
  KeepType,
  type Message,
  type MessageKey,
  PinInChatMessageType,
} from "../proto/mod.ts";
import { InputError } from "./errors.ts";
import { checkMessageKey, unwrapMessage } from "./message_builders.ts";

// ---- pins ---------------------------------------------------------------------------------------

/** How long a pin lasts: WhatsApp offers 24 hours, 7 days and 30 days. */
export const PIN_DURATIONS: readonly number[] = [86_400, 604_800, 2_592_000];

/**
 * Pins a message in its chat for everyone (or unpins it with `unpin: true`). `durationSeconds` is one
 * of {@linkcode PIN_DURATIONS} (default 7 days).
 *
 * @example
 * ```ts
 * import { pinMessage } from "@wadeno/client";
 * const m = pinMessage({ remoteJid: "120363@g.us", fromMe: true, id: "3EB0AA" }, { durationSeconds: 86_400 });
 * m.messageContextInfo?.messageAddOnDurationInSecs; // 86400
 * ```
 */
export function pinMessage(
  target: MessageKey,
  options: { unpin?: boolean; durationSeconds?: number } = {},
): Message {
  checkMessageKey(target, "target");
  const duration = options.unpin ? 0 : options.durationSeconds ?? 604_800;
  if (!options.unpin && !PIN_DURATIONS.includes(duration)) {
    throw new InputError(
      "invalid_argument",
      "durationSeconds",
      `expected one of ${PIN_DURATIONS.join(", ")}`,
    );
  }
  return {
    pinInChatMessage: {
      key: target,
      type: options.unpin ? PinInChatMessageType.UNPIN_FOR_ALL : PinInChatMessageType.PIN_FOR_ALL,
      senderTimestampMs: BigInt(Date.now()),
    },
    messageContextInfo: { messageAddOnDurationInSecs: duration },
  };
}

/** What a pin message says. */
export interface PinInfo {
  /** The message pinned or unpinned. */
  key: MessageKey;
  /** True for a pin, false for an unpin. */
  pinned: boolean;
  /** How long the pin lasts (seconds), when given. */
  durationSeconds?: number;
  /** When it was sent, when given. */
  timestamp?: Date;
}

/**
 * When a message pins or unpins another: which, and for how long.
 *
 * @example
 * ```ts
 * import { getPin, pinMessage } from "@wadeno/client";
 * const pin = pinMessage({ remoteJid: "120363000000000000@g.us", fromMe: true, id: "3EB0AA" });
 * getPin(pin)?.pinned; // true
 * getPin(pin)?.durationSeconds; // 604800 (the default, 7 days)
 * ```
 */
export function getPin(message: Message): PinInfo | undefined {
  const m = unwrapMessage(message);
  const pin = m.pinInChatMessage;
  if (!pin?.key) return undefined;
  const out: PinInfo = { key: pin.key, pinned: pin.type === PinInChatMessageType.PIN_FOR_ALL };
  const duration = message.messageContextInfo?.messageAddOnDurationInSecs ??
    m.messageContextInfo?.messageAddOnDurationInSecs;
  if (duration) out.durationSeconds = duration;
  if (pin.senderTimestampMs !== undefined) out.timestamp = new Date(Number(pin.senderTimestampMs));
  return out;
}

// ---- keep in chat -------------------------------------------------------------------------------

/**
 * Keeps a disappearing message in the chat for everyone (`keep` false undoes it).
 *
 * @example
 * ```ts
 * import { type Client, keepInChatMessage, type SendResult } from "@wadeno/client";
 * export async function example(client: Client, sent: SendResult) {
 *   await client.sendMessage(sent.chat, keepInChatMessage(sent.key)); // kept past the disappearing timer
 * }
 * ```
 */
export function keepInChatMessage(target: MessageKey, keep = true): Message {
  checkMessageKey(target, "target");
  return {
    keepInChatMessage: {
      key: target,
      keepType: keep ? KeepType.KEEP_FOR_ALL : KeepType.UNDO_KEEP_FOR_ALL,
      timestampMs: BigInt(Date.now()),
    },
  };
}

/**
 * When a message keeps (or un-keeps) another: which, and which way.
 *
 * @example
 * ```ts
 * import { getKeepInChat, keepInChatMessage } from "@wadeno/client";
 * const key = { remoteJid: "15551234567@s.whatsapp.net", fromMe: true, id: "3EB0AA" };
 * getKeepInChat(keepInChatMessage(key))?.kept; // true
 * getKeepInChat(keepInChatMessage(key, false))?.kept; // false
 * ```
 */
export function getKeepInChat(
  message: Message,
): { key: MessageKey; kept: boolean; timestamp?: Date } | undefined {
  const k = unwrapMessage(message).keepInChatMessage;
  if (!k?.key) return undefined;
  const out: { key: MessageKey; kept: boolean; timestamp?: Date } = {
    key: k.key,
    kept: k.keepType === KeepType.KEEP_FOR_ALL,
  };
  if (k.timestampMs !== undefined) out.timestamp = new Date(Number(k.timestampMs));
  return out;
}

// ---- context info (forwarding) ------------------------------------------------------------------

/** The fields of `Message` whose kind carries a `contextInfo`. */
const CONTEXT_KINDS = [
  "extendedTextMessage",
  "imageMessage",
  "videoMessage",
  "ptvMessage",
  "audioMessage",
  "documentMessage",
  "stickerMessage",
  "locationMessage",
  "liveLocationMessage",
  "contactMessage",
  "contactsArrayMessage",
  "groupInviteMessage",
  "pollCreationMessage",
  "pollCreationMessageV2",
  "pollCreationMessageV3",
  "eventMessage",
  "buttonsResponseMessage",
  "listResponseMessage",
  "templateButtonReplyMessage",
  "interactiveResponseMessage",
] as const satisfies readonly (keyof Message)[];

type ContextKind = typeof CONTEXT_KINDS[number];

/** The kind field of a message that carries a `contextInfo`, if it has one. */
function contextKind(message: Message): ContextKind | undefined {
  return CONTEXT_KINDS.find((k) => message[k] !== undefined);
}

/**
 * The `contextInfo` of a message's kind (replies, mentions, forwarding), if any.
 *
 * @example
 * ```ts
 * import { contextInfoOf } from "@wadeno/client";
 * contextInfoOf({ extendedTextMessage: { text: "hi", contextInfo: { stanzaId: "3EB0AA" } } })?.stanzaId; // "3EB0AA"
 * contextInfoOf({ conversation: "hi" }); // undefined
 * ```
 */
export function contextInfoOf(message: Message): ContextInfo | undefined {
  const m = unwrapMessage(message);
  const kind = contextKind(m);
  return kind ? (m[kind] as { contextInfo?: ContextInfo }).contextInfo : undefined;
}

/**
 * A copy of `message` with its kind's `contextInfo` changed; a plain `conversation` becomes an
 * `extendedTextMessage` so it can carry one. Throws {@linkcode InputError} for a kind without one.
 *
 * @example
 * ```ts
 * import { withContextInfo } from "@wadeno/client";
 * const m = withContextInfo({ conversation: "hi @15551234567" }, (context) => ({
 *   ...context,
 *   mentionedJid: ["15551234567@s.whatsapp.net"],
 * }));
 * m.extendedTextMessage?.text; // "hi @15551234567"
 * ```
 */
export function withContextInfo(message: Message, change: (context: ContextInfo) => ContextInfo): Message {
  const copy: Message = { ...message };
  if (copy.conversation !== undefined && contextKind(copy) === undefined) {
    copy.extendedTextMessage = { text: copy.conversation };
    delete copy.conversation;
  }
  const kind = contextKind(copy);
  if (!kind) {
    throw new InputError("invalid_argument", "message", "this kind of message carries no context info");
  }
  const inner = { ...(copy[kind] as object) } as { contextInfo?: ContextInfo };
  inner.contextInfo = change({ ...inner.contextInfo });
  (copy as Record<string, unknown>)[kind] = inner;
  return copy;
}

/** WhatsApp shows "Forwarded many times" from this score on. */
export const FREQUENTLY_FORWARDED_SCORE = 5;

/**
 * A message to forward: the content of a received (or sent) message with the forwarded flag set and its
 * forwarding score one higher. Quotes, mentions and the message secret are dropped, as clients do.
 *
 * @example
 * ```ts
 * import { forwardMessage, getForwarded } from "@wadeno/client";
 * const fwd = forwardMessage({ conversation: "news" });
 * getForwarded(fwd); // { isForwarded: true, score: 1, frequently: false }
 * ```
 */
export function forwardMessage(message: Message): Message {
  const inner: Message = { ...unwrapMessage(message) };
  delete inner.messageContextInfo;
  delete inner.senderKeyDistributionMessage;
  const previous = contextInfoOf(inner)?.forwardingScore ?? 0;
  return withContextInfo(inner, () => ({ isForwarded: true, forwardingScore: Math.min(previous + 1, 127) }));
}

/**
 * Whether a message was forwarded, how often, and whether WhatsApp shows it as forwarded many times.
 *
 * @example
 * ```ts
 * import { getForwarded } from "@wadeno/client";
 * getForwarded({ conversation: "hi" }); // { isForwarded: false, score: 0, frequently: false }
 * getForwarded({ extendedTextMessage: { text: "hi", contextInfo: { isForwarded: true, forwardingScore: 6 } } });
 * // { isForwarded: true, score: 6, frequently: true }
 * ```
 */
export function getForwarded(message: Message): { isForwarded: boolean; score: number; frequently: boolean } {
  const ctx = contextInfoOf(message);
  const score = ctx?.forwardingScore ?? 0;
  return { isForwarded: ctx?.isForwarded === true, score, frequently: score >= FREQUENTLY_FORWARDED_SCORE };
}

// ---- link previews ------------------------------------------------------------------------------

/** A link preview the caller made (the library fetches nothing). */
export interface LinkPreview {
  /** The URL as it appears in the text. */
  url: string;
  /** The page's title. */
  title?: string;
  /** The page's description. */
  description?: string;
  /** A small JPEG thumbnail (a few KiB). */
  jpegThumbnail?: Uint8Array;
}

/** The most thumbnail bytes sent inline. */
export const MAX_INLINE_THUMBNAIL = 64 * 1024;

/**
 * Text with a link preview. `preview.url` must appear in `text`.
 *
 * @example
 * ```ts
 * import { linkPreviewMessage } from "@wadeno/client";
 * const m = linkPreviewMessage("see https://deno.com", { url: "https://deno.com", title: "Deno" });
 * m.extendedTextMessage?.matchedText; // "https://deno.com"
 * ```
 */
export function linkPreviewMessage(text: string, preview: LinkPreview): Message {
  if (
    typeof text !== "string" || !preview || typeof preview.url !== "string" || !text.includes(preview.url)
  ) {
    throw new InputError("invalid_argument", "preview.url", "the previewed URL must appear in the text");
  }
  if (preview.jpegThumbnail && preview.jpegThumbnail.length > MAX_INLINE_THUMBNAIL) {
    throw new InputError(
      "invalid_argument",
      "preview.jpegThumbnail",
      `at most ${MAX_INLINE_THUMBNAIL} bytes`,
    );
  }
  return {
    extendedTextMessage: {
      text,
      matchedText: preview.url,
      title: preview.title,
      description: preview.description,
      jpegThumbnail: preview.jpegThumbnail,
      previewType: 0,
    },
  };
}

/**
 * The link preview a message carries, if any.
 *
 * @example
 * ```ts
 * import { getLinkPreview, linkPreviewMessage } from "@wadeno/client";
 * const m = linkPreviewMessage("see https://deno.com", { url: "https://deno.com", title: "Deno" });
 * getLinkPreview(m)?.title; // "Deno"
 * ```
 */
export function getLinkPreview(message: Message): LinkPreview | undefined {
  const e = unwrapMessage(message).extendedTextMessage;
  if (!e?.matchedText) return undefined;
  const out: LinkPreview = { url: e.matchedText };
  if (e.title) out.title = e.title;
  if (e.description) out.description = e.description;
  if (e.jpegThumbnail?.length) out.jpegThumbnail = e.jpegThumbnail;
  return out;
}

// ---- locations ----------------------------------------------------------------------------------

function checkCoordinates(latitude: number, longitude: number): void {
  if (!Number.isFinite(latitude) || latitude < -90 || latitude > 90) {
    throw new InputError("invalid_argument", "latitude", `expected -90 to 90, got ${latitude}`);
  }
  if (!Number.isFinite(longitude) || longitude < -180 || longitude > 180) {
    throw new InputError("invalid_argument", "longitude", `expected -180 to 180, got ${longitude}`);
  }
}

/** One update of a live location share. */
export interface LiveLocationInput {
  /** Degrees. */
  latitude: number;
  /** Degrees. */
  longitude: number;
  /** Accuracy in metres. */
  accuracyInMeters?: number;
  /** Speed in metres per second. */
  speedInMps?: number;
  /** Heading, degrees clockwise from magnetic north. */
  headingDegrees?: number;
  /** A caption. */
  caption?: string;
  /** The update's sequence number (increasing). */
  sequenceNumber?: number;
  /** Seconds since the share started. */
  timeOffset?: number;
}

/**
 * A live location update.
 *
 * @example
 * ```ts
 * import { liveLocationMessage } from "@wadeno/client";
 * liveLocationMessage({ latitude: 52.52, longitude: 13.4, sequenceNumber: 1 }).liveLocationMessage?.sequenceNumber; // 1n
 * ```
 */
export function liveLocationMessage(location: LiveLocationInput): Message {
  checkCoordinates(location.latitude, location.longitude);
  return {
    liveLocationMessage: {
      degreesLatitude: location.latitude,
      degreesLongitude: location.longitude,
      accuracyInMeters: location.accuracyInMeters,
      speedInMps: location.speedInMps,
      degreesClockwiseFromMagneticNorth: location.headingDegrees,
      caption: location.caption,
      sequenceNumber: location.sequenceNumber === undefined ? undefined : BigInt(location.sequenceNumber),
      timeOffset: location.timeOffset,
    },
  };
}

/** A location, static or live. */
export interface LocationInfo {
  /** Degrees. */
  latitude: number;
  /** Degrees. */
  longitude: number;
  /** True for a live location update. */
  live: boolean;
  /** The place's name (static). */
  name?: string;
  /** The place's address (static). */
  address?: string;
  /** The caption (live). */
  caption?: string;
  /** Accuracy in metres. */
  accuracyInMeters?: number;
  /** The update's sequence number (live). */
  sequenceNumber?: number;
}

/**
 * The location a message shares, static or live.
 *
 * @example
 * ```ts
 * import { getLocation, locationMessage } from "@wadeno/client";
 * const where = getLocation(locationMessage({ latitude: 52.52, longitude: 13.405, name: "Alexanderplatz" }));
 * where?.live; // false
 * where?.name; // "Alexanderplatz"
 * ```
 */
export function getLocation(message: Message): LocationInfo | undefined {
  const m = unwrapMessage(message);
  const s = m.locationMessage;
  if (s) {
    const out: LocationInfo = {
      latitude: s.degreesLatitude ?? 0,
      longitude: s.degreesLongitude ?? 0,
      live: s.isLive === true,
    };
    if (s.name) out.name = s.name;
    if (s.address) out.address = s.address;
    if (s.accuracyInMeters !== undefined) out.accuracyInMeters = s.accuracyInMeters;
    return out;
  }
  const l = m.liveLocationMessage;
  if (!l) return undefined;
  const out: LocationInfo = {
    latitude: l.degreesLatitude ?? 0,
    longitude: l.degreesLongitude ?? 0,
    live: true,
  };
  if (l.caption) out.caption = l.caption;
  if (l.accuracyInMeters !== undefined) out.accuracyInMeters = l.accuracyInMeters;
  if (l.sequenceNumber !== undefined) out.sequenceNumber = Number(l.sequenceNumber);
  return out;
}

// ---- contacts -----------------------------------------------------------------------------------

/**
 * The contact cards a message shares (one, or a contacts array), if any.
 *
 * @example
 * ```ts
 * import { contactMessage, getContacts, vcard } from "@wadeno/client";
 * const cards = getContacts(contactMessage({ displayName: "Ana", vcard: vcard("Ana", "+15551234567") }));
 * cards?.map((c) => c.displayName); // ["Ana"]
 * ```
 */
export function getContacts(message: Message): { displayName: string; vcard: string }[] | undefined {
  const m = unwrapMessage(message);
  if (m.contactMessage) {
    return [{ displayName: m.contactMessage.displayName ?? "", vcard: m.contactMessage.vcard ?? "" }];
  }
  const array = m.contactsArrayMessage?.contacts;
  if (!array) return undefined;
  return array.slice(0, 1_000).map((c) => ({ displayName: c.displayName ?? "", vcard: c.vcard ?? "" }));
}

// ---- events -------------------------------------------------------------------------------------

/** An event invitation, read. */
export interface EventInfo {
  /** The event's name. */
  name: string;
  /** Its description. */
  description?: string;
  /** When it starts. */
  start?: Date;
  /** When it ends. */
  end?: Date;
  /** Where. */
  location?: { latitude: number; longitude: number; name?: string; address?: string };
  /** A call link to join it. */
  joinLink?: string;
  /** True once the organiser cancelled it. */
  canceled: boolean;
  /** Whether guests may bring others. */
  extraGuestsAllowed: boolean;
}

/**
 * The event a message invites to, if it is one.
 *
 * @example
 * ```ts
 * import { getEvent } from "@wadeno/client";
 * const event = getEvent({ eventMessage: { name: "Launch party", startTime: 1_900_000_000n } });
 * event?.name; // "Launch party"
 * event?.start?.toISOString(); // "2030-03-17T17:46:40.000Z"
 * ```
 */
export function getEvent(message: Message): EventInfo | undefined {
  const e = unwrapMessage(message).eventMessage;
  if (!e) return undefined;
  const out: EventInfo = {
    name: e.name ?? "",
    canceled: e.isCanceled === true,
    extraGuestsAllowed: e.extraGuestsAllowed === true,
  };
  if (e.description) out.description = e.description;
  if (e.startTime !== undefined) out.start = new Date(Number(e.startTime) * 1000);
  if (e.endTime !== undefined && e.endTime > 0n) out.end = new Date(Number(e.endTime) * 1000);
  if (e.joinLink) out.joinLink = e.joinLink;
  if (e.location) {
    out.location = { latitude: e.location.degreesLatitude ?? 0, longitude: e.location.degreesLongitude ?? 0 };
    if (e.location.name) out.location.name = e.location.name;
    if (e.location.address) out.location.address = e.location.address;
  }
  return out;
}
