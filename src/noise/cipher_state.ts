/**
 * The Noise CipherState (Noise spec §5.1) with AES-256-GCM as WhatsApp uses it: a key and a nonce counter.
 * The handshake uses it inside {@link SymmetricState} with the handshake hash as associated data; after
 * `split()` each direction of the connection has its own, with empty associated data.
 *
 * WhatsApp keeps the counter in 32 bits (IV = 8 zero bytes + counter big-endian). The Noise spec's AESGCM
 * nonce is 4 zero bytes + a 64-bit big-endian counter, which is the same 12 bytes for every counter below
 * 2^32, so WhatsApp's ciphers are standard Noise ciphers that stop early. Like the spec reserves 2^64 - 1,
 * the last 32-bit value 2^32 - 1 is never used: the cipher fails with `counter_exhausted` instead of
 * wrapping around to a nonce it already used.
 *
 * @module
 */

import {
  aesGcmDecrypt,
  aesGcmDecryptAsync,
  aesGcmEncrypt,
  aesGcmEncryptAsync,
  CryptoError,
} from "../crypto/mod.ts";
import { NoiseError } from "./errors.ts";

/** The first counter value a cipher refuses: 2^32 - 1, reserved like the spec reserves 2^64 - 1. */
export const COUNTER_LIMIT = 0xffffffff;

const KEY_LENGTH = 32;
const IV_LENGTH = 12;

/**
 * The 12-byte AES-GCM IV for a counter: 8 zero bytes, then the counter as a 32-bit big-endian integer.
 *
 * @example
 * ```ts
 * import { nonce } from "./cipher_state.ts";
 * nonce(258).toHex(); // "000000000000000000000102"
 * ```
 */
export function nonce(counter: number): Uint8Array {
  const iv = new Uint8Array(IV_LENGTH);
  iv[8] = counter >>> 24;
  iv[9] = (counter >>> 16) & 0xff;
  iv[10] = (counter >>> 8) & 0xff;
  iv[11] = counter & 0xff;
  return iv;
}

/**
 * One AES-256-GCM key and its nonce counter. Before a key is set, encryption returns the plaintext and
 * decryption the ciphertext unchanged (Noise spec §5.1); WhatsApp's XX handshake sets a key before it
 * encrypts anything.
 *
 * Each encryption or decryption takes the next counter at the moment it is called, so the async variants
 * can run concurrently and still use the nonces in call order.
 *
 * @example
 * ```ts
 * import { CipherState } from "./cipher_state.ts";
 * const key = new Uint8Array(32).fill(7);
 * const alice = new CipherState(key), bob = new CipherState(key);
 * const sealed = alice.encrypt(new Uint8Array([1, 2, 3]));
 * bob.decrypt(sealed); // Uint8Array [1, 2, 3]; both counters are now 1
 * ```
 */
export class CipherState {
  #key: Uint8Array | undefined;
  #counter = 0;
  /**
   * The IV of synchronous calls, rewritten in place: reusing one array saves about 1 µs per call over
   * allocating one (a 200-byte frame costs about 7 µs). The async calls get their own, since WebCrypto may
   * read theirs after this one has moved on.
   */
  readonly #iv = new Uint8Array(IV_LENGTH);

  /**
   * Creates a cipher.
   *
   * @param key a 32-byte AES-256 key, or nothing for the empty key of a fresh handshake.
   * @param counter the first counter to use; anything but 0 is for tests of the counter limit.
   */
  constructor(key?: Uint8Array, counter = 0) {
    if (key !== undefined) this.initializeKey(key);
    if (!Number.isInteger(counter) || counter < 0 || counter > COUNTER_LIMIT) {
      throw new RangeError(`counter must be an integer from 0 to ${COUNTER_LIMIT}, got ${counter}`);
    }
    this.#counter = counter;
  }

  /** Whether a key is set. */
  get hasKey(): boolean {
    return this.#key !== undefined;
  }

  /** The counter the next encryption or decryption will use. */
  get counter(): number {
    return this.#counter;
  }

  /** Sets a new key (a copy is kept) and restarts the counter at 0 (Noise spec InitializeKey). */
  initializeKey(key: Uint8Array): void {
    if (!(key instanceof Uint8Array) || key.length !== KEY_LENGTH) {
      throw new RangeError(`AES-256 key must be 32 bytes, got ${key?.length}`);
    }
    this.#key = new Uint8Array(key);
    this.#counter = 0;
  }

  /** Encrypts `plaintext` with the next nonce: ciphertext || 16-byte tag. */
  encrypt(plaintext: Uint8Array, ad?: Uint8Array): Uint8Array {
    const key = this.#key;
    if (key === undefined) return plaintext;
    return aesGcmEncrypt(key, this.#scratchIv(this.#next()), plaintext, ad);
  }

  /**
   * Decrypts ciphertext || tag with the next nonce.
   *
   * @throws {NoiseError} `decrypt_failed` when the tag does not match; `counter_exhausted` at the limit.
   */
  decrypt(sealed: Uint8Array, ad?: Uint8Array): Uint8Array {
    const key = this.#key;
    if (key === undefined) return sealed;
    const counter = this.#next();
    try {
      return aesGcmDecrypt(key, this.#scratchIv(counter), sealed, ad);
    } catch (cause) {
      throw authFailure(cause, counter, sealed.length);
    }
  }

  /**
   * {@link CipherState.encrypt} through WebCrypto, off the event loop. The counter is taken synchronously,
   * at the call.
   */
  async encryptAsync(plaintext: Uint8Array, ad?: Uint8Array): Promise<Uint8Array> {
    const key = this.#key;
    if (key === undefined) return plaintext;
    return await aesGcmEncryptAsync(key, nonce(this.#next()), plaintext, ad);
  }

  /**
   * {@link CipherState.decrypt} through WebCrypto, off the event loop. The counter is taken synchronously,
   * at the call.
   */
  async decryptAsync(sealed: Uint8Array, ad?: Uint8Array): Promise<Uint8Array> {
    const key = this.#key;
    if (key === undefined) return sealed;
    const counter = this.#next();
    try {
      return await aesGcmDecryptAsync(key, nonce(counter), sealed, ad);
    } catch (cause) {
      throw authFailure(cause, counter, sealed.length);
    }
  }

  #scratchIv(counter: number): Uint8Array {
    const iv = this.#iv;
    iv[8] = counter >>> 24;
    iv[9] = (counter >>> 16) & 0xff;
    iv[10] = (counter >>> 8) & 0xff;
    iv[11] = counter & 0xff;
    return iv;
  }

  #next(): number {
    const counter = this.#counter;
    if (counter >= COUNTER_LIMIT) {
      throw new NoiseError(
        "counter_exhausted",
        `cipher counter exhausted: expected a counter below ${COUNTER_LIMIT}, the next is ${counter}`,
      );
    }
    this.#counter = counter + 1;
    return counter;
  }
}

function authFailure(cause: unknown, counter: number, length: number): unknown {
  if (!(cause instanceof CryptoError)) return cause;
  const what = cause.code === "auth_failed"
    ? "tag does not match"
    : `input rejected (${cause.code}: ${cause.message})`;
  return new NoiseError(
    "decrypt_failed",
    `AES-GCM decryption of ${length} bytes at counter ${counter} failed: ${what}`,
    { cause },
  );
}
