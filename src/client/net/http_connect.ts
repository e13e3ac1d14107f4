/**
 * An HTTP CONNECT tunnel (RFC 9110 section 9.3.6): ask the proxy to open a TCP connection to
 * `host:port`, with Basic credentials (RFC 7617) when the proxy URL has them. After a 2xx answer the
 * connection carries the target's bytes.
 *
 * @module
 */

import { ConnReader, ConnReaderError } from "./conn_reader.ts";
import { TransportError } from "./errors.ts";
import { HEAD_END, MAX_HEAD_BYTES, parseResponseHead } from "./http_head.ts";
import { describeProxy, hostPort, type ProxyConfig } from "./proxy_url.ts";

/** What a tunnel needs of a connection. */
export interface TunnelConn {
  /** Reads into `buffer`; `null` at end of stream. */
  read(buffer: Uint8Array): Promise<number | null>;
  /** Writes some of `data`, resolving with how much. */
  write(data: Uint8Array): Promise<number>;
}

/**
 * Sends CONNECT over `conn` (already connected to the proxy) and reads the answer.
 *
 * @throws {TransportError} `proxy_auth` on 407, `proxy_refused` on any other non-2xx status,
 * `proxy_protocol` when the answer is not HTTP or the proxy sent bytes past its head.
 * @example
 * ```ts
 * import { httpConnect } from "./http_connect.ts";
 * import { parseProxyUrl } from "./proxy_url.ts";
 * export async function example() {
 *   const conn = await Deno.connect({ hostname: "127.0.0.1", port: 3128 });
 *   await httpConnect(conn, parseProxyUrl("http://127.0.0.1:3128"), "web.whatsapp.com", 443);
 *   return conn; // now a tunnel to web.whatsapp.com:443
 * }
 * ```
 */
export async function httpConnect(
  conn: TunnelConn,
  proxy: ProxyConfig,
  hostname: string,
  port: number,
): Promise<void> {
  const name = describeProxy(proxy);
  const target = hostPort(hostname, port);
  let request = `CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n`;
  if (proxy.username !== undefined) {
    const token = new TextEncoder().encode(`${proxy.username}:${proxy.password ?? ""}`).toBase64();
    request += `Proxy-Authorization: Basic ${token}\r\n`;
  }
  await writeAll(conn, new TextEncoder().encode(`${request}\r\n`));
  const reader = new ConnReader(conn);
  let headBytes: Uint8Array;
  try {
    headBytes = await reader.readUntil(HEAD_END, MAX_HEAD_BYTES);
  } catch (e) {
    if (!(e instanceof ConnReaderError)) throw e;
    const code = e.kind === "eof" ? "proxy_refused" : "proxy_protocol";
    throw new TransportError(code, `proxy ${name} did not answer CONNECT ${target}: ${e.message}`, {
      proxy: name,
    });
  }
  const head = parseResponseHead(headBytes);
  if (typeof head === "string") {
    throw new TransportError("proxy_protocol", `proxy ${name} answered CONNECT ${target} badly: ${head}`, {
      proxy: name,
    });
  }
  if (head.status === 407) {
    const what = proxy.username === undefined ? "asked for credentials" : "rejected the credentials";
    throw new TransportError("proxy_auth", `proxy ${name} ${what} (407 ${head.statusText})`, { proxy: name });
  }
  if (head.status < 200 || head.status > 299) {
    throw new TransportError(
      "proxy_refused",
      `proxy ${name} refused CONNECT ${target}: expected status 200, got ${head.status} ${head.statusText}`,
      { proxy: name },
    );
  }
  // The target speaks only after we do, so early bytes can only be the proxy's, and we cannot use them.
  if (reader.rest().length > 0) {
    throw new TransportError("proxy_protocol", `proxy ${name} sent data before the tunnel was used`, {
      proxy: name,
    });
  }
}

/** Writes every byte of `data` (a connection write may take only part of it). */
export async function writeAll(conn: Pick<TunnelConn, "write">, data: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < data.length) offset += await conn.write(data.subarray(offset));
}
