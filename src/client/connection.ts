/**
 * One live connection: open the transport under a deadline, run the Noise handshake, then turn frames
 * into binary nodes and nodes into frames. A `Connection` knows nothing about login or pairing; the
 * client decides what nodes mean.
 *
 * @module
 */

import { marshal, type Node, type NodeInput, unmarshal } from "../binary/mod.ts";
import type { KeyPair } from "../crypto/mod.ts";
import { FrameReader, type NoiseSocket, runClientHandshake } from "../noise/mod.ts";
import type { Logger } from "../logger.ts";
import type { Transport, TransportCloseInfo, TransportFactory } from "./transport.ts";

/** How long opening the transport may take (WA Web's MQTT/DGW connect timeout). */
export const TRANSPORT_CONNECT_TIMEOUT_MS = 20_000;
/** How long the Noise handshake may take. */
export const NOISE_HANDSHAKE_TIMEOUT_MS = 20_000;

/** Options for {@linkcode Connection.open}. */
export interface ConnectionOptions {
  /** Opens the byte pipe. */
  transport: TransportFactory;
  /** The device's Noise static key. */
  noiseKey: KeyPair;
  /** The encoded ClientPayload (login or registration). */
  payload: Uint8Array;
  /** The trusted Noise certificate root (WhatsApp's by default, FakeWhatsApp's in tests). */
  trustedRoot?: Uint8Array;
  /** Edge-routing info from an earlier session. */
  routingInfo?: Uint8Array;
  /** Called for every node received, in order. */
  onNode(node: Node): void;
  /** Called once when the connection ends, for whatever reason. */
  onClose(reason: string, info: TransportCloseInfo): void;
  /** Cancels opening. */
  signal?: AbortSignal;
  /** Transport deadline; default {@linkcode TRANSPORT_CONNECT_TIMEOUT_MS}. */
  connectTimeoutMs?: number;
  /** Handshake deadline; default {@linkcode NOISE_HANDSHAKE_TIMEOUT_MS}. */
  handshakeTimeoutMs?: number;
  /** Logger for `Client/Socket`-style targets. */
  log: Logger;
  /** Clock; `Date.now` by default. */
  now?: () => number;
}

/** An open, encrypted connection that speaks binary nodes. */
export class Connection {
  readonly #socket: NoiseSocket;
  readonly #transport: Transport;
  readonly #log: Logger;
  readonly #now: () => number;
  #closed = false;
  #closeReason = "";
  /** When the last frame arrived (ms). */
  lastReceivedAt: number;
  /** When the last frame was sent (ms). */
  lastSentAt = 0;

  private constructor(socket: NoiseSocket, transport: Transport, log: Logger, now: () => number) {
    this.#socket = socket;
    this.#transport = transport;
    this.#log = log;
    this.#now = now;
    this.lastReceivedAt = now();
  }

  /** Whether the connection has closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Opens a transport and completes the handshake. Throws on timeout, abort, transport or Noise failure. */
  static async open(options: ConnectionOptions): Promise<Connection> {
    const now = options.now ?? Date.now;
    const reader = new FrameReader();
    let connection: Connection | undefined;
    let endInfo: TransportCloseInfo | undefined;
    const handlers = {
      onData(chunk: Uint8Array) {
        if (connection) connection.lastReceivedAt = now();
        reader.push(chunk);
      },
      onClose(info: TransportCloseInfo) {
        endInfo = info;
        reader.end();
      },
    };
    const connectSignal = anySignal(
      AbortSignal.timeout(options.connectTimeoutMs ?? TRANSPORT_CONNECT_TIMEOUT_MS),
      options.signal,
    );
    const transport = await options.transport(handlers, connectSignal);
    try {
      const { socket } = await runClientHandshake({
        transport,
        frames: reader,
        noiseKey: options.noiseKey,
        payload: options.payload,
        trustedRoot: options.trustedRoot,
        routingInfo: options.routingInfo,
        signal: anySignal(
          AbortSignal.timeout(options.handshakeTimeoutMs ?? NOISE_HANDSHAKE_TIMEOUT_MS),
          options.signal,
        ),
      });
      connection = new Connection(socket, transport, options.log, now);
    } catch (e) {
      transport.close();
      throw e;
    }
    connection.#pump(reader, options, () => endInfo ?? {});
    return connection;
  }

  /** Reads frames until the transport ends, in order; frames that came with the handshake are first. */
  async #pump(
    reader: FrameReader,
    options: ConnectionOptions,
    endInfo: () => TransportCloseInfo,
  ): Promise<void> {
    let reason = "";
    try {
      for await (const frame of reader) {
        let plaintext: Uint8Array;
        try {
          plaintext = await this.#socket.receiveFrame(frame);
        } catch (e) {
          reason = `frame decryption failed: ${(e as Error).message}`;
          break;
        }
        if (this.#closed) break;
        this.#deliver(plaintext, options.onNode);
      }
    } catch (e) {
      reason = `framing error: ${(e as Error).message}`;
    }
    this.#transport.close();
    this.#closed = true;
    this.#socket.close();
    const info = endInfo();
    options.onClose(this.#closeReason || reason || describeClose(info), info);
  }

  #deliver(plaintext: Uint8Array, onNode: (node: Node) => void): void {
    let node: Node;
    try {
      node = unmarshal(plaintext);
    } catch (e) {
      // A node we cannot decode is logged and skipped; it never stops the connection.
      this.#log.warn("dropping undecodable frame", { error: e, bytes: plaintext.length });
      return;
    }
    if (this.#log.enabled("trace")) this.#log.trace("recv", { tag: node.tag, attrs: node.attrs });
    try {
      onNode(node);
    } catch (e) {
      this.#log.error("node handler failed", { error: e, tag: node.tag });
    }
  }

  /** Encrypts and sends a node. Rejects when the connection is closed. */
  async send(node: NodeInput): Promise<void> {
    if (this.#log.enabled("trace")) this.#log.trace("send", { tag: node.tag, attrs: node.attrs });
    const bytes = marshal(node);
    this.lastSentAt = this.#now();
    await this.#socket.sendFrame(bytes);
  }

  /** Closes the connection; `onClose` fires once the transport has ended, with `reason`. */
  close(reason = "closed by client"): void {
    if (this.#closeReason) return;
    this.#closeReason = reason;
    this.#socket.close();
    this.#transport.close();
  }
}

function describeClose(info: TransportCloseInfo): string {
  if (info.error) return `socket error: ${(info.error as Error)?.message ?? String(info.error)}`;
  return `socket closed${info.code ? ` (${info.code}${info.reason ? ` ${info.reason}` : ""})` : ""}`;
}

function anySignal(a: AbortSignal, b: AbortSignal | undefined): AbortSignal {
  return b ? AbortSignal.any([a, b]) : a;
}
