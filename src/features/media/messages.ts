/**
 * Media messages as plain data: building the `Message` for an uploaded blob (image, video, GIF, round
 * video, audio, voice note, document, sticker) with its caption, reply, mentions and view-once wrapper,
 * telling which media a message holds, and finding what to download (and what to ask a re-upload for)
 * in a message, an event, or a quoted reply. No I/O.
 *
 * Shapes: the seed's media guide (32_guides_media-handling: url, directPath, mediaKey, hashes, fileLength,
 * mimetype, width/height, `ptt`) and Baileys `Utils/messages.ts` `prepareWAMessageMedia` /
 * `generateWAMessageContent` (`mediaKeyTimestamp` in seconds, a round video as `ptvMessage`, view-once as
 * `viewOnceMessage{message}` around content that has `viewOnce: true`, a document's caption on the
 * `documentMessage`).
 *
 * @module
 */

import type { Jid } from "../../binary/mod.ts";
import type { ContextInfo, Message, MessageKey } from "../../proto/mod.ts";
import { InputError } from "../errors.ts";
import { messageKey, quoteContext, type Quoted } from "../message_builders.ts";
import type { MessageEvent } from "../message_info.ts";
import { type MediaRef, mediaRefOf, unwrapMessage } from "./media_ref.ts";
import { MEDIA_TYPES, type MediaKind } from "./media_type.ts";

/** The kinds of media a user sends as a message. */
export type MessageMediaKind = "image" | "video" | "gif" | "ptv" | "audio" | "ptt" | "document" | "sticker";

/**
 * Every {@link MessageMediaKind}, in the order messages are read: flagged kinds (`gif`, `ptt`) before the
 * plain kind that shares their field.
 */
export const MESSAGE_MEDIA_KINDS: readonly MessageMediaKind[] = Object.freeze([
  "ptt",
  "gif",
  "image",
  "video",
  "ptv",
  "audio",
  "document",
  "sticker",
]);

/** What an upload gives: everything a media message needs about its blob. */
export interface UploadedMedia {
  /** The media kind the keys were derived for. */
  kind: MediaKind;
  /** The blob's URL as the server answered it (the message's `url`). */
  url: string;
  /** The blob's path on every media host (the message's `directPath`). */
  directPath: string;
  /** The 32-byte media key. */
  mediaKey: Uint8Array;
  /** SHA-256 of the plaintext. */
  fileSha256: Uint8Array;
  /** SHA-256 of the blob. */
  fileEncSha256: Uint8Array;
  /** Plaintext length in bytes. */
  fileLength: number;
  /** When the media key was made, in seconds since the epoch. */
  mediaKeyTimestamp: number;
  /** The server's media handle (newsletter uploads), when it gave one. */
  handle?: string;
}

/** What a media message says besides its blob. Fields a kind does not carry are refused. */
export interface MediaMessageOptions {
  /** Text under the image, video, GIF or document. */
  caption?: string;
  /** The mimetype; sniffed from the bytes when sending, else the kind's default. */
  mimetype?: string;
  /** A small JPEG preview (image, video, GIF, document), sent inline. */
  thumbnail?: Uint8Array;
  /** Show once, then gone (image, video, GIF, audio, voice note). */
  viewOnce?: boolean;
  /** Reply to this message. */
  replyTo?: Quoted;
  /** Users mentioned in the caption (write them as `@<number>` in it too). */
  mentions?: readonly Jid[];
  /** The chat's disappearing-messages timer in seconds, when it has one. */
  expiration?: number;
  /** Width in pixels; read from the image's header when sending an image or sticker. */
  width?: number;
  /** Height in pixels; read from the image's header when sending an image or sticker. */
  height?: number;
  /** Duration in seconds (video, GIF, round video, audio, voice note). */
  seconds?: number;
  /** The file name shown for a document. */
  fileName?: string;
  /** A document's title; the file name by default. */
  title?: string;
  /** A document's page count. */
  pageCount?: number;
  /** A voice note's waveform: 64 samples of one byte. */
  waveform?: Uint8Array;
  /** The sticker is animated (an animated WebP). */
  animated?: boolean;
}

type OptionName = keyof MediaMessageOptions;
const COMMON: OptionName[] = ["mimetype", "replyTo", "mentions", "expiration"];
const ALLOWED: Record<MessageMediaKind, ReadonlySet<OptionName>> = {
  image: new Set([...COMMON, "caption", "thumbnail", "viewOnce", "width", "height"]),
  video: new Set([...COMMON, "caption", "thumbnail", "viewOnce", "width", "height", "seconds"]),
  gif: new Set([...COMMON, "caption", "thumbnail", "viewOnce", "width", "height", "seconds"]),
  ptv: new Set([...COMMON, "thumbnail", "width", "height", "seconds"]),
  audio: new Set([...COMMON, "viewOnce", "seconds"]),
  ptt: new Set([...COMMON, "viewOnce", "seconds", "waveform"]),
  document: new Set([...COMMON, "caption", "thumbnail", "fileName", "title", "pageCount"]),
  sticker: new Set([...COMMON, "width", "height", "animated"]),
};

const MEDIA_OPTION_NAMES: ReadonlySet<string> = new Set(Object.values(ALLOWED).flatMap((s) => [...s]));

/** True for a kind that is sent as a message. */
export function isMessageMediaKind(kind: unknown): kind is MessageMediaKind {
  return typeof kind === "string" && (MESSAGE_MEDIA_KINDS as readonly string[]).includes(kind);
}

const uint32 = (value: number) => Number.isInteger(value) && value >= 0 && value <= 0xffffffff;

/**
 * Checks `options` against what `kind` carries.
 *
 * @throws {InputError} `invalid_argument` for an unknown kind, an option the kind does not carry (a
 *   caption on a voice note, view-once on a document), a number out of range, or a waveform that is not
 *   64 bytes.
 */
export function checkMediaOptions(kind: MessageMediaKind, options: MediaMessageOptions): void {
  if (!isMessageMediaKind(kind)) {
    throw new InputError(
      "invalid_argument",
      "kind",
      `expected one of ${MESSAGE_MEDIA_KINDS.join(", ")}, got ${JSON.stringify(kind)}`,
    );
  }
  const allowed = ALLOWED[kind];
  for (const [name, value] of Object.entries(options) as [OptionName, unknown][]) {
    // Callers pass media and send options together: only media options are checked here.
    if (value === undefined || !MEDIA_OPTION_NAMES.has(name)) continue;
    if (!allowed.has(name)) {
      throw new InputError("invalid_argument", name, `a ${kind} message does not carry ${name}`);
    }
  }
  for (const name of ["width", "height", "seconds", "pageCount", "expiration"] as const) {
    const value = options[name];
    if (value !== undefined && !uint32(value)) {
      throw new InputError("invalid_argument", name, `expected a whole number >= 0, got ${value}`);
    }
  }
  if (options.waveform !== undefined && options.waveform.length !== 64) {
    throw new InputError(
      "invalid_argument",
      "waveform",
      `expected 64 samples, got ${options.waveform.length}`,
    );
  }
}

function contextOf(options: MediaMessageOptions): ContextInfo | undefined {
  const context: ContextInfo = {};
  if (options.mentions?.length) context.mentionedJid = options.mentions.map((j) => j.toNonAd().toString());
  if (options.replyTo) Object.assign(context, quoteContext(options.replyTo));
  if (options.expiration) context.expiration = options.expiration;
  return Object.keys(context).length > 0 ? context : undefined;
}

function compact<T extends object>(object: T): T {
  for (const key of Object.keys(object) as (keyof T)[]) if (object[key] === undefined) delete object[key];
  return object;
}

/**
 * The message for an uploaded blob. Callers that send (`client.media.send`) fill `mimetype`, `width` and
 * `height` from the bytes first; here a missing mimetype becomes the kind's default.
 *
 * @throws {InputError} as {@link checkMediaOptions}.
 * @example
 * ```ts
 * import { mediaMessage } from "@wadeno/client";
 * const uploaded = {
 *   kind: "image" as const, url: "https://mmg.whatsapp.net/v/t62/1.enc", directPath: "/v/t62/1.enc",
 *   mediaKey: new Uint8Array(32), fileSha256: new Uint8Array(32), fileEncSha256: new Uint8Array(32),
 *   fileLength: 1024, mediaKeyTimestamp: 1_700_000_000,
 * };
 * const message = mediaMessage("image", uploaded, { caption: "look", width: 640, height: 480 });
 * message.imageMessage?.caption; // "look"
 * ```
 */
export function mediaMessage(
  kind: MessageMediaKind,
  uploaded: UploadedMedia,
  options: MediaMessageOptions = {},
): Message {
  checkMediaOptions(kind, options);
  const blob = {
    url: uploaded.url,
    directPath: uploaded.directPath,
    mediaKey: uploaded.mediaKey,
    fileSha256: uploaded.fileSha256,
    fileEncSha256: uploaded.fileEncSha256,
    fileLength: BigInt(uploaded.fileLength),
    mediaKeyTimestamp: BigInt(uploaded.mediaKeyTimestamp),
    mimetype: options.mimetype ?? MEDIA_TYPES[kind].defaultMimetype,
    contextInfo: contextOf(options),
    viewOnce: options.viewOnce ? true : undefined,
  };
  const size = { width: options.width, height: options.height };
  let message: Message;
  switch (kind) {
    case "image":
      message = {
        imageMessage: compact({
          ...blob,
          ...size,
          caption: options.caption,
          jpegThumbnail: options.thumbnail,
        }),
      };
      break;
    case "video":
    case "gif":
    case "ptv": {
      const video = compact({
        ...blob,
        ...size,
        caption: options.caption,
        seconds: options.seconds,
        jpegThumbnail: options.thumbnail,
        gifPlayback: kind === "gif" ? true : undefined,
      });
      message = kind === "ptv" ? { ptvMessage: video } : { videoMessage: video };
      break;
    }
    case "audio":
    case "ptt":
      message = {
        audioMessage: compact({
          ...blob,
          seconds: options.seconds,
          ptt: kind === "ptt" ? true : undefined,
          waveform: options.waveform,
        }),
      };
      break;
    case "document":
      message = {
        documentMessage: compact({
          ...blob,
          caption: options.caption,
          fileName: options.fileName,
          title: options.title ?? options.fileName,
          pageCount: options.pageCount,
          jpegThumbnail: options.thumbnail,
        }),
      };
      break;
    case "sticker":
      message = { stickerMessage: compact({ ...blob, ...size, isAnimated: options.animated }) };
      break;
  }
  return options.viewOnce ? { viewOnceMessage: { message } } : message;
}

/**
 * Which media a message holds (through view-once, disappearing and other wrappers), or `undefined` for a
 * message without any. A voice note is `ptt`, a GIF `gif`, a round video `ptv`.
 *
 * @example
 * ```ts
 * import { mediaKindOf } from "@wadeno/client";
 * mediaKindOf({ audioMessage: { ptt: true } }); // "ptt"
 * mediaKindOf({ conversation: "hi" }); // undefined
 * ```
 */
export function mediaKindOf(message: Message): MessageMediaKind | undefined {
  const content = unwrapMessage(message) as Record<string, unknown>;
  for (const kind of MESSAGE_MEDIA_KINDS) {
    const field = MEDIA_TYPES[kind].message!;
    const object = content[field.path[0]];
    if (typeof object !== "object" || object === null) continue;
    if (field.flag !== undefined && (object as Record<string, unknown>)[field.flag] !== true) continue;
    return kind;
  }
  return undefined;
}

/**
 * True when the message holds an image, video, GIF, round video, audio, voice note, document or sticker.
 *
 * @example
 * ```ts
 * import { hasMedia } from "@wadeno/client";
 * hasMedia({ viewOnceMessage: { message: { imageMessage: { mimetype: "image/jpeg" } } } }); // true
 * hasMedia({ conversation: "hi" }); // false
 * ```
 */
export function hasMedia(message: Message): boolean {
  return mediaKindOf(message) !== undefined;
}

/** A message with the key that names it: what `download` needs to ask the sender for a re-upload. */
export interface KeyedMessage {
  /** The message content. */
  message: Message;
  /** Its key (chat, id, sender in groups, whether we sent it). */
  key?: MessageKey;
}

/**
 * What can be downloaded: a `message` event (the key comes from its info), a {@link KeyedMessage} (such
 * as a quoted reply from {@link quotedMessageOf}), a bare `Message` or a `MediaRef`. Only the first two
 * can ask the sender to re-upload expired media.
 */
export type Downloadable = MessageEvent | KeyedMessage | Message | MediaRef;

/** What a download needs: the blob reference and, when known, the key for a media retry. */
export interface DownloadTarget {
  /** The blob. */
  ref: MediaRef;
  /** The message's key. */
  key?: MessageKey;
}

function isRef(target: Downloadable): target is MediaRef {
  return typeof (target as MediaRef).kind === "string";
}

/**
 * The blob a {@link Downloadable} points to, and its key.
 *
 * @throws {InputError} `invalid_argument` when the message holds no downloadable media.
 */
export function downloadTarget(target: Downloadable): DownloadTarget {
  if (typeof target !== "object" || target === null) {
    throw new InputError("invalid_argument", "message", "expected a message, a message event or a MediaRef");
  }
  if (isRef(target)) return { ref: target };
  let message: Message;
  let key: MessageKey | undefined;
  if ("info" in target && "message" in target) {
    message = target.message;
    key = messageKey(target.info);
  } else if ("message" in target && typeof target.message === "object" && target.message !== null) {
    message = target.message;
    key = (target as KeyedMessage).key;
  } else {
    message = target as Message;
  }
  const ref = mediaRefOf(message);
  if (ref === undefined || !isMessageMediaKind(ref.kind)) {
    throw new InputError("invalid_argument", "message", "the message holds no downloadable media");
  }
  return key === undefined ? { ref } : { ref, key };
}

/**
 * The message a reply quotes, with its key, ready for `download` (the quoted copy carries the media
 * reference). `undefined` when the message quotes nothing.
 *
 * @param own our identity, to tell whether we sent the quoted message
 * @example
 * ```ts
 * import { type Client, hasMedia, quotedMessageOf } from "@wadeno/client";
 * export function example(client: Client) {
 *   client.on("message", async (event) => {
 *     const quoted = quotedMessageOf(event, { pn: client.jid!, lid: client.lid });
 *     if (quoted && hasMedia(quoted.message)) await client.media.download(quoted);
 *   });
 * }
 * ```
 */
export function quotedMessageOf(event: MessageEvent, own?: { pn: Jid; lid?: Jid }): KeyedMessage | undefined {
  const content = unwrapMessage(event.message) as Record<string, unknown>;
  let context: ContextInfo | undefined;
  for (const value of Object.values(content)) {
    const candidate = (value as { contextInfo?: ContextInfo } | undefined)?.contextInfo;
    if (typeof value === "object" && candidate?.quotedMessage && candidate.stanzaId) {
      context = candidate;
      break;
    }
  }
  if (context === undefined) return undefined;
  const chat = context.remoteJid ?? event.info.source.chat.toString();
  const participantUser = context.participant?.split("@")[0].split(":")[0];
  const fromMe = own !== undefined && participantUser !== undefined &&
    (participantUser === own.pn.user || participantUser === own.lid?.user);
  const key: MessageKey = { remoteJid: chat, fromMe, id: context.stanzaId };
  if (event.info.source.isGroup && context.participant) key.participant = context.participant;
  return { message: context.quotedMessage!, key };
}
