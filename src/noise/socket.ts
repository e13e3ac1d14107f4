/**
 * The encrypted connection after the handshake: {@link NoiseSocket} encrypts outgoing frames with the
 * write cipher and decrypts incoming ones with the read cipher, each with its own counter (AES-256-GCM,
 * empty associated data). The plaintext is whatever the client layer puts in a frame (a flags byte and a
 * binary node); the socket does not look at it.
 *
 * Counters are the nonces, so their order is the protocol: a frame must be encrypted with the next counter
 * and sent before the next frame, and incoming frames are decrypted with consecutive counters in arrival
 * order. Small frames are encrypted synchronously (node:crypto); large ones through WebCrypto off the event
 * loop, behind a queue that keeps call order (see {@link ASYNC_CRYPTO_THRESHOLD}).
 *
 * @module
 */

import type { CipherState } from "./cipher_state.ts";
import { NoiseError } from "./errors.ts";
import { encodeFrame, FRAME_MAX_SIZE } from "./framing.ts";
import type { TransportCiphers } from "./handshake.ts";

/**
 * Frames at least this long (plaintext when sending, ciphertext when receiving) go through WebCrypto's
 * async AES-GCM; shorter ones through synchronous node:crypto.
 *
 * From bench/noise.bench.ts ("AES-GCM path" groups: mean µs of encrypt + decrypt, node:crypto sync vs
 * WebCrypto async), runs on a shared 2-core machine:
 * - quiet: 1 KiB 21 vs 16, 2 KiB 30 vs 18, 4 KiB 49 vs 22, 8 KiB 87 vs 31, 16 KiB 159 vs 44;
 * - busy: 1 KiB 23 vs 114, 2 KiB 30 vs 207, 4 KiB 50 vs 91, 8 KiB 89 vs 114, 16 KiB 159 vs 140.
 *
 * Node's cost is steady (about 4 µs + 9 µs per KiB); WebCrypto's hop to its thread pool costs about 10 µs
 * on an idle CPU and over 100 µs on a busy one. At 4 KiB the worst case on either side of the cut is about
 * 2x (sync just below it when idle, async just above it when busy); 8 KiB would risk 2.8x, 2 KiB 6x. It is
 * also the crypto layer's own cut for `aesGcmEncryptAsync`. Typical stanzas (under 1 KiB) stay synchronous
 * and are sent without a promise hop; no frame blocks the event loop for more than about 40 µs.
 */
export const ASYNC_CRYPTO_THRESHOLD: number = 4 * 1024;

const TAG_LENGTH = 16;

/** The byte pipe under the socket: what it needs of a transport. */
export interface NoiseTransport {
  /** Sends bytes; may throw when the transport is closed. */
  send(data: Uint8Array): void;
  /** Closes the transport; safe to call more than once. */
  close(): void;
}

/**
 * An established Noise connection.
 *
 * @example
 * ```ts
 * import { CipherState, NoiseSocket } from "./mod.ts";
 * // Two ends of one connection: what one writes with, the other reads with (keys from the handshake).
 * const k1 = new Uint8Array(32).fill(1), k2 = new Uint8Array(32).fill(2);
 * const wire: Uint8Array[] = [];
 * const alice = new NoiseSocket({ send: (d) => void wire.push(d), close() {} }, {
 *   write: new CipherState(k1),
 *   read: new CipherState(k2),
 * });
 * const bob = new NoiseSocket({ send() {}, close() {} }, { write: new CipherState(k2), read: new CipherState(k1) });
 * await alice.sendFrame(new TextEncoder().encode("hello"));
 * // wire[0] is one frame: a 3-byte length, then the ciphertext with its 16-byte tag
 * new TextDecoder().decode(await bob.receiveFrame(wire[0].subarray(3))); // "hello"
 * ```
 */
export class NoiseSocket {
  readonly #transport: NoiseTransport;
  readonly #write: CipherState;
  readonly #read: CipherState;
  /** Settles when every send queued so far has been handed to the transport; undefined when none is. */
  #sendTail: Promise<void> | undefined;
  #sendsQueued = 0;
  /** Settles when every receive so far has been decrypted; undefined when none is pending. */
  #receiveTail: Promise<unknown> | undefined;
  #receivesQueued = 0;
  #closed: NoiseError | undefined;

  /** Wraps a transport and the ciphers its handshake produced. */
  constructor(transport: NoiseTransport, ciphers: TransportCiphers) {
    this.#transport = transport;
    this.#write = ciphers.write;
    this.#read = ciphers.read;
  }

  /** Whether the socket is closed (by {@link NoiseSocket.close} or a failure). */
  get closed(): boolean {
    return this.#closed !== undefined;
  }

  /** The counter the next sent frame will use. */
  get writeCounter(): number {
    return this.#write.counter;
  }

  /** The counter the next received frame will use. */
  get readCounter(): number {
    return this.#read.counter;
  }

  /**
   * Encrypts `plaintext` with the next write counter and sends it as one frame. Concurrent calls are sent
   * in call order, each with the next counter. Resolves once the frame is handed to the transport.
   *
   * @throws {NoiseError} `closed` after {@link NoiseSocket.close} or a failure (the cause says which);
   * `frame_too_large` when the frame would reach 16 MiB (the socket stays usable);
   * `counter_exhausted` after 2^32 - 1 frames.
   */
  sendFrame(plaintext: Uint8Array): Promise<void> {
    if (this.#closed !== undefined) return Promise.reject(this.#closed);
    if (plaintext.length + TAG_LENGTH >= FRAME_MAX_SIZE) {
      return Promise.reject(
        new NoiseError(
          "frame_too_large",
          `frame payload must be shorter than ${FRAME_MAX_SIZE - TAG_LENGTH} bytes before encryption, ` +
            `got ${plaintext.length}`,
        ),
      );
    }
    const small = plaintext.length < ASYNC_CRYPTO_THRESHOLD;
    let sealed: Promise<Uint8Array>;
    try {
      if (small && this.#sendsQueued === 0) {
        // Nothing ahead of it: encrypt and send now, without a promise hop.
        this.#send(this.#write.encrypt(plaintext));
        return Promise.resolve();
      }
      // The counter is taken now, in call order; only the wait for earlier frames and WebCrypto is deferred.
      sealed = small ? Promise.resolve(this.#write.encrypt(plaintext)) : this.#write.encryptAsync(plaintext);
    } catch (e) {
      this.#fail(e);
      return Promise.reject(e);
    }
    // Handled here so a failure while earlier frames are still in flight is not reported as unhandled.
    sealed.catch(() => {});
    const previous = this.#sendTail;
    this.#sendsQueued++;
    const sent = (async () => {
      try {
        if (previous !== undefined) await previous;
        const bytes = await sealed;
        if (this.#closed !== undefined) throw this.#closed;
        this.#send(bytes);
      } catch (e) {
        this.#fail(e);
        throw e;
      } finally {
        this.#sendsQueued--;
        if (this.#sendsQueued === 0) this.#sendTail = undefined;
      }
    })();
    // The chain only orders sends; each caller sees its own rejection through `sent`.
    this.#sendTail = sent.catch(() => {});
    return sent;
  }

  /**
   * Decrypts a received frame with the next read counter. Call it in arrival order; results resolve in
   * that order too.
   *
   * @throws {NoiseError} `frame_auth_failed` when the frame does not authenticate (the socket closes);
   * `closed` after {@link NoiseSocket.close} or a failure.
   */
  receiveFrame(ciphertext: Uint8Array): Promise<Uint8Array> {
    if (this.#closed !== undefined) return Promise.reject(this.#closed);
    const counter = this.#read.counter;
    const small = ciphertext.length < ASYNC_CRYPTO_THRESHOLD;
    let opened: Promise<Uint8Array>;
    try {
      if (small && this.#receivesQueued === 0) return Promise.resolve(this.#read.decrypt(ciphertext));
      // As in sendFrame, the counter is taken at the call.
      opened = small ? Promise.resolve(this.#read.decrypt(ciphertext)) : this.#read.decryptAsync(ciphertext);
    } catch (e) {
      return Promise.reject(this.#receiveFailure(e, counter, ciphertext.length));
    }
    opened.catch(() => {});
    const previous = this.#receiveTail;
    this.#receivesQueued++;
    const result = (async () => {
      try {
        if (previous !== undefined) await previous;
        let plaintext: Uint8Array;
        try {
          plaintext = await opened;
        } catch (e) {
          throw this.#receiveFailure(e, counter, ciphertext.length);
        }
        // A frame after a failed one may authenticate on its own, but the stream is already broken.
        if (this.#closed !== undefined) throw this.#closed;
        return plaintext;
      } finally {
        this.#receivesQueued--;
        if (this.#receivesQueued === 0) this.#receiveTail = undefined;
      }
    })();
    this.#receiveTail = result.catch(() => {});
    return result;
  }

  /** Closes the socket and its transport. Pending sends and receives reject with `closed`. Idempotent. */
  close(): void {
    if (this.#closed !== undefined) return;
    this.#closed = new NoiseError("closed", "expected an open Noise socket, it was closed");
    this.#transport.close();
  }

  #send(sealed: Uint8Array): void {
    try {
      this.#transport.send(encodeFrame(sealed));
    } catch (cause) {
      throw cause instanceof NoiseError ? cause : new NoiseError(
        "closed",
        `expected the transport to take a ${sealed.length}-byte frame, it failed: ${String(cause)}`,
        { cause },
      );
    }
  }

  /** A send or receive failed: later frames would use the wrong counters, so the socket is done. */
  #fail(cause: unknown): void {
    if (this.#closed !== undefined) return;
    this.#closed = new NoiseError(
      "closed",
      `expected an open Noise socket, it closed after a failure: ${
        cause instanceof Error ? cause.message : cause
      }`,
      { cause },
    );
    this.#transport.close();
  }

  #receiveFailure(error: unknown, counter: number, length: number): unknown {
    if (error instanceof NoiseError && error.code === "decrypt_failed") {
      const failure = new NoiseError(
        "frame_auth_failed",
        `expected frame ${counter} (${length} bytes) to authenticate under the read key, it does not`,
        { cause: error },
      );
      this.#fail(failure);
      return failure;
    }
    if (error instanceof NoiseError && error.code === "closed") return error;
    this.#fail(error);
    return error;
  }
}
