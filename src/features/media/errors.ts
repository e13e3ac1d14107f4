/**
 * The one error class of the media feature.
 *
 * @module
 */

/**
 * Why a media operation failed.
 *
 * Integrity (decryption and download):
 * - `bad_key`: the media key is not 32 bytes.
 * - `truncated`: the encrypted blob is too short or not 16k + 10 bytes long.
 * - `too_large`: more bytes came than the declared length or the caller's limit allows.
 * - `bad_mac`: the 10-byte HMAC does not match (tampered data, or the wrong key or media type).
 * - `bad_enc_hash`: SHA-256 of the blob differs from the message's `fileEncSha256`.
 * - `bad_padding`: the MAC matched but the PKCS#7 padding is invalid (the sender encrypted wrongly).
 * - `bad_file_hash`: SHA-256 of the plaintext differs from the message's `fileSha256`.
 * - `bad_length`: the plaintext length differs from the message's `fileLength`.
 * - `source_changed`: a file or source being re-read for upload no longer gives the bytes first hashed.
 *
 * Transfer:
 * - `gone`: the server answered 404 or 410; the media expired (ask the phone to re-upload: media retry).
 * - `auth`: the server answered 401 or 403; refresh the `media_conn` credentials and retry once.
 * - `http`: another HTTP status on every host.
 * - `network`: the request failed before an answer (connection refused, TLS, reset).
 * - `bad_response`: an upload answer without `url`/`direct_path`, or not JSON.
 * - `no_hosts`: no host to try.
 * - `aborted`: the caller's signal fired.
 *
 * Other:
 * - `unsupported_type`: the media type has no key derivation (unencrypted) or no upload path.
 * - `bad_media_conn`: a `<media_conn>` answer lacks its `auth` or hosts.
 * - `bad_retry`: a media retry notification failed to decrypt, decode, or match its message.
 * - `retry_failed`: the sender's phone answered a media retry request that it cannot re-upload the media
 *   (not on the phone any more, the request did not decrypt, or another error); see `retryResult`.
 * - `timeout`: no answer to a media retry request came before the deadline.
 * - `bad_input`: an argument is out of range (a negative limit, a missing path).
 */
export type MediaErrorCode =
  | "bad_key"
  | "truncated"
  | "too_large"
  | "bad_mac"
  | "bad_enc_hash"
  | "bad_padding"
  | "bad_file_hash"
  | "bad_length"
  | "source_changed"
  | "gone"
  | "auth"
  | "http"
  | "network"
  | "bad_response"
  | "no_hosts"
  | "aborted"
  | "unsupported_type"
  | "bad_media_conn"
  | "bad_retry"
  | "retry_failed"
  | "timeout"
  | "bad_input";

/** Extra data a {@link MediaError} may carry. */
export interface MediaErrorOptions extends ErrorOptions {
  /** The HTTP status behind `gone`, `auth` and `http`. */
  status?: number;
  /** The host that gave the answer. */
  host?: string;
  /** Why the phone refused to re-upload (`retry_failed`): `not_found`, `decryption_error` or `general_error`. */
  retryResult?: "not_found" | "decryption_error" | "general_error";
}

/**
 * Thrown (or used to error a stream) by every media function.
 *
 * Callers branch on {@link MediaError.code}; the message says what was expected and what came.
 *
 * @example
 * ```ts
 * import { decryptMedia, encryptMedia, MediaError } from "./mod.ts";
 * const { encrypted, mediaKey } = encryptMedia(new Uint8Array([1, 2, 3]), "image");
 * encrypted[0] ^= 1;
 * try {
 *   decryptMedia(encrypted, "image", { mediaKey });
 * } catch (e) {
 *   if (e instanceof MediaError && e.code === "bad_mac") console.log("tampered");
 * }
 * ```
 */
export class MediaError extends Error {
  /** Machine-readable reason, stable across releases. */
  readonly code: MediaErrorCode;
  /** HTTP status for transfer errors. */
  readonly status?: number;
  /** Host that answered, for transfer errors. */
  readonly host?: string;
  /** Why the phone refused to re-upload, for `retry_failed`. */
  readonly retryResult?: "not_found" | "decryption_error" | "general_error";

  /**
   * Creates the error; `name` is always "MediaError".
   *
   * @param code machine-readable reason
   * @param message what was expected and what came
   * @param options `cause`, and the HTTP `status` and `host` of transfer errors
   */
  constructor(code: MediaErrorCode, message: string, options?: MediaErrorOptions) {
    super(message, options);
    this.name = "MediaError";
    this.code = code;
    if (options?.status !== undefined) this.status = options.status;
    if (options?.host !== undefined) this.host = options.host;
    if (options?.retryResult !== undefined) this.retryResult = options.retryResult;
  }
}
