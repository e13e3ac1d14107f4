/**
 * The WebSocket opening handshake, client side (RFC 6455 section 4.1): the upgrade request with a fresh
 * `Sec-WebSocket-Key` and the `Origin` header, and the checks on the server's answer (status 101,
 * `Upgrade: websocket`, `Connection: Upgrade`, the matching `Sec-WebSocket-Accept`, no extension or
 * subprotocol that was not asked for).
 *
 * @module
 */

import type { ResponseHead } from "./http_head.ts";

/** The GUID RFC 6455 section 1.3 appends to the key before hashing. */
export const WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** What the request needs. */
export interface UpgradeRequest {
  /** `host[:port]` for the Host header. */
  host: string;
  /** Path and query, starting with `/`. */
  path: string;
  /** The Origin header, when one is sent. */
  origin?: string;
  /** More header fields. */
  headers?: Record<string, string>;
  /** The base64 of 16 random bytes. */
  key: string;
}

/** A fresh `Sec-WebSocket-Key`: the base64 of 16 random bytes (RFC 6455 section 4.1, item 7). */
export function newWebSocketKey(): string {
  return crypto.getRandomValues(new Uint8Array(16)).toBase64();
}

/**
 * The request bytes.
 *
 * @example
 * ```ts
 * import { buildUpgradeRequest } from "./websocket_handshake.ts";
 * buildUpgradeRequest({ host: "127.0.0.1:8080", path: "/ws/chat", origin: "https://web.whatsapp.com", key: "dGhlIHNhbXBsZSBub25jZQ==" });
 * ```
 */
export function buildUpgradeRequest(request: UpgradeRequest): Uint8Array {
  const lines = [
    `GET ${request.path} HTTP/1.1`,
    `Host: ${request.host}`,
    "Upgrade: websocket",
    "Connection: Upgrade",
    `Sec-WebSocket-Key: ${request.key}`,
    "Sec-WebSocket-Version: 13",
  ];
  if (request.origin !== undefined) lines.push(`Origin: ${request.origin}`);
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) continue; // a header cannot smuggle another line in
    lines.push(`${name}: ${value}`);
  }
  return new TextEncoder().encode(`${lines.join("\r\n")}\r\n\r\n`);
}

/**
 * The `Sec-WebSocket-Accept` value for `key`: base64(SHA-1(key + GUID)).
 *
 * @example
 * ```ts
 * import { acceptFor } from "./websocket_handshake.ts";
 * // RFC 6455 section 1.3: "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
 * await acceptFor("dGhlIHNhbXBsZSBub25jZQ==");
 * ```
 */
export async function acceptFor(key: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(key + WEBSOCKET_GUID));
  return new Uint8Array(digest).toBase64();
}

/**
 * Checks the server's answer; returns what is wrong with it, or `undefined` when the upgrade succeeded.
 *
 * @example
 * ```ts
 * import { acceptFor, checkUpgradeResponse } from "./websocket_handshake.ts";
 * const key = "dGhlIHNhbXBsZSBub25jZQ==";
 * const headers = new Map([
 *   ["upgrade", "websocket"],
 *   ["connection", "Upgrade"],
 *   ["sec-websocket-accept", await acceptFor(key)],
 * ]);
 * await checkUpgradeResponse({ status: 101, statusText: "Switching Protocols", headers }, key); // undefined: fine
 * await checkUpgradeResponse({ status: 403, statusText: "Forbidden", headers: new Map() }, key);
 * // "expected status 101 Switching Protocols, got 403 Forbidden"
 * ```
 */
export async function checkUpgradeResponse(head: ResponseHead, key: string): Promise<string | undefined> {
  if (head.status !== 101) {
    return `expected status 101 Switching Protocols, got ${head.status} ${head.statusText}`.trimEnd();
  }
  const upgrade = head.headers.get("upgrade");
  if (upgrade?.toLowerCase() !== "websocket") return `expected Upgrade: websocket, got ${upgrade ?? "none"}`;
  const connection = head.headers.get("connection") ?? "";
  if (!connection.toLowerCase().split(",").some((token) => token.trim() === "upgrade")) {
    return `expected Connection: Upgrade, got ${connection || "none"}`;
  }
  const accept = head.headers.get("sec-websocket-accept");
  const expected = await acceptFor(key);
  if (accept !== expected) return `expected Sec-WebSocket-Accept ${expected}, got ${accept ?? "none"}`;
  const extensions = head.headers.get("sec-websocket-extensions");
  if (extensions) return `expected no extension (none was offered), got ${extensions}`;
  const protocol = head.headers.get("sec-websocket-protocol");
  if (protocol) return `expected no subprotocol (none was offered), got ${protocol}`;
  return undefined;
}
