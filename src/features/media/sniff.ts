/**
 * Mimetype sniffing from magic bytes, and image dimensions from headers, for filling in media messages
 * (`mimetype`, `width`, `height`) without an image library.
 *
 * Both read only the bytes given (the first 64 KiB of a file is plenty), never throw, and walk input in
 * loops that advance at least one byte per step and stop at the end or at a fixed step budget: garbage or
 * truncated input gives the octet-stream fallback or `undefined`.
 *
 * Signatures: JPEG (JFIF/Exif, ITU T.81 §B.1), PNG (RFC 2083 §12.11), GIF (GIF89a spec §17-18), WebP
 * (RIFF container, Google's "WebP Container Specification" and "VP8L bitstream" §2, RFC 6386 §9.1 for
 * VP8), ISO BMFF `ftyp` brands (ISO/IEC 14496-12 §4.3) for MP4/MOV/3GP/M4A/HEIC, EBML (WebM/Matroska),
 * Ogg (RFC 3533) with Opus (RFC 7845 §5.1), MP3 (ID3v2 tag or MPEG audio frame sync), ADTS AAC, RIFF WAVE,
 * PDF, ZIP local file headers (PKWARE APPNOTE §4.3.7) with Office Open XML part names.
 *
 * @module
 */

/** The fallback when nothing matches. */
export const OCTET_STREAM = "application/octet-stream";

/** Width and height in pixels. */
export interface ImageDimensions {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
}

const ascii = (bytes: Uint8Array, offset: number, text: string): boolean => {
  if (offset < 0 || offset + text.length > bytes.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[offset + i] !== text.charCodeAt(i)) return false;
  return true;
};

const u16be = (b: Uint8Array, o: number) => (b[o] << 8) | b[o + 1];
const u16le = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8);
const u24le = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8) | (b[o + 2] << 16);
const u32be = (b: Uint8Array, o: number) =>
  ((b[o] << 24) >>> 0) + ((b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]);
const u32le = (b: Uint8Array, o: number) =>
  (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16)) + ((b[o + 3] << 24) >>> 0);

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function isPng(b: Uint8Array): boolean {
  return b.length >= 8 && PNG_SIGNATURE.every((v, i) => b[i] === v);
}

function isJpeg(b: Uint8Array): boolean {
  return b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
}

function isGif(b: Uint8Array): boolean {
  return ascii(b, 0, "GIF87a") || ascii(b, 0, "GIF89a");
}

function riffForm(b: Uint8Array): string | undefined {
  if (!ascii(b, 0, "RIFF") || b.length < 12) return undefined;
  return String.fromCharCode(b[8], b[9], b[10], b[11]);
}

const FTYP_BRANDS: Record<string, string> = {
  "qt  ": "video/quicktime",
  "M4A ": "audio/mp4",
  "M4B ": "audio/mp4",
  "M4V ": "video/mp4",
  "3gp4": "video/3gpp",
  "3gp5": "video/3gpp",
  "3gp6": "video/3gpp",
  "3gp7": "video/3gpp",
  "3gs7": "video/3gpp",
  "3g2a": "video/3gpp2",
  "3g2b": "video/3gpp2",
  "3g2c": "video/3gpp2",
  heic: "image/heic",
  heix: "image/heic",
  mif1: "image/heif",
  avif: "image/avif",
};

function sniffFtyp(b: Uint8Array): string | undefined {
  if (!ascii(b, 4, "ftyp") || b.length < 12) return undefined;
  const major = String.fromCharCode(b[8], b[9], b[10], b[11]);
  const known = FTYP_BRANDS[major.toLowerCase()] ?? FTYP_BRANDS[major];
  // isom, iso2..iso9, mp41, mp42, avc1, dash, MSNV, ...: a generic MP4.
  return known ?? "video/mp4";
}

/** EBML header: the DocType element (0x42 0x82) says "webm" or "matroska". */
function sniffEbml(b: Uint8Array): string | undefined {
  if (b.length < 4 || b[0] !== 0x1a || b[1] !== 0x45 || b[2] !== 0xdf || b[3] !== 0xa3) return undefined;
  const end = Math.min(b.length, 64);
  for (let i = 4; i + 2 < end; i++) {
    if (b[i] === 0x42 && b[i + 1] === 0x82) {
      // One-byte size (0x80 | n) then n ASCII bytes.
      const n = b[i + 2] & 0x7f;
      if (ascii(b, i + 3, "webm") && n === 4) return "video/webm";
      return "video/x-matroska";
    }
  }
  return "video/webm";
}

function sniffOgg(b: Uint8Array): string | undefined {
  if (!ascii(b, 0, "OggS")) return undefined;
  // The first page's segment table has b[26] entries; the first packet starts right after it.
  if (b.length < 27) return "audio/ogg";
  const packet = 27 + b[26];
  if (ascii(b, packet, "OpusHead")) return "audio/ogg; codecs=opus";
  if (ascii(b, packet + 1, "theora")) return "video/ogg";
  return "audio/ogg";
}

function sniffMpegAudio(b: Uint8Array): string | undefined {
  if (ascii(b, 0, "ID3")) return "audio/mpeg";
  if (b.length < 2 || b[0] !== 0xff || (b[1] & 0xe0) !== 0xe0) return undefined;
  const layer = (b[1] >> 1) & 0x3;
  const version = (b[1] >> 3) & 0x3;
  // ADTS: MPEG-4/2 sync (0xFFF), layer 00. MPEG audio: layer 01..11, version not the reserved 01.
  if ((b[1] & 0xf0) === 0xf0 && layer === 0) return "audio/aac";
  if (layer !== 0 && version !== 1) return "audio/mpeg";
  return undefined;
}

const ZIP_MAX_ENTRIES = 64;

/** Looks at the first local file headers' names for the Office Open XML part folders. */
function sniffZip(b: Uint8Array): string | undefined {
  if (b.length < 4 || b[0] !== 0x50 || b[1] !== 0x4b || b[2] !== 0x03 || b[3] !== 0x04) return undefined;
  let offset = 0;
  for (let entry = 0; entry < ZIP_MAX_ENTRIES && offset + 30 <= b.length; entry++) {
    if (u32le(b, offset) !== 0x04034b50) break;
    const flags = u16le(b, offset + 6);
    const compressed = u32le(b, offset + 18);
    const nameLength = u16le(b, offset + 26);
    const extraLength = u16le(b, offset + 28);
    const nameStart = offset + 30;
    if (nameStart + nameLength > b.length) break;
    const name = String.fromCharCode(...b.subarray(nameStart, nameStart + nameLength));
    if (name.startsWith("word/")) {
      return "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
    }
    if (name.startsWith("xl/")) return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    if (name.startsWith("ppt/")) {
      return "application/vnd.openxmlformats-officedocument.presentationml.presentation";
    }
    if (name === "mimetype" && (flags & 0x8) === 0) {
      const data = nameStart + nameLength + extraLength;
      const type = String.fromCharCode(
        ...b.subarray(data, Math.min(b.length, data + compressed, data + 100)),
      );
      if (type === "application/epub+zip" || type.startsWith("application/vnd.oasis.opendocument.")) {
        return type;
      }
    }
    // Bit 3: sizes follow the data, so the next header cannot be found from here.
    if ((flags & 0x8) !== 0) break;
    offset = nameStart + nameLength + extraLength + compressed;
  }
  return "application/zip";
}

/**
 * The mimetype of `bytes` from its first bytes, or `application/octet-stream`.
 *
 * @example
 * ```ts
 * import { sniffMimetype } from "./sniff.ts";
 * sniffMimetype(new Uint8Array([0xff, 0xd8, 0xff, 0xe0])); // "image/jpeg"
 * sniffMimetype(new TextEncoder().encode("%PDF-1.7")); // "application/pdf"
 * ```
 */
export function sniffMimetype(bytes: Uint8Array): string {
  const b = bytes;
  if (isJpeg(b)) return "image/jpeg";
  if (isPng(b)) return "image/png";
  if (isGif(b)) return "image/gif";
  const form = riffForm(b);
  if (form === "WEBP") return "image/webp";
  if (form === "WAVE") return "audio/wav";
  if (form === "AVI ") return "video/x-msvideo";
  if (ascii(b, 0, "%PDF-")) return "application/pdf";
  return sniffFtyp(b) ?? sniffEbml(b) ?? sniffOgg(b) ?? sniffZip(b) ?? sniffMpegAudio(b) ?? OCTET_STREAM;
}

function dims(width: number, height: number): ImageDimensions | undefined {
  return width > 0 && height > 0 ? { width, height } : undefined;
}

function pngDimensions(b: Uint8Array): ImageDimensions | undefined {
  if (b.length < 24 || !ascii(b, 12, "IHDR")) return undefined;
  return dims(u32be(b, 16), u32be(b, 20));
}

function gifDimensions(b: Uint8Array): ImageDimensions | undefined {
  if (b.length < 10) return undefined;
  return dims(u16le(b, 6), u16le(b, 8));
}

function webpDimensions(b: Uint8Array): ImageDimensions | undefined {
  if (ascii(b, 12, "VP8X")) return b.length < 30 ? undefined : dims(u24le(b, 24) + 1, u24le(b, 27) + 1);
  if (ascii(b, 12, "VP8L")) {
    if (b.length < 25 || b[20] !== 0x2f) return undefined;
    const bits = u32le(b, 21);
    return dims((bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1);
  }
  if (ascii(b, 12, "VP8 ")) {
    // Frame tag (3 bytes) at 20, then the key frame start code 9d 01 2a, then 14-bit width and height.
    if (b.length < 30 || b[23] !== 0x9d || b[24] !== 0x01 || b[25] !== 0x2a) return undefined;
    return dims(u16le(b, 26) & 0x3fff, u16le(b, 28) & 0x3fff);
  }
  return undefined;
}

// SOF0..SOF15 carry the frame size; C4 (DHT), C8 (JPG extension) and CC (DAC) share the range but do not.
const isSof = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
const JPEG_MAX_SEGMENTS = 1024;

function jpegDimensions(b: Uint8Array): ImageDimensions | undefined {
  let offset = 2;
  for (let step = 0; step < JPEG_MAX_SEGMENTS && offset + 4 <= b.length; step++) {
    if (b[offset] !== 0xff) return undefined;
    let marker = b[offset + 1];
    // Fill bytes: any number of 0xFF before the marker code.
    while (marker === 0xff && offset + 2 < b.length) {
      offset++;
      marker = b[offset + 1];
    }
    if (marker === 0xd9 || marker === 0xda) return undefined; // end of image, or scan data without a frame
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      offset += 2;
      continue;
    }
    if (offset + 4 > b.length) return undefined;
    const length = u16be(b, offset + 2);
    if (length < 2) return undefined;
    if (isSof(marker)) {
      if (offset + 9 > b.length) return undefined;
      return dims(u16be(b, offset + 7), u16be(b, offset + 5));
    }
    offset += 2 + length;
  }
  return undefined;
}

/**
 * Width and height of a PNG, JPEG, GIF or WebP image from its header, or `undefined` when the format is
 * not one of those or the header is truncated or inconsistent. JPEG dimensions are the frame's, before
 * any Exif rotation.
 *
 * @example
 * ```ts
 * import { imageDimensions } from "./sniff.ts";
 * const gif = new Uint8Array([0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x40, 0x01, 0xf0, 0x00]);
 * imageDimensions(gif); // { width: 320, height: 240 }
 * ```
 */
export function imageDimensions(bytes: Uint8Array): ImageDimensions | undefined {
  if (isPng(bytes)) return pngDimensions(bytes);
  if (isJpeg(bytes)) return jpegDimensions(bytes);
  if (isGif(bytes)) return gifDimensions(bytes);
  if (riffForm(bytes) === "WEBP") return webpDimensions(bytes);
  return undefined;
}
