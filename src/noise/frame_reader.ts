/**
 * A pull interface over a push transport: transport chunks go in through {@link FrameReader.push}, whole
 * frames come out of {@link FrameReader.read} (or `for await`), in order. The handshake drivers read the
 * peer's handshake messages from it, and the same reader then delivers the transport frames, so bytes
 * that arrive together with the last handshake message are not lost.
 *
 * No timers: a read waits until a frame arrives, the reader ends, or the caller's `AbortSignal` fires.
 *
 * @module
 */

import { NoiseError } from "./errors.ts";
import { FrameDecoder, type FrameDecoderOptions, type Intro } from "./framing.ts";

/** Where complete frames come from: what the handshake drivers need of a {@link FrameReader}. */
export interface FrameSource {
  /** The next frame; rejects with `signal.reason` when `signal` aborts first. */
  read(signal?: AbortSignal): Promise<Uint8Array>;
}

interface Waiter {
  resolve(frame: Uint8Array): void;
  reject(error: unknown): void;
}

/**
 * Frames from a transport, queued until read.
 *
 * @example
 * ```ts
 * import { encodeFrame } from "./framing.ts";
 * import { FrameReader } from "./frame_reader.ts";
 * const reader = new FrameReader();
 * // transport handlers: onData: (chunk) => reader.push(chunk), onClose: () => reader.end()
 * reader.push(encodeFrame(new Uint8Array([1])));
 * await reader.read(); // Uint8Array [1]
 * ```
 */
export class FrameReader implements FrameSource, AsyncIterable<Uint8Array> {
  readonly #decoder: FrameDecoder;
  #frames: Uint8Array[] = [];
  #head = 0;
  #waiters: Waiter[] = [];
  #ended = false;
  #error: unknown;

  /** Creates a reader; `options` configure its {@link FrameDecoder} (e.g. `expectIntro` for a server). */
  constructor(options?: FrameDecoderOptions) {
    this.#decoder = new FrameDecoder(options);
  }

  /** The intro the client sent, once read (a reader created with `expectIntro`). */
  get intro(): Intro | undefined {
    return this.#decoder.intro;
  }

  /** Whether the reader has ended (frames queued before the end can still be read). */
  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Feeds a transport chunk. A framing error (oversize frame, bad intro) ends the reader with that error,
   * after the frames that came before it.
   */
  push(chunk: Uint8Array): void {
    if (this.#ended) return;
    let frames: Uint8Array[];
    try {
      frames = this.#decoder.push(chunk);
    } catch (error) {
      this.end(error);
      return;
    }
    for (const frame of frames) {
      const waiter = this.#waiters.shift();
      if (waiter !== undefined) waiter.resolve(frame);
      else this.#frames.push(frame);
    }
  }

  /**
   * Ends the stream: queued frames can still be read, then reads reject with `error` when given (a
   * {@link NoiseError} as is, anything else as the `cause` of a `closed` NoiseError), else with a `closed`
   * NoiseError. Only the first call counts.
   */
  end(error?: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(this.#endError());
  }

  /**
   * The next frame, in arrival order.
   *
   * @throws {NoiseError} `closed` (or the framing error) once the reader has ended and its queue is empty;
   * `signal.reason` when `signal` aborts first.
   */
  read(signal?: AbortSignal): Promise<Uint8Array> {
    if (this.#head < this.#frames.length) return Promise.resolve(this.#shift());
    if (this.#ended) return Promise.reject(this.#endError());
    if (signal?.aborted) return Promise.reject(signal.reason);
    const { promise, resolve, reject } = Promise.withResolvers<Uint8Array>();
    const onAbort = () => {
      const i = this.#waiters.indexOf(waiter);
      if (i >= 0) this.#waiters.splice(i, 1);
      reject(signal?.reason);
    };
    const waiter: Waiter = {
      resolve: (frame) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(frame);
      },
      reject: (error) => {
        signal?.removeEventListener("abort", onAbort);
        reject(error);
      },
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    this.#waiters.push(waiter);
    return promise;
  }

  /** Yields frames until the reader ends; a clean end finishes the loop, an error end throws it. */
  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      try {
        yield await this.read();
      } catch (e) {
        if (this.#ended && this.#error === undefined && e instanceof NoiseError && e.code === "closed") {
          return;
        }
        throw e;
      }
    }
  }

  #shift(): Uint8Array {
    const frame = this.#frames[this.#head];
    this.#head++;
    if (this.#head === this.#frames.length) {
      this.#frames = [];
      this.#head = 0;
    } else if (this.#head >= 64 && 2 * this.#head >= this.#frames.length) {
      this.#frames = this.#frames.slice(this.#head);
      this.#head = 0;
    }
    return frame;
  }

  #endError(): unknown {
    const error = this.#error;
    if (error instanceof NoiseError) return error;
    return new NoiseError(
      "closed",
      error === undefined
        ? "expected a frame, but the connection closed"
        : `expected a frame, but the connection failed: ${String(error)}`,
      error === undefined ? undefined : { cause: error },
    );
  }
}
