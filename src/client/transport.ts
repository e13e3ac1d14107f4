/**
 * The byte pipe under the Noise socket: a {@linkcode Transport} carries raw bytes (frames are built by
 * the Noise layer), and a {@linkcode TransportFactory} opens one. The default factory uses Deno's built-in
 * `WebSocket` against `wss://web.whatsapp.com/ws/chat`; {@linkcode memoryTransportPair} connects two ends
 * in memory for tests.
 *
 * @module
 */

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

/** A transport failed to open or was used after it closed. */
export class TransportError extends Error {
  /** Creates the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TransportError";
  }
}

/** Options for {@linkcode webSocketTransport}. */
export interface WebSocketTransportOptions {
  /** Socket URL; defaults to {@linkcode WHATSAPP_WEB_SOCKET_URL}. */
  url?: string | URL;
  /** Origin header; defaults to {@linkcode WHATSAPP_WEB_ORIGIN}. */
  origin?: string;
  /** Extra request headers. */
  headers?: Record<string, string>;
}

/**
 * The default transport factory, on Deno's built-in `WebSocket`.
 *
 * @example
 * ```ts ignore
 * import { webSocketTransport } from "./transport.ts";
 * const factory = webSocketTransport({ url: "ws://127.0.0.1:8080/ws/chat" });
 * ```
 */
export function webSocketTransport(options: WebSocketTransportOptions = {}): TransportFactory {
  const url = String(options.url ?? WHATSAPP_WEB_SOCKET_URL);
  const headers = { ...options.headers, origin: options.origin ?? WHATSAPP_WEB_ORIGIN };
  return (handlers, signal) => {
    if (signal.aborted) return Promise.reject(signal.reason);
    const { promise, resolve, reject } = Promise.withResolvers<Transport>();
    // Deno's WebSocket accepts request headers as a second-argument option (not in the DOM typings).
    const ctor = WebSocket as unknown as new (
      url: string,
      init: { headers: Record<string, string> },
    ) => WebSocket;
    const ws = new ctor(url, { headers });
    ws.binaryType = "arraybuffer";
    let open = false;
    let closed = false;
    const finish = (info: TransportCloseInfo) => {
      if (closed) return;
      closed = true;
      signal.removeEventListener("abort", onAbort);
      if (open) handlers.onClose(info);
      else {reject(
          new TransportError(`WebSocket to ${url} failed to open`, { cause: info.error ?? info.reason }),
        );}
    };
    const onAbort = () => {
      if (!open) {
        closed = true;
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
          if (closed || ws.readyState !== WebSocket.OPEN) throw new TransportError("transport closed");
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
      else finish({ error: new TransportError("unexpected text WebSocket message") });
    };
    ws.onerror = (e) =>
      finish({ error: (e as ErrorEvent).error ?? new TransportError((e as ErrorEvent).message) });
    ws.onclose = (e) => finish({ code: e.code, reason: e.reason });
    return promise;
  };
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
        if (closed) throw new TransportError("transport closed");
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
        if (closed) throw new TransportError("transport closed");
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
