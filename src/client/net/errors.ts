/**
 * The one error type of the transport layer: {@linkcode TransportError} with a `code` that says which step
 * failed, so a caller can tell a proxy that refused from a server that broke the WebSocket protocol.
 *
 * @module
 */

/**
 * What went wrong, by step:
 * - `bad_url`: a socket or proxy URL that cannot be used (wrong scheme, no host, bad port);
 * - `connect_failed`: the server's TCP port could not be reached;
 * - `proxy_unreachable`: the proxy's TCP port could not be reached;
 * - `proxy_auth`: the proxy wants credentials, or rejected the ones given;
 * - `proxy_refused`: the proxy would not open the tunnel (an HTTP status other than 200, a SOCKS5 reply
 *   other than success);
 * - `proxy_protocol`: the proxy's answer was not HTTP or SOCKS5 as expected;
 * - `tls`: the TLS handshake failed (an untrusted or mismatched certificate, a peer that is not TLS);
 * - `handshake`: the WebSocket upgrade was refused or its response was wrong;
 * - `ws_protocol`: the server broke RFC 6455 after the upgrade (a masked frame, a bad opcode, a close in
 *   the middle of a fragmented message, ...);
 * - `frame_too_large`: a frame or message longer than the configured bound;
 * - `send_buffer_full`: more bytes queued for sending than the bound, because the peer stopped reading;
 * - `closed`: the transport was used after it closed.
 */
export type TransportErrorCode = TransportError["code"];

/** Codes that will not get better by trying again with the same settings. */
const PERMANENT: ReadonlySet<TransportErrorCode> = new Set(["bad_url", "proxy_auth", "tls"]);

/** Extra data for a {@linkcode TransportError}. */
export interface TransportErrorOptions extends ErrorOptions {
  /** The proxy involved, as `scheme://host:port` (never with credentials). */
  proxy?: string;
}

/**
 * A transport failed to open, broke, or was used after it closed.
 *
 * @example
 * ```ts
 * import { TransportError } from "@wadeno/client";
 * const e = new TransportError("proxy_auth", "proxy http://127.0.0.1:3128 asked for credentials (407)", {
 *   proxy: "http://127.0.0.1:3128",
 * });
 * e.code; // "proxy_auth"
 * e.retryable; // false
 * ```
 */
export class TransportError extends Error {
  /**
   * Which step failed (see {@linkcode TransportErrorCode}). Spelled out here so the class documents
   * itself wherever it is re-exported.
   */
  readonly code:
    | "bad_url"
    | "connect_failed"
    | "proxy_unreachable"
    | "proxy_auth"
    | "proxy_refused"
    | "proxy_protocol"
    | "tls"
    | "handshake"
    | "ws_protocol"
    | "frame_too_large"
    | "send_buffer_full"
    | "closed";
  /** The proxy involved, as `scheme://host:port` without credentials, when there was one. */
  readonly proxy?: string;

  /** Creates the error; `message` says what was expected and what came. */
  constructor(code: TransportError["code"], message: string, options?: TransportErrorOptions) {
    super(message, options);
    this.name = "TransportError";
    this.code = code;
    if (options?.proxy !== undefined) this.proxy = options.proxy;
  }

  /**
   * Whether reconnecting with the same settings can succeed. False for a bad URL, rejected proxy
   * credentials and a TLS failure: a reconnect loop should stop and report these.
   */
  get retryable(): boolean {
    return !PERMANENT.has(this.code);
  }
}
