/**
 * WhatsApp's connection framing: the intro the client sends once (the 4-byte header `"WA",6,3`, optionally
 * preceded by the edge-routing pre-intro `"ED",0,1` + 3-byte length + routing info), then frames of a
 * 3-byte big-endian length and that many bytes.
 *
 * A transport chunk (a WebSocket message) may hold part of a frame or several frames; {@link FrameDecoder}
 * reassembles them. It never allocates by what a length prefix announces, only by the bytes that arrived,
 * and it hands out views into the received chunks when a frame lies inside one chunk.
 *
 * @module
 */

import { NoiseError } from "./errors.ts";

// The originals stay private; the exports are copies, so a caller writing to them changes nothing here.
const HEADER = Uint8Array.of(0x57, 0x41, 6, 3);
const ED_MAGIC = Uint8Array.of(0x45, 0x44, 0, 1);

/**
 * WhatsApp's connection header: `"WA"`, magic 6, token dictionary version 3. It is the Noise prologue.
 * A copy of the bytes this module uses.
 */
export const WA_CONN_HEADER: Uint8Array = HEADER.slice();

/**
 * The edge-routing pre-intro magic `"ED",0,1`; a 3-byte length and the routing info follow it. A copy of
 * the bytes this module uses.
 */
export const EDGE_ROUTING_MAGIC: Uint8Array = ED_MAGIC.slice();

/** Bytes in a frame's length prefix. */
export const FRAME_LENGTH_SIZE = 3;

/**
 * The frame limit, 16 MiB: a frame's payload must be shorter (a 3-byte length cannot say more than
 * 2^24 - 1), and a {@link FrameDecoder} refuses longer announced lengths when given a lower limit.
 */
export const FRAME_MAX_SIZE: number = 1 << 24;

/** The largest edge-routing info a 3-byte length can describe. */
export const MAX_ROUTING_INFO_LENGTH = 0xffffff;

const EDGE_ROUTING_PREFIX_SIZE = ED_MAGIC.length + FRAME_LENGTH_SIZE;

/**
 * Frames `payload`: its 3-byte big-endian length, then the bytes; `prefix` (an intro) goes first when
 * given, so the first message needs one copy only.
 *
 * @throws {NoiseError} `frame_too_large` when the payload is {@link FRAME_MAX_SIZE} bytes or longer.
 * @example
 * ```ts
 * import { encodeFrame } from "./framing.ts";
 * encodeFrame(new Uint8Array([0xaa, 0xbb])); // Uint8Array [0, 0, 2, 0xaa, 0xbb]
 * ```
 */
export function encodeFrame(payload: Uint8Array, prefix?: Uint8Array): Uint8Array {
  const length = payload.length;
  if (length >= FRAME_MAX_SIZE) {
    throw new NoiseError(
      "frame_too_large",
      `frame payload must be shorter than ${FRAME_MAX_SIZE} bytes, got ${length}`,
    );
  }
  const start = prefix?.length ?? 0;
  const out = new Uint8Array(start + FRAME_LENGTH_SIZE + length);
  if (prefix !== undefined) out.set(prefix);
  out[start] = length >>> 16;
  out[start + 1] = (length >>> 8) & 0xff;
  out[start + 2] = length & 0xff;
  out.set(payload, start + FRAME_LENGTH_SIZE);
  return out;
}

/**
 * The bytes a client sends before its first frame: {@link WA_CONN_HEADER}, preceded by the edge-routing
 * pre-intro when `routingInfo` is given (the routing info the server sent in an earlier session).
 *
 * @throws {NoiseError} `routing_info_too_large` when `routingInfo` is longer than 2^24 - 1 bytes.
 * @example
 * ```ts
 * import { encodeIntro } from "./framing.ts";
 * encodeIntro().toHex(); // "57410603"
 * encodeIntro(new Uint8Array([9])).toHex(); // "45440001000001" + "09" + "57410603"
 * ```
 */
export function encodeIntro(routingInfo?: Uint8Array): Uint8Array {
  if (routingInfo === undefined) return HEADER.slice();
  const length = routingInfo.length;
  if (length > MAX_ROUTING_INFO_LENGTH) {
    throw new NoiseError(
      "routing_info_too_large",
      `edge-routing info must be at most ${MAX_ROUTING_INFO_LENGTH} bytes, got ${length}`,
    );
  }
  const out = new Uint8Array(EDGE_ROUTING_PREFIX_SIZE + length + HEADER.length);
  out.set(ED_MAGIC);
  out[4] = length >>> 16;
  out[5] = (length >>> 8) & 0xff;
  out[6] = length & 0xff;
  out.set(routingInfo, EDGE_ROUTING_PREFIX_SIZE);
  out.set(HEADER, EDGE_ROUTING_PREFIX_SIZE + length);
  return out;
}

/** What a responder read before the first frame. */
export interface Intro {
  /** The edge-routing info of the pre-intro, when the client sent one. */
  routingInfo?: Uint8Array;
}

/** Options of {@link FrameDecoder}. */
export interface FrameDecoderOptions {
  /**
   * The longest frame (and edge-routing info) accepted; longer announced lengths fail with
   * `frame_too_large` before any of their bytes are kept. Default {@link FRAME_MAX_SIZE}.
   */
  maxFrameSize?: number;
  /**
   * Responder side: expect the connection intro (edge-routing pre-intro optional, then
   * {@link WA_CONN_HEADER}) before the first frame. Default `false`.
   */
  expectIntro?: boolean;
}

/**
 * Reassembles frames from transport chunks: feed chunks to {@link FrameDecoder.push} in arrival order and
 * get back every frame they complete. After an error the decoder stays failed (the stream cannot be
 * resynchronised), and every later `push` throws the same error.
 *
 * Frames are views into the pushed chunks when they fit in one, else fresh arrays; the decoder keeps only
 * bytes not yet handed out.
 *
 * @example
 * ```ts
 * import { encodeFrame, FrameDecoder } from "./framing.ts";
 * const decoder = new FrameDecoder();
 * const wire = encodeFrame(new Uint8Array([1, 2, 3]));
 * decoder.push(wire.subarray(0, 2)); // []
 * decoder.push(wire.subarray(2)); // [Uint8Array [1, 2, 3]]
 * ```
 */
/** Chunks below this size are copied into a staging buffer rather than kept as they are. */
const SMALL_CHUNK = 4_096;
/** The size of one staging buffer. */
const STAGE_SIZE = 65_536;

export class FrameDecoder {
  readonly #maxFrameSize: number;
  /** Received chunks; those before `#head` are consumed (dropped in batches, not one `shift` each). */
  #chunks: Uint8Array[] = [];
  #head = 0;
  /** Read offset into `#chunks[#head]`. */
  #offset = 0;
  #buffered = 0;
  /** Length of the frame being assembled, or -1 before its prefix is complete. */
  #pending = -1;
  #awaitingIntro: boolean;
  #intro: Intro | undefined;
  /** The staging buffer small chunks are copied into (see `#store`). */
  #stage: { bytes: Uint8Array; used: number; index: number } | undefined;
  #failure: NoiseError | undefined;

  /** Creates a decoder; see {@link FrameDecoderOptions}. */
  constructor(options: FrameDecoderOptions = {}) {
    const max = options.maxFrameSize ?? FRAME_MAX_SIZE;
    if (!Number.isInteger(max) || max < 0) {
      throw new RangeError(`maxFrameSize must be a non-negative integer, got ${max}`);
    }
    this.#maxFrameSize = max;
    this.#awaitingIntro = options.expectIntro ?? false;
  }

  /** The intro, once read (only with `expectIntro`). */
  get intro(): Intro | undefined {
    return this.#intro;
  }

  /** Bytes received but not yet returned as part of a frame. */
  get buffered(): number {
    return this.#buffered;
  }

  /**
   * Feeds the next chunk and returns the frames it completes, in order (possibly none).
   *
   * @throws {NoiseError} `frame_too_large` for a length over the limit; `bad_intro` when the intro is not
   * the WhatsApp header; the first error again on every later call.
   */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.#failure !== undefined) throw this.#failure;
    const frames: Uint8Array[] = [];
    if (chunk.length === 0) return frames;
    this.#store(chunk);
    this.#buffered += chunk.length;
    try {
      if (this.#awaitingIntro && !this.#readIntro()) return frames;
      for (;;) {
        if (this.#pending < 0) {
          if (this.#buffered < FRAME_LENGTH_SIZE) break;
          this.#pending = this.#readLength("frame");
        }
        if (this.#buffered < this.#pending) break;
        frames.push(this.#take(this.#pending));
        this.#pending = -1;
      }
    } catch (e) {
      this.#fail(e as NoiseError);
    }
    return frames;
  }

  /** Chunks held (for tests of the memory bound: small chunks share staging buffers). */
  get storedChunks(): number {
    return this.#chunks.length - this.#head;
  }

  /**
   * Keeps a chunk. A small one is copied into a shared staging buffer instead of being kept as its own
   * array: a peer that sends a frame a byte at a time must cost about one byte per byte, not the
   * hundreds a `Uint8Array` object per byte would.
   */
  #store(chunk: Uint8Array): void {
    // Nothing buffered (the common case: whole frames per chunk) or a large chunk: keep it as it is, so
    // frames inside it come out as views without a copy.
    if (chunk.length >= SMALL_CHUNK || this.#chunks.length === this.#head) {
      this.#chunks.push(chunk);
      this.#stage = undefined;
      return;
    }
    let stage = this.#stage;
    if (!stage || stage.used + chunk.length > stage.bytes.length) {
      stage = { bytes: new Uint8Array(STAGE_SIZE), used: 0, index: -1 };
      this.#stage = stage;
    }
    stage.bytes.set(chunk, stage.used);
    stage.used += chunk.length;
    const view = stage.bytes.subarray(0, stage.used);
    // The staged bytes are the last chunk: extend it in place, or start it.
    if (stage.index >= 0 && stage.index === this.#chunks.length - 1) this.#chunks[stage.index] = view;
    else {
      this.#chunks.push(view);
      stage.index = this.#chunks.length - 1;
    }
  }

  #fail(error: NoiseError): never {
    this.#failure = error;
    this.#stage = undefined;
    this.#chunks = [];
    this.#head = 0;
    this.#offset = 0;
    this.#buffered = 0;
    throw error;
  }

  /** Reads the intro when all of it has arrived; returns whether it has. */
  #readIntro(): boolean {
    if (this.#buffered < 2) return false;
    let routingInfo: Uint8Array | undefined;
    if (this.#peek(0) === ED_MAGIC[0] && this.#peek(1) === ED_MAGIC[1]) {
      if (this.#buffered < EDGE_ROUTING_PREFIX_SIZE) return false;
      const magic = this.#peekBytes(ED_MAGIC.length);
      if (magic[2] !== ED_MAGIC[2] || magic[3] !== ED_MAGIC[3]) {
        throw new NoiseError(
          "bad_intro",
          `expected the edge-routing pre-intro ${ED_MAGIC.toHex()}, got ${magic.toHex()}`,
        );
      }
      const length = this.#peekLength(ED_MAGIC.length, "edge-routing info");
      if (this.#buffered < EDGE_ROUTING_PREFIX_SIZE + length + HEADER.length) return false;
      this.#skip(EDGE_ROUTING_PREFIX_SIZE);
      routingInfo = new Uint8Array(this.#take(length)); // a copy, and a plain array even if the chunk was a Buffer
    } else if (this.#buffered < HEADER.length) {
      if (this.#peek(0) !== HEADER[0] || this.#peek(1) !== HEADER[1]) {
        throw this.#badHeader(this.#peekBytes(2), false);
      }
      return false;
    }
    const header = this.#peekBytes(HEADER.length);
    if (!header.every((b, i) => b === HEADER[i])) {
      throw this.#badHeader(header, routingInfo !== undefined);
    }
    this.#skip(HEADER.length);
    this.#intro = routingInfo === undefined ? {} : { routingInfo };
    this.#awaitingIntro = false;
    return true;
  }

  #badHeader(got: Uint8Array, afterRouting: boolean): NoiseError {
    const expected = afterRouting
      ? `the connection header ${HEADER.toHex()} after the edge-routing info`
      : `the connection header ${HEADER.toHex()} or the edge-routing pre-intro ${ED_MAGIC.toHex()}`;
    return new NoiseError("bad_intro", `expected ${expected}, got ${got.toHex()}`);
  }

  /** Consumes a 3-byte length prefix and checks it against the limit. */
  #readLength(what: string): number {
    const length = this.#peekLength(0, what);
    this.#skip(FRAME_LENGTH_SIZE);
    return length;
  }

  #peekLength(at: number, what: string): number {
    const length = (this.#peek(at) << 16) | (this.#peek(at + 1) << 8) | this.#peek(at + 2);
    if (length > this.#maxFrameSize) {
      throw new NoiseError(
        "frame_too_large",
        `${what} length must be at most ${this.#maxFrameSize} bytes, the prefix says ${length}`,
      );
    }
    return length;
  }

  /** The buffered byte at `index` (relative to the read position); the caller checks it exists. */
  #peek(index: number): number {
    let i = index + this.#offset;
    for (let c = this.#head; c < this.#chunks.length; c++) {
      const chunk = this.#chunks[c];
      if (i < chunk.length) return chunk[i];
      i -= chunk.length;
    }
    throw new RangeError(`peek past the buffered bytes (${index} of ${this.#buffered})`);
  }

  #peekBytes(n: number): Uint8Array {
    return Uint8Array.from({ length: n }, (_, i) => this.#peek(i));
  }

  #skip(n: number): void {
    this.#buffered -= n;
    while (n > 0) {
      const rest = this.#chunks[this.#head].length - this.#offset;
      if (n < rest) {
        this.#offset += n;
        return;
      }
      n -= rest;
      this.#head++;
      this.#offset = 0;
    }
    if (this.#head === this.#chunks.length) {
      this.#chunks = [];
      this.#head = 0;
      this.#stage = undefined;
    } else if (this.#head >= 64 && 2 * this.#head >= this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#head);
      if (this.#stage) this.#stage.index -= this.#head;
      this.#head = 0;
    }
  }

  /** Removes and returns the next `n` bytes: a view when they lie in one chunk, else a copy. */
  #take(n: number): Uint8Array {
    if (n === 0) return new Uint8Array(0);
    const first = this.#chunks[this.#head];
    if (first.length - this.#offset >= n) {
      const view = first.subarray(this.#offset, this.#offset + n);
      this.#skip(n);
      return view;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.#chunks[this.#head];
      const part = Math.min(chunk.length - this.#offset, n - filled);
      out.set(chunk.subarray(this.#offset, this.#offset + part), filled);
      filled += part;
      this.#skip(part);
    }
    return out;
  }
}
