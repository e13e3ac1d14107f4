/**
 * Whole handshakes over a transport: {@link runClientHandshake} and {@link runServerHandshake} send and
 * read the three handshake messages through a {@link NoiseTransport} and a {@link FrameSource} (normally a
 * {@link FrameReader} fed by the transport) and return a ready {@link NoiseSocket}.
 *
 * They own no timers: the caller bounds them with an `AbortSignal` (the client passes
 * `AbortSignal.timeout(20_000)`, WhatsApp's handshake response timeout). On failure they throw and leave the
 * transport open; closing it is the caller's decision.
 *
 * @module
 */

import type { KeyPair } from "../crypto/mod.ts";
import { NoiseError } from "./errors.ts";
import type { FrameSource } from "./frame_reader.ts";
import { encodeFrame, encodeIntro } from "./framing.ts";
import { ClientHandshake, type ClientHandshakeOptions, ServerHandshake } from "./handshake.ts";
import type { VerifiedCertChain } from "./cert_chain.ts";
import { NoiseSocket, type NoiseTransport } from "./socket.ts";

/** Options of {@link runClientHandshake}. */
export interface RunClientHandshakeOptions extends ClientHandshakeOptions {
  /** Where the handshake messages go. */
  transport: NoiseTransport;
  /** Where the server's frames come from. */
  frames: FrameSource;
  /** The encoded ClientPayload (login or registration) sent in ClientFinish. */
  payload: Uint8Array;
  /** Edge-routing info from an earlier session; sent in the pre-intro, not hashed. */
  routingInfo?: Uint8Array;
  /** Aborts the wait for the ServerHello (e.g. `AbortSignal.timeout(20_000)`). */
  signal?: AbortSignal;
}

/** The outcome of {@link runClientHandshake}. */
export interface ClientHandshakeResult {
  /** The encrypted connection. */
  socket: NoiseSocket;
  /** The server's static key. */
  serverStatic: Uint8Array;
  /** The server's verified certificate chain. */
  certChain: VerifiedCertChain;
  /** The final handshake hash. */
  handshakeHash: Uint8Array;
}

/**
 * Runs the initiator's handshake: sends the intro and ClientHello, reads and verifies the ServerHello,
 * sends ClientFinish with `payload`.
 *
 * @throws {NoiseError} `handshake_aborted` when `signal` fires first (its reason is the cause); `closed`
 * when the transport closes or refuses a send; any handshake or certificate code from
 * {@link ClientHandshake}.
 * @example
 * ```ts
 * import { FrameReader, runClientHandshake } from "./mod.ts";
 * import type { KeyPair } from "../crypto/mod.ts";
 * import type { Transport } from "../client/transport.ts";
 * // Type-checked, not run: it needs a server on the other end of `transport`.
 * export async function example(transport: Transport, reader: FrameReader, noiseKey: KeyPair, payload: Uint8Array) {
 *   // (the transport's handlers push into `reader`: onData: (c) => reader.push(c), onClose: () => reader.end())
 *   const { socket } = await runClientHandshake({
 *     transport,
 *     frames: reader,
 *     noiseKey,
 *     payload,
 *     signal: AbortSignal.timeout(20_000),
 *   });
 *   return socket;
 * }
 * ```
 */
export async function runClientHandshake(options: RunClientHandshakeOptions): Promise<ClientHandshakeResult> {
  const { transport, frames, signal } = options;
  const handshake = new ClientHandshake(options);
  checkAborted(signal, "before the ClientHello");
  const intro = encodeIntro(options.routingInfo);
  send(transport, encodeFrame(handshake.start(), intro), "ClientHello");
  const reply = await readFrame(frames, signal, "the ServerHello");
  const { serverStatic, certChain } = handshake.readServerHello(reply);
  const { message, ciphers, handshakeHash } = handshake.finish(options.payload);
  checkAborted(signal, "before the ClientFinish");
  send(transport, encodeFrame(message), "ClientFinish");
  return { socket: new NoiseSocket(transport, ciphers), serverStatic, certChain, handshakeHash };
}

/** Options of {@link runServerHandshake}. */
export interface RunServerHandshakeOptions {
  /** Where the handshake messages go. */
  transport: NoiseTransport;
  /** Where the client's frames come from: a {@link FrameReader} created with `expectIntro: true`. */
  frames: FrameSource;
  /** The server's static key pair. */
  staticKey: KeyPair;
  /** The encoded CertChain for `staticKey` (see `issueCertChain`). */
  certChain: Uint8Array;
  /** The ephemeral key pair; fresh when absent. Only for test vectors. */
  ephemeral?: KeyPair;
  /** Aborts the waits for ClientHello and ClientFinish. */
  signal?: AbortSignal;
}

/** The outcome of {@link runServerHandshake}. */
export interface ServerHandshakeResult {
  /** The encrypted connection. */
  socket: NoiseSocket;
  /** The client's static Noise key. */
  clientStatic: Uint8Array;
  /** The decrypted ClientPayload bytes. */
  payload: Uint8Array;
  /** The final handshake hash. */
  handshakeHash: Uint8Array;
}

/**
 * Runs the responder's handshake (for a test server): reads the ClientHello (after the intro, which a
 * `FrameReader` with `expectIntro` consumes), sends the ServerHello with `certChain`, reads ClientFinish.
 *
 * @throws {NoiseError} `handshake_aborted`, `closed`, or any code from {@link ServerHandshake}.
 */
export async function runServerHandshake(options: RunServerHandshakeOptions): Promise<ServerHandshakeResult> {
  const { transport, frames, signal } = options;
  const handshake = new ServerHandshake(options);
  handshake.readClientHello(await readFrame(frames, signal, "the ClientHello"));
  checkAborted(signal, "before the ServerHello");
  send(transport, encodeFrame(handshake.writeServerHello(options.certChain)), "ServerHello");
  const { clientStatic, payload, ciphers, handshakeHash } = handshake.readClientFinish(
    await readFrame(frames, signal, "the ClientFinish"),
  );
  return { socket: new NoiseSocket(transport, ciphers), clientStatic, payload, handshakeHash };
}

async function readFrame(
  frames: FrameSource,
  signal: AbortSignal | undefined,
  what: string,
): Promise<Uint8Array> {
  checkAborted(signal, `while waiting for ${what}`);
  try {
    return await frames.read(signal);
  } catch (cause) {
    if (signal?.aborted) throw aborted(signal, `while waiting for ${what}`);
    if (cause instanceof NoiseError) {
      throw cause.code === "closed"
        ? new NoiseError("closed", `expected ${what}, but the connection closed`, { cause })
        : cause;
    }
    throw new NoiseError("closed", `expected ${what}, reading failed: ${String(cause)}`, { cause });
  }
}

function send(transport: NoiseTransport, bytes: Uint8Array, what: string): void {
  try {
    transport.send(bytes);
  } catch (cause) {
    throw new NoiseError(
      "closed",
      `expected the transport to take the ${what}, it failed: ${String(cause)}`,
      {
        cause,
      },
    );
  }
}

function checkAborted(signal: AbortSignal | undefined, when: string): void {
  if (signal?.aborted) throw aborted(signal, when);
}

function aborted(signal: AbortSignal, when: string): NoiseError {
  const reason = signal.reason;
  const why = reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason);
  return new NoiseError("handshake_aborted", `handshake aborted ${when} (${why})`, { cause: reason });
}
