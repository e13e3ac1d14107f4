/**
 * Reading a connection's setup replies (a proxy's answer, the WebSocket upgrade response) exactly: a
 * {@linkcode ConnReader} buffers what arrived, hands out exact byte counts or a head that ends with a
 * delimiter, and gives back whatever came after, so no byte meant for the next layer is lost.
 *
 * @module
 */

/** Anything with Deno.Conn's `read`. */
export interface Readable {
  /** Reads into `buffer`; resolves with the byte count, or `null` at end of stream. */
  read(buffer: Uint8Array): Promise<number | null>;
}

/** Why a {@linkcode ConnReader} stopped. */
export class ConnReaderError extends Error {
  /** `eof`: the peer closed first; `too_long`: no delimiter within the limit. */
  readonly kind: "eof" | "too_long";
  /** Creates the error. */
  constructor(kind: "eof" | "too_long", message: string) {
    super(message);
    this.name = "ConnReaderError";
    this.kind = kind;
  }
}

const READ_SIZE = 4096;

/**
 * A small buffered reader for handshakes. It never holds more than it read, and reads at most
 * `READ_SIZE` bytes past what it needs.
 *
 * @example
 * ```ts
 * import { ConnReader } from "./conn_reader.ts";
 * const input = new TextEncoder().encode("HTTP/1.1 200 OK\r\n\r\nearly bytes");
 * let offset = 0;
 * const conn = { // anything with Deno.Conn's read
 *   read(buffer: Uint8Array): Promise<number | null> {
 *     if (offset === input.length) return Promise.resolve(null);
 *     const n = Math.min(buffer.length, input.length - offset);
 *     buffer.set(input.subarray(offset, offset + n));
 *     offset += n;
 *     return Promise.resolve(n);
 *   },
 * };
 * const reader = new ConnReader(conn);
 * const head = await reader.readUntil(new TextEncoder().encode("\r\n\r\n"), 16384);
 * new TextDecoder().decode(reader.rest()); // "early bytes": what followed the head
 * ```
 */
export class ConnReader {
  readonly #conn: Readable;
  #buffer: Uint8Array = new Uint8Array(0);

  /** Wraps a connection. */
  constructor(conn: Readable) {
    this.#conn = conn;
  }

  /** Reads exactly `n` bytes. Throws {@linkcode ConnReaderError} `eof` when the stream ends first. */
  async readExact(n: number): Promise<Uint8Array> {
    while (this.#buffer.length < n) await this.#fill(`${n} bytes`);
    const out = this.#buffer.slice(0, n);
    this.#buffer = this.#buffer.subarray(n);
    return out;
  }

  /**
   * Reads up to and including `delimiter`, at most `max` bytes in all.
   *
   * @throws {ConnReaderError} `too_long` when `max` bytes hold no delimiter; `eof` when the stream ends.
   */
  async readUntil(delimiter: Uint8Array, max: number): Promise<Uint8Array> {
    let searched = 0;
    for (;;) {
      const at = indexOf(this.#buffer, delimiter, searched);
      if (at >= 0) {
        const end = at + delimiter.length;
        if (end > max) break;
        const out = this.#buffer.slice(0, end);
        this.#buffer = this.#buffer.subarray(end);
        return out;
      }
      if (this.#buffer.length >= max) break;
      searched = Math.max(0, this.#buffer.length - delimiter.length + 1);
      await this.#fill(`a head of at most ${max} bytes`);
    }
    throw new ConnReaderError("too_long", `expected a head of at most ${max} bytes, got more without an end`);
  }

  /** What arrived after the last read, and gives up ownership of it. */
  rest(): Uint8Array {
    const out = this.#buffer;
    this.#buffer = new Uint8Array(0);
    return out;
  }

  async #fill(wanted: string): Promise<void> {
    const chunk = new Uint8Array(READ_SIZE);
    const n = await this.#conn.read(chunk);
    if (n === null) {
      throw new ConnReaderError(
        "eof",
        `expected ${wanted}, the connection ended after ${this.#buffer.length} bytes`,
      );
    }
    const next = new Uint8Array(this.#buffer.length + n);
    next.set(this.#buffer);
    next.set(chunk.subarray(0, n), this.#buffer.length);
    this.#buffer = next;
  }
}

function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  const last = haystack.length - needle.length;
  outer: for (let i = from; i <= last; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
