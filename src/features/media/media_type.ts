/**
 * The media type table: for each kind of media WhatsApp moves, the HKDF info string its keys come from,
 * the `mms-type` the servers name it by, the upload path, and where it sits in a `Message`.
 *
 * Facts from reference/protocol-facts-features.md §1.1 and protocol-facts.md "Media": whatsmeow
 * `download.go` (`classToMediaType`, `mediaTypeToMMSType`), Baileys `Defaults/index.ts`
 * (`MEDIA_HKDF_KEY_MAPPING`, `MEDIA_PATH_MAP`) and whatsapp-rust `wacore/src/download.rs` (`MediaType`).
 * Where they disagree the table follows whatsmeow and whatsapp-rust, which agree with each other:
 * history blobs upload to `/mms/md-msg-hist` (Baileys' `/mms/md-app-state` looks like a slip) and link
 * thumbnails to `/mms/thumbnail-link` (Baileys: `/mms/image`). Entries marked "unverified" in the JSDoc
 * of {@link MEDIA_TYPES} come from one source only.
 *
 * @module
 */

import { MediaError } from "./errors.ts";

/**
 * A kind of media. Several kinds share keys and paths but not their message field: a voice note
 * (`ptt`) is an `audioMessage` with `ptt: true`, a `gif` is a `videoMessage` with `gifPlayback: true`.
 */
export type MediaKind =
  | "image"
  | "video"
  | "gif"
  | "ptv"
  | "audio"
  | "ptt"
  | "document"
  | "sticker"
  | "history"
  | "app_state"
  | "link_thumbnail"
  | "image_thumbnail"
  | "video_thumbnail"
  | "document_thumbnail"
  | "sticker_pack"
  | "sticker_pack_thumbnail"
  | "product"
  | "product_catalog_image"
  | "biz_cover_photo"
  | "payment_background";

/** Where a kind's media reference sits in a `Message`. */
export interface MediaMessageField {
  /**
   * Field names from the `Message` down to the object holding the reference, for example
   * `["imageMessage"]` or `["protocolMessage", "historySyncNotification"]`.
   */
  readonly path: readonly string[];
  /** A boolean field of that object that must be `true` for this kind (`ptt`, `gifPlayback`). */
  readonly flag?: string;
  /**
   * The reference uses the `thumbnail*` fields (`thumbnailDirectPath`, `thumbnailSha256`,
   * `thumbnailEncSha256`) with the object's `mediaKey`, not the main file's fields.
   */
  readonly thumbnail?: boolean;
}

/** Everything the protocol says about one {@link MediaKind}. */
export interface MediaTypeInfo {
  /** The kind this row describes. */
  readonly kind: MediaKind;
  /** HKDF-SHA256 info for key expansion, `WhatsApp <X> Keys`; `undefined` for unencrypted media. */
  readonly hkdfInfo: string | undefined;
  /** The server's name for the type: the `mms-type` download parameter and the upload path's last part. */
  readonly mmsType: string;
  /** Upload path (`/mms/image`); `undefined` where clients do not upload this kind. */
  readonly uploadPath: string | undefined;
  /** Where the reference sits in a `Message`; `undefined` when it is not carried by a message. */
  readonly message: MediaMessageField | undefined;
  /** A mimetype to declare when nothing better is known (the seed's examples). */
  readonly defaultMimetype: string;
}

function row(
  kind: MediaKind,
  keys: string | undefined,
  mmsType: string,
  uploadPath: string | undefined,
  message: MediaMessageField | undefined,
  defaultMimetype: string,
): MediaTypeInfo {
  const hkdfInfo = keys === undefined ? undefined : `WhatsApp ${keys} Keys`;
  return Object.freeze({ kind, hkdfInfo, mmsType, uploadPath, message, defaultMimetype });
}

const field = (path: string[], extra: Omit<MediaMessageField, "path"> = {}): MediaMessageField =>
  Object.freeze({ path: Object.freeze(path), ...extra });

const OCTET = "application/octet-stream";

/**
 * The table itself, keyed by kind.
 *
 * Single-source rows (unverified): `ptv`, `gif`, `product` and `payment_background` keys are Baileys'
 * only; the three `*_thumbnail` kinds of image, video and document have keys in Baileys but no path in
 * any source (their `mmsType` here is a guess, and they are not uploadable); `sticker_pack_thumbnail`
 * is whatsapp-rust's only; `biz_cover_photo` is Baileys' only.
 *
 * @example
 * ```ts
 * import { MEDIA_TYPES } from "./media_type.ts";
 * MEDIA_TYPES.ptt.hkdfInfo; // "WhatsApp Audio Keys"
 * MEDIA_TYPES.history.uploadPath; // "/mms/md-msg-hist"
 * ```
 */
export const MEDIA_TYPES: Readonly<Record<MediaKind, MediaTypeInfo>> = Object.freeze({
  image: row("image", "Image", "image", "/mms/image", field(["imageMessage"]), "image/jpeg"),
  video: row("video", "Video", "video", "/mms/video", field(["videoMessage"]), "video/mp4"),
  gif: row(
    "gif",
    "Video",
    "video",
    "/mms/video",
    field(["videoMessage"], { flag: "gifPlayback" }),
    "video/mp4",
  ),
  ptv: row("ptv", "Video", "video", "/mms/video", field(["ptvMessage"]), "video/mp4"),
  audio: row("audio", "Audio", "audio", "/mms/audio", field(["audioMessage"]), "audio/mpeg"),
  ptt: row(
    "ptt",
    "Audio",
    "audio",
    "/mms/audio",
    field(["audioMessage"], { flag: "ptt" }),
    "audio/ogg; codecs=opus",
  ),
  document: row("document", "Document", "document", "/mms/document", field(["documentMessage"]), OCTET),
  sticker: row("sticker", "Image", "image", "/mms/image", field(["stickerMessage"]), "image/webp"),
  history: row(
    "history",
    "History",
    "md-msg-hist",
    "/mms/md-msg-hist",
    field(["protocolMessage", "historySyncNotification"]),
    OCTET,
  ),
  app_state: row("app_state", "App State", "md-app-state", undefined, undefined, OCTET),
  link_thumbnail: row(
    "link_thumbnail",
    "Link Thumbnail",
    "thumbnail-link",
    "/mms/thumbnail-link",
    field(["extendedTextMessage"], { thumbnail: true }),
    "image/jpeg",
  ),
  image_thumbnail: row(
    "image_thumbnail",
    "Image Thumbnail",
    "thumbnail-image",
    undefined,
    field(["imageMessage"], { thumbnail: true }),
    "image/jpeg",
  ),
  video_thumbnail: row(
    "video_thumbnail",
    "Video Thumbnail",
    "thumbnail-video",
    undefined,
    field(["videoMessage"], { thumbnail: true }),
    "image/jpeg",
  ),
  document_thumbnail: row(
    "document_thumbnail",
    "Document Thumbnail",
    "thumbnail-document",
    undefined,
    field(["documentMessage"], { thumbnail: true }),
    "image/jpeg",
  ),
  sticker_pack: row("sticker_pack", "Sticker Pack", "sticker-pack", "/mms/sticker-pack", undefined, OCTET),
  sticker_pack_thumbnail: row(
    "sticker_pack_thumbnail",
    "Sticker Pack Thumbnail",
    "thumbnail-sticker-pack",
    "/mms/thumbnail-sticker-pack",
    undefined,
    "image/jpeg",
  ),
  product: row("product", "Image", "image", "/mms/image", undefined, "image/jpeg"),
  product_catalog_image: row(
    "product_catalog_image",
    undefined,
    "product-catalog-image",
    "/product/image",
    undefined,
    "image/jpeg",
  ),
  biz_cover_photo: row(
    "biz_cover_photo",
    "Image",
    "biz-cover-photo",
    "/pps/biz-cover-photo",
    undefined,
    "image/jpeg",
  ),
  payment_background: row(
    "payment_background",
    "Payment Background",
    "payment-bg-image",
    undefined,
    undefined,
    "image/jpeg",
  ),
});

/** Every {@link MediaKind}, in table order. */
export const MEDIA_KINDS: readonly MediaKind[] = Object.freeze(Object.keys(MEDIA_TYPES) as MediaKind[]);

/** A kind name or its table row; every media function accepts either. */
export type MediaTypeLike = MediaKind | MediaTypeInfo;

/**
 * The table row for `type`.
 *
 * @throws {MediaError} `unsupported_type` for a string that is not a {@link MediaKind}.
 * @example
 * ```ts
 * import { mediaType } from "./media_type.ts";
 * mediaType("sticker").uploadPath; // "/mms/image"
 * ```
 */
export function mediaType(type: MediaTypeLike): MediaTypeInfo {
  if (typeof type !== "string") return type;
  const info = Object.hasOwn(MEDIA_TYPES, type) ? MEDIA_TYPES[type] : undefined;
  if (info === undefined) {
    throw new MediaError(
      "unsupported_type",
      `unknown media kind ${JSON.stringify(type)}; expected one of ${MEDIA_KINDS.join(", ")}`,
    );
  }
  return info;
}

/**
 * The upload path for newsletter (channel) media, which is sent unencrypted under `/newsletter/`:
 * `/newsletter/newsletter-<mmsType>` (protocol-facts.md, "Media").
 *
 * @example
 * ```ts
 * import { newsletterUploadPath } from "./media_type.ts";
 * newsletterUploadPath("image"); // "/newsletter/newsletter-image"
 * ```
 */
export function newsletterUploadPath(type: MediaTypeLike): string {
  return `/newsletter/newsletter-${mediaType(type).mmsType}`;
}
