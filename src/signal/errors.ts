/**
 * The one error class of the Signal layer.
 *
 * @module
 */

/**
 * Why a Signal operation refused a message, a key or a store state.
 *
 * - `untrusted_identity`: the peer's identity key differs from the one stored for the address
 *   ({@link SignalError.identityKey} holds the new key). The caller decides; `saveIdentity` accepts it.
 * - `bad_mac`: the message MAC does not verify under any session state (tampered, or a session mismatch).
 * - `duplicate`: the message key for this counter was already used (a replay or a redelivery).
 * - `invalid_message`: the bytes are not a well-formed message (truncated, missing fields, bad padding).
 * - `invalid_version`: the version byte is not 0x33 (message version 3).
 * - `invalid_key`: a public key is not 33 bytes with type 0x05 (or 32 raw bytes where allowed).
 * - `invalid_signature`: a signed prekey or sender-key message signature does not verify.
 * - `invalid_prekey_id`: a prekey message names a one-time prekey this device does not have.
 * - `invalid_signed_prekey_id`: a prekey message names a signed prekey this device does not have.
 * - `no_session`: there is no session with the address.
 * - `too_far_future`: the message counter is more than 25,000 ahead of the chain.
 * - `no_sender_key`: there is no sender key (state) for the group sender and key id.
 * - `invalid_padding`: the WhatsApp plaintext padding is missing or malformed.
 * - `invalid_record`: a stored record does not decode or lacks a field the protocol needs.
 * - `invalid_argument`: a caller passed a value outside its documented range.
 */
export type SignalErrorCode =
  | "untrusted_identity"
  | "bad_mac"
  | "duplicate"
  | "invalid_message"
  | "invalid_version"
  | "invalid_key"
  | "invalid_signature"
  | "invalid_prekey_id"
  | "invalid_signed_prekey_id"
  | "no_session"
  | "too_far_future"
  | "no_sender_key"
  | "invalid_padding"
  | "invalid_record"
  | "invalid_argument";

/** Extra data carried by a {@link SignalError}. */
export interface SignalErrorOptions extends ErrorOptions {
  /** The address (or sender key name) the operation was for. */
  address?: string;
  /** For `untrusted_identity`: the peer's new 32-byte identity key. */
  identityKey?: Uint8Array;
}

/**
 * Thrown by every Signal operation that refuses its input. Branch on {@link SignalError.code}.
 *
 * @example
 * ```ts
 * import { decryptMessage, SignalError } from "./mod.ts";
 * import type { SignalContext } from "./mod.ts";
 * async function receive(ctx: SignalContext, from: string, bytes: Uint8Array) {
 *   try {
 *     return await decryptMessage(ctx, from, "msg", bytes);
 *   } catch (e) {
 *     if (e instanceof SignalError && e.code === "duplicate") return undefined; // already handled
 *     throw e;
 *   }
 * }
 * ```
 */
export class SignalError extends Error {
  /** Machine-readable reason, stable across releases. */
  readonly code: SignalErrorCode;
  /** The address (or sender key name) the operation was for, when known. */
  readonly address: string | undefined;
  /** For `untrusted_identity`: the new 32-byte identity key the peer presented. */
  readonly identityKey: Uint8Array | undefined;

  /**
   * Creates the error; `name` is always "SignalError".
   *
   * @param code machine-readable reason
   * @param message what was expected and what came
   * @param options the address, the offending identity key, and a `cause`
   */
  constructor(code: SignalErrorCode, message: string, options?: SignalErrorOptions) {
    super(options?.address === undefined ? message : `${message} (${options.address})`, options);
    this.name = "SignalError";
    this.code = code;
    this.address = options?.address;
    this.identityKey = options?.identityKey;
  }
}
