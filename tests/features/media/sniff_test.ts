// Mimetype sniffing and image dimensions from hand-built headers. Each builder follows the format's spec,
// cited beside it; the fuzz tests feed truncations of every sample and random bytes.
import assert from "node:assert/strict";
import fc from "npm:fast-check@4.10.2";
import { imageDimensions, OCTET_STREAM, sniffMimetype } from "../../../src/features/media/mod.ts";
import { join } from "./helpers.ts";

const ascii = (s: string) => new TextEncoder().encode(s);
const be16 = (n: number) => [n >> 8, n & 0xff];
const le16 = (n: number) => [n & 0xff, n >> 8];
const le24 = (n: number) => [n & 0xff, (n >> 8) & 0xff, n >> 16];
const be32 = (n: number) => [n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
const le32 = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24];
const b = (...parts: (number[] | Uint8Array)[]) => join(parts.map((p) => new Uint8Array(p)));

// ITU T.81 §B.1.1.3/B.2.2: SOI, an APP0 (JFIF) segment, a DQT, optionally a DHT, then SOFn with
// P, Y (height), X (width).
function jpeg(width: number, height: number, sof = 0xc0, extra: number[] = []): Uint8Array {
  const app0 = [0xff, 0xe0, ...be16(16), ...ascii("JFIF\0"), 1, 1, 0, 0, 1, 0, 1, 0, 0];
  const dqt = [0xff, 0xdb, ...be16(67), 0, ...new Array(64).fill(1)];
  const frame = [
    0xff,
    sof,
    ...be16(17),
    8,
    ...be16(height),
    ...be16(width),
    3,
    1,
    0x22,
    0,
    2,
    0x11,
    1,
    3,
    0x11,
    1,
  ];
  return b([0xff, 0xd8], app0, extra, dqt, frame, [0xff, 0xd9]);
}

// RFC 2083 §12.11 signature, §4.1.1 IHDR (width, height, depth, color type, ...), CRC not checked.
const png = (w: number, h: number) =>
  b([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], be32(13), ascii("IHDR"), be32(w), be32(h), [
    8,
    6,
    0,
    0,
    0,
  ], be32(0));

// GIF89a spec §17 header, §18 logical screen descriptor (little-endian width, height).
const gif = (w: number, h: number) => b(ascii("GIF89a"), le16(w), le16(h), [0xf7, 0, 0]);

// WebP container spec: "RIFF" size "WEBP", then a VP8X/VP8L/"VP8 " chunk.
const riff = (form: string, chunk: Uint8Array) =>
  b(ascii("RIFF"), le32(chunk.length + 4), ascii(form), chunk);
const webpVp8x = (w: number, h: number) =>
  riff("WEBP", b(ascii("VP8X"), le32(10), [0, 0, 0, 0], le24(w - 1), le24(h - 1)));
// VP8L bitstream §2: signature 0x2f, then 14 bits width-1 and 14 bits height-1, little-endian.
const webpVp8l = (w: number, h: number) =>
  riff("WEBP", b(ascii("VP8L"), le32(5), [0x2f], le32((w - 1) | ((h - 1) << 14))));
// RFC 6386 §9.1: 3-byte frame tag, start code 9d 01 2a, 16-bit width and height (14 bits + 2 scale).
const webpVp8 = (w: number, h: number) =>
  riff("WEBP", b(ascii("VP8 "), le32(10), [0x50, 0x01, 0x00], [0x9d, 0x01, 0x2a], le16(w), le16(h)));

// ISO/IEC 14496-12 §4.3: box size, "ftyp", major brand, minor version, compatible brands.
const ftyp = (brand: string) => b(be32(24), ascii("ftyp"), ascii(brand), be32(0), ascii("isomiso2"));

// RFC 3533 §6 page header (27 bytes, segment count at 26), RFC 7845 §5.1 "OpusHead".
const oggOpus = () => b(ascii("OggS"), [0, 2], new Array(20).fill(0), [1, 19], ascii("OpusHead"), [1, 2]);

// PKWARE APPNOTE §4.3.7 local file header with stored (size 0) entries.
function zip(...names: string[]): Uint8Array {
  return b(
    ...names.map((name) =>
      b(
        le32(0x04034b50),
        le16(20),
        le16(0),
        le16(0),
        le16(0),
        le16(0),
        le32(0),
        le32(0),
        le32(0),
        le16(name.length),
        le16(0),
        ascii(name),
      )
    ),
  );
}

const SAMPLES: [string, Uint8Array, string][] = [
  ["JPEG", jpeg(640, 480), "image/jpeg"],
  ["PNG", png(1, 1), "image/png"],
  ["GIF", gif(320, 240), "image/gif"],
  ["WebP VP8X", webpVp8x(1024, 768), "image/webp"],
  ["WebP VP8L", webpVp8l(16383, 2), "image/webp"],
  ["WebP VP8", webpVp8(300, 200), "image/webp"],
  ["MP4", ftyp("isom"), "video/mp4"],
  ["MP4 mp42", ftyp("mp42"), "video/mp4"],
  ["MOV", ftyp("qt  "), "video/quicktime"],
  ["3GP", ftyp("3gp4"), "video/3gpp"],
  ["M4A", ftyp("M4A "), "audio/mp4"],
  ["HEIC", ftyp("heic"), "image/heic"],
  [
    "WebM",
    b([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01, 0x42, 0x82, 0x84], ascii("webm")),
    "video/webm",
  ],
  ["MKV", b([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x82, 0x88], ascii("matroska")), "video/x-matroska"],
  ["Ogg Opus", oggOpus(), "audio/ogg; codecs=opus"],
  ["Ogg", b(ascii("OggS"), [0, 2], new Array(20).fill(0), [1, 30], [1], ascii("vorbis")), "audio/ogg"],
  ["MP3 ID3", b(ascii("ID3"), [4, 0, 0, 0, 0, 0, 0]), "audio/mpeg"],
  ["MP3 frame", b([0xff, 0xfb, 0x90, 0x64]), "audio/mpeg"],
  ["AAC ADTS", b([0xff, 0xf1, 0x50, 0x80, 0x02, 0x1f, 0xfc]), "audio/aac"],
  ["WAV", riff("WAVE", b(ascii("fmt "), le32(16), new Array(16).fill(0))), "audio/wav"],
  ["PDF", ascii("%PDF-1.7\n%\xe2\xe3"), "application/pdf"],
  [
    "DOCX",
    zip("[Content_Types].xml", "_rels/.rels", "word/document.xml"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  ],
  [
    "XLSX",
    zip("[Content_Types].xml", "xl/workbook.xml"),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  ],
  [
    "PPTX",
    zip("ppt/presentation.xml"),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
  ],
  ["ZIP", zip("a.txt", "b.txt"), "application/zip"],
  ["text", ascii("hello, world"), OCTET_STREAM],
  ["empty", new Uint8Array(0), OCTET_STREAM],
];

Deno.test("sniffMimetype names every sample format", () => {
  for (const [name, bytes, mimetype] of SAMPLES) assert.equal(sniffMimetype(bytes), mimetype, name);
});

Deno.test("imageDimensions reads PNG, JPEG, GIF and the three WebP forms", () => {
  assert.deepEqual(imageDimensions(png(1, 1)), { width: 1, height: 1 });
  assert.deepEqual(imageDimensions(png(4000, 3000)), { width: 4000, height: 3000 });
  assert.deepEqual(imageDimensions(jpeg(640, 480)), { width: 640, height: 480 });
  assert.deepEqual(
    imageDimensions(jpeg(1920, 1080, 0xc2)),
    { width: 1920, height: 1080 },
    "progressive SOF2",
  );
  // A DHT (0xC4) segment before the frame is in the SOF range but is not a frame.
  const dht = [0xff, 0xc4, ...be16(20), 0, ...new Array(16).fill(0), 0];
  assert.deepEqual(imageDimensions(jpeg(33, 44, 0xc0, dht)), { width: 33, height: 44 });
  // Fill bytes (0xFF) before a marker are allowed (T.81 §B.1.1.2).
  const fill = jpeg(10, 20);
  const withFill = b(fill.subarray(0, 2), [0xff, 0xff], fill.subarray(2));
  assert.deepEqual(imageDimensions(withFill), { width: 10, height: 20 });
  assert.deepEqual(imageDimensions(gif(320, 240)), { width: 320, height: 240 });
  assert.deepEqual(imageDimensions(webpVp8x(1024, 768)), { width: 1024, height: 768 });
  assert.deepEqual(imageDimensions(webpVp8l(16383, 2)), { width: 16383, height: 2 });
  assert.deepEqual(imageDimensions(webpVp8(300, 200)), { width: 300, height: 200 });
  assert.equal(imageDimensions(ftyp("isom")), undefined);
  assert.equal(imageDimensions(png(0, 10)), undefined, "zero width");
  assert.equal(imageDimensions(jpeg(0, 10)), undefined, "zero width (DNL-style)");
});

Deno.test("every truncation of every sample is handled: no throw, only whole answers", () => {
  for (const [name, bytes] of SAMPLES) {
    const full = imageDimensions(bytes);
    for (let n = 0; n <= bytes.length; n++) {
      const part = bytes.subarray(0, n);
      const mimetype = sniffMimetype(part);
      assert.equal(typeof mimetype, "string");
      const dims = imageDimensions(part);
      if (dims !== undefined) assert.deepEqual(dims, full, `${name} cut at ${n}`);
    }
  }
});

Deno.test("fuzz: random bytes and corrupted samples never throw and give positive dimensions", () => {
  const prefixes = SAMPLES.map(([, bytes]) => bytes);
  fc.assert(
    fc.property(
      fc.constantFrom(...prefixes),
      fc.nat(200),
      fc.uint8Array({ maxLength: 400 }),
      fc.array(fc.tuple(fc.nat(500), fc.nat(255)), { maxLength: 8 }),
      (prefix, keep, tail, edits) => {
        const bytes = join([prefix.subarray(0, keep), tail]);
        for (const [at, value] of edits) if (at < bytes.length) bytes[at] = value;
        const mimetype = sniffMimetype(bytes);
        assert.ok(mimetype.length > 0);
        const dims = imageDimensions(bytes);
        if (dims !== undefined) {
          assert.ok(Number.isInteger(dims.width) && dims.width > 0);
          assert.ok(Number.isInteger(dims.height) && dims.height > 0);
        }
      },
    ),
    { numRuns: 2000, seed: 99 },
  );
});

Deno.test("a JPEG made of endless fill bytes or tiny segments ends within its length", () => {
  const fill = b([0xff, 0xd8], new Array(100_000).fill(0xff));
  assert.equal(imageDimensions(fill), undefined);
  const segments: number[] = [0xff, 0xd8];
  for (let i = 0; i < 50_000; i++) segments.push(0xff, 0xfe, 0, 2);
  assert.equal(imageDimensions(b(segments)), undefined);
});
