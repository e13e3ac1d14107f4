/**
 * AES-256 in CBC (PKCS#7), CTR and GCM modes, one-shot and streaming.
 *
 * Backends, from bench/crypto.bench.ts:
 * - CBC and CTR: node:crypto. CBC 200 B 8.2 µs vs @noble/ciphers 10.5 µs vs WebCrypto 36 µs (async);
 *   16 KiB 75 vs 164 µs (WebCrypto 58 µs, but async). CTR 16 KiB 35 vs 167 µs. node's cipher objects also
 *   give streaming CBC with PKCS#7 for free.
 * - GCM sync: node:crypto. 200 B 11-13 µs vs noble 41 µs vs WebCrypto 55 µs; 16 KiB 83 vs 395 µs.
 * - GCM async: WebCrypto, which runs on Deno's blocking thread pool: off the event loop and the fastest at
 *   size (1 MiB 1.3-2.4 ms vs node 5.1-5.4 ms vs noble 19 ms; 4 KiB 12 vs 27 µs). Below 4 KiB the sync
 *   node path is cheaper than the hop to the thread pool (200 B: 11 vs 55 µs) and blocks only microseconds,
 *   so small inputs take it.
 *
 * @module
 */

import { createCipheriv, createDecipheriv } from "node:crypto";
import { assertKey, assertLength, describeSize } from "./checks.ts";
import { CryptoError } from "./errors.ts";
import { KeyCache } from "./key_cache.ts";
import { arrayBufferBacked, joinPlain, plain } from "./node_bytes.ts";

const KEY_LENGTH = 32;
const BLOCK = 16;
const GCM_IV_LENGTH = 12;
const GCM_TAG_LENGTH = 16;
// Below this size the async GCM functions run the sync node:crypto path (see module comment).
const ASYNC_WEBCRYPTO_FROM_BYTES = 4096;

function checkKey(key: Uint8Array): void {
  assertKey(key, KEY_LENGTH, "AES-256 key");
}

/**
 * AES-256-CBC encryption with PKCS#7 padding.
 *
 * @throws {CryptoError} `bad_key` for a key that is not 32 bytes, `bad_length` for an IV that is not 16.
 * @example
 * ```ts
 * import { aesCbcDecrypt, aesCbcEncrypt, randomBytes, utf8 } from "./mod.ts";
 * const key = randomBytes(32), iv = randomBytes(16);
 * const ct = aesCbcEncrypt(key, iv, utf8("hello"));
 * aesCbcDecrypt(key, iv, ct); // "hello" again
 * ```
 */
export function aesCbcEncrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Uint8Array {
  checkKey(key);
  assertLength(iv, BLOCK, "AES-CBC IV");
  const cipher = createCipheriv("aes-256-cbc", key, iv);
  return joinPlain(cipher.update(plaintext), cipher.final());
}

/**
 * AES-256-CBC decryption, removing PKCS#7 padding.
 *
 * @throws {CryptoError} `bad_key` / `bad_length` for key and IV as in {@link aesCbcEncrypt}; `bad_length` when
 * the ciphertext is empty or not a multiple of 16 bytes; `bad_padding` when the padding is invalid (which
 * is also what a wrong key or IV usually produces).
 */
export function aesCbcDecrypt(key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  checkKey(key);
  assertLength(iv, BLOCK, "AES-CBC IV");
  if (ciphertext.length === 0 || ciphertext.length % BLOCK !== 0) {
    throw new CryptoError(
      "bad_length",
      `AES-CBC ciphertext must be a non-zero multiple of 16 bytes, got ${ciphertext.length}`,
    );
  }
  const decipher = createDecipheriv("aes-256-cbc", key, iv);
  const head = decipher.update(ciphertext);
  let tail: Uint8Array;
  try {
    tail = decipher.final();
  } catch (cause) {
    throw new CryptoError("bad_padding", "AES-CBC plaintext does not end in valid PKCS#7 padding", { cause });
  }
  return joinPlain(head, tail);
}

/**
 * AES-256-CTR keystream XOR; encryption and decryption are the same operation. The 16-byte `iv` is the
 * initial counter block, incremented as one 128-bit big-endian integer (NIST SP 800-38A).
 *
 * @throws {CryptoError} `bad_key` for a key that is not 32 bytes, `bad_length` for an IV that is not 16.
 */
export function aesCtr(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  checkKey(key);
  assertLength(iv, BLOCK, "AES-CTR initial counter block");
  const cipher = createCipheriv("aes-256-ctr", key, iv);
  return joinPlain(cipher.update(data), cipher.final());
}

function checkGcm(key: Uint8Array, iv: Uint8Array): void {
  checkKey(key);
  // Only the standard 96-bit nonce: every WhatsApp use is 12 bytes, other lengths change how GCM derives the
  // counter (and WebCrypto in Deno refuses most of them), so anything else is treated as a caller bug.
  assertLength(iv, GCM_IV_LENGTH, "AES-GCM IV");
}

function checkSealed(sealed: Uint8Array): void {
  if (!(sealed instanceof Uint8Array) || sealed.length < GCM_TAG_LENGTH) {
    throw new CryptoError(
      "bad_length",
      `AES-GCM input must hold at least the 16-byte tag, got ${describeSize(sealed)}`,
    );
  }
}

/**
 * AES-256-GCM encryption. Returns ciphertext followed by the 16-byte tag.
 *
 * @throws {CryptoError} `bad_key` for a key that is not 32 bytes, `bad_length` for an IV that is not 12.
 * @example
 * ```ts
 * import { aesGcmDecrypt, aesGcmEncrypt, randomBytes, utf8 } from "./mod.ts";
 * const key = randomBytes(32), iv = randomBytes(12);
 * const sealed = aesGcmEncrypt(key, iv, utf8("hello"), utf8("header"));
 * aesGcmDecrypt(key, iv, sealed, utf8("header")); // "hello" again
 * ```
 */
export function aesGcmEncrypt(
  key: Uint8Array,
  iv: Uint8Array,
  plaintext: Uint8Array,
  aad?: Uint8Array,
): Uint8Array {
  checkGcm(key, iv);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  if (aad !== undefined) cipher.setAAD(aad);
  const head = cipher.update(plaintext);
  const tail = cipher.final();
  const tag = cipher.getAuthTag();
  const out = new Uint8Array(head.length + tail.length + GCM_TAG_LENGTH);
  out.set(head);
  out.set(tail, head.length);
  out.set(tag, head.length + tail.length);
  return out;
}

/**
 * AES-256-GCM decryption of ciphertext || tag.
 *
 * @throws {CryptoError} `bad_key` / `bad_length` for key and IV as in {@link aesGcmEncrypt}; `bad_length` when
 * `sealed` is shorter than the tag; `auth_failed` when the tag does not match key, IV, ciphertext and AAD.
 */
export function aesGcmDecrypt(
  key: Uint8Array,
  iv: Uint8Array,
  sealed: Uint8Array,
  aad?: Uint8Array,
): Uint8Array {
  checkGcm(key, iv);
  checkSealed(sealed);
  const split = sealed.length - GCM_TAG_LENGTH;
  const decipher = createDecipheriv("aes-256-gcm", key, iv);
  decipher.setAuthTag(sealed.subarray(split));
  if (aad !== undefined) decipher.setAAD(aad);
  const head = decipher.update(sealed.subarray(0, split));
  let tail: Uint8Array;
  try {
    tail = decipher.final();
  } catch (cause) {
    throw new CryptoError("auth_failed", "AES-GCM tag does not match key, IV, ciphertext and AAD", { cause });
  }
  return joinPlain(head, tail);
}

const webCryptoKeys = new KeyCache<Promise<CryptoKey>>();

function gcmCryptoKey(key: Uint8Array): Promise<CryptoKey> {
  return webCryptoKeys.get(
    key,
    (raw) => crypto.subtle.importKey("raw", arrayBufferBacked(raw), "AES-GCM", false, ["encrypt", "decrypt"]),
  );
}

function gcmParams(iv: Uint8Array, aad: Uint8Array | undefined): AesGcmParams {
  const params: AesGcmParams = { name: "AES-GCM", iv: arrayBufferBacked(iv), tagLength: 128 };
  if (aad !== undefined) params.additionalData = arrayBufferBacked(aad);
  return params;
}

/**
 * {@link aesGcmEncrypt} off the event loop: same inputs, same output, same errors. Inputs of 4 KiB and more
 * are encrypted by WebCrypto on a worker thread; smaller ones synchronously, which is faster than the hop.
 */
export async function aesGcmEncryptAsync(
  key: Uint8Array,
  iv: Uint8Array,
  plaintext: Uint8Array,
  aad?: Uint8Array,
): Promise<Uint8Array> {
  checkGcm(key, iv);
  if (plaintext.length < ASYNC_WEBCRYPTO_FROM_BYTES) return aesGcmEncrypt(key, iv, plaintext, aad);
  const cryptoKey = await gcmCryptoKey(key);
  return new Uint8Array(
    await crypto.subtle.encrypt(gcmParams(iv, aad), cryptoKey, arrayBufferBacked(plaintext)),
  );
}

/**
 * {@link aesGcmDecrypt} off the event loop: same inputs, same output, same errors. Inputs of 4 KiB and more
 * are decrypted by WebCrypto on a worker thread; smaller ones synchronously.
 */
export async function aesGcmDecryptAsync(
  key: Uint8Array,
  iv: Uint8Array,
  sealed: Uint8Array,
  aad?: Uint8Array,
): Promise<Uint8Array> {
  checkGcm(key, iv);
  checkSealed(sealed);
  if (sealed.length < ASYNC_WEBCRYPTO_FROM_BYTES) return aesGcmDecrypt(key, iv, sealed, aad);
  const cryptoKey = await gcmCryptoKey(key);
  let plaintext: ArrayBuffer;
  try {
    plaintext = await crypto.subtle.decrypt(gcmParams(iv, aad), cryptoKey, arrayBufferBacked(sealed));
  } catch (cause) {
    throw new CryptoError("auth_failed", "AES-GCM tag does not match key, IV, ciphertext and AAD", { cause });
  }
  return new Uint8Array(plaintext);
}

/**
 * A streaming cipher: `update` returns the output ready so far (possibly empty), `final` returns the rest.
 * Single use; calling either after `final` throws.
 */
export interface StreamCipher {
  /** Feeds `chunk` and returns whatever output it completes. */
  update(chunk: Uint8Array): Uint8Array;
  /** Finishes: returns the remaining output (the padded last block, or the unpadded tail). */
  final(): Uint8Array;
}

/**
 * Streaming AES-256-CBC encryption (PKCS#7 padding added by `final`), for media encrypted chunk by chunk.
 * The concatenated outputs equal {@link aesCbcEncrypt} of the concatenated chunks.
 *
 * @throws {CryptoError} `bad_key` for a key that is not 32 bytes, `bad_length` for an IV that is not 16.
 * @example
 * ```ts
 * import { createAesCbcEncryptor, randomBytes } from "./mod.ts";
 * const enc = createAesCbcEncryptor(randomBytes(32), randomBytes(16));
 * const parts = [enc.update(new Uint8Array(100)), enc.update(new Uint8Array(50)), enc.final()];
 * ```
 */
export function createAesCbcEncryptor(key: Uint8Array, iv: Uint8Array): StreamCipher {
  checkKey(key);
  assertLength(iv, BLOCK, "AES-CBC IV");
  const cipher = createCipheriv("aes-256-cbc", key, iv);
  return {
    update: (chunk) => plain(cipher.update(chunk)),
    final: () => plain(cipher.final()),
  };
}

/**
 * Streaming AES-256-CBC decryption; `final` checks and strips the PKCS#7 padding. The concatenated outputs
 * equal {@link aesCbcDecrypt} of the concatenated chunks.
 *
 * @throws {CryptoError} `bad_key` / `bad_length` for key and IV at creation; from `final`, `bad_length` when
 * the total input was not a non-zero multiple of 16 bytes and `bad_padding` when the padding is invalid.
 */
export function createAesCbcDecryptor(key: Uint8Array, iv: Uint8Array): StreamCipher {
  checkKey(key);
  assertLength(iv, BLOCK, "AES-CBC IV");
  const decipher = createDecipheriv("aes-256-cbc", key, iv);
  let total = 0;
  return {
    update: (chunk) => {
      total += chunk.length;
      return plain(decipher.update(chunk));
    },
    final: () => {
      if (total === 0 || total % BLOCK !== 0) {
        throw new CryptoError(
          "bad_length",
          `AES-CBC ciphertext must be a non-zero multiple of 16 bytes, got ${total}`,
        );
      }
      try {
        return plain(decipher.final());
      } catch (cause) {
        throw new CryptoError("bad_padding", "AES-CBC plaintext does not end in valid PKCS#7 padding", {
          cause,
        });
      }
    },
  };
}
