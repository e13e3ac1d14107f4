/**
 * A pull reader over a stream of byte chunks, for scanning protobuf fields that straddle chunk
 * boundaries without joining the chunks.
 *
 * @module
 */

import { HistorySyncError } from "./errors.ts";

const EMPTY = new Uint8Array(0);
const TWO_32 = 4294967296;

/**
 * Reads varints and skips bytes across chunks pulled from an async iterator, and captures the bytes
 * between {@link ChunkReader.mark} and {@link ChunkReader.take} into one buffer. Holds at most the current
 * chunk plus the pieces of an open capture: nothing is read ahead.
 */
export class ChunkReader {
  readonly #chunks: AsyncIterator<Uint8Array>;
  #buf: Uint8Array = EMPTY;
  #pos = 0;
  // Bytes consumed before #buf, so offset = #base + #pos.
  #base = 0;
  #eof = false;
  // Open capture: the finished pieces, the capture's start in #buf, and its length so far.
  #pieces: Uint8Array[] | undefined;
  #markPos = 0;
  #markedBefore = 0;

  /** Creates a reader that pulls chunks from `chunks` only when it runs out of bytes. */
  constructor(chunks: AsyncIterator<Uint8Array>) {
    this.#chunks = chunks;
  }

  /** Offset of the next byte in the whole stream. */
  get offset(): number {
    return this.#base + this.#pos;
  }

  /** Bytes captured since {@link ChunkReader.mark} (0 when no capture is open). */
  get marked(): number {
    return this.#pieces === undefined ? 0 : this.#markedBefore + this.#pos - this.#markPos;
  }

  // Moves to the next non-empty chunk; false at the end of the stream.
  async #next(): Promise<boolean> {
    if (this.#eof) return false;
    for (;;) {
      const step = await this.#chunks.next();
      if (step.done) {
        this.#eof = true;
        return false;
      }
      if (step.value.length === 0) continue;
      if (this.#pieces !== undefined && this.#markPos < this.#buf.length) {
        this.#pieces.push(this.#buf.subarray(this.#markPos));
        this.#markedBefore += this.#buf.length - this.#markPos;
      }
      this.#base += this.#buf.length;
      this.#buf = step.value;
      this.#pos = 0;
      this.#markPos = 0;
      return true;
    }
  }

  /** True when the stream has no more bytes (pulls a chunk to find out if needed). */
  async atEnd(): Promise<boolean> {
    if (this.#pos < this.#buf.length) return false;
    return !(await this.#next());
  }

  /**
   * Reads a varint of at most 10 bytes and returns its value as a number; values of 2^53 and above
   * come back as `Infinity` (only lengths and tags are read this way, and those are then refused).
   * `field` names the field being read in errors.
   */
  async varint(field?: number): Promise<number> {
    const start = this.offset;
    // Fast path: the whole varint is in the current chunk.
    const buf = this.#buf;
    let pos = this.#pos;
    let lo = 0;
    for (let shift = 0; shift < 28 && pos < buf.length; shift += 7) {
      const b = buf[pos++];
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.#pos = pos;
        return lo >>> 0;
      }
    }
    return await this.#varintSlow(start, field);
  }

  async #varintSlow(start: number, field: number | undefined): Promise<number> {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.#pos >= this.#buf.length && !(await this.#next())) {
        throw new HistorySyncError("truncated", "expected the rest of a varint, but the data ended", {
          offset: start,
          field,
        });
      }
      const b = this.#buf[this.#pos++];
      value += (b & 0x7f) * scale;
      scale *= 128;
      if (b < 0x80) return value < 2 ** 53 ? value : Infinity;
    }
    throw new HistorySyncError("bad_protobuf", "expected a varint of at most 10 bytes", {
      offset: start,
      field,
    });
  }

  /**
   * Advances `n` bytes (bytes inside an open capture are kept); fails `truncated` if the data ends.
   * `field` names the field being read in errors.
   */
  async skip(n: number, field?: number): Promise<void> {
    const start = this.offset;
    let left = n;
    for (;;) {
      const have = this.#buf.length - this.#pos;
      if (left <= have) {
        this.#pos += left;
        return;
      }
      left -= have;
      this.#pos = this.#buf.length;
      if (!(await this.#next())) {
        throw new HistorySyncError(
          "truncated",
          `expected ${n} bytes, but the data ended after ${n - left}`,
          { offset: start, field },
        );
      }
    }
  }

  /**
   * Reads one whole field without awaiting, when it lies entirely in the current chunk, no capture is
   * open, and it is a varint, fixed-width or length-delimited field of at most `maxLength` bytes with a
   * tag of at most 4 bytes. Returns the tag and a copy of the field's bytes (tag included), or no bytes
   * when `keep(field)` is false; returns `undefined`, consuming nothing, when the caller must take the
   * general path (which also diagnoses bad input). This keeps small fields from costing several awaits.
   */
  syncField(
    maxLength: number,
    keep: (field: number) => boolean,
  ): { tag: number; raw: Uint8Array | undefined } | undefined {
    if (this.#pieces !== undefined) return undefined;
    const buf = this.#buf;
    const end = buf.length;
    const start = this.#pos;
    let p = start;
    let tag = 0;
    for (let shift = 0;; shift += 7) {
      if (p >= end || shift > 21) return undefined;
      const b = buf[p++];
      tag |= (b & 0x7f) << shift;
      if (b < 0x80) break;
    }
    const field = tag >>> 3;
    if (field === 0) return undefined;
    switch (tag & 7) {
      case 0:
        for (let i = 0;; i++) {
          if (p >= end || i === 10) return undefined;
          if (buf[p++] < 0x80) break;
        }
        break;
      case 1:
        p += 8;
        break;
      case 5:
        p += 4;
        break;
      case 2: {
        let len = 0;
        for (let shift = 0;; shift += 7) {
          if (p >= end || shift > 21) return undefined;
          const b = buf[p++];
          len |= (b & 0x7f) << shift;
          if (b < 0x80) break;
        }
        if (len > maxLength) return undefined;
        p += len;
        break;
      }
      default:
        return undefined;
    }
    if (p > end) return undefined;
    this.#pos = p;
    return { tag, raw: keep(field) ? buf.slice(start, p) : undefined };
  }

  /** Starts capturing bytes at the current offset (replacing any open capture). */
  mark(): void {
    this.#pieces = [];
    this.#markPos = this.#pos;
    this.#markedBefore = 0;
  }

  /** Ends the capture and drops what it held. */
  unmark(): void {
    this.#pieces = undefined;
  }

  /**
   * Ends the capture and returns its bytes as a fresh buffer: a copy, so that what the caller keeps never
   * pins a whole inflated chunk.
   */
  take(): Uint8Array {
    const pieces = this.#pieces;
    if (pieces === undefined) return EMPTY;
    this.#pieces = undefined;
    const last = this.#buf.subarray(this.#markPos, this.#pos);
    if (pieces.length === 0) return last.slice();
    const out = new Uint8Array(this.#markedBefore + last.length);
    let at = 0;
    for (const piece of pieces) {
      out.set(piece, at);
      at += piece.length;
    }
    out.set(last, at);
    return out;
  }
}

/** Formats a length read by {@link ChunkReader.varint} for an error message. */
export function describeLength(n: number): string {
  return n === Infinity ? "2^53 or more" : n >= TWO_32 ? `${n} (over 2^32)` : String(n);
}
