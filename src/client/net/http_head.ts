/**
 * The HTTP/1.1 response heads this layer reads itself (RFC 9112 section 4): a proxy's answer to CONNECT
 * and the server's answer to the WebSocket upgrade. Only the status line and header fields; a body is never
 * read.
 *
 * @module
 */

/** A parsed response head. */
export interface ResponseHead {
  /** The status code. */
  status: number;
  /** The reason phrase (may be empty). */
  statusText: string;
  /** Header fields by lower-case name; repeated fields joined with `, ` (RFC 9110 section 5.3). */
  headers: Map<string, string>;
}

/** The end of a head: an empty line. */
export const HEAD_END: Uint8Array = new TextEncoder().encode("\r\n\r\n");

/** How long a response head may be; real proxies and servers send a few hundred bytes. */
export const MAX_HEAD_BYTES = 16 * 1024;

const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/;
const FIELD = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*(.*?)[ \t]*$/;

/**
 * Parses a head that ends with an empty line. Returns a description of the first problem instead of a
 * head when it is not HTTP/1.x.
 *
 * @example
 * ```ts
 * import { parseResponseHead } from "./http_head.ts";
 * const head = parseResponseHead(new TextEncoder().encode("HTTP/1.1 200 OK\r\nVia: x\r\n\r\n"));
 * if (typeof head !== "string") head.status; // 200
 * ```
 */
export function parseResponseHead(bytes: Uint8Array): ResponseHead | string {
  // latin1: header bytes outside ASCII are opaque (RFC 9110 section 5.5), never a decoding failure.
  const text = new TextDecoder("latin1").decode(bytes);
  const lines = text.split("\r\n");
  const status = STATUS_LINE.exec(lines[0]);
  if (!status) return `expected an HTTP/1.1 status line, got ${JSON.stringify(lines[0].slice(0, 80))}`;
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    if (line === "") continue;
    const field = FIELD.exec(line);
    if (!field) return `expected a header field, got ${JSON.stringify(line.slice(0, 80))}`;
    const name = field[1].toLowerCase();
    const previous = headers.get(name);
    headers.set(name, previous === undefined ? field[2] : `${previous}, ${field[2]}`);
  }
  return { status: Number(status[1]), statusText: status[2] ?? "", headers };
}
