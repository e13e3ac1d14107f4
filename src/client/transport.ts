/**
 * The byte pipe under the Noise socket: a {@linkcode Transport} carries raw bytes (frames are built by
 * the Noise layer), and a {@linkcode TransportFactory} opens one.
 *
 * - {@linkcode tcpWebSocketTransport}: this library's own WebSocket client over `Deno.connect` with
 *   no-delay set (and `Deno.startTls` for `wss://`), through an HTTP CONNECT or SOCKS5 proxy when asked,
 *   with every frame of a turn in one socket write.
 * - {@linkcode webSocketTransport}: Deno's built-in `WebSocket` (no-delay stays off, so a small write right
 *   after another waits for the peer's delayed ACK).
 * - {@linkcode memoryTransportPair}: two ends in memory, for tests.
 *
 * @module
 */

import { TransportError } from "./net/errors.ts";
import { createHttpClient } from "./net/http_client.ts";
import { parseProxyUrl, type ProxyConfig } from "./net/proxy_url.ts";
import { parseSocketUrl, WebSocketClient } from "./net/websocket_client.ts";

export { TransportError, type TransportErrorCode } from "./net/errors.ts";
export { parseProxyUrl, type ProxyConfig, type ProxyProtocol } from "./net/proxy_url.ts";
export { createHttpClient, httpClientOptions, type HttpNetOptions } from "./net/http_client.ts";

/** WhatsApp Web's chat socket. */
export const WHATSAPP_WEB_SOCKET_URL = "wss://web.whatsapp.com/ws/chat";
/** The Origin header WhatsApp Web sends. */
export const WHATSAPP_WEB_ORIGIN = "https://web.whatsapp.com";

/** Why a transport closed. */
export interface TransportCloseInfo {
  /** WebSocket close code, when there was one. */
  code?: number;
  /** Close reason text, when there was one. */
  reason?: string;
  /** The error that closed it, when it failed rather than closed cleanly. */
  error?: unknown;
}

/** Callbacks a transport calls; `onData` chunks arrive in order and may split or join frames. */
export interface TransportHandlers {
  /** Bytes received. The chunk is owned by the receiver. */
  onData(chunk: Uint8Array): void;
  /** The connection ended (called exactly once). */
  onClose(info: TransportCloseInfo): void;
}

/** An open connection. */
export interface Transport {
  /** Queues bytes for sending; throws {@linkcode TransportError} when closed. */
  send(data: Uint8Array): void;
  /** Closes the connection; `onClose` follows. Safe to call more than once. */
  close(): void;
}

/** Opens a transport, delivering its events to `handlers`. Rejects when `signal` aborts first. */
export type TransportFactory = (handlers: TransportHandlers, signal: AbortSignal) => Promise<Transport>;

/** Options for {@linkcode webSocketTransport}. */
export interface WebSocketTransportOptions {
  /** Socket URL; defaults to {@linkcode WHATSAPP_WEB_SOCKET_URL}. */
  url?: string | URL;
  /** Origin header; defaults to {@linkcode WHATSAPP_WEB_ORIGIN}. */
  origin?: string;
  /** Extra request headers. */
  headers?: Record<string, string>;
  /**
   * Proxy URL (`http://`, `socks5://`, `socks5h://`, credentials allowed), given to the socket through a
   * `Deno.HttpClient`.
   */
  proxy?: string | URL;
  /** Extra trusted roots (PEM) for `wss://`. */
  caCerts?: string[];
}

/**
 * A transport factory on Deno's built-in `WebSocket`. Its socket leaves no-delay off: a small frame sent
 * within about 40 ms of the previous one waits for the peer's delayed ACK. Prefer
 * {@linkcode tcpWebSocketTransport}.
 *
 * @example
 * ```ts
 * import { Client, MemoryStore, webSocketTransport } from "@wadeno/client";
 * const transport = webSocketTransport({ url: "ws://127.0.0.1:8080/ws/chat" }); // nothing connects yet
 * export async function example() {
 *   const client = await Client.create({ store: new MemoryStore(), transport });
 *   await client.connect();
 * }
 * ```
 */
export function webSocketTransport(options: WebSocketTransportOptions = {}): TransportFactory {
  const url = String(options.url ?? WHATSAPP_WEB_SOCKET_URL);
  const headers = { ...options.headers, origin: options.origin ?? WHATSAPP_WEB_ORIGIN };
  // Parsed now, so a bad proxy URL fails when the factory is made, not on every reconnect.
  const proxy = options.proxy === undefined ? undefined : parseProxyUrl(options.proxy);
  const needsClient = proxy !== undefined || (options.caCerts?.length ?? 0) > 0;
  return (handlers, signal) => {
    if (signal.aborted) return Promise.reject(signal.reason);
    const { promise, resolve, reject } = Promise.withResolvers<Transport>();
    const client = needsClient ? createHttpClient({ proxy, caCerts: options.caCerts }) : undefined;
    const ws = new WebSocket(url, { headers, ...(client ? { client } : {}) });
    ws.binaryType = "arraybuffer";
    let open = false;
    let closed = false;
    const finish = (info: TransportCloseInfo) => {
      if (closed) return;
      closed = true;
      client?.close();
      signal.removeEventListener("abort", onAbort);
      if (open) handlers.onClose(info);
      else {reject(
          new TransportError("connect_failed", `WebSocket to ${url} failed to open`, {
            cause: info.error ?? info.reason,
          }),
        );}
    };
    const onAbort = () => {
      if (!open) {
        closed = true;
        client?.close();
        try {
          ws.close();
        } catch { /* closing a socket that never opened cannot fail in a way worth reporting */ }
        reject(signal.reason);
      }
    };
    signal.addEventListener("abort", onAbort, { once: true });
    ws.onopen = () => {
      open = true;
      signal.removeEventListener("abort", onAbort);
      resolve({
        send(data) {
          if (closed || ws.readyState !== WebSocket.OPEN) {
            throw new TransportError("closed", "transport closed");
          }
          ws.send(data);
        },
        close() {
          if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(1000);
        },
      });
    };
    ws.onmessage = (e) => {
      if (e.data instanceof ArrayBuffer) handlers.onData(new Uint8Array(e.data));
      // WhatsApp only sends binary messages; a text message is a protocol violation, reported as a close.
      else {finish({
          error: new TransportError("ws_protocol", "expected binary messages, got a text message"),
        });}
    };
    ws.onerror = (e) =>
      finish({
        error: (e as ErrorEvent).error ?? new TransportError("connect_failed", (e as ErrorEvent).message),
      });
    ws.onclose = (e) => finish({ code: e.code, reason: e.reason });
    return promise;
  };
}

/** Options for {@linkcode tcpWebSocketTransport}. */
export interface TcpWebSocketTransportOptions {
  /** `ws://` or `wss://` socket URL; defaults to {@linkcode WHATSAPP_WEB_SOCKET_URL}. */
  url?: string | URL;
  /** Origin header; defaults to {@linkcode WHATSAPP_WEB_ORIGIN}. */
  origin?: string;
  /** Extra request headers. */
  headers?: Record<string, string>;
  /**
   * Proxy for the socket: `http://user:pass@host:port` (HTTP CONNECT), `socks5://...` (names resolved
   * here) or `socks5h://...` (names resolved by the proxy). Credentials are percent-decoded.
   */
  proxy?: string | URL | ProxyConfig;
  /** Extra trusted roots (PEM) for `wss://`. */
  caCerts?: string[];
  /** Bound on one received WebSocket message; 32 MiB by default. */
  maxMessageBytes?: number;
  /** Bound on bytes waiting to be sent; 64 MiB by default. */
  maxQueuedBytes?: number;
  /** Close handshake deadline; 3 s by default. */
  closeTimeoutMs?: number;
}

/**
 * A transport factory on this library's own WebSocket client: `Deno.connect` with no-delay set,
 * `Deno.startTls` for `wss://`, an optional HTTP CONNECT or SOCKS5 proxy, and one socket write per
 * event-loop turn. A reply sent right after an ack leaves at once instead of waiting for the server's
 * delayed ACK.
 *
 * @throws {TransportError} `bad_url` at once for a bad proxy or socket URL; opening rejects with the
 * codes of {@linkcode TransportError} (`proxy_auth`, `proxy_refused`, `proxy_unreachable`, `handshake`,
 * `tls`, `connect_failed`, ...).
 * @example
 * ```ts
 * import { Client, MemoryStore, tcpWebSocketTransport } from "@wadeno/client";
 * const transport = tcpWebSocketTransport({ proxy: "socks5h://bot:secret@127.0.0.1:1080" }); // checked, not opened
 * export async function example() {
 *   const client = await Client.create({ store: new MemoryStore(), transport });
 *   await client.connect();
 * }
 * ```
 */
export function tcpWebSocketTransport(options: TcpWebSocketTransportOptions = {}): TransportFactory {
  const url = options.url ?? WHATSAPP_WEB_SOCKET_URL;
  parseSocketUrl(url); // a bad URL fails here, once, rather than on every reconnect
  const proxy = options.proxy === undefined || isProxyConfig(options.proxy)
    ? options.proxy
    : parseProxyUrl(options.proxy);
  const origin = options.origin ?? WHATSAPP_WEB_ORIGIN;
  return async (handlers, signal) => {
    signal.throwIfAborted();
    const ws = await WebSocketClient.connect(
      {
        url,
        origin,
        headers: options.headers,
        proxy,
        caCerts: options.caCerts,
        maxMessageBytes: options.maxMessageBytes,
        maxQueuedBytes: options.maxQueuedBytes,
        closeTimeoutMs: options.closeTimeoutMs,
        signal,
      },
      { onMessage: (bytes) => handlers.onData(bytes), onClose: (info) => handlers.onClose(info) },
    );
    return { send: (data) => ws.send(data), close: () => ws.close() };
  };
}

function isProxyConfig(value: string | URL | ProxyConfig): value is ProxyConfig {
  return typeof value === "object" && !(value instanceof URL);
}

/** Both ends of an in-memory connection, for tests. */
export interface MemoryTransportPair {
  /** A factory for the client side; each call connects to a new server-side peer. */
  factory: TransportFactory;
  /** Server-side connections, in the order clients connected. */
  accept(): Promise<{ transport: Transport; setHandlers(h: TransportHandlers): void }>;
}

/**
 * In-memory transports: each factory call creates a connected pair whose server side is handed to
 * `accept()`. Data is delivered asynchronously (a microtask later) and in order, like a socket.
 */
export function memoryTransportPair(): MemoryTransportPair {
  const pending: Array<{ transport: Transport; setHandlers(h: TransportHandlers): void }> = [];
  const waiters: Array<(v: { transport: Transport; setHandlers(h: TransportHandlers): void }) => void> = [];
  const factory: TransportFactory = (clientHandlers, signal) => {
    if (signal.aborted) return Promise.reject(signal.reason);
    let serverHandlers: TransportHandlers | undefined;
    const serverBacklog: Uint8Array[] = [];
    let closed = false;
    const closeBoth = (info: TransportCloseInfo) => {
      if (closed) return;
      closed = true;
      queueMicrotask(() => {
        clientHandlers.onClose(info);
        serverHandlers?.onClose(info);
      });
    };
    const client: Transport = {
      send(data) {
        if (closed) throw new TransportError("closed", "transport closed");
        const copy = data.slice();
        queueMicrotask(() => {
          if (serverHandlers) serverHandlers.onData(copy);
          else serverBacklog.push(copy);
        });
      },
      close: () => closeBoth({ code: 1000 }),
    };
    const server: Transport = {
      send(data) {
        if (closed) throw new TransportError("closed", "transport closed");
        const copy = data.slice();
        queueMicrotask(() => clientHandlers.onData(copy));
      },
      close: () => closeBoth({ code: 1000 }),
    };
    const entry = {
      transport: server,
      setHandlers(h: TransportHandlers) {
        serverHandlers = h;
        for (const chunk of serverBacklog.splice(0)) h.onData(chunk);
      },
    };
    const waiter = waiters.shift();
    if (waiter) waiter(entry);
    else pending.push(entry);
    return Promise.resolve(client);
  };
  return {
    factory,
    accept() {
      const next = pending.shift();
      if (next) return Promise.resolve(next);
      const { promise, resolve } = Promise.withResolvers<typeof pending[number]>();
      waiters.push(resolve);
      return promise;
    },
  };
}
