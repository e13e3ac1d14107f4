/**
 * WhatsApp's Noise XX handshake (`Noise_XX_25519_AESGCM_SHA256`, prologue = the 4-byte WA header, `WA_CONN_HEADER`) as two
 * pure state machines that take and return message bytes: {@link ClientHandshake} (initiator) and
 * {@link ServerHandshake} (responder). Sending, receiving and timeouts belong to the caller (see
 * ./driver.ts).
 *
 * ```
 * -> e                 ClientHello { ephemeral }
 * <- e, ee, s, es      ServerHello { ephemeral, static (encrypted), payload (encrypted CertChain) }
 * -> s, se             ClientFinish { static (encrypted), payload (encrypted ClientPayload) }
 * ```
 *
 * It is the Noise spec's XX with one deviation: the first message has no payload, and WhatsApp does not
 * hash the empty payload after `e` (the spec's EncryptAndHash of a zero-length payload is a MixHash of
 * nothing, SHA-256(h)); every later step is the spec's. Each message travels as a `HandshakeMessage`
 * protobuf instead of the spec's concatenation.
 *
 * A handshake object is single use; after any failure every further call throws `handshake_state`.
 *
 * @module
 */

import { CryptoError, generateKeyPair, type KeyPair, x25519 } from "../crypto/mod.ts";
import { type ClientFinish, type ClientHello, HandshakeMessage, type ServerHello } from "../proto/mod.ts";
import { type VerifiedCertChain, verifyCertChain, type VerifyCertChainOptions } from "./cert_chain.ts";
import type { CipherState } from "./cipher_state.ts";
import { NoiseError, type NoiseErrorCode } from "./errors.ts";
import { encodeIntro } from "./framing.ts";
import { NOISE_XX_PROTOCOL_NAME, SymmetricState } from "./symmetric_state.ts";

const KEY_LENGTH = 32;

/** The two transport ciphers a handshake ends with, each with its own counter starting at 0. */
export interface TransportCiphers {
  /** Encrypts what this side sends. */
  write: CipherState;
  /** Decrypts what this side receives. */
  read: CipherState;
}

/** Options of {@link ClientHandshake}. */
export interface ClientHandshakeOptions extends VerifyCertChainOptions {
  /** The client's static Noise key pair (the device's noise key). */
  noiseKey: KeyPair;
  /** The ephemeral key pair; a fresh one when absent. Pass one only for test vectors. */
  ephemeral?: KeyPair;
}

/** What {@link ClientHandshake.readServerHello} learned. */
export interface ServerHelloResult {
  /** The server's static public key, authenticated by the certificate chain. */
  serverStatic: Uint8Array;
  /** The verified chain. */
  certChain: VerifiedCertChain;
}

/** What {@link ClientHandshake.finish} produced. */
export interface ClientFinishResult {
  /** The ClientFinish `HandshakeMessage` bytes to send (framed, without intro). */
  message: Uint8Array;
  /** The transport ciphers: `write` = first split key, `read` = second. */
  ciphers: TransportCiphers;
  /** The final handshake hash, the same on both sides. */
  handshakeHash: Uint8Array;
}

type ClientStep = "start" | "server_hello" | "finish" | "done" | "failed";

/**
 * The initiator's side: call {@link ClientHandshake.start}, send its bytes, pass the server's reply to
 * {@link ClientHandshake.readServerHello}, then send what {@link ClientHandshake.finish} returns.
 *
 * @example
 * ```ts
 * import { generateKeyPair } from "../crypto/mod.ts";
 * import { issueCertChain } from "./cert_chain.ts";
 * import { ClientHandshake, ServerHandshake } from "./handshake.ts";
 * const root = generateKeyPair(), serverKey = generateKeyPair();
 * const { certChain } = issueCertChain({ root, serverStatic: serverKey.publicKey });
 * const client = new ClientHandshake({ noiseKey: generateKeyPair(), trustedRoot: root.publicKey });
 * const server = new ServerHandshake({ staticKey: serverKey });
 * server.readClientHello(client.start());
 * client.readServerHello(server.writeServerHello(certChain));
 * const { message, ciphers } = client.finish(new Uint8Array([1, 2, 3]));
 * const { payload } = server.readClientFinish(message); // Uint8Array [1, 2, 3]
 * ```
 */
export class ClientHandshake {
  readonly #options: ClientHandshakeOptions;
  readonly #ephemeral: KeyPair;
  readonly #state = new SymmetricState(NOISE_XX_PROTOCOL_NAME);
  #step: ClientStep = "start";
  #serverEphemeral: Uint8Array | undefined;

  /** Prepares a handshake; nothing is computed until {@link ClientHandshake.start}. */
  constructor(options: ClientHandshakeOptions) {
    this.#options = options;
    this.#ephemeral = options.ephemeral ?? generateKeyPair();
    // The prologue is the WA header, which is what encodeIntro() returns without routing info (a fresh copy).
    this.#state.mixHash(encodeIntro());
  }

  /** `-> e`: the ClientHello `HandshakeMessage` bytes. */
  start(): Uint8Array {
    this.#expect("start");
    return this.#run("server_hello", () => {
      this.#state.mixHash(this.#ephemeral.publicKey);
      return HandshakeMessage.encode({ clientHello: { ephemeral: this.#ephemeral.publicKey } });
    });
  }

  /**
   * `<- e, ee, s, es`: reads the ServerHello, decrypts the server static key and the certificate chain,
   * and verifies the chain.
   *
   * @throws {NoiseError} `bad_handshake_message`, `missing_server_hello_field`, `low_order_key`,
   * `decrypt_failed`, `bad_static_key`, or a `cert_*` code from {@link verifyCertChain}.
   */
  readServerHello(message: Uint8Array): ServerHelloResult {
    this.#expect("server_hello");
    return this.#run("finish", () => {
      const hello = decodeStep(message, "serverHello");
      const ephemeral = requireKey(hello.ephemeral, "missing_server_hello_field", "ServerHello.ephemeral");
      const staticSealed = requireField(hello.static, "missing_server_hello_field", "ServerHello.static");
      const payloadSealed = requireField(hello.payload, "missing_server_hello_field", "ServerHello.payload");
      const state = this.#state;
      const e = this.#ephemeral.privateKey;
      state.mixHash(ephemeral);
      state.mixKey(dh(e, ephemeral, "server ephemeral"));
      const serverStatic = decryptStatic(state, staticSealed, "server");
      state.mixKey(dh(e, serverStatic, "server static"));
      const certBytes = decryptField(state, payloadSealed, "ServerHello.payload (certificate chain)");
      const certChain = verifyCertChain(certBytes, serverStatic, this.#options);
      this.#serverEphemeral = new Uint8Array(ephemeral);
      return { serverStatic: new Uint8Array(serverStatic), certChain };
    });
  }

  /**
   * `-> s, se`: encrypts the client's static key and `clientPayload` (an encoded ClientPayload) and splits
   * the transport ciphers.
   */
  finish(clientPayload: Uint8Array): ClientFinishResult {
    this.#expect("finish");
    return this.#run("done", () => {
      const state = this.#state;
      const noiseKey = this.#options.noiseKey;
      const staticSealed = state.encryptAndHash(noiseKey.publicKey);
      state.mixKey(dh(noiseKey.privateKey, this.#serverEphemeral!, "server ephemeral"));
      const payloadSealed = state.encryptAndHash(clientPayload);
      const message = HandshakeMessage.encode({
        clientFinish: { static: staticSealed, payload: payloadSealed },
      });
      const [write, read] = state.split();
      return { message, ciphers: { write, read }, handshakeHash: state.handshakeHash };
    });
  }

  #expect(step: ClientStep): void {
    if (this.#step !== step) throw stateError("ClientHandshake", step, this.#step);
  }

  #run<T>(next: ClientStep, body: () => T): T {
    try {
      const result = body();
      this.#step = next;
      return result;
    } catch (e) {
      this.#step = "failed";
      throw e;
    }
  }
}

/** Options of {@link ServerHandshake}. */
export interface ServerHandshakeOptions {
  /** The server's static key pair, the key its certificate chain's leaf binds. */
  staticKey: KeyPair;
  /** The ephemeral key pair; a fresh one when absent. Pass one only for test vectors. */
  ephemeral?: KeyPair;
}

/** What {@link ServerHandshake.readClientFinish} produced. */
export interface ClientFinishRead {
  /** The client's static Noise public key (its identity on the connection). */
  clientStatic: Uint8Array;
  /** The decrypted ClientPayload bytes. */
  payload: Uint8Array;
  /** The transport ciphers: `write` = second split key, `read` = first. */
  ciphers: TransportCiphers;
  /** The final handshake hash, the same on both sides. */
  handshakeHash: Uint8Array;
}

type ServerStep = "client_hello" | "server_hello" | "client_finish" | "done" | "failed";

/**
 * The responder's side, for a test server: {@link ServerHandshake.readClientHello},
 * {@link ServerHandshake.writeServerHello} with the server's encoded certificate chain, then
 * {@link ServerHandshake.readClientFinish}. See {@link ClientHandshake} for an example.
 */
export class ServerHandshake {
  readonly #staticKey: KeyPair;
  readonly #ephemeral: KeyPair;
  readonly #state = new SymmetricState(NOISE_XX_PROTOCOL_NAME);
  #step: ServerStep = "client_hello";
  #clientEphemeral: Uint8Array | undefined;

  /** Prepares a handshake. */
  constructor(options: ServerHandshakeOptions) {
    this.#staticKey = options.staticKey;
    this.#ephemeral = options.ephemeral ?? generateKeyPair();
    // The prologue is the WA header, which is what encodeIntro() returns without routing info (a fresh copy).
    this.#state.mixHash(encodeIntro());
  }

  /**
   * `-> e`: reads the ClientHello.
   *
   * @throws {NoiseError} `bad_handshake_message`, `missing_client_hello_field`.
   */
  readClientHello(message: Uint8Array): { clientEphemeral: Uint8Array } {
    this.#expect("client_hello");
    return this.#run("server_hello", () => {
      const hello = decodeStep(message, "clientHello");
      const ephemeral = requireKey(hello.ephemeral, "missing_client_hello_field", "ClientHello.ephemeral");
      this.#state.mixHash(ephemeral);
      this.#clientEphemeral = new Uint8Array(ephemeral);
      return { clientEphemeral: new Uint8Array(ephemeral) };
    });
  }

  /**
   * `<- e, ee, s, es`: the ServerHello `HandshakeMessage` bytes, carrying `certChain` (an encoded
   * CertChain whose leaf binds this server's static key) as the encrypted payload.
   *
   * @throws {NoiseError} `low_order_key` when the client's ephemeral key is a low-order point.
   */
  writeServerHello(certChain: Uint8Array): Uint8Array {
    this.#expect("server_hello");
    return this.#run("client_finish", () => {
      const state = this.#state;
      const re = this.#clientEphemeral!;
      state.mixHash(this.#ephemeral.publicKey);
      state.mixKey(dh(this.#ephemeral.privateKey, re, "client ephemeral"));
      const staticSealed = state.encryptAndHash(this.#staticKey.publicKey);
      state.mixKey(dh(this.#staticKey.privateKey, re, "client ephemeral"));
      const payloadSealed = state.encryptAndHash(certChain);
      return HandshakeMessage.encode({
        serverHello: { ephemeral: this.#ephemeral.publicKey, static: staticSealed, payload: payloadSealed },
      });
    });
  }

  /**
   * `-> s, se`: reads the ClientFinish, decrypts the client's static key and payload, and splits the
   * transport ciphers.
   *
   * @throws {NoiseError} `bad_handshake_message`, `missing_client_finish_field`, `decrypt_failed`,
   * `bad_static_key`, `low_order_key`.
   */
  readClientFinish(message: Uint8Array): ClientFinishRead {
    this.#expect("client_finish");
    return this.#run("done", () => {
      const finish = decodeStep(message, "clientFinish");
      const staticSealed = requireField(finish.static, "missing_client_finish_field", "ClientFinish.static");
      const payloadSealed = requireField(
        finish.payload,
        "missing_client_finish_field",
        "ClientFinish.payload",
      );
      const state = this.#state;
      const clientStatic = decryptStatic(state, staticSealed, "client");
      state.mixKey(dh(this.#ephemeral.privateKey, clientStatic, "client static"));
      const payload = decryptField(state, payloadSealed, "ClientFinish.payload (client payload)");
      const [read, write] = state.split();
      return {
        clientStatic: new Uint8Array(clientStatic),
        payload,
        ciphers: { write, read },
        handshakeHash: state.handshakeHash,
      };
    });
  }

  #expect(step: ServerStep): void {
    if (this.#step !== step) throw stateError("ServerHandshake", step, this.#step);
  }

  #run<T>(next: ServerStep, body: () => T): T {
    try {
      const result = body();
      this.#step = next;
      return result;
    } catch (e) {
      this.#step = "failed";
      throw e;
    }
  }
}

interface Steps {
  clientHello: ClientHello;
  serverHello: ServerHello;
  clientFinish: ClientFinish;
}

function decodeStep<K extends keyof Steps>(message: Uint8Array, step: K): Steps[K] {
  let decoded: HandshakeMessage;
  try {
    decoded = HandshakeMessage.decode(message);
  } catch (cause) {
    throw new NoiseError(
      "bad_handshake_message",
      `expected a HandshakeMessage with ${step} (${message.length} bytes), decoding failed`,
      { cause },
    );
  }
  const value = decoded[step];
  if (value === undefined) {
    const present = (["clientHello", "serverHello", "clientFinish"] as const).filter((k) => decoded[k]);
    throw new NoiseError(
      "bad_handshake_message",
      `expected a HandshakeMessage with ${step}, got one with ${
        present.length ? present.join(", ") : "no step"
      }`,
    );
  }
  return value as Steps[K];
}

function requireField(value: Uint8Array | undefined, code: NoiseErrorCode, name: string): Uint8Array {
  if (value === undefined) throw new NoiseError(code, `expected ${name}, it is absent`);
  return value;
}

function requireKey(value: Uint8Array | undefined, code: NoiseErrorCode, name: string): Uint8Array {
  const key = requireField(value, code, name);
  if (key.length !== KEY_LENGTH) {
    throw new NoiseError(code, `expected a ${KEY_LENGTH}-byte key in ${name}, got ${key.length} bytes`);
  }
  return key;
}

function decryptField(state: SymmetricState, sealed: Uint8Array, name: string): Uint8Array {
  try {
    return state.decryptAndHash(sealed);
  } catch (cause) {
    if (!(cause instanceof NoiseError) || cause.code !== "decrypt_failed") throw cause;
    throw new NoiseError(
      "decrypt_failed",
      `expected ${name} to authenticate under the handshake key, it does not (${sealed.length} bytes): ` +
        "tampered, truncated or a different transcript",
      { cause },
    );
  }
}

function decryptStatic(state: SymmetricState, sealed: Uint8Array, whose: string): Uint8Array {
  const key = decryptField(state, sealed, `the encrypted ${whose} static key`);
  if (key.length !== KEY_LENGTH) {
    throw new NoiseError(
      "bad_static_key",
      `expected a ${KEY_LENGTH}-byte ${whose} static key, decrypted ${key.length} bytes`,
    );
  }
  return key;
}

function dh(privateKey: Uint8Array, publicKey: Uint8Array, whose: string): Uint8Array {
  try {
    return x25519(privateKey, publicKey);
  } catch (cause) {
    if (cause instanceof CryptoError && cause.code === "low_order_point") {
      throw new NoiseError(
        "low_order_key",
        `expected the ${whose} key to be a usable Curve25519 point, got the low-order point ${publicKey.toHex()}`,
        { cause },
      );
    }
    throw cause;
  }
}

function stateError(who: string, wanted: string, actual: string): NoiseError {
  const why = actual === "failed" ? "after a failed step" : `at step "${actual}"`;
  return new NoiseError("handshake_state", `${who}: step "${wanted}" called ${why}`);
}
