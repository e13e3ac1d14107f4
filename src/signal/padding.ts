/**
 * WhatsApp's plaintext padding, the one place it is added and removed. Before a message protobuf is
 * Signal-encrypted (1:1 or group), WhatsApp appends 1 to 16 random-length bytes, each equal to the padding
 * length; the receiver strips them after decrypting. The Signal functions themselves encrypt exactly the
 * bytes they are given, so the client calls these around them.
 *
 * @module
 */

import { randomBytes } from "../crypto/mod.ts";
import { SignalError } from "./errors.ts";

/**
 * Appends WhatsApp padding: n bytes of value n, n uniform in 1..16.
 *
 * @param padLength a fixed length 1..16 instead of a random one (tests only).
 * @throws {SignalError} `invalid_argument` for a `padLength` outside 1..16.
 * @example
 * ```ts
 * import { padMessage, unpadMessage } from "./mod.ts";
 * const padded = padMessage(new Uint8Array([0x0a, 0x02, 0x68, 0x69]));
 * unpadMessage(padded); // the four bytes again
 * ```
 */
export function padMessage(plaintext: Uint8Array, padLength?: number): Uint8Array {
  const n = padLength ?? (randomBytes(1)[0] & 0x0f) + 1;
  if (!Number.isInteger(n) || n < 1 || n > 16) {
    throw new SignalError("invalid_argument", `padding length must be 1..16, got ${n}`);
  }
  const out = new Uint8Array(plaintext.length + n);
  out.set(plaintext);
  out.fill(n, plaintext.length);
  return out;
}

/**
 * Removes WhatsApp padding after decryption, checking it: the last byte n must be at least 1, at most the
 * length, and the last n bytes must all equal n. Larger n than 16 are accepted when well formed, since
 * other clients' senders differ in their range. Returns a view into `padded`.
 *
 * @throws {SignalError} `invalid_padding` when the padding is missing or malformed.
 */
export function unpadMessage(padded: Uint8Array): Uint8Array {
  const len = padded.length;
  if (len === 0) {
    throw new SignalError("invalid_padding", "padded plaintext is empty; expected at least 1 padding byte");
  }
  const n = padded[len - 1];
  if (n === 0 || n > len) {
    throw new SignalError(
      "invalid_padding",
      `padding length byte is ${n}, expected 1..${Math.min(len, 255)}`,
    );
  }
  for (let i = len - n; i < len - 1; i++) {
    if (padded[i] !== n) {
      throw new SignalError(
        "invalid_padding",
        `padding byte at ${i} is ${padded[i]}, expected ${n} like the last ${n} bytes`,
      );
    }
  }
  return padded.subarray(0, len - n);
}
