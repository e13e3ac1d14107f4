/**
 * Cryptographically secure random bytes.
 *
 * @module
 */

import { CryptoError } from "./errors.ts";

// getRandomValues refuses more than 65536 bytes per call.
const MAX_CHUNK = 65536;

/**
 * Returns `length` bytes from the platform CSPRNG (`crypto.getRandomValues`).
 *
 * @throws {CryptoError} `bad_length` when `length` is not a non-negative integer.
 * @example
 * ```ts
 * const iv = randomBytes(12);
 * ```
 */
export function randomBytes(length: number): Uint8Array {
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new CryptoError("bad_length", `random length must be a non-negative integer, got ${length}`);
  }
  const out = new Uint8Array(length);
  for (let offset = 0; offset < length; offset += MAX_CHUNK) {
    crypto.getRandomValues(out.subarray(offset, Math.min(offset + MAX_CHUNK, length)));
  }
  return out;
}
