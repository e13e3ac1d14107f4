/**
 * WhatsApp media encryption: key expansion, and AES-256-CBC + truncated HMAC-SHA256 over the file, one-shot
 * and incremental.
 *
 * The format (protocol-facts.md "Media"; whatsmeow `download.go` `getMediaKeys`, Baileys
 * `Utils/messages-media.ts` `getMediaKeys`/`encryptedStream`):
 * - HKDF-SHA256(mediaKey, no salt, the type's info, 112 bytes) = iv[0:16] ‖ cipherKey[16:48] ‖
 *   macKey[48:80] ‖ refKey[80:112];
 * - blob = AES-256-CBC(cipherKey, iv, PKCS#7(plaintext)) ‖ HMAC-SHA256(macKey, iv ‖ ciphertext)[0:10];
 * - `fileSha256` = SHA-256(plaintext), `fileEncSha256` = SHA-256(blob), `fileLength` = plaintext bytes.
 *
 * Verification order, on both paths: length structure (`truncated`), MAC (`bad_mac`), blob hash
 * (`bad_enc_hash`), padding (`bad_padding`), plaintext hash (`bad_file_hash`), length (`bad_length`). The
 * MAC comes first because it is the check keyed by the media key: a flipped ciphertext or MAC bit reads as
 * `bad_mac`, a wrong hash in the message as the hash error.
 *
 * Pure: no I/O. Chunk-by-chunk encryption is in incremental.ts; streams, files and upload sources are in
 * media_stream.ts and upload_source.ts.
 *
 * @module
 */

import {
  aesCbcDecrypt,
  aesCbcEncrypt,
  concatBytes,
  CryptoError,
  equalBytes,
  hkdf,
  hmacSha256,
  randomBytes,
  sha256,
} from "../../crypto/mod.ts";
import { MediaError } from "./errors.ts";
import { mediaType, type MediaTypeInfo, type MediaTypeLike } from "./media_type.ts";

/** Length of a media key. */
export const MEDIA_KEY_LENGTH = 32;
/** Length of the truncated HMAC appended to every blob. */
export const MEDIA_MAC_LENGTH = 10;
/** Bytes of HKDF output a media key expands to. */
export const EXPANDED_MEDIA_KEY_LENGTH = 112;

const BLOCK = 16;

/** The four keys a media key expands to. */
export interface MediaKeys {
  /** AES-CBC IV, and the first input of the MAC. */
  iv: Uint8Array;
  /** AES-256 key. */
  cipherKey: Uint8Array;
  /** HMAC-SHA256 key. */
  macKey: Uint8Array;
  /** Unused by the file format; kept for completeness (WhatsApp's "ref key"). */
  refKey: Uint8Array;
}

/** The row of an encrypted type. @throws {MediaError} `unsupported_type` for an unencrypted one. */
export function encryptedType(type: MediaTypeLike): MediaTypeInfo & { hkdfInfo: string } {
  const info = mediaType(type);
  if (info.hkdfInfo === undefined) {
    throw new MediaError("unsupported_type", `media type ${info.kind} is sent unencrypted; it has no keys`);
  }
  return info as MediaTypeInfo & { hkdfInfo: string };
}

function checkMediaKey(mediaKey: Uint8Array): void {
  if (!(mediaKey instanceof Uint8Array) || mediaKey.length !== MEDIA_KEY_LENGTH) {
    const got = mediaKey instanceof Uint8Array ? `${mediaKey.length} bytes` : typeof mediaKey;
    throw new MediaError("bad_key", `a media key must be ${MEDIA_KEY_LENGTH} bytes, got ${got}`);
  }
}

/**
 * Expands a 32-byte media key with the type's HKDF info into IV, cipher key, MAC key and ref key.
 *
 * @throws {MediaError} `bad_key` for a key that is not 32 bytes; `unsupported_type` for an unencrypted type.
 * @example
 * ```ts
 * import { expandMediaKey } from "./crypto.ts";
 * const { iv, cipherKey, macKey } = expandMediaKey(new Uint8Array(32), "image");
 * ```
 */
export function expandMediaKey(mediaKey: Uint8Array, type: MediaTypeLike): MediaKeys {
  checkMediaKey(mediaKey);
  const expanded = hkdf(mediaKey, EXPANDED_MEDIA_KEY_LENGTH, { info: encryptedType(type).hkdfInfo });
  return {
    iv: expanded.subarray(0, 16),
    cipherKey: expanded.subarray(16, 48),
    macKey: expanded.subarray(48, 80),
    refKey: expanded.subarray(80, 112),
  };
}

/** A fresh random media key. */
export function generateMediaKey(): Uint8Array {
  return randomBytes(MEDIA_KEY_LENGTH);
}

/** The integrity data of an encrypted file, as a message carries it. */
export interface MediaHashes {
  /** SHA-256 of the plaintext. */
  fileSha256: Uint8Array;
  /** SHA-256 of the blob (ciphertext ‖ MAC): the upload token and the download check. */
  fileEncSha256: Uint8Array;
  /** Plaintext length in bytes. */
  fileLength: number;
  /** Blob length in bytes: the padded ciphertext plus the 10-byte MAC. */
  encryptedLength: number;
}

/** What a receiver checks a blob against; every field is optional. */
export interface MediaExpectations {
  /** The message's `fileSha256`. */
  fileSha256?: Uint8Array;
  /** The message's `fileEncSha256`. */
  fileEncSha256?: Uint8Array;
  /** The message's `fileLength`; also bounds how many blob bytes are accepted. */
  fileLength?: number;
  /** Refuse a blob longer than this many bytes (`too_large`) before reading more of it. */
  maxBytes?: number;
}

/** Options of {@link decryptMedia} and `MediaDecryptor` (incremental.ts). */
export interface DecryptOptions extends MediaExpectations {
  /** The 32-byte media key from the message. */
  mediaKey: Uint8Array;
}

/** The blob length for a plaintext of `fileLength` bytes: PKCS#7 always adds 1 to 16 bytes, then the MAC. */
export function encryptedLengthFor(fileLength: number): number {
  return (Math.floor(fileLength / BLOCK) + 1) * BLOCK + MEDIA_MAC_LENGTH;
}

/** The largest blob a receiver accepts under `expect`, or `Infinity`. */
export function blobLimit(expect: MediaExpectations): number {
  let limit = Infinity;
  if (expect.fileLength !== undefined) {
    if (!Number.isSafeInteger(expect.fileLength) || expect.fileLength < 0) {
      throw new MediaError(
        "bad_input",
        `fileLength must be a non-negative integer, got ${expect.fileLength}`,
      );
    }
    limit = encryptedLengthFor(expect.fileLength);
  }
  if (expect.maxBytes !== undefined) {
    if (!(expect.maxBytes >= 0)) {
      throw new MediaError("bad_input", `maxBytes must be non-negative, got ${expect.maxBytes}`);
    }
    limit = Math.min(limit, expect.maxBytes);
  }
  return limit;
}

/** The `too_large` error for `got` bytes over `limit`. */
export function tooLarge(got: number, limit: number): MediaError {
  return new MediaError(
    "too_large",
    `expected an encrypted blob of at most ${limit} bytes, got ${got} or more`,
  );
}

/** Throws `truncated` unless `length` is 16k + 10 with k >= 1. */
export function checkStructure(length: number): void {
  if (length < BLOCK + MEDIA_MAC_LENGTH || (length - MEDIA_MAC_LENGTH) % BLOCK !== 0) {
    throw new MediaError(
      "truncated",
      `an encrypted blob is 16k + 10 bytes with k >= 1, got ${length} bytes`,
    );
  }
}

/** Throws `bad_mac` unless the first 10 bytes of `computed` equal `received`. */
export function checkMac(computed: Uint8Array, received: Uint8Array): void {
  if (!equalBytes(computed.subarray(0, MEDIA_MAC_LENGTH), received)) {
    throw new MediaError(
      "bad_mac",
      "the blob's MAC does not match the media key and type (tampered or wrong key)",
    );
  }
}

/** Throws `code` when `expected` is given and differs from `got`. */
export function checkHash(
  code: "bad_enc_hash" | "bad_file_hash",
  got: Uint8Array,
  expected?: Uint8Array,
): void {
  if (expected === undefined || equalBytes(got, expected)) return;
  const what = code === "bad_enc_hash" ? "fileEncSha256 (the blob)" : "fileSha256 (the plaintext)";
  throw new MediaError(code, `${what}: expected ${expected.toHex()}, got ${got.toHex()}`);
}

/** Throws `bad_length` when `expected` is given and differs from `got`. */
export function checkLength(got: number, expected?: number): void {
  if (expected !== undefined && got !== expected) {
    throw new MediaError("bad_length", `expected ${expected} plaintext bytes (fileLength), got ${got}`);
  }
}

/** The `bad_padding` error, keeping the cipher's error as cause. */
export function paddingError(cause: unknown): MediaError {
  return new MediaError("bad_padding", "the blob's MAC matched but its PKCS#7 padding is invalid", { cause });
}

/**
 * Splits `held ‖ chunk` into the bytes that can be released (at most two views, no copy of `chunk`) and
 * the last 10 bytes, which might be the MAC and are kept (copied, so `chunk` may be reused).
 */
export function holdBackMac(
  held: Uint8Array,
  chunk: Uint8Array,
): { release: Uint8Array[]; held: Uint8Array } {
  if (held.length + chunk.length <= MEDIA_MAC_LENGTH) return { release: [], held: concatBytes(held, chunk) };
  if (chunk.length >= MEDIA_MAC_LENGTH) {
    const split = chunk.length - MEDIA_MAC_LENGTH;
    const release = held.length > 0 ? [held, chunk.subarray(0, split)] : [chunk.subarray(0, split)];
    return { release, held: chunk.slice(split) };
  }
  const cut = held.length + chunk.length - MEDIA_MAC_LENGTH;
  return { release: [held.subarray(0, cut)], held: concatBytes(held.subarray(cut), chunk) };
}

/** The result of {@link encryptMedia}: the blob and everything a message needs to reference it. */
export interface EncryptedMedia extends MediaHashes {
  /** The blob to upload: ciphertext ‖ 10-byte MAC. */
  encrypted: Uint8Array;
  /** The media key (given or generated). */
  mediaKey: Uint8Array;
}

/**
 * Encrypts a whole file in memory. For large inputs use `MediaEncryptor` (incremental.ts) or media_stream.ts.
 *
 * @param options `mediaKey` to use instead of a fresh random one (encryption is deterministic given it).
 * @throws {MediaError} `bad_key`, `unsupported_type`.
 * @example
 * ```ts
 * import { decryptMedia, encryptMedia } from "./crypto.ts";
 * const sent = encryptMedia(new TextEncoder().encode("hello"), "document");
 * const back = decryptMedia(sent.encrypted, "document", sent);
 * ```
 */
export function encryptMedia(
  plaintext: Uint8Array,
  type: MediaTypeLike,
  options: { mediaKey?: Uint8Array } = {},
): EncryptedMedia {
  const mediaKey = options.mediaKey ?? generateMediaKey();
  const { iv, cipherKey, macKey } = expandMediaKey(mediaKey, type);
  const ciphertext = aesCbcEncrypt(cipherKey, iv, plaintext);
  const mac = hmacSha256(macKey, iv, ciphertext).subarray(0, MEDIA_MAC_LENGTH);
  const encrypted = concatBytes(ciphertext, mac);
  return {
    encrypted,
    mediaKey,
    fileSha256: sha256(plaintext),
    fileEncSha256: sha256(encrypted),
    fileLength: plaintext.length,
    encryptedLength: encrypted.length,
  };
}

/**
 * Verifies and decrypts a whole blob in memory, in the order given in the module comment.
 *
 * @throws {MediaError} `bad_key`, `too_large`, `truncated`, `bad_mac`, `bad_enc_hash`, `bad_padding`,
 * `bad_file_hash`, `bad_length`.
 */
export function decryptMedia(
  encrypted: Uint8Array,
  type: MediaTypeLike,
  options: DecryptOptions,
): Uint8Array {
  const { iv, cipherKey, macKey } = expandMediaKey(options.mediaKey, type);
  const limit = blobLimit(options);
  if (encrypted.length > limit) throw tooLarge(encrypted.length, limit);
  checkStructure(encrypted.length);
  const split = encrypted.length - MEDIA_MAC_LENGTH;
  const ciphertext = encrypted.subarray(0, split);
  checkMac(hmacSha256(macKey, iv, ciphertext), encrypted.subarray(split));
  if (options.fileEncSha256 !== undefined) {
    checkHash("bad_enc_hash", sha256(encrypted), options.fileEncSha256);
  }
  let plaintext: Uint8Array;
  try {
    plaintext = aesCbcDecrypt(cipherKey, iv, ciphertext);
  } catch (cause) {
    if (cause instanceof CryptoError && cause.code === "bad_padding") throw paddingError(cause);
    throw cause;
  }
  if (options.fileSha256 !== undefined) checkHash("bad_file_hash", sha256(plaintext), options.fileSha256);
  checkLength(plaintext.length, options.fileLength);
  return plaintext;
}

/** The last output of `MediaEncryptor.final` (incremental.ts). */
export interface EncryptorFinal extends MediaHashes {
  /** The remaining blob bytes: the padded last ciphertext block(s) and the MAC. */
  tail: Uint8Array;
}

/** The error for a cipher used after `final`. */
export function spent(what: string): MediaError {
  return new MediaError("bad_input", `this ${what} has finished; create a new one`);
}
