/**
 * A media reference as plain data (the seed's `Downloadable`): what to download, and what to check it
 * against, pulled out of a `Message`, a `HistorySyncNotification` or an app-state `ExternalBlobReference`
 * along the message-field mapping of media_type.ts.
 *
 * @module
 */

import type { ExternalBlobReference, HistorySyncNotification, Message } from "../../proto/mod.ts";
import { MEDIA_KINDS, MEDIA_TYPES, type MediaKind } from "./media_type.ts";

/** Everything needed to download and verify one blob. */
export interface MediaRef {
  /** The media kind: selects keys and `mms-type`. */
  kind: MediaKind;
  /** Path on the media hosts. */
  directPath?: string;
  /** Full URL as sent (older messages, or a fallback). */
  url?: string;
  /** Unencrypted CDN URL of newsletter media. */
  staticUrl?: string;
  /** 32-byte media key; absent for unencrypted (newsletter) media. */
  mediaKey?: Uint8Array;
  /** SHA-256 of the plaintext. */
  fileSha256?: Uint8Array;
  /** SHA-256 of the blob. */
  fileEncSha256?: Uint8Array;
  /** Plaintext length, when known and representable. */
  fileLength?: number;
  /** Declared mimetype. */
  mimetype?: string;
}

// The containers whose `message` field holds the real content (view-once, disappearing, captioned document...).
const WRAPPERS = [
  "ephemeralMessage",
  "viewOnceMessage",
  "viewOnceMessageV2",
  "viewOnceMessageV2Extension",
  "documentWithCaptionMessage",
  "editedMessage",
  "groupMentionedMessage",
  "botInvokeMessage",
  "statusMentionMessage",
] as const;
const MAX_WRAP_DEPTH = 8;

/** The innermost content message, through wrappers such as `ephemeralMessage` and `viewOnceMessage`. */
export function unwrapMessage(message: Message): Message {
  let current = message;
  for (let depth = 0; depth < MAX_WRAP_DEPTH; depth++) {
    const wrapper = WRAPPERS.find((key) => current[key]?.message !== undefined);
    if (wrapper === undefined) return current;
    current = current[wrapper]!.message!;
  }
  return current;
}

function length(value: bigint | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

type Fields = Record<string, unknown>;

const bytes = (o: Fields, key: string) => o[key] instanceof Uint8Array ? o[key] as Uint8Array : undefined;
const text = (o: Fields, key: string) =>
  typeof o[key] === "string" && o[key] !== "" ? o[key] as string : undefined;

function compact(ref: MediaRef): MediaRef {
  for (const key of Object.keys(ref) as (keyof MediaRef)[]) if (ref[key] === undefined) delete ref[key];
  return ref;
}

function resolve(root: Fields, path: readonly string[]): Fields | undefined {
  let node: unknown = root;
  for (const key of path) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Fields)[key];
  }
  return typeof node === "object" && node !== null ? node as Fields : undefined;
}

function refFrom(kind: MediaKind, o: Fields): MediaRef | undefined {
  const thumbnail = MEDIA_TYPES[kind].message?.thumbnail === true;
  const ref: MediaRef = thumbnail
    ? {
      kind,
      directPath: text(o, "thumbnailDirectPath"),
      mediaKey: bytes(o, "mediaKey"),
      fileSha256: bytes(o, "thumbnailSha256"),
      fileEncSha256: bytes(o, "thumbnailEncSha256"),
    }
    : {
      kind,
      directPath: text(o, "directPath"),
      url: text(o, "url"),
      staticUrl: text(o, "staticUrl"),
      mediaKey: bytes(o, "mediaKey"),
      fileSha256: bytes(o, "fileSha256"),
      fileEncSha256: bytes(o, "fileEncSha256"),
      fileLength: length(o.fileLength as bigint | undefined),
      mimetype: text(o, "mimetype"),
    };
  if (ref.directPath === undefined && ref.url === undefined && ref.staticUrl === undefined) return undefined;
  return compact(ref);
}

// Kinds carried as a message's main media; those with a flag (ptt, gif) first, so that a voice note is
// not read as plain audio.
const MAIN_KINDS: readonly MediaKind[] = [
  ...MEDIA_KINDS.filter((k) => MEDIA_TYPES[k].message?.flag !== undefined),
  ...MEDIA_KINDS.filter((k) => {
    const field = MEDIA_TYPES[k].message;
    return field !== undefined && field.flag === undefined && !field.thumbnail;
  }),
];

/**
 * The main media of a message (image, video, gif, ptv, audio, voice note, document, sticker, or a history
 * sync notification), through wrappers; `undefined` for a message without downloadable media.
 *
 * @example
 * ```ts
 * import { mediaRefOf } from "./media_ref.ts";
 * const ref = mediaRefOf({ audioMessage: { ptt: true, directPath: "/v/t62/1.enc", mediaKey: new Uint8Array(32) } });
 * ref?.kind; // "ptt"
 * ```
 */
export function mediaRefOf(message: Message): MediaRef | undefined {
  const content = unwrapMessage(message) as Fields;
  for (const kind of MAIN_KINDS) {
    const field = MEDIA_TYPES[kind].message!;
    const object = resolve(content, field.path);
    if (object === undefined) continue;
    if (field.flag !== undefined && object[field.flag] !== true) continue;
    return refFrom(kind, object);
  }
  return undefined;
}

/**
 * The separately uploaded thumbnail of a message: a link preview's (`extendedTextMessage`), or an image,
 * video or document's `thumbnailDirectPath`; `undefined` when there is none.
 */
export function thumbnailRefOf(message: Message): MediaRef | undefined {
  const content = unwrapMessage(message) as Fields;
  for (const kind of MEDIA_KINDS) {
    const field = MEDIA_TYPES[kind].message;
    if (field === undefined || !field.thumbnail) continue;
    const object = resolve(content, field.path);
    const ref = object && refFrom(kind, object);
    if (ref !== undefined) return ref;
  }
  return undefined;
}

/** The history blob a `HistorySyncNotification` points to. */
export function historySyncRef(notification: HistorySyncNotification): MediaRef {
  return compact({
    kind: "history",
    directPath: notification.directPath,
    mediaKey: notification.mediaKey,
    fileSha256: notification.fileSha256,
    fileEncSha256: notification.fileEncSha256,
    fileLength: length(notification.fileLength),
  });
}

/** The app-state blob (snapshot or patch mutations) an `ExternalBlobReference` points to. */
export function externalBlobRef(blob: ExternalBlobReference): MediaRef {
  return compact({
    kind: "app_state",
    directPath: blob.directPath,
    mediaKey: blob.mediaKey,
    fileSha256: blob.fileSha256,
    fileEncSha256: blob.fileEncSha256,
    fileLength: length(blob.fileSizeBytes),
  });
}
