// Shared helpers for the Noise tests.
import assert from "node:assert/strict";
import { generateKeyPair, type KeyPair } from "../../src/crypto/mod.ts";
import {
  ClientHandshake,
  FrameReader,
  issueCertChain,
  NoiseError,
  type NoiseErrorCode,
  type NoiseTransport,
  ServerHandshake,
  type TransportCiphers,
} from "../../src/noise/mod.ts";

/** Asserts `fn` throws a NoiseError with `code`; returns it for further checks. */
export function assertNoiseError(fn: () => unknown, code: NoiseErrorCode, context = ""): NoiseError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  return checkNoiseError(caught, code, context);
}

/** Asserts `promise` rejects with a NoiseError with `code`; returns it. */
export async function assertNoiseRejects(
  promise: Promise<unknown>,
  code: NoiseErrorCode,
  context = "",
): Promise<NoiseError> {
  let caught: unknown;
  try {
    await promise;
  } catch (e) {
    caught = e;
  }
  return checkNoiseError(caught, code, context);
}

function checkNoiseError(e: unknown, code: NoiseErrorCode, context: string): NoiseError {
  assert.ok(e instanceof NoiseError, `${context} expected a NoiseError ${code}, got ${e}`);
  assert.equal(e.name, "NoiseError");
  assert.equal(e.code, code, `${context} expected code ${code}, got ${e.code}: ${e.message}`);
  assert.ok(e.message.length > 20, `${context} the message should say what was expected: ${e.message}`);
  return e;
}

/** Hex to bytes, ignoring whitespace so long vectors can be wrapped. */
export function hex(s: string): Uint8Array {
  return Uint8Array.fromHex(s.replaceAll(/\s/g, ""));
}

/** Deterministic filler bytes. */
export function fill(n: number, seed = 1): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 131 + seed * 17 + (i >> 8)) & 0xff);
}

/** A server identity: a test root, a static key and the chain the root issued for it. */
export interface TestServer {
  root: KeyPair;
  staticKey: KeyPair;
  certChain: Uint8Array;
}

/** A fresh test root and a server static key with its chain. */
export function testServer(): TestServer {
  const root = generateKeyPair();
  const staticKey = generateKeyPair();
  const { certChain } = issueCertChain({ root, serverStatic: staticKey.publicKey });
  return { root, staticKey, certChain };
}

/** Runs a whole in-process handshake and returns both sides' ciphers. */
export function handshakeCiphers(
  server: TestServer = testServer(),
): { client: TransportCiphers; server: TransportCiphers; payload: Uint8Array } {
  const client = new ClientHandshake({ noiseKey: generateKeyPair(), trustedRoot: server.root.publicKey });
  const responder = new ServerHandshake({ staticKey: server.staticKey });
  responder.readClientHello(client.start());
  client.readServerHello(responder.writeServerHello(server.certChain));
  const done = client.finish(fill(50));
  const accepted = responder.readClientFinish(done.message);
  return { client: done.ciphers, server: accepted.ciphers, payload: accepted.payload };
}

/**
 * Two in-memory transport ends, each delivering what the other sends to its FrameReader on a later
 * microtask (like a socket), optionally re-chunked by `chunker`.
 */
export function memoryLink(
  options: { serverExpectsIntro?: boolean; chunker?: (bytes: Uint8Array) => Uint8Array[] } = {},
): {
  client: NoiseTransport & { sent: number };
  server: NoiseTransport & { sent: number };
  clientReader: FrameReader;
  serverReader: FrameReader;
  closed: () => boolean;
} {
  const clientReader = new FrameReader();
  const serverReader = new FrameReader({ expectIntro: options.serverExpectsIntro ?? true });
  const chunker = options.chunker ?? ((b: Uint8Array) => [b]);
  let closed = false;
  const end = (): NoiseTransport & { sent: number } => ({ sent: 0, send() {}, close() {} });
  const client = end(), server = end();
  const wire = (from: { sent: number }, to: FrameReader) => (data: Uint8Array) => {
    if (closed) throw new Error("memory transport closed");
    from.sent++;
    const copy = data.slice();
    queueMicrotask(() => {
      for (const chunk of chunker(copy)) to.push(chunk);
    });
  };
  const close = () => {
    if (closed) return;
    closed = true;
    queueMicrotask(() => {
      clientReader.end();
      serverReader.end();
    });
  };
  client.send = wire(client, serverReader);
  server.send = wire(server, clientReader);
  client.close = close;
  server.close = close;
  return { client, server, clientReader, serverReader, closed: () => closed };
}
