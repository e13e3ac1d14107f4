/**
 * Small media files made in code for tests and the demo: a real PNG of any size (RFC 2083, with stored
 * deflate blocks, RFC 1950/1951, so no compressor is needed), and, for the other kinds, bytes that start
 * with the format's real header (so mimetype sniffing and dimension reading see what they would in a real
 * file) followed by deterministic filler. Only the PNG is a decodable image; the others are for moving
 * bytes around.
 *
 * @module
 */

import { concatBytes } from "../crypto/mod.ts";
import type { MessageMediaKind } from "../features/media/messages.ts";

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(parts: Uint8Array[]): number {
  let c = 0xffffffff;
  for (const part of parts) for (const byte of part) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function adler32(bytes: Uint8Array): number {
  let a = 1, b = 0;
  for (const byte of bytes) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

function u32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value);
  return out;
}

const ascii = (text: string) => new TextEncoder().encode(text);

function chunk(type: string, data: Uint8Array): Uint8Array {
  const name = ascii(type);
  return concatBytes(u32(data.length), name, data, u32(crc32([name, data])));
}

/** zlib stream of `data` in stored (uncompressed) deflate blocks of at most 65,535 bytes. */
function zlibStored(data: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [new Uint8Array([0x78, 0x01])];
  for (let offset = 0; offset < data.length || offset === 0; offset += 65535) {
    const block = data.subarray(offset, Math.min(offset + 65535, data.length));
    const last = offset + 65535 >= data.length ? 1 : 0;
    const len = block.length;
    parts.push(new Uint8Array([last, len & 0xff, len >> 8, ~len & 0xff, (~len >> 8) & 0xff]), block);
    if (data.length === 0) break;
  }
  parts.push(u32(adler32(data)));
  return concatBytes(...parts);
}

/**
 * A valid RGB PNG of `width` x `height` pixels: a diagonal gradient tinted by `rgb`.
 *
 * @example
 * ```ts
 * import { samplePng } from "./media_samples.ts";
 * const png = samplePng(64, 48);
 * png.length > 0; // true: starts with \x89PNG, IHDR says 64x48
 * ```
 */
export function samplePng(
  width: number,
  height: number,
  rgb: [number, number, number] = [32, 160, 96],
): Uint8Array {
  if (
    !Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 ||
    width * height > 1 << 22
  ) {
    throw new RangeError(`a sample PNG is 1 to 4 Mpixels, got ${width}x${height}`);
  }
  const row = 1 + width * 3;
  const raw = new Uint8Array(row * height);
  for (let y = 0; y < height; y++) {
    raw[y * row] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      const shade = Math.floor(((x + y) * 255) / Math.max(1, width + height - 2));
      const at = y * row + 1 + x * 3;
      raw[at] = (rgb[0] + shade) & 0xff;
      raw[at + 1] = (rgb[1] + shade / 2) & 0xff;
      raw[at + 2] = (rgb[2] + 255 - shade) & 0xff;
    }
  }
  const ihdr = concatBytes(u32(width), u32(height), new Uint8Array([8, 2, 0, 0, 0]));
  return concatBytes(
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", zlibStored(raw)),
    chunk("IEND", new Uint8Array()),
  );
}

/** Deterministic filler bytes (xorshift32). */
function filler(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** The header bytes each kind's sample starts with, and the mimetype sniffing reads from it. */
const HEADERS: Record<Exclude<MessageMediaKind, "image">, () => Uint8Array> = {
  // ISO BMFF: a 24-byte `ftyp` box, brand isom (ISO/IEC 14496-12 §4.3).
  video: () => concatBytes(u32(24), ascii("ftypisom"), u32(0x200), ascii("isomiso2")),
  gif: () => concatBytes(u32(24), ascii("ftypmp42"), u32(0), ascii("mp42isom")),
  ptv: () => concatBytes(u32(24), ascii("ftypisom"), u32(0x200), ascii("isommp41")),
  // ID3v2.4 tag header (an MP3 file).
  audio: () => concatBytes(ascii("ID3"), new Uint8Array([4, 0, 0, 0, 0, 0, 0])),
  // An Ogg page whose first packet is an OpusHead (RFC 7845 §5.1).
  ptt: () =>
    concatBytes(
      ascii("OggS"),
      // version, header type (first page), granule position, serial, sequence, CRC, 1 segment of 19 bytes
      new Uint8Array([0, 2, ...new Uint8Array(8), 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 19]),
      ascii("OpusHead"),
      new Uint8Array([1, 1, 0x38, 1, 0x80, 0xbb, 0, 0, 0, 0, 0]),
    ),
  document: () => ascii("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"),
  // RIFF WEBP with a VP8X chunk saying 512x512 (Google's WebP container spec).
  sticker: () => {
    const vp8x = new Uint8Array([0x56, 0x50, 0x38, 0x58, 10, 0, 0, 0, 0, 0, 0, 0, 0xff, 1, 0, 0xff, 1, 0]);
    return concatBytes(ascii("RIFF"), new Uint8Array([0, 0, 0, 0]), ascii("WEBP"), vp8x);
  },
};

/**
 * Bytes for a media kind: a real PNG for `image`, otherwise the kind's header and `size` bytes in all of
 * deterministic filler (different for each `seed`).
 *
 * @example
 * ```ts
 * import { sampleMedia } from "./media_samples.ts";
 * const note = sampleMedia("ptt", 2048); // sniffs as "audio/ogg; codecs=opus"
 * ```
 */
export function sampleMedia(kind: MessageMediaKind, size = 4096, seed = 1): Uint8Array {
  if (kind === "image") return samplePng(24 + (seed % 8), 16 + (seed % 5));
  const header = HEADERS[kind]();
  return concatBytes(header, filler(Math.max(0, size - header.length), seed));
}
