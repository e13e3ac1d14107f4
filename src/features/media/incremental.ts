/**
 * Media encryption and decryption chunk by chunk, in bounded memory: {@link MediaEncryptor} and
 * {@link MediaDecryptor} (node:crypto AES), and the MAC, hash and length bookkeeping they share with the
 * batched WebCrypto pair of async_cipher.ts ({@link BlobSealer}, {@link BlobChecker}). The format and
 * the order of the checks are crypto.ts's.
 *
 * @module
 */

import {
  concatBytes,
  createAesCbcDecryptor,
  createAesCbcEncryptor,
  createHmacSha256,
  createSha256,
  type Hasher,
  type StreamCipher,
} from "../../crypto/mod.ts";
import {
  blobLimit,
  checkHash,
  checkLength,
  checkMac,
  checkStructure,
  type DecryptOptions,
  type EncryptorFinal,
  expandMediaKey,
  generateMediaKey,
  holdBackMac,
  MEDIA_MAC_LENGTH,
  type MediaExpectations,
  type MediaHashes,
  paddingError,
  spent,
  tooLarge,
} from "./crypto.ts";
import type { MediaTypeLike } from "./media_type.ts";

const EMPTY = new Uint8Array(0);

/**
 * The MAC, hashes and lengths of a blob encrypted chunk by chunk, whatever runs the AES (node:crypto in
 * {@link MediaEncryptor}, batched WebCrypto in async_cipher.ts): plaintext is counted by `plain`,
 * ciphertext by `cipher`, and `seal` gives the MAC that ends the blob.
 */
export class BlobSealer {
  #mac: Hasher;
  #plainHash: Hasher = createSha256();
  #encHash: Hasher = createSha256();
  #fileLength = 0;
  #encryptedLength = 0;
  #done = false;

  /** Starts the MAC (keyed by `macKey`, over `iv` first) and the hashes. */
  constructor(macKey: Uint8Array, iv: Uint8Array) {
    this.#mac = createHmacSha256(macKey).update(iv);
  }

  /** Plaintext bytes counted so far. */
  get fileLength(): number {
    return this.#fileLength;
  }

  /** Throws `bad_input` after {@linkcode BlobSealer.finish}. */
  live(): void {
    if (this.#done) throw spent("encryptor");
  }

  /** No more input: later calls of `live` throw. */
  finish(): void {
    this.live();
    this.#done = true;
  }

  /** Counts plaintext about to be encrypted. */
  plain(chunk: Uint8Array): void {
    this.#plainHash.update(chunk);
    this.#fileLength += chunk.length;
  }

  /** Counts ciphertext the cipher produced; returns it. */
  cipher(ciphertext: Uint8Array): Uint8Array {
    if (ciphertext.length > 0) {
      this.#mac.update(ciphertext);
      this.#encHash.update(ciphertext);
      this.#encryptedLength += ciphertext.length;
    }
    return ciphertext;
  }

  /** The truncated MAC that ends the blob (counted), and the file's hashes; call once, after the cipher's last output. */
  seal(): { mac: Uint8Array } & MediaHashes {
    const mac = this.#mac.digest().subarray(0, MEDIA_MAC_LENGTH);
    this.#encHash.update(mac);
    this.#encryptedLength += MEDIA_MAC_LENGTH;
    return {
      mac,
      fileSha256: this.#plainHash.digest(),
      fileEncSha256: this.#encHash.digest(),
      fileLength: this.#fileLength,
      encryptedLength: this.#encryptedLength,
    };
  }
}

/**
 * Incremental encryption in bounded memory: feed plaintext chunks of any size, get ciphertext back as it
 * is ready, and the tail (last block + MAC) and the hashes from {@link MediaEncryptor.final}. The
 * concatenated outputs equal `encryptMedia`'s blob for the same key.
 *
 * @example
 * ```ts
 * import { MediaEncryptor } from "./incremental.ts";
 * const enc = new MediaEncryptor("video");
 * const parts = [enc.update(new Uint8Array(1000)), enc.update(new Uint8Array(7))];
 * const { tail, fileEncSha256 } = enc.final();
 * ```
 */
export class MediaEncryptor {
  /** The media key in use (given or generated). */
  readonly mediaKey: Uint8Array;
  #cipher: StreamCipher;
  #blob: BlobSealer;

  /**
   * Expands the key and starts the cipher, MAC and hashes.
   *
   * @param type the media type, which selects the keys
   * @param mediaKey the key to use; a random one by default
   * @throws {MediaError} `bad_key`, `unsupported_type`.
   */
  constructor(type: MediaTypeLike, mediaKey: Uint8Array = generateMediaKey()) {
    const { iv, cipherKey, macKey } = expandMediaKey(mediaKey, type);
    this.mediaKey = mediaKey;
    this.#cipher = createAesCbcEncryptor(cipherKey, iv);
    this.#blob = new BlobSealer(macKey, iv);
  }

  /** Plaintext bytes consumed so far. */
  get fileLength(): number {
    return this.#blob.fileLength;
  }

  /** Encrypts `chunk`; returns the ciphertext completed so far (possibly empty). */
  update(chunk: Uint8Array): Uint8Array {
    this.#blob.live();
    if (chunk.length === 0) return EMPTY;
    this.#blob.plain(chunk);
    return this.#blob.cipher(this.#cipher.update(chunk));
  }

  /** Pads, appends the MAC, and returns the tail with the file's hashes. */
  final(): EncryptorFinal {
    this.#blob.finish();
    const last = this.#blob.cipher(this.#cipher.final());
    const { mac, ...hashes } = this.#blob.seal();
    return { tail: concatBytes(last, mac), ...hashes };
  }
}

/**
 * The checks of a blob decrypted chunk by chunk, whatever runs the AES (node:crypto in
 * {@link MediaDecryptor}, batched WebCrypto in async_cipher.ts): `take` bounds the input, holds back the
 * possible MAC and hands out the ciphertext to decrypt; `plain` counts the plaintext; `checkBlob` (before
 * the cipher's last block) and `checkPlain` (after it) run crypto.ts's checks in order.
 */
export class BlobChecker {
  #mac: Hasher;
  #encHash: Hasher = createSha256();
  #plainHash: Hasher = createSha256();
  #expect: MediaExpectations;
  #limit: number;
  #held: Uint8Array = EMPTY;
  #bytesIn = 0;
  #bytesOut = 0;
  #done = false;

  /**
   * Starts the MAC (keyed by `macKey`, over `iv` first) and the hashes.
   *
   * @throws {MediaError} `bad_input` for a bad `fileLength` or `maxBytes`.
   */
  constructor(macKey: Uint8Array, iv: Uint8Array, expect: MediaExpectations) {
    this.#expect = {
      fileSha256: expect.fileSha256,
      fileEncSha256: expect.fileEncSha256,
      fileLength: expect.fileLength,
    };
    this.#limit = blobLimit(expect);
    this.#mac = createHmacSha256(macKey).update(iv);
  }

  /** Blob bytes taken so far. */
  get bytesIn(): number {
    return this.#bytesIn;
  }

  /** Throws `bad_input` after {@linkcode BlobChecker.checkBlob} or a `too_large`. */
  live(): void {
    if (this.#done) throw spent("decryptor");
  }

  /**
   * Takes a blob chunk (which the caller may reuse afterwards); returns the ciphertext that can be
   * decrypted now (at most two views, possibly empty), already added to the MAC and the blob hash.
   *
   * @throws {MediaError} `too_large` once the input passes the limit.
   */
  take(chunk: Uint8Array): Uint8Array[] {
    this.#bytesIn += chunk.length;
    if (this.#bytesIn > this.#limit) {
      this.#done = true;
      throw tooLarge(this.#bytesIn, this.#limit);
    }
    const { release, held } = holdBackMac(this.#held, chunk);
    this.#held = held;
    for (const ciphertext of release) {
      this.#mac.update(ciphertext);
      this.#encHash.update(ciphertext);
    }
    return release;
  }

  /** Counts plaintext the cipher produced; returns it. */
  plain(plaintext: Uint8Array): Uint8Array {
    if (plaintext.length > 0) {
      this.#plainHash.update(plaintext);
      this.#bytesOut += plaintext.length;
    }
    return plaintext;
  }

  /**
   * No more input; checks the length structure, the MAC and the blob hash.
   *
   * @throws {MediaError} `truncated`, `bad_mac`, `bad_enc_hash`.
   */
  checkBlob(): void {
    this.live();
    this.#done = true;
    checkStructure(this.#bytesIn);
    const mac = this.#held;
    checkMac(this.#mac.digest(), mac);
    checkHash("bad_enc_hash", this.#encHash.update(mac).digest(), this.#expect.fileEncSha256);
  }

  /**
   * After the cipher's last block was counted: checks the plaintext hash and length.
   *
   * @throws {MediaError} `bad_file_hash`, `bad_length`.
   */
  checkPlain(): void {
    checkHash("bad_file_hash", this.#plainHash.digest(), this.#expect.fileSha256);
    checkLength(this.#bytesOut, this.#expect.fileLength);
  }
}

/**
 * Incremental verification and decryption in bounded memory. Feed blob chunks of any size; plaintext comes
 * back as it is decrypted, always holding back the last 10 bytes (the MAC) and the last block (the
 * padding). {@link MediaDecryptor.final} then checks everything, in the order crypto.ts gives, and throws
 * a {@link MediaError} on the first failure: the plaintext emitted before is not to be trusted until
 * `final` returns.
 *
 * More blob bytes than `fileLength` or `maxBytes` allow fail `too_large` in {@link MediaDecryptor.update},
 * so an endless answer is cut off early.
 *
 * @example
 * ```ts
 * import { encryptMedia } from "./crypto.ts";
 * import { MediaDecryptor } from "./incremental.ts";
 * const sent = encryptMedia(new Uint8Array(100), "audio");
 * const dec = new MediaDecryptor("audio", sent);
 * const head = dec.update(sent.encrypted.subarray(0, 50));
 * const rest = dec.update(sent.encrypted.subarray(50));
 * const last = dec.final(); // throws MediaError on any mismatch
 * ```
 */
export class MediaDecryptor {
  #cipher: StreamCipher;
  #blob: BlobChecker;

  /**
   * Expands the key and starts the cipher, MAC and hashes.
   *
   * @param type the media type, which selects the keys
   * @param options the media key and what to check the blob against
   * @throws {MediaError} `bad_key`, `unsupported_type`, `bad_input` (a bad `fileLength` or `maxBytes`).
   */
  constructor(type: MediaTypeLike, options: DecryptOptions) {
    const { iv, cipherKey, macKey } = expandMediaKey(options.mediaKey, type);
    this.#blob = new BlobChecker(macKey, iv, options);
    this.#cipher = createAesCbcDecryptor(cipherKey, iv);
  }

  /** Blob bytes consumed so far. */
  get bytesIn(): number {
    return this.#blob.bytesIn;
  }

  /**
   * Consumes `chunk` (which may be reused by the caller afterwards) and returns the plaintext decrypted so
   * far (possibly empty).
   *
   * @throws {MediaError} `too_large` once the input passes the limit.
   */
  update(chunk: Uint8Array): Uint8Array {
    this.#blob.live();
    if (chunk.length === 0) return EMPTY;
    const release = this.#blob.take(chunk);
    if (release.length === 0) return EMPTY;
    const first = this.#decrypt(release[0]);
    if (release.length === 1) return first;
    const second = this.#decrypt(release[1]);
    return first.length === 0 ? second : concatBytes(first, second);
  }

  /**
   * Verifies the blob and returns the last plaintext bytes.
   *
   * @throws {MediaError} `truncated`, `bad_mac`, `bad_enc_hash`, `bad_padding`, `bad_file_hash`,
   * `bad_length`.
   */
  final(): Uint8Array {
    this.#blob.checkBlob();
    let last: Uint8Array;
    try {
      last = this.#cipher.final();
    } catch (cause) {
      throw paddingError(cause);
    }
    this.#blob.plain(last);
    this.#blob.checkPlain();
    return last;
  }

  #decrypt(ciphertext: Uint8Array): Uint8Array {
    if (ciphertext.length === 0) return EMPTY;
    return this.#blob.plain(this.#cipher.update(ciphertext));
  }
}
