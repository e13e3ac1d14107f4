/**
 * The one error class of the crypto layer.
 *
 * @module
 */

/**
 * Why a crypto primitive refused its input or its result.
 *
 * - `bad_key`: a key has the wrong length, type byte or shape.
 * - `bad_length`: an IV, ciphertext, output length or other size is out of range.
 * - `bad_padding`: CBC plaintext did not end in valid PKCS#7 padding.
 * - `auth_failed`: an AEAD tag did not match (wrong key, tampered data or AAD).
 * - `bad_signature_input`: a signing input (message, randomness) is malformed.
 * - `low_order_point`: an X25519 peer key is a low-order point (the shared secret would be all zero).
 */
export type CryptoErrorCode =
  | "bad_key"
  | "bad_length"
  | "bad_padding"
  | "auth_failed"
  | "bad_signature_input"
  | "low_order_point";

/**
 * Thrown by every function of the crypto layer when an input is unusable or a check fails.
 *
 * Callers branch on {@link CryptoError.code}; the message says what was expected and what came.
 *
 * @example
 * ```ts
 * import { aesGcmDecrypt, CryptoError } from "./mod.ts";
 * try {
 *   aesGcmDecrypt(new Uint8Array(32), new Uint8Array(12), new Uint8Array(16));
 * } catch (e) {
 *   if (e instanceof CryptoError && e.code === "auth_failed") console.log("tampered");
 * }
 * ```
 */
export class CryptoError extends Error {
  /** Machine-readable reason, stable across releases. */
  readonly code: CryptoErrorCode;

  /**
   * Creates the error; `name` is always "CryptoError".
   *
   * @param code machine-readable reason
   * @param message what was expected and what came
   * @param options standard error options; `cause` keeps the backend's original error
   */
  constructor(code: CryptoErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CryptoError";
    this.code = code;
  }
}
