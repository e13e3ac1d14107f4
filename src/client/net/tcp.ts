/**
 * Opening the byte stream under the WebSocket: TCP with no-delay set (Nagle's algorithm off, so a small
 * write does not wait for the peer's delayed ACK), through a proxy when one is given, then TLS over that
 * same connection with `Deno.startTls` (`Deno.connectTls` has no way to set no-delay).
 *
 * @module
 */

import { TransportError } from "./errors.ts";
import { httpConnect } from "./http_connect.ts";
import { describeProxy, hostPort, type ProxyConfig } from "./proxy_url.ts";
import { socks5Connect } from "./socks5.ts";

/** Options for {@linkcode dial}. */
export interface DialOptions {
  /** Target host name or IP literal (IPv6 without brackets). */
  hostname: string;
  /** Target port. */
  port: number;
  /** Whether to run TLS to the target (certificate checked against `hostname`). */
  tls?: boolean;
  /** Extra trusted roots (PEM) for TLS. */
  caCerts?: string[];
  /** The proxy to tunnel through. */
  proxy?: ProxyConfig;
  /** Cancels the dial; whatever was opened is closed. */
  signal?: AbortSignal;
}

/** A dialled connection: plain TCP or TLS over it. */
export type DialedConn = Deno.TcpConn | Deno.TlsConn;

/**
 * Connects to the target (through the proxy, when given) with no-delay set, and runs TLS when asked.
 *
 * @throws {TransportError} `connect_failed`, `proxy_unreachable`, `proxy_auth`, `proxy_refused`,
 * `proxy_protocol` or `tls`; the abort reason when `signal` aborts first.
 * @example
 * ```ts
 * import { dial } from "./tcp.ts";
 * export async function example() {
 *   const conn = await dial({ hostname: "web.whatsapp.com", port: 443, tls: true });
 *   conn.close();
 * }
 * ```
 */
export async function dial(options: DialOptions): Promise<DialedConn> {
  const { signal, proxy } = options;
  signal?.throwIfAborted();
  const target = hostPort(options.hostname, options.port);
  const proxyName = proxy ? describeProxy(proxy) : undefined;
  let tcp: Deno.TcpConn;
  try {
    tcp = await connectAbortable(proxy?.hostname ?? options.hostname, proxy?.port ?? options.port, signal);
  } catch (e) {
    signal?.throwIfAborted();
    if (proxyName) {
      throw new TransportError("proxy_unreachable", `could not reach proxy ${proxyName}: ${messageOf(e)}`, {
        cause: e,
        proxy: proxyName,
      });
    }
    throw new TransportError("connect_failed", `could not connect to ${target}: ${messageOf(e)}`, {
      cause: e,
    });
  }
  let conn: DialedConn = tcp;
  // Reads and writes below do not take a signal; closing the connection makes them fail at once.
  const onAbort = () => conn.close();
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    tcp.setNoDelay(true);
    if (proxy) {
      try {
        if (proxy.protocol === "http") await httpConnect(tcp, proxy, options.hostname, options.port);
        else await socks5Connect(tcp, proxy, options.hostname, options.port);
      } catch (e) {
        if (e instanceof TransportError || signal?.aborted) throw e;
        throw new TransportError("proxy_refused", `proxy ${proxyName} failed: ${messageOf(e)}`, {
          cause: e,
          proxy: proxyName,
        });
      }
    }
    if (options.tls) {
      const tls = await Deno.startTls(tcp, { hostname: options.hostname, caCerts: options.caCerts });
      conn = tls;
      try {
        await tls.handshake();
      } catch (e) {
        signal?.throwIfAborted();
        // InvalidData is a certificate or protocol problem; anything else (a reset) may pass.
        const code = e instanceof Deno.errors.InvalidData ? "tls" : "connect_failed";
        throw new TransportError(code, `TLS to ${target} failed: ${messageOf(e)}`, {
          cause: e,
          ...(proxyName ? { proxy: proxyName } : {}),
        });
      }
    }
    signal?.removeEventListener("abort", onAbort);
    return conn;
  } catch (e) {
    signal?.removeEventListener("abort", onAbort);
    closeQuietly(conn);
    signal?.throwIfAborted();
    throw e;
  }
}

/**
 * `Deno.connect` that gives up when `signal` aborts. Its own `signal` option is not used: that one also
 * closes the connection when the signal aborts later, and the caller's deadline covers the opening only.
 */
function connectAbortable(hostname: string, port: number, signal?: AbortSignal): Promise<Deno.TcpConn> {
  const connecting = Deno.connect({ hostname, port });
  if (!signal) return connecting;
  const { promise, resolve, reject } = Promise.withResolvers<Deno.TcpConn>();
  const onAbort = () => reject(signal.reason);
  signal.addEventListener("abort", onAbort, { once: true });
  connecting.then((conn) => {
    signal.removeEventListener("abort", onAbort);
    if (signal.aborted) closeQuietly(conn);
    else resolve(conn);
  }, (e) => {
    signal.removeEventListener("abort", onAbort);
    reject(e);
  });
  return promise;
}

/** Closes a connection that may already be closed. */
export function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch (e) {
    // Only "already closed" can happen here; any other failure would be a Deno bug worth seeing.
    if (!(e instanceof Deno.errors.BadResource)) throw e;
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
