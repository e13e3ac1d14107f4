/**
 * One client connection to FakeWhatsApp: the Noise responder over an accepted WebSocket, then binary
 * nodes both ways. What the nodes mean is up to the server.
 *
 * @module
 */

import { type Jid, marshal, type Node, type NodeInput, unmarshal } from "../binary/mod.ts";
import type { KeyPair } from "../crypto/mod.ts";
import { FrameReader, type NoiseSocket, runServerHandshake } from "../noise/mod.ts";
import { ClientPayload } from "../proto/mod.ts";
import type { Logger } from "../logger.ts";

/** What the server knows about a connection after the handshake. */
export interface ConnectionInfo {
  /** The client's Noise static public key. */
  clientStatic: Uint8Array;
  /** The decoded ClientPayload (login or registration). */
  payload: ClientPayload;
}

/** A connection accepted by FakeWhatsApp. */
export class ServerConnection {
  /** A server-local number identifying the connection. */
  readonly id: number;
  readonly #ws: WebSocket;
  readonly #log: Logger;
  #socket: NoiseSocket | undefined;
  #closed = false;
  readonly #closedPromise = Promise.withResolvers<void>();
  /** Set by the server once the connection logged in as a device. */
  device: Jid | undefined;
  /** Set by the server while the connection is waiting to be paired. */
  pairing: unknown;
  /** Close the connection after the reply to the current request is sent (device removed). */
  closeAfterReply = false;
  /** Handshake result. */
  info: ConnectionInfo | undefined;
  /** The last `<ack>` stanzas the client sent on this connection, oldest first (bounded). */
  readonly acks: Node[] = [];

  /** Wraps an accepted WebSocket. */
  constructor(id: number, ws: WebSocket, log: Logger) {
    this.id = id;
    this.#ws = ws;
    this.#log = log;
    ws.binaryType = "arraybuffer";
  }

  /** Resolves when the connection has closed. */
  get closed(): Promise<void> {
    return this.#closedPromise.promise;
  }

  /** Whether the connection has closed. */
  get isClosed(): boolean {
    return this.#closed;
  }

  /**
   * Runs the handshake, then calls `onNode` for each node until the socket closes. Resolves with the
   * handshake info (or rejects when the handshake fails, after closing the socket).
   */
  async start(
    staticKey: KeyPair,
    certChain: Uint8Array,
    onNode: (node: Node) => void,
    signal: AbortSignal,
  ): Promise<ConnectionInfo> {
    const reader = new FrameReader({ expectIntro: true });
    const ws = this.#ws;
    ws.onmessage = (e) => {
      if (e.data instanceof ArrayBuffer) reader.push(new Uint8Array(e.data));
    };
    let reading = false;
    ws.onclose = () => {
      reader.end();
      // Frames that arrived with the close (an ack, say) are still handled before the connection counts as
      // closed: the read loop marks it closed once it drained them.
      if (!reading) this.#markClosed();
    };
    ws.onerror = () => reader.end();
    const transport = {
      send: (data: Uint8Array) => {
        if (ws.readyState !== WebSocket.OPEN) throw new Error("socket closed");
        ws.send(data);
      },
      close: () => this.close(),
    };
    if (ws.readyState === WebSocket.CONNECTING) {
      await new Promise<void>((resolve) => ws.addEventListener("open", () => resolve(), { once: true }));
    }
    let result;
    try {
      result = await runServerHandshake({ transport, frames: reader, staticKey, certChain, signal });
    } catch (e) {
      this.#log.debug(`connection ${this.id}: handshake failed`, { error: e });
      this.close();
      throw e;
    }
    this.#socket = result.socket;
    const info = { clientStatic: result.clientStatic, payload: ClientPayload.decode(result.payload) };
    this.info = info;
    reading = true;
    (async () => {
      try {
        for await (const frame of reader) {
          const plaintext = await result.socket.receiveFrame(frame);
          let node: Node;
          try {
            node = unmarshal(plaintext);
          } catch (e) {
            this.#log.warn(`connection ${this.id}: undecodable node`, { error: e });
            continue;
          }
          try {
            onNode(node);
          } catch (e) {
            this.#log.error(`connection ${this.id}: handler failed for <${node.tag}>`, { error: e });
          }
        }
      } catch (e) {
        this.#log.debug(`connection ${this.id}: read loop ended`, { error: e });
      }
      this.close();
      this.#markClosed();
    })();
    return info;
  }

  /** Sends a node; a closed connection drops it (returns false). */
  async send(node: NodeInput): Promise<boolean> {
    // Once the peer closed, sending would fail and poison the Noise socket while frames that came with
    // the close are still being read.
    if (this.#closed || !this.#socket || this.#ws.readyState !== WebSocket.OPEN) return false;
    try {
      await this.#socket.sendFrame(marshal(node));
      return true;
    } catch (e) {
      this.#log.debug(`connection ${this.id}: send failed`, { error: e });
      return false;
    }
  }

  /** Closes the socket (a clean close; the client sees the connection end). */
  close(): void {
    if (this.#closed) return;
    this.#socket?.close();
    try {
      if (this.#ws.readyState === WebSocket.OPEN || this.#ws.readyState === WebSocket.CONNECTING) {
        this.#ws.close();
      }
    } catch { /* already closing */ }
    this.#markClosed();
  }

  #markClosed(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closedPromise.resolve();
  }
}
