/** Servers and fixtures for the transport tests: every server listens on 127.0.0.1 port 0. */

import { WebSocketServer } from "npm:ws@8.23.0";
import type { WebSocketCloseInfo } from "../../../src/client/net/websocket_client.ts";

const here = new URL("./fixtures/", import.meta.url);
/**
 * A test CA and a server certificate it signed (SANs localhost, fakewa.test, media.test, 127.0.0.1, ::1),
 * made with openssl for these tests (P-256, valid until 2126); see fixtures/README.md.
 */
export const tls = {
  ca: Deno.readTextFileSync(new URL("ca.pem", here)),
  cert: Deno.readTextFileSync(new URL("server.pem", here)),
  key: Deno.readTextFileSync(new URL("server.key", here)),
};

/** A deadline for waits; never a sleep. */
export function deadline(ms = 10_000): AbortSignal {
  return AbortSignal.timeout(ms);
}

/** Resolves when `promise` does, or rejects when the deadline passes. */
export function within<T>(promise: Promise<T>, ms = 10_000, what = "the event"): Promise<T> {
  const signal = deadline(ms);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then((v) => {
      signal.removeEventListener("abort", onAbort);
      resolve(v);
    }, (e) => {
      signal.removeEventListener("abort", onAbort);
      reject(e);
    });
  });
}

/** What a client saw: messages in order, and the close. */
export class Collector {
  readonly messages: Uint8Array[] = [];
  readonly closed = Promise.withResolvers<WebSocketCloseInfo>();
  #waiters: { count: number; resolve: () => void }[] = [];

  /** Handlers to give the client. */
  readonly handlers = {
    onMessage: (payload: Uint8Array) => {
      this.messages.push(payload);
      this.#waiters = this.#waiters.filter((w) => {
        if (this.messages.length < w.count) return true;
        w.resolve();
        return false;
      });
    },
    onClose: (info: WebSocketCloseInfo) => this.closed.resolve(info),
  };

  /** Resolves once `count` messages have arrived. */
  waitFor(count: number): Promise<void> {
    if (this.messages.length >= count) return Promise.resolve();
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#waiters.push({ count, resolve });
    return within(promise, 10_000, `${count} messages`);
  }
}

/** What a test server saw of one connection. */
export interface SeenRequest {
  /** Request headers, lower-case names. */
  headers: Headers;
  /** Messages received, in order. */
  messages: Uint8Array[];
  /** The close code the server got. */
  closeCode: Promise<number>;
}

/** A Deno.serve WebSocket server that echoes every binary message; `tls` makes it wss://. */
export function denoEchoServer(options: { tls?: boolean } = {}) {
  const seen: SeenRequest[] = [];
  const sockets: WebSocket[] = [];
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen() {},
    ...(options.tls ? { cert: tls.cert, key: tls.key } : {}),
  }, (req) => {
    if (req.headers.get("upgrade") !== "websocket") return new Response("not a websocket", { status: 400 });
    const headers = new Headers(req.headers); // unreadable once upgraded
    const { socket, response } = Deno.upgradeWebSocket(req);
    socket.binaryType = "arraybuffer";
    const closeCode = Promise.withResolvers<number>();
    const entry: SeenRequest = { headers, messages: [], closeCode: closeCode.promise };
    seen.push(entry);
    sockets.push(socket);
    socket.onmessage = (e) => {
      const bytes = typeof e.data === "string" ? new TextEncoder().encode(e.data) : new Uint8Array(e.data);
      entry.messages.push(bytes);
      if (socket.readyState === WebSocket.OPEN) socket.send(bytes);
    };
    socket.onclose = (e) => closeCode.resolve(e.code);
    return response;
  });
  const scheme = options.tls ? "wss" : "ws";
  return {
    url: `${scheme}://127.0.0.1:${server.addr.port}/ws/chat`,
    port: server.addr.port,
    seen,
    sockets,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

// The ws package ships no types; these are the few members the tests use.
// deno-lint-ignore no-explicit-any
type NodeWs = any;

/** An npm `ws` server; `onConnection` gets each server-side socket. */
export async function npmWsServer(onConnection: (socket: NodeWs, request: NodeWs) => void) {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  wss.on("connection", onConnection);
  await new Promise<void>((resolve) => wss.on("listening", () => resolve()));
  const port = (wss.address() as { port: number }).port;
  return {
    url: `ws://127.0.0.1:${port}/ws/chat`,
    port,
    [Symbol.asyncDispose]: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/**
 * A raw TCP server that answers the upgrade (with `response`, default a correct 101) and then writes
 * `after` bytes: for feeding the client frames no real server would send.
 */
export function rawServer(script: (conn: Deno.Conn, key: string) => Promise<void>) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const done = (async () => {
    for await (const conn of listener) {
      (async () => {
        const buffer = new Uint8Array(4096);
        let text = "";
        while (!text.includes("\r\n\r\n")) {
          const n = await conn.read(buffer);
          if (n === null) return;
          text += new TextDecoder().decode(buffer.subarray(0, n));
        }
        const key = /sec-websocket-key: *(\S+)/i.exec(text)?.[1] ?? "";
        await script(conn, key);
      })().catch(() => {}).finally(() => {
        try {
          conn.close();
        } catch { /* the client may have closed it first */ }
      });
    }
  })();
  const port = (listener.addr as Deno.NetAddr).port;
  return {
    url: `ws://127.0.0.1:${port}/ws/chat`,
    port,
    [Symbol.asyncDispose]: async () => {
      listener.close();
      await done.catch(() => {});
    },
  };
}

/** The 101 answer for `key` (computed with node:crypto, independently of the code under test). */
export async function switchingProtocols(key: string): Promise<Uint8Array> {
  const { createHash } = await import("node:crypto");
  const accept = createHash("sha1").update(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
  return new TextEncoder().encode(
    `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
  );
}

/** Writes all of `data`. */
export async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < data.length) offset += await conn.write(data.subarray(offset));
}

/** Reads one masked client frame (an independent decoder for the tests: RFC 6455 section 5.2). */
export async function readClientFrame(conn: Deno.Conn): Promise<{ opcode: number; payload: Uint8Array }> {
  const exact = async (n: number) => {
    const out = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      const r = await conn.read(out.subarray(got));
      if (r === null) throw new Error(`EOF after ${got} of ${n} bytes`);
      got += r;
    }
    return out;
  };
  const [b0, b1] = await exact(2);
  if (!(b1 & 0x80)) throw new Error("client frame not masked");
  let length = b1 & 0x7f;
  if (length === 126) {
    const e = await exact(2);
    length = (e[0] << 8) | e[1];
  } else if (length === 127) {
    const e = await exact(8);
    length = Number(new DataView(e.buffer).getBigUint64(0));
  }
  const mask = await exact(4);
  const payload = await exact(length);
  for (let i = 0; i < length; i++) payload[i] ^= mask[i % 4];
  return { opcode: b0 & 0x0f, payload };
}

/** An unmasked server frame, built by hand. */
export function serverFrame(first: number, payload: Uint8Array | number[], options: { mask?: boolean } = {}) {
  const body = Uint8Array.from(payload);
  const header: number[] = [first];
  const maskBit = options.mask ? 0x80 : 0;
  if (body.length < 126) header.push(maskBit | body.length);
  else if (body.length < 65536) header.push(maskBit | 126, body.length >> 8, body.length & 0xff);
  else throw new Error("test frames stay under 64 KiB");
  if (options.mask) header.push(0, 0, 0, 0); // a zero mask leaves the payload as is
  const out = new Uint8Array(header.length + body.length);
  out.set(header);
  out.set(body, header.length);
  return out;
}
