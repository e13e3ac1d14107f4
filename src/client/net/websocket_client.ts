/**
 * A WebSocket client (RFC 6455) over a connection this module opens itself, so that no-delay is set on
 * its socket and it can go through a proxy: the opening handshake, masked binary messages, fragmented
 * messages reassembled up to a bound, ping answered with pong, and the close handshake. Every write of a
 * turn leaves as one socket write ({@linkcode TurnWriter}). Anything a server must not send closes the
 * connection with a typed {@linkcode TransportError}.
 *
 * @module
 */

import { TurnWriter } from "./coalesce.ts";
import { ConnReader, ConnReaderError } from "./conn_reader.ts";
import { TransportError } from "./errors.ts";
import { HEAD_END, MAX_HEAD_BYTES, parseResponseHead } from "./http_head.ts";
import { describeProxy, hostPort, type ProxyConfig, unbracket } from "./proxy_url.ts";
import { closeQuietly, dial, type DialedConn } from "./tcp.ts";
import { encodeClientFrame, type Frame, FrameParser, Opcode } from "./websocket_frame.ts";
import { buildUpgradeRequest, checkUpgradeResponse, newWebSocketKey } from "./websocket_handshake.ts";

/** Default bound on one received message (and frame): twice WhatsApp's 16 MiB frame limit. */
export const DEFAULT_MAX_MESSAGE_BYTES: number = 32 * 1024 * 1024;
/** How long the close handshake may take before the socket is closed anyway. */
export const DEFAULT_CLOSE_TIMEOUT_MS = 3000;

/**
 * Read buffer sizes. An idle connection waits on the small one (an idle socket is most of a bot's life,
 * and the pending read pins its buffer: 64 KiB there cost about 50 KiB of RSS per connection); a read that
 * fills it switches to the large one until reads get small again.
 */
const SMALL_READ = 2 * 1024;
const LARGE_READ = 64 * 1024;

/** Close codes (RFC 6455 section 7.4.1). */
const CLOSE_NORMAL = 1000;
const CLOSE_PROTOCOL_ERROR = 1002;
const CLOSE_UNSUPPORTED_DATA = 1003;
const CLOSE_NO_STATUS = 1005;
const CLOSE_ABNORMAL = 1006;
const CLOSE_INVALID_DATA = 1007;
const CLOSE_TOO_BIG = 1009;

/** Options for {@linkcode WebSocketClient.connect}. */
export interface WebSocketClientOptions {
  /** `ws://` or `wss://` URL. */
  url: string | URL;
  /** The Origin header, when one is sent. */
  origin?: string;
  /** More request headers. */
  headers?: Record<string, string>;
  /** A proxy to tunnel through. */
  proxy?: ProxyConfig;
  /** Extra trusted roots (PEM) for `wss://`. */
  caCerts?: string[];
  /** Bound on one received message; default {@linkcode DEFAULT_MAX_MESSAGE_BYTES}. */
  maxMessageBytes?: number;
  /** Bound on bytes waiting to be sent; see {@linkcode TurnWriter}. */
  maxQueuedBytes?: number;
  /** Close handshake deadline; default {@linkcode DEFAULT_CLOSE_TIMEOUT_MS}. */
  closeTimeoutMs?: number;
  /** Cancels opening (not the open connection). */
  signal?: AbortSignal;
}

/** Why a WebSocket closed. */
export interface WebSocketCloseInfo {
  /** The close code the server sent (1005 when its close frame had none, 1006 when there was none). */
  code?: number;
  /** The server's close reason. */
  reason?: string;
  /** The error that closed it, when it failed rather than closed cleanly. */
  error?: unknown;
}

/** Callbacks of an open {@linkcode WebSocketClient}. */
export interface WebSocketClientHandlers {
  /** A whole binary message, owned by the receiver. */
  onMessage(payload: Uint8Array): void;
  /** The connection ended (called exactly once). */
  onClose(info: WebSocketCloseInfo): void;
}

/**
 * An open WebSocket.
 *
 * @example
 * ```ts
 * import { WebSocketClient } from "./websocket_client.ts";
 * export async function example(url: string) {
 *   const ws = await WebSocketClient.connect({ url }, {
 *     onMessage: (bytes) => console.log(bytes),
 *     onClose: (info) => console.log("closed", info),
 *   });
 *   ws.send(new Uint8Array([1, 2, 3]));
 *   ws.close();
 * }
 * ```
 */
export class WebSocketClient {
  readonly #conn: DialedConn;
  readonly #handlers: WebSocketClientHandlers;
  readonly #writer: TurnWriter;
  readonly #parser: FrameParser;
  readonly #maxMessage: number;
  readonly #closeTimeoutMs: number;
  readonly #masks = new Uint8Array(1024);
  #maskAt = 1024;
  /** Fragments of the message being received. */
  #fragments: Uint8Array[] | undefined;
  #fragmentBytes = 0;
  #closeSent = false;
  #closeReceived: { code: number; reason: string } | undefined;
  #error: TransportError | undefined;
  #finished = false;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;

  private constructor(conn: DialedConn, handlers: WebSocketClientHandlers, options: WebSocketClientOptions) {
    this.#conn = conn;
    this.#handlers = handlers;
    this.#maxMessage = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.#closeTimeoutMs = options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
    this.#parser = new FrameParser({ maxFrameBytes: this.#maxMessage });
    this.#writer = new TurnWriter((bytes) => conn.write(bytes), {
      maxQueuedBytes: options.maxQueuedBytes,
      onError: (error) => this.#finish({ error }),
    });
  }

  /**
   * Connects, upgrades and starts reading; messages may reach `handlers` before this resolves.
   *
   * @throws {TransportError} `bad_url`, `handshake`, or any code of {@linkcode dial}; the abort reason when
   * `options.signal` aborts first.
   */
  static async connect(
    options: WebSocketClientOptions,
    handlers: WebSocketClientHandlers,
  ): Promise<WebSocketClient> {
    const target = parseSocketUrl(options.url);
    const conn = await dial({
      hostname: target.hostname,
      port: target.port,
      tls: target.tls,
      caCerts: options.caCerts,
      proxy: options.proxy,
      signal: options.signal,
    });
    const signal = options.signal;
    const onAbort = () => closeQuietly(conn);
    signal?.addEventListener("abort", onAbort, { once: true });
    let early: Uint8Array;
    try {
      early = await upgrade(conn, target, options);
    } catch (e) {
      closeQuietly(conn);
      signal?.throwIfAborted();
      throw e;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
    const client = new WebSocketClient(conn, handlers, options);
    // Not awaited: the loop runs for the connection's life. Frames that came with the 101 answer go to the
    // handlers first; they were given with the options, so nothing is delivered before it can be handled.
    client.#readLoop(early);
    return client;
  }

  /** Socket writes made so far (each may carry several frames). */
  get writes(): number {
    return this.#writer.writes;
  }

  /**
   * Sends one binary message. It leaves with everything else sent in this turn, in one socket write.
   *
   * @throws {TransportError} `closed` once closing has begun; `send_buffer_full` when the peer stopped
   * reading (the connection is then closed).
   */
  send(payload: Uint8Array): void {
    if (this.#closeSent || this.#finished) {
      throw new TransportError("closed", "cannot send: the WebSocket is closed");
    }
    this.#push(Opcode.binary, payload);
  }

  /** Starts the close handshake; `onClose` follows. Safe to call more than once. */
  close(code: number = CLOSE_NORMAL, reason = ""): void {
    if (this.#closeSent || this.#finished) return;
    this.#sendClose(code, reason);
  }

  #push(opcode: Opcode, payload: Uint8Array): void {
    if (this.#maskAt === this.#masks.length) {
      crypto.getRandomValues(this.#masks);
      this.#maskAt = 0;
    }
    const mask = this.#masks.subarray(this.#maskAt, this.#maskAt + 4);
    this.#maskAt += 4;
    try {
      this.#writer.push(encodeClientFrame(opcode, payload, mask));
    } catch (e) {
      if (e instanceof TransportError && e.code === "send_buffer_full") this.#finish({ error: e });
      throw e;
    }
  }

  #sendClose(code: number, reason: string): void {
    this.#closeSent = true;
    const text = new TextEncoder().encode(reason).subarray(0, 123);
    const payload = new Uint8Array(2 + text.length);
    payload[0] = code >>> 8;
    payload[1] = code & 0xff;
    payload.set(text, 2);
    try {
      this.#push(Opcode.close, payload);
    } catch {
      // The writer is dead or full; #push already finished the connection when it was full.
      this.#finish({});
      return;
    }
    // The server answers with its own close and then ends the TCP connection; a server that does neither
    // is not waited for past the deadline.
    this.#closeTimer = setTimeout(() => this.#finish({}), this.#closeTimeoutMs);
  }

  /** Closes after a protocol failure: a close frame with `code`, then the socket. */
  #fail(error: TransportError, code: number): void {
    if (this.#error || this.#finished) return;
    this.#error = error;
    this.#fragments = undefined;
    if (!this.#closeSent) this.#sendClose(code, error.code);
    // Nothing more is read from a peer that broke the protocol; the close frame gets one turn to leave.
    this.#writer.drain().then(() => this.#finish({}));
  }

  async #readLoop(early: Uint8Array): Promise<void> {
    const onFrame = (frame: Frame) => this.#onFrame(frame);
    let error: unknown;
    try {
      if (early.length > 0) this.#parse(early, onFrame);
      const small = new Uint8Array(SMALL_READ);
      let buffer = small;
      while (!this.#finished && !this.#error) {
        const n = await this.#conn.read(buffer);
        if (n === null) break;
        this.#parse(buffer.subarray(0, n), onFrame);
        if (n === buffer.length && buffer === small) buffer = new Uint8Array(LARGE_READ);
        else if (n <= SMALL_READ && buffer !== small) buffer = small;
      }
    } catch (e) {
      // A read that fails because we closed the socket is the end we asked for, not an error.
      if (!this.#finished && !this.#error && !(e instanceof Deno.errors.BadResource)) error = e;
    }
    if (!this.#error) this.#finish(error === undefined ? {} : { error });
  }

  #parse(chunk: Uint8Array, onFrame: (frame: Frame) => void): void {
    try {
      this.#parser.push(chunk, onFrame);
    } catch (e) {
      if (!(e instanceof TransportError)) throw e;
      this.#fail(e, e.code === "frame_too_large" ? CLOSE_TOO_BIG : CLOSE_PROTOCOL_ERROR);
    }
  }

  #onFrame(frame: Frame): void {
    if (this.#error || this.#finished) return;
    switch (frame.opcode) {
      case Opcode.binary:
      case Opcode.text:
        if (this.#fragments) {
          return this.#fail(
            protocol("expected a continuation frame inside a fragmented message, got a new message"),
            CLOSE_PROTOCOL_ERROR,
          );
        }
        if (frame.opcode === Opcode.text) {
          return this.#fail(protocol("expected binary messages, got a text message"), CLOSE_UNSUPPORTED_DATA);
        }
        if (frame.fin) return this.#deliver(frame.payload);
        this.#fragments = [frame.payload];
        this.#fragmentBytes = frame.payload.length;
        return;
      case Opcode.continuation: {
        if (!this.#fragments) {
          return this.#fail(
            protocol("expected a new message, got a continuation frame"),
            CLOSE_PROTOCOL_ERROR,
          );
        }
        this.#fragmentBytes += frame.payload.length;
        if (this.#fragmentBytes > this.#maxMessage) {
          return this.#fail(
            new TransportError(
              "frame_too_large",
              `expected a WebSocket message of at most ${this.#maxMessage} bytes, got ${this.#fragmentBytes} so far`,
            ),
            CLOSE_TOO_BIG,
          );
        }
        this.#fragments.push(frame.payload);
        if (!frame.fin) return;
        const message = new Uint8Array(this.#fragmentBytes);
        let at = 0;
        for (const piece of this.#fragments) {
          message.set(piece, at);
          at += piece.length;
        }
        this.#fragments = undefined;
        return this.#deliver(message);
      }
      case Opcode.ping:
        if (!this.#closeSent) this.#push(Opcode.pong, frame.payload);
        return;
      case Opcode.pong:
        return; // unsolicited pongs are allowed (RFC 6455 section 5.5.3); we send no pings
      case Opcode.close:
        return this.#onClose(frame.payload);
    }
  }

  #onClose(payload: Uint8Array): void {
    if (payload.length === 1) {
      return this.#fail(protocol("expected a close payload of 0 or 2+ bytes, got 1"), CLOSE_PROTOCOL_ERROR);
    }
    const code = payload.length === 0 ? CLOSE_NO_STATUS : (payload[0] << 8) | payload[1];
    if (payload.length > 0 && !validCloseCode(code)) {
      return this.#fail(protocol(`expected a close code a peer may send, got ${code}`), CLOSE_PROTOCOL_ERROR);
    }
    let reason: string;
    try {
      reason = new TextDecoder("utf-8", { fatal: true }).decode(payload.subarray(2));
    } catch {
      return this.#fail(protocol("expected a UTF-8 close reason"), CLOSE_INVALID_DATA);
    }
    this.#closeReceived = { code, reason };
    if (this.#fragments) {
      // Legal framing (a control frame may interleave), but the message in progress is lost: say so.
      this.#error = protocol(
        `the server closed (${code}) in the middle of a fragmented message (${this.#fragmentBytes} bytes lost)`,
      );
      this.#fragments = undefined;
    }
    if (!this.#closeSent) this.#sendClose(code === CLOSE_NO_STATUS ? CLOSE_NORMAL : code, "");
    // The server closes the TCP connection next; the read loop's end finishes us.
    if (this.#error) this.#writer.drain().then(() => this.#finish({}));
  }

  #deliver(message: Uint8Array): void {
    try {
      this.#handlers.onMessage(message);
    } catch (e) {
      // A handler that throws is the caller's bug: reported as an uncaught error would be (as a throwing
      // WebSocket onmessage is), without stopping the read loop halfway through a chunk.
      reportError(e);
    }
  }

  #finish(info: WebSocketCloseInfo): void {
    if (this.#finished) return;
    this.#finished = true;
    clearTimeout(this.#closeTimer);
    closeQuietly(this.#conn);
    const received = this.#closeReceived;
    const error = this.#error ?? info.error;
    this.#handlers.onClose({
      code: received?.code ?? CLOSE_ABNORMAL,
      ...(received?.reason ? { reason: received.reason } : {}),
      ...(error !== undefined ? { error } : {}),
    });
  }
}

/** A socket URL, split for dialling. */
export interface SocketTarget {
  /** Host name or IP literal (IPv6 without brackets). */
  hostname: string;
  /** Port (80 or 443 unless given). */
  port: number;
  /** Whether it is `wss://`. */
  tls: boolean;
  /** Path and query for the request line. */
  path: string;
  /** The Host header value. */
  host: string;
}

/**
 * Splits a `ws://` or `wss://` URL.
 *
 * @throws {TransportError} `bad_url` for another scheme or a fragment.
 * @example
 * ```ts
 * import { parseSocketUrl } from "./websocket_client.ts";
 * parseSocketUrl("wss://web.whatsapp.com/ws/chat").port; // 443
 * ```
 */
export function parseSocketUrl(input: string | URL): SocketTarget {
  let url: URL;
  try {
    url = new URL(String(input));
  } catch {
    throw new TransportError(
      "bad_url",
      `expected a ws:// or wss:// URL, got ${JSON.stringify(String(input))}`,
    );
  }
  if (url.protocol !== "ws:" && url.protocol !== "wss:") {
    throw new TransportError("bad_url", `expected a ws:// or wss:// URL, got ${url.protocol}//`);
  }
  if (url.hash !== "") throw new TransportError("bad_url", "a WebSocket URL must not have a fragment");
  if (url.username !== "" || url.password !== "") {
    throw new TransportError("bad_url", "a WebSocket URL must not carry credentials");
  }
  const tls = url.protocol === "wss:";
  const hostname = unbracket(url.hostname);
  const port = url.port === "" ? (tls ? 443 : 80) : Number(url.port);
  return { hostname, port, tls, path: `${url.pathname}${url.search}`, host: url.host };
}

/** Sends the upgrade request, checks the answer, and returns the bytes that followed its head. */
async function upgrade(
  conn: DialedConn,
  target: SocketTarget,
  options: WebSocketClientOptions,
): Promise<Uint8Array> {
  const key = newWebSocketKey();
  const request = buildUpgradeRequest({
    host: target.host,
    path: target.path,
    origin: options.origin,
    headers: options.headers,
    key,
  });
  const where = `${target.tls ? "wss" : "ws"}://${hostPort(target.hostname, target.port)}${target.path}` +
    (options.proxy ? ` via proxy ${describeProxy(options.proxy)}` : "");
  const fail = (text: string, cause?: unknown) =>
    new TransportError("handshake", `WebSocket upgrade at ${where} failed: ${text}`, {
      cause,
      ...(options.proxy ? { proxy: describeProxy(options.proxy) } : {}),
    });
  let offset = 0;
  while (offset < request.length) offset += await conn.write(request.subarray(offset));
  const reader = new ConnReader(conn);
  let headBytes: Uint8Array;
  try {
    headBytes = await reader.readUntil(HEAD_END, MAX_HEAD_BYTES);
  } catch (e) {
    if (e instanceof ConnReaderError) throw fail(e.message, e);
    throw fail(e instanceof Error ? e.message : String(e), e);
  }
  const head = parseResponseHead(headBytes);
  if (typeof head === "string") throw fail(head);
  const problem = await checkUpgradeResponse(head, key);
  if (problem) throw fail(problem);
  return reader.rest();
}

function validCloseCode(code: number): boolean {
  // RFC 6455 section 7.4: 1004-1006 and 1015 are never sent on the wire; 3000-4999 are for applications.
  if (code >= 3000 && code <= 4999) return true;
  return code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006;
}

function protocol(message: string): TransportError {
  return new TransportError("ws_protocol", message);
}
