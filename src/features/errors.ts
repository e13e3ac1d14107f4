/**
 * The client's errors, in one place. Each has a `code` from a closed union (branch on it), a message that
 * says what was expected and what came, and, where the server gave one, its numeric `status`:
 *
 * - {@linkcode ConnectionError}: the connection cannot do what was asked, or the client stopped (not
 *   connected, logged out, replaced, refused, a certificate that does not verify, a missing permission).
 *   "Not connected" is this error wherever it happens: a send, an IQ, a feature call.
 * - {@linkcode IqError}: a request the server answered with an error, or did not answer in time. The
 *   message names the operation and what it was about ("group info for 1203…@g.us: item-not-found (404)").
 * - {@linkcode SendError}: a message could not be sent.
 * - {@linkcode DecryptError}: a received message could not be read (the `undecryptableMessage` event).
 * - {@linkcode InputError}: a caller passed something the library cannot use (a malformed JID, an empty
 *   message id), with a hint at the right form.
 *
 * The lower layers keep their own errors (`BinaryDecodeError`, `NoiseError`, `SignalError`, `StoreError`);
 * they appear here as a `cause`.
 *
 * @module
 */

/** Why a connection-level operation failed or the client stopped. */
export type ConnectionErrorCode =
  | "not_connected"
  | "not_paired"
  | "disconnected"
  | "aborted"
  | "logged_out"
  | "stream_replaced"
  | "stream_error"
  | "connect_failure"
  | "temporary_ban"
  | "client_outdated"
  | "pair_error"
  | "qr_expired"
  | "certificate"
  | "handshake_failed"
  | "transport"
  | "permission_denied";

/**
 * The connection cannot do what was asked, or the client stopped for good (what `connect()` rejects with).
 *
 * @example
 * ```ts
 * import { ConnectionError } from "@wadeno/client";
 * const e = new ConnectionError("not_connected", "cannot send <message>: not connected");
 * console.log(e.code); // "not_connected"
 * ```
 */
export class ConnectionError extends Error {
  /** What went wrong. */
  readonly code: ConnectionErrorCode;
  /** The server's numeric reason (stream error code, failure reason, ban code), when there was one. */
  readonly status?: number;
  /** Creates the error. */
  constructor(code: ConnectionErrorCode, message: string, status?: number, options?: ErrorOptions) {
    super(message, options);
    this.name = "ConnectionError";
    this.code = code;
    this.status = status;
  }
}

/** The error thrown wherever something needs a live connection and there is none. */
export function notConnected(what: string): ConnectionError {
  return new ConnectionError("not_connected", `cannot ${what}: the client is not connected`);
}

/** Why an IQ failed. */
export type IqErrorCode = "server" | "timeout" | "disconnected" | "aborted" | "bad_response";

/** Details of an {@linkcode IqError}. */
export interface IqErrorDetails {
  /** What the request did (`group info`, `prekey upload`). */
  operation?: string;
  /** What it was about (a JID), when it was about something. */
  about?: string;
  /** The server's error code. */
  status?: number;
  /** The server's error text. */
  text?: string;
  /** The `<iq type="error">` (or unexpected) response. */
  node?: unknown;
}

/**
 * An IQ failed: the server answered `type="error"` (`code` `server`, with its `status` and `text`), no
 * answer came in time (`timeout`), the connection closed first (`disconnected`), the caller's signal
 * aborted (`aborted`), or the answer lacked what the request expects (`bad_response`).
 *
 * @example
 * ```ts
 * import { IqError } from "@wadeno/client";
 * const e = new IqError("server", { operation: "group info", about: "120363@g.us", status: 404, text: "item-not-found" });
 * console.log(e.message); // "group info for 120363@g.us: item-not-found (404)"
 * ```
 */
export class IqError extends Error {
  /** Which way it failed. */
  readonly code: IqErrorCode;
  /** The operation, e.g. `group info`. */
  readonly operation: string;
  /** What the request was about, when it was about something. */
  readonly about?: string;
  /** The server's error code (0 when the failure was local). */
  readonly status: number;
  /** The server's error text (empty when local). */
  readonly text: string;
  /** The response node, when there was one (a binary `Node`). */
  readonly node?: unknown;

  /** Creates the error; the message is built from the details unless `message` is given. */
  constructor(code: IqErrorCode, details: IqErrorDetails = {}, message?: string, options?: ErrorOptions) {
    const operation = details.operation ?? "IQ";
    const subject = details.about ? `${operation} for ${details.about}` : operation;
    super(message ?? `${subject}: ${describeIqFailure(code, details)}`, options);
    this.name = "IqError";
    this.code = code;
    this.operation = operation;
    this.about = details.about;
    this.status = details.status ?? 0;
    this.text = details.text ?? "";
    this.node = details.node;
  }
}

function describeIqFailure(code: IqErrorCode, d: IqErrorDetails): string {
  switch (code) {
    case "server":
      return `${d.text || "error"} (${d.status ?? 0})`;
    case "timeout":
      return "no answer in time";
    case "disconnected":
      return "the connection closed before the answer came";
    case "aborted":
      return "cancelled";
    case "bad_response":
      return d.text ? `unexpected answer: ${d.text}` : "unexpected answer";
  }
}

/** Why a message could not be sent. */
export type SendErrorCode =
  | "not_paired"
  | "no_devices"
  | "encryption_failed"
  | "server_refused"
  | "ack_timeout"
  | "aborted"
  | "disconnected"
  | "not_supported"
  | "invalid_input";

/**
 * A message could not be sent. `status` is the server's error code when it refused the message (`code`
 * `server_refused`), 404 for `no_devices`.
 *
 * @example
 * ```ts
 * import { SendError } from "@wadeno/client";
 * const e = new SendError("not_supported", "sending to newsletters is not supported yet");
 * console.log(e.code); // "not_supported"
 * ```
 */
export class SendError extends Error {
  /** What went wrong. */
  readonly code: SendErrorCode;
  /** The server's error code, or 0 for a local failure. */
  readonly status: number;
  /** Creates the error. */
  constructor(code: SendErrorCode, message: string, status = 0, options?: ErrorOptions) {
    super(message, options);
    this.name = "SendError";
    this.code = code;
    this.status = status;
  }
}

/** Why a received message could not be read. */
export type DecryptErrorCode =
  | "no_session"
  | "bad_mac"
  | "untrusted_identity"
  | "invalid_message"
  | "invalid_prekey_id"
  | "no_sender_key"
  | "unsupported_type"
  | "no_content"
  | "unavailable"
  | "bad_plaintext"
  | "internal";

/** Signal error codes as decrypt error codes (everything else is `invalid_message`). */
const SIGNAL_CODES: Readonly<Record<string, DecryptErrorCode>> = {
  no_session: "no_session",
  bad_mac: "bad_mac",
  untrusted_identity: "untrusted_identity",
  invalid_prekey_id: "invalid_prekey_id",
  invalid_signed_prekey_id: "invalid_prekey_id",
  no_sender_key: "no_sender_key",
};

/**
 * A received message could not be decrypted or decoded (the `error` of an `undecryptableMessage` event).
 * A `SignalError` behind it is the `cause`.
 *
 * @example
 * ```ts
 * import { DecryptError } from "@wadeno/client";
 * const e = new DecryptError("unsupported_type", "<enc type=\"msmsg\"> is not supported");
 * console.log(e.code); // "unsupported_type"
 * ```
 */
export class DecryptError extends Error {
  /** What went wrong. */
  readonly code: DecryptErrorCode;
  /** Creates the error. */
  constructor(code: DecryptErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "DecryptError";
    this.code = code;
  }

  /** Wraps a failure of the Signal layer (or anything else thrown while decrypting). */
  static from(error: unknown, context: string): DecryptError {
    if (error instanceof DecryptError) return error;
    const signalCode = (error as { name?: string; code?: string })?.name === "SignalError"
      ? (error as { code: string }).code
      : undefined;
    const code = signalCode ? SIGNAL_CODES[signalCode] ?? "invalid_message" : "internal";
    const text = error instanceof Error ? error.message : String(error);
    return new DecryptError(code, `${context}: ${text}`, { cause: error });
  }
}

/** What was wrong with an argument. */
export type InputErrorCode = "invalid_jid" | "invalid_argument";

/**
 * A caller passed something the library cannot use. The message names the argument and, where it can,
 * the right form.
 *
 * @example
 * ```ts
 * import { InputError } from "@wadeno/client";
 * const e = new InputError("invalid_jid", "to", `"15551234567" is a phone number, not a JID; use "15551234567@s.whatsapp.net"`);
 * console.log(e.argument); // "to"
 * ```
 */
export class InputError extends Error {
  /** What was wrong. */
  readonly code: InputErrorCode;
  /** The argument's name. */
  readonly argument: string;
  /** Creates the error. */
  constructor(code: InputErrorCode, argument: string, message: string, options?: ErrorOptions) {
    super(`${argument}: ${message}`, options);
    this.name = "InputError";
    this.code = code;
    this.argument = argument;
  }
}
