/**
 * The one error class of the Noise layer.
 *
 * @module
 */

/**
 * Which check failed. Handshake and certificate codes name the protocol step; frame codes the socket step.
 *
 * - `bad_handshake_message`: a handshake frame is not a `HandshakeMessage`, or carries another step than
 *   the one expected.
 * - `missing_client_hello_field`, `missing_server_hello_field`, `missing_client_finish_field`: a required
 *   field of that step is absent or has the wrong size.
 * - `bad_static_key`: a decrypted static key is not 32 bytes.
 * - `low_order_key`: a peer key is a low-order Curve25519 point (the shared secret would be all zero).
 * - `decrypt_failed`: an encrypted handshake field failed AES-GCM authentication (tampered or truncated).
 * - `handshake_state`: a handshake method was called out of order, or after a failure.
 * - `handshake_aborted`: the `AbortSignal` of a handshake driver fired (e.g. its timeout).
 * - `cert_chain_parse`: the server's certificate chain is not a well-formed `CertChain`.
 * - `cert_intermediate_signature`: the intermediate certificate is not signed by the trusted root.
 * - `cert_intermediate_key`: the intermediate certificate's key is not 32 bytes.
 * - `cert_leaf_signature`: the leaf certificate is not signed by the intermediate's key.
 * - `cert_issuer_mismatch`: an issuer serial does not name the issuer (root serial 0, intermediate serial).
 * - `cert_key_mismatch`: the leaf's key is not the server static key of this handshake.
 * - `cert_expired`, `cert_not_yet_valid`: a certificate's validity window does not contain now.
 * - `bad_intro`: the connection does not start with the WhatsApp header (optionally after edge routing).
 * - `routing_info_too_large`: edge-routing info does not fit its 3-byte length.
 * - `frame_too_large`: a frame is longer than the frame limit.
 * - `frame_auth_failed`: a transport frame failed AES-GCM authentication; the socket is closed.
 * - `counter_exhausted`: a cipher used all 2^32 - 1 nonces of its key.
 * - `closed`: the socket or connection is closed (or was closed by an earlier failure).
 */
export type NoiseErrorCode =
  | "bad_handshake_message"
  | "missing_client_hello_field"
  | "missing_server_hello_field"
  | "missing_client_finish_field"
  | "bad_static_key"
  | "low_order_key"
  | "decrypt_failed"
  | "handshake_state"
  | "handshake_aborted"
  | "cert_chain_parse"
  | "cert_intermediate_signature"
  | "cert_intermediate_key"
  | "cert_leaf_signature"
  | "cert_issuer_mismatch"
  | "cert_key_mismatch"
  | "cert_expired"
  | "cert_not_yet_valid"
  | "bad_intro"
  | "routing_info_too_large"
  | "frame_too_large"
  | "frame_auth_failed"
  | "counter_exhausted"
  | "closed";

/**
 * A Noise handshake, certificate, framing or transport check failed. `code` names the check; the message
 * says what was expected and what came. Nothing in this layer retries with weaker checks.
 *
 * @example
 * ```ts
 * import { NoiseError } from "./errors.ts";
 * try {
 *   throw new NoiseError("cert_expired", "leaf certificate expired at 2024-01-01T00:00:00.000Z");
 * } catch (e) {
 *   if (e instanceof NoiseError && e.code === "cert_expired") console.log("server certificate expired");
 * }
 * ```
 */
export class NoiseError extends Error {
  /** The check that failed. */
  readonly code: NoiseErrorCode;

  /** Creates the error; `options.cause` carries the underlying error, when there is one. */
  constructor(code: NoiseErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "NoiseError";
    this.code = code;
  }
}
