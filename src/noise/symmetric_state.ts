/**
 * The Noise SymmetricState (Noise spec §5.2) with SHA-256 and HKDF-SHA256: the handshake hash `h`, the
 * chaining key `ck` (whatsmeow calls it the salt) and the handshake {@link CipherState}.
 *
 * WhatsApp's version is the spec's, with two details worth knowing: the protocol name
 * `"Noise_XX_25519_AESGCM_SHA256\0\0\0\0"` is exactly 32 bytes, so it is `h` itself (the spec pads a name of
 * up to 32 bytes with zeros, which gives the same bytes), and whatsmeow also loads `h` as the initial AEAD
 * key, which is never used because XX mixes a key in before the first encryption. Here the initial key is
 * empty, as in the spec.
 *
 * @module
 */

import { createSha256, hkdf, sha256, utf8 } from "../crypto/mod.ts";
import { CipherState } from "./cipher_state.ts";

/** The protocol name WhatsApp uses as the initial handshake hash: 28 ASCII bytes + 4 zero bytes = 32. */
export const NOISE_XX_PROTOCOL_NAME = "Noise_XX_25519_AESGCM_SHA256\0\0\0\0";

/**
 * {@link NOISE_XX_PROTOCOL_NAME} as bytes. A copy: the handshake starts from the (immutable) string, so
 * writing to this array changes nothing.
 */
export const NOISE_XX_PATTERN: Uint8Array = utf8(NOISE_XX_PROTOCOL_NAME);

const HASH_LENGTH = 32;
const EMPTY = new Uint8Array(0);

/**
 * The handshake's symmetric state: what both sides hash and derive in lockstep.
 *
 * @example
 * ```ts
 * import { NOISE_XX_PATTERN, SymmetricState } from "./symmetric_state.ts";
 * const a = new SymmetricState(NOISE_XX_PATTERN), b = new SymmetricState(NOISE_XX_PATTERN);
 * const secret = new Uint8Array(32).fill(9);
 * a.mixKey(secret);
 * b.mixKey(secret);
 * b.decryptAndHash(a.encryptAndHash(new Uint8Array([1, 2, 3]))); // Uint8Array [1, 2, 3]
 * const [initiatorToResponder, responderToInitiator] = a.split();
 * ```
 */
export class SymmetricState {
  #h: Uint8Array;
  #ck: Uint8Array;
  #cipher = new CipherState();

  /**
   * InitializeSymmetric: `h` = the protocol name zero-padded to 32 bytes (or its SHA-256 when longer),
   * `ck` = `h`, no key.
   */
  constructor(protocolName: Uint8Array | string) {
    const name = typeof protocolName === "string" ? utf8(protocolName) : protocolName;
    if (name.length <= HASH_LENGTH) {
      this.#h = new Uint8Array(HASH_LENGTH);
      this.#h.set(name);
    } else {
      this.#h = sha256(name);
    }
    this.#ck = this.#h;
  }

  /** A copy of the handshake hash `h`; after the handshake it identifies the session (channel binding). */
  get handshakeHash(): Uint8Array {
    return new Uint8Array(this.#h);
  }

  /** The counter of the handshake cipher: reset by every {@link SymmetricState.mixKey}. */
  get counter(): number {
    return this.#cipher.counter;
  }

  /** MixHash: `h = SHA-256(h || data)`. */
  mixHash(data: Uint8Array): void {
    this.#h = createSha256().update(this.#h).update(data).digest();
  }

  /**
   * MixKey: `ck, k = HKDF-SHA256(salt = ck, ikm)` as 64 bytes split 32/32; the cipher counter restarts at 0.
   */
  mixKey(ikm: Uint8Array): void {
    const out = hkdf(ikm, 2 * HASH_LENGTH, { salt: this.#ck });
    this.#ck = out.slice(0, HASH_LENGTH);
    this.#cipher.initializeKey(out.subarray(HASH_LENGTH));
  }

  /** EncryptAndHash: AES-GCM with `h` as associated data, then MixHash(ciphertext). */
  encryptAndHash(plaintext: Uint8Array): Uint8Array {
    const sealed = this.#cipher.encrypt(plaintext, this.#h);
    this.mixHash(sealed);
    return sealed;
  }

  /**
   * DecryptAndHash: AES-GCM with `h` as associated data, then MixHash(ciphertext).
   *
   * @throws {NoiseError} `decrypt_failed` when the ciphertext, the key or the transcript differ.
   */
  decryptAndHash(sealed: Uint8Array): Uint8Array {
    const plaintext = this.#cipher.decrypt(sealed, this.#h);
    this.mixHash(sealed);
    return plaintext;
  }

  /**
   * Split: `HKDF-SHA256(salt = ck, empty)` as 64 bytes; the first 32 key the initiator-to-responder
   * direction, the last 32 the other, each with a fresh counter.
   */
  split(): [initiatorToResponder: CipherState, responderToInitiator: CipherState] {
    const out = hkdf(EMPTY, 2 * HASH_LENGTH, { salt: this.#ck });
    return [new CipherState(out.subarray(0, HASH_LENGTH)), new CipherState(out.subarray(HASH_LENGTH))];
  }
}
