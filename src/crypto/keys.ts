/**
 * The Signal/WhatsApp serialized public key: a type byte (0x05 for Curve25519, "DJB") before the 32 key
 * bytes. Every place that adds or removes the byte goes through here.
 *
 * @module
 */

import { describeSize } from "./checks.ts";
import { CryptoError } from "./errors.ts";

/** The type byte of a serialized Curve25519 ("DJB") public key. */
export const DJB_KEY_TYPE = 0x05;

/**
 * Serializes a raw 32-byte Curve25519 public key as 0x05 || key (33 bytes).
 *
 * @throws {CryptoError} `bad_key` unless `publicKey32` is 32 bytes.
 * @example
 * ```ts
 * import { generateKeyPair, prefixPublicKey } from "./mod.ts";
 * prefixPublicKey(generateKeyPair().publicKey).length; // 33
 * ```
 */
export function prefixPublicKey(publicKey32: Uint8Array): Uint8Array {
  if (!(publicKey32 instanceof Uint8Array) || publicKey32.length !== 32) {
    throw new CryptoError(
      "bad_key",
      `raw Curve25519 public key must be 32 bytes, got ${describeSize(publicKey32)}`,
    );
  }
  const out = new Uint8Array(33);
  out[0] = DJB_KEY_TYPE;
  out.set(publicKey32, 1);
  return out;
}

/**
 * Returns the raw 32-byte key of a serialized public key: a 33-byte key starting with 0x05 yields a copy of
 * its last 32 bytes; a 32-byte key is taken as already raw and returned as is.
 *
 * @throws {CryptoError} `bad_key` for any other length or type byte.
 */
export function stripPublicKey(key: Uint8Array): Uint8Array {
  if (key instanceof Uint8Array) {
    if (key.length === 32) return key;
    if (key.length === 33) {
      // new Uint8Array(view) copies, and yields a plain Uint8Array even when `key` is a Buffer.
      if (key[0] === DJB_KEY_TYPE) return new Uint8Array(key.subarray(1));
      throw new CryptoError(
        "bad_key",
        `serialized public key must start with type byte 0x05, got 0x${key[0].toString(16).padStart(2, "0")}`,
      );
    }
  }
  throw new CryptoError(
    "bad_key",
    `public key must be 33 bytes (0x05 || key) or 32 raw bytes, got ${describeSize(key)}`,
  );
}
