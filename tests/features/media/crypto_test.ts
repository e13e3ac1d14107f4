// Media crypto: key expansion and the blob format, cross-checked against Baileys (baileys@7.0.0-rc14,
// lib/Utils/messages-media.js: getMediaKeys, encryptedStream, downloadEncryptedContent) as an independent
// implementation, and against @noble/hashes' HKDF for the 112-byte expansion. No published media-crypto
// test vectors exist in whatsmeow, whatsapp-rust or Baileys (their tests only round-trip random keys; searched
// whatsapp-rust wacore/src/download.rs tests and the public code index), so the peers stand in for vectors.
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createCipheriv, createHmac } from "node:crypto";
import fc from "npm:fast-check@4.10.2";
import { hkdf as nobleHkdf } from "@noble/hashes/hkdf.js";
import { sha256 as nobleSha256 } from "@noble/hashes/sha2.js";
import * as baileysMedia from "npm:/baileys@7.0.0-rc14/lib/Utils/messages-media.js";
import {
  decryptMedia,
  encryptedLengthFor,
  encryptMedia,
  expandMediaKey,
  MEDIA_KINDS,
  MEDIA_TYPES,
  MediaDecryptor,
  MediaEncryptor,
  type MediaKind,
} from "../../../src/features/media/mod.ts";
import { assertMediaError, cut, join, pseudoRandom } from "./helpers.ts";

// Our kinds under Baileys' MEDIA_HKDF_KEY_MAPPING names (lib/Defaults/index.js).
const BAILEYS_NAME: Partial<Record<MediaKind, string>> = {
  image: "image",
  video: "video",
  gif: "gif",
  ptv: "ptv",
  audio: "audio",
  ptt: "ptt",
  document: "document",
  sticker: "sticker",
  history: "md-msg-hist",
  app_state: "md-app-state",
  link_thumbnail: "thumbnail-link",
  image_thumbnail: "thumbnail-image",
  video_thumbnail: "thumbnail-video",
  document_thumbnail: "thumbnail-document",
  product: "product",
  biz_cover_photo: "biz-cover-photo",
  payment_background: "payment-bg-image",
};

type BaileysKeys = { iv: Uint8Array; cipherKey: Uint8Array; macKey: Uint8Array };
const baileysKeys = baileysMedia.getMediaKeys as unknown as (
  key: Uint8Array,
  type: string,
) => Promise<BaileysKeys>;
const baileysEncrypt = baileysMedia.encryptedStream as unknown as (media: Buffer, type: string) => Promise<{
  mediaKey: Uint8Array;
  encFilePath: string;
  fileSha256: Uint8Array;
  fileEncSha256: Uint8Array;
  fileLength: number;
}>;
const baileysDownload = baileysMedia.downloadEncryptedContent as unknown as (
  url: string,
  keys: BaileysKeys,
) => Promise<AsyncIterable<Uint8Array>>;

const ENCRYPTED_KINDS = MEDIA_KINDS.filter((k) => MEDIA_TYPES[k].hkdfInfo !== undefined);
const bytes = (b: Uint8Array) => new Uint8Array(b);

Deno.test("key expansion matches Baileys' getMediaKeys for every type Baileys knows", async () => {
  const mediaKey = pseudoRandom(32, 7);
  for (const kind of ENCRYPTED_KINDS) {
    const name = BAILEYS_NAME[kind];
    if (name === undefined) continue;
    const theirs = await baileysKeys(mediaKey, name);
    const ours = expandMediaKey(mediaKey, kind);
    assert.deepEqual(ours.iv, bytes(theirs.iv), `${kind} iv`);
    assert.deepEqual(ours.cipherKey, bytes(theirs.cipherKey), `${kind} cipherKey`);
    assert.deepEqual(ours.macKey, bytes(theirs.macKey), `${kind} macKey`);
  }
});

Deno.test("key expansion is HKDF-SHA256(key, no salt, info, 112) split 16/32/32/32 (noble HKDF)", () => {
  const mediaKey = pseudoRandom(32, 9);
  for (const kind of ENCRYPTED_KINDS) {
    const info = new TextEncoder().encode(MEDIA_TYPES[kind].hkdfInfo!);
    const expanded = nobleHkdf(nobleSha256, mediaKey, undefined, info, 112);
    const ours = expandMediaKey(mediaKey, kind);
    assert.deepEqual(join([ours.iv, ours.cipherKey, ours.macKey, ours.refKey]), expanded, kind);
  }
});

Deno.test("info strings of the types Baileys lacks are whatsapp-rust's", () => {
  // whatsapp-rust wacore/src/download.rs MediaType::app_info (commit 04dbb0c5).
  assert.equal(MEDIA_TYPES.sticker_pack.hkdfInfo, "WhatsApp Sticker Pack Keys");
  assert.equal(MEDIA_TYPES.sticker_pack_thumbnail.hkdfInfo, "WhatsApp Sticker Pack Thumbnail Keys");
  assert.equal(MEDIA_TYPES.product_catalog_image.hkdfInfo, undefined);
  assertMediaError(() => expandMediaKey(new Uint8Array(32), "product_catalog_image"), "unsupported_type");
});

Deno.test("our blobs decrypt with Baileys' downloadEncryptedContent, for every type", async () => {
  for (const [i, kind] of ENCRYPTED_KINDS.entries()) {
    const name = BAILEYS_NAME[kind];
    if (name === undefined) continue;
    const plaintext = pseudoRandom(1000 + i * 37, i + 1);
    const sent = encryptMedia(plaintext, kind);
    const keys = await baileysKeys(sent.mediaKey, name);
    // Baileys fetches a URL; a data: URL keeps this off the network.
    const url = "data:application/octet-stream;base64," + sent.encrypted.toBase64();
    const parts: Uint8Array[] = [];
    for await (const chunk of await baileysDownload(url, keys)) parts.push(bytes(chunk));
    assert.deepEqual(join(parts), plaintext, kind);
    // Baileys does not check the MAC; check it the way its encryptedStream computes it.
    const mac = createHmac("sha256", keys.macKey).update(keys.iv).update(sent.encrypted.subarray(0, -10))
      .digest().subarray(0, 10);
    assert.deepEqual(bytes(mac), sent.encrypted.subarray(-10), `${kind} MAC`);
  }
});

Deno.test("Baileys' encryptedStream blobs decrypt here, and re-encrypt byte for byte", async () => {
  for (const [i, kind] of ENCRYPTED_KINDS.entries()) {
    const name = BAILEYS_NAME[kind];
    if (name === undefined) continue;
    const plaintext = pseudoRandom(i * 53, i + 100);
    const theirs = await baileysEncrypt(Buffer.from(plaintext), name);
    try {
      const blob = await Deno.readFile(theirs.encFilePath);
      const expect = {
        mediaKey: bytes(theirs.mediaKey),
        fileSha256: bytes(theirs.fileSha256),
        fileEncSha256: bytes(theirs.fileEncSha256),
        fileLength: theirs.fileLength,
      };
      assert.deepEqual(decryptMedia(blob, kind, expect), plaintext, `${kind} one-shot`);
      const decryptor = new MediaDecryptor(kind, expect);
      const streamed = cut(blob, [3, 17, 40, blob.length - 5]).map((p) => decryptor.update(p));
      streamed.push(decryptor.final());
      assert.deepEqual(join(streamed), plaintext, `${kind} streamed`);
      const ours = encryptMedia(plaintext, kind, { mediaKey: expect.mediaKey });
      assert.deepEqual(ours.encrypted, blob, `${kind} same blob`);
      assert.deepEqual(ours.fileEncSha256, expect.fileEncSha256, `${kind} fileEncSha256`);
      assert.deepEqual(ours.fileSha256, expect.fileSha256, `${kind} fileSha256`);
      assert.equal(ours.fileLength, theirs.fileLength);
    } finally {
      await Deno.remove(theirs.encFilePath).catch(() => {});
    }
  }
});

function streamEncrypt(plaintext: Uint8Array, kind: MediaKind, mediaKey: Uint8Array, bounds: number[]) {
  const enc = new MediaEncryptor(kind, mediaKey);
  const parts = cut(plaintext, bounds).map((p) => enc.update(p));
  const final = enc.final();
  parts.push(final.tail);
  return { blob: join(parts), final };
}

function streamDecrypt(
  blob: Uint8Array,
  kind: MediaKind,
  options: { mediaKey: Uint8Array },
  bounds: number[],
) {
  const dec = new MediaDecryptor(kind, options);
  const parts = cut(blob, bounds).map((p) => dec.update(p));
  parts.push(dec.final());
  return join(parts);
}

Deno.test("streaming equals one-shot at the block edges (0, 1, 15, 16, 17, 31, 32, 33 bytes)", () => {
  const mediaKey = pseudoRandom(32, 3);
  for (const size of [0, 1, 15, 16, 17, 31, 32, 33]) {
    const plaintext = pseudoRandom(size, size + 1);
    const once = encryptMedia(plaintext, "document", { mediaKey });
    assert.equal(once.encrypted.length, encryptedLengthFor(size));
    assert.equal(once.encryptedLength, encryptedLengthFor(size));
    for (const bounds of [[], [1], [size >> 1], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]]) {
      const { blob, final } = streamEncrypt(plaintext, "document", mediaKey, bounds);
      assert.deepEqual(blob, once.encrypted, `encrypt size ${size} cut ${bounds}`);
      assert.deepEqual(final.fileEncSha256, once.fileEncSha256);
      assert.deepEqual(final.fileSha256, once.fileSha256);
      assert.equal(final.fileLength, size);
      const back = streamDecrypt(
        once.encrypted,
        "document",
        once,
        bounds.concat([once.encrypted.length - 3]),
      );
      assert.deepEqual(back, plaintext, `decrypt size ${size} cut ${bounds}`);
    }
  }
});

Deno.test("property: any chunking of any input gives the one-shot blob and plaintext", () => {
  const kinds = ENCRYPTED_KINDS;
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 0, maxLength: 3000 }),
      fc.array(fc.nat(3100), { maxLength: 12 }),
      fc.array(fc.nat(3200), { maxLength: 12 }),
      fc.constantFrom(...kinds),
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      (plaintext, encBounds, decBounds, kind, mediaKey) => {
        const once = encryptMedia(plaintext, kind, { mediaKey });
        assert.deepEqual(streamEncrypt(plaintext, kind, mediaKey, encBounds).blob, once.encrypted);
        assert.deepEqual(streamDecrypt(once.encrypted, kind, once, decBounds), plaintext);
      },
    ),
    { numRuns: 60, seed: 20260801 },
  );
});

Deno.test("multi-MiB input in random-sized chunks equals the one-shot result", () => {
  const plaintext = pseudoRandom(3 * 1024 * 1024 + 7, 42);
  const mediaKey = pseudoRandom(32, 43);
  const once = encryptMedia(plaintext, "video", { mediaKey });
  const bounds: number[] = [];
  for (let at = 0, step = 1; at < plaintext.length; step = (step * 7919) % 200_003 + 1) {
    bounds.push(at += step);
  }
  const { blob, final } = streamEncrypt(plaintext, "video", mediaKey, bounds);
  assert.deepEqual(blob, once.encrypted);
  assert.deepEqual(final.fileEncSha256, once.fileEncSha256);
  assert.deepEqual(streamDecrypt(blob, "video", { ...once, mediaKey }, bounds.map((b) => b + 5)), plaintext);
});

function flip(bytes: Uint8Array, index: number): Uint8Array {
  const copy = bytes.slice();
  copy[index] ^= 0x01;
  return copy;
}

Deno.test("tampering gives the typed error, one-shot and streaming", () => {
  const plaintext = pseudoRandom(100, 5);
  const sent = encryptMedia(plaintext, "image");
  const good = { mediaKey: sent.mediaKey, fileSha256: sent.fileSha256, fileEncSha256: sent.fileEncSha256 };
  const cases: [string, Uint8Array, Record<string, unknown>, string][] = [
    ["ciphertext bit", flip(sent.encrypted, 20), good, "bad_mac"],
    ["first byte", flip(sent.encrypted, 0), good, "bad_mac"],
    ["MAC bit", flip(sent.encrypted, sent.encrypted.length - 1), good, "bad_mac"],
    [
      "wrong fileEncSha256",
      sent.encrypted,
      { ...good, fileEncSha256: flip(sent.fileEncSha256, 3) },
      "bad_enc_hash",
    ],
    ["wrong fileSha256", sent.encrypted, { ...good, fileSha256: flip(sent.fileSha256, 31) }, "bad_file_hash"],
    ["wrong fileLength, same blocks", sent.encrypted, { ...good, fileLength: 101 }, "bad_length"],
    ["fileLength a block short", sent.encrypted, { ...good, fileLength: 80 }, "too_large"],
    ["maxBytes", sent.encrypted, { ...good, maxBytes: 50 }, "too_large"],
    ["wrong key", sent.encrypted, { ...good, mediaKey: flip(sent.mediaKey, 0) }, "bad_mac"],
    ["one byte short", sent.encrypted.subarray(0, -1), good, "truncated"],
    ["MAC only", sent.encrypted.subarray(-10), good, "truncated"],
    ["empty", new Uint8Array(0), good, "truncated"],
  ];
  for (const [name, blob, options, code] of cases) {
    const o = options as { mediaKey: Uint8Array };
    assertMediaError(() => decryptMedia(blob, "image", o), code as never, `${name} one-shot:`);
    assertMediaError(() => streamDecrypt(blob, "image", o, [7, 33]), code as never, `${name} streaming:`);
  }
  assertMediaError(() => decryptMedia(sent.encrypted, "video", good), "bad_mac", "wrong type:");
  assertMediaError(() => decryptMedia(sent.encrypted, "image", { mediaKey: new Uint8Array(31) }), "bad_key");
});

Deno.test("a valid MAC over bad PKCS#7 padding is bad_padding", () => {
  const mediaKey = pseudoRandom(32, 11);
  const { iv, cipherKey, macKey } = expandMediaKey(mediaKey, "audio");
  // One block ending in 0x00: not valid PKCS#7. Encrypted without padding, MACed as the format says.
  const cipher = createCipheriv("aes-256-cbc", cipherKey, iv).setAutoPadding(false);
  const ciphertext = Buffer.concat([cipher.update(new Uint8Array(16)), cipher.final()]);
  const mac = createHmac("sha256", macKey).update(iv).update(ciphertext).digest().subarray(0, 10);
  const blob = join([bytes(ciphertext), bytes(mac)]);
  assertMediaError(() => decryptMedia(blob, "audio", { mediaKey }), "bad_padding");
  assertMediaError(() => streamDecrypt(blob, "audio", { mediaKey }, [5]), "bad_padding");
});

Deno.test("the streaming decryptor stops at the limit during update, not at the end", () => {
  const sent = encryptMedia(pseudoRandom(5000, 1), "document");
  const dec = new MediaDecryptor("document", { mediaKey: sent.mediaKey, fileLength: 100 });
  assertMediaError(() => dec.update(sent.encrypted.subarray(0, 200)), "too_large");
  assertMediaError(() => dec.final(), "bad_input");
});

Deno.test("a finished encryptor or decryptor refuses more input", () => {
  const enc = new MediaEncryptor("image");
  enc.final();
  assertMediaError(() => enc.update(new Uint8Array(1)), "bad_input");
  assertMediaError(() => enc.final(), "bad_input");
});
