/**
 * RFC 6455 section 5 framing, client side: {@linkcode encodeClientFrame} builds one masked frame, and
 * {@linkcode FrameParser} cuts the server's byte stream into frames, refusing what a server must not send
 * (a masked frame, reserved bits, an unknown opcode, a fragmented or oversized control frame) and any frame
 * over its bound. It never allocates by what a length field announces, only by the bytes that arrived.
 *
 * @module
 */

import { TransportError } from "./errors.ts";

/** Frame opcodes (RFC 6455 section 5.2). */
export const Opcode = {
  continuation: 0x0,
  text: 0x1,
  binary: 0x2,
  close: 0x8,
  ping: 0x9,
  pong: 0xa,
} as const;

/** A frame opcode. */
export type Opcode = typeof Opcode[keyof typeof Opcode];

/** Control frames carry at most 125 bytes (RFC 6455 section 5.5). */
export const MAX_CONTROL_PAYLOAD = 125;

/** One parsed frame. */
export interface Frame {
  /** Whether this is the last fragment of its message. */
  fin: boolean;
  /** What the frame is. */
  opcode: Opcode;
  /** The payload (unmasked; server frames are never masked). Owned by the receiver. */
  payload: Uint8Array;
}

/**
 * One client frame with FIN set: the header, the mask key, and the payload XORed with it. `mask` must be 4
 * bytes from a strong source of randomness (RFC 6455 section 5.3).
 *
 * @example
 * ```ts
 * import { encodeClientFrame, Opcode } from "./websocket_frame.ts";
 * // RFC 6455 section 5.7: a masked "Hello" is 81 85 37 fa 21 3d 7f 9f 4d 51 58
 * const frame = encodeClientFrame(Opcode.text, new TextEncoder().encode("Hello"), Uint8Array.of(0x37, 0xfa, 0x21, 0x3d));
 * ```
 */
export function encodeClientFrame(opcode: Opcode, payload: Uint8Array, mask: Uint8Array): Uint8Array {
  const length = payload.length;
  const lengthBytes = length < 126 ? 0 : length < 0x10000 ? 2 : 8;
  const start = 2 + lengthBytes + 4;
  const out = new Uint8Array(start + length);
  out[0] = 0x80 | opcode;
  if (lengthBytes === 0) out[1] = 0x80 | length;
  else if (lengthBytes === 2) {
    out[1] = 0x80 | 126;
    out[2] = length >>> 8;
    out[3] = length & 0xff;
  } else {
    out[1] = 0x80 | 127;
    // Lengths here are below 2^32 (a Uint8Array), so the upper four bytes stay zero.
    out[6] = length >>> 24;
    out[7] = (length >>> 16) & 0xff;
    out[8] = (length >>> 8) & 0xff;
    out[9] = length & 0xff;
  }
  out.set(mask.subarray(0, 4), start - 4);
  const m0 = mask[0], m1 = mask[1], m2 = mask[2], m3 = mask[3];
  let i = 0;
  for (; i + 4 <= length; i += 4) {
    out[start + i] = payload[i] ^ m0;
    out[start + i + 1] = payload[i + 1] ^ m1;
    out[start + i + 2] = payload[i + 2] ^ m2;
    out[start + i + 3] = payload[i + 3] ^ m3;
  }
  for (; i < length; i++) out[start + i] = payload[i] ^ mask[i & 3];
  return out;
}

/**
 * Cuts a server's byte stream into frames. Push chunks in arrival order; each complete frame is handed to
 * the callback as soon as its last byte arrives.
 *
 * @example
 * ```ts
 * import { FrameParser } from "./websocket_frame.ts";
 * const parser = new FrameParser({ maxFrameBytes: 1 << 20 });
 * parser.push(Uint8Array.of(0x82, 0x02, 0xaa, 0xbb), (frame) => console.log(frame.payload));
 * ```
 */
export class FrameParser {
  readonly #max: number;
  /** Bytes of a header not yet complete (at most 14). */
  #head = new Uint8Array(14);
  #headLength = 0;
  /** The frame whose payload is being collected. */
  #current: { fin: boolean; opcode: Opcode; length: number } | undefined;
  #pieces: Uint8Array[] = [];
  #collected = 0;

  /** `maxFrameBytes` bounds one frame's payload. */
  constructor(options: { maxFrameBytes: number }) {
    this.#max = options.maxFrameBytes;
  }

  /** Bytes held for a frame not yet complete. */
  get buffered(): number {
    return this.#headLength + this.#collected;
  }

  /**
   * Consumes `chunk` (which the parser may keep views of only until it returns: payloads are copied).
   *
   * @throws {TransportError} `ws_protocol` for a frame a server must not send; `frame_too_large` for a
   * payload over the bound. After a throw the stream is unusable.
   */
  push(chunk: Uint8Array, onFrame: (frame: Frame) => void): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#current === undefined) {
        offset = this.#readHeader(chunk, offset);
        if (this.#current === undefined) return;
        if ((this.#current as { length: number }).length === 0) this.#emit(onFrame);
        continue;
      }
      const want = this.#current.length - this.#collected;
      const take = Math.min(want, chunk.length - offset);
      this.#pieces.push(chunk.slice(offset, offset + take));
      this.#collected += take;
      offset += take;
      if (this.#collected === this.#current.length) this.#emit(onFrame);
    }
  }

  #emit(onFrame: (frame: Frame) => void): void {
    const { fin, opcode, length } = this.#current!;
    const pieces = this.#pieces;
    let payload: Uint8Array;
    if (pieces.length === 1) payload = pieces[0];
    else {
      payload = new Uint8Array(length);
      let at = 0;
      for (const piece of pieces) {
        payload.set(piece, at);
        at += piece.length;
      }
    }
    this.#current = undefined;
    this.#pieces = [];
    this.#collected = 0;
    onFrame({ fin, opcode, payload });
  }

  /** Adds header bytes from `chunk`; sets `#current` once the header is whole. Returns the new offset. */
  #readHeader(chunk: Uint8Array, offset: number): number {
    const head = this.#head;
    // Take what the header needs: 2 bytes first, then the length bytes the second byte announces.
    while (offset < chunk.length) {
      head[this.#headLength++] = chunk[offset++];
      const needed = this.#headLength < 2 ? 2 : headerSize(head[1]);
      if (this.#headLength === needed) break;
    }
    if (this.#headLength < 2 || this.#headLength < headerSize(head[1])) return offset;
    const b0 = head[0], b1 = head[1];
    this.#headLength = 0;
    if ((b0 & 0x70) !== 0) {
      throw protocol(
        `expected reserved bits 0 (no extension was negotiated), got 0x${(b0 & 0x70).toString(16)}`,
      );
    }
    const opcode = b0 & 0x0f;
    if (!isOpcode(opcode)) throw protocol(`expected opcode 0, 1, 2, 8, 9 or 10, got ${opcode}`);
    if (b1 & 0x80) throw protocol("expected an unmasked frame from the server, got a masked one");
    const fin = (b0 & 0x80) !== 0;
    let length = b1 & 0x7f;
    if (length === 126) length = (head[2] << 8) | head[3];
    else if (length === 127) {
      if (head[2] & 0x80) throw protocol("expected a 63-bit payload length, got the top bit set");
      // Above 2^32 is over any bound this parser takes; the low word alone would mislead.
      const high = ((head[2] << 24) | (head[3] << 16) | (head[4] << 8) | head[5]) >>> 0;
      const low = ((head[6] << 24) | (head[7] << 16) | (head[8] << 8) | head[9]) >>> 0;
      length = high * 2 ** 32 + low;
    }
    if (opcode >= 0x8) {
      if (!fin) throw protocol(`expected a control frame (opcode ${opcode}) with FIN set, got a fragment`);
      if (length > MAX_CONTROL_PAYLOAD) {
        throw protocol(`expected a control frame of at most 125 bytes, got ${length}`);
      }
    }
    if (length > this.#max) {
      throw new TransportError(
        "frame_too_large",
        `expected a WebSocket frame of at most ${this.#max} bytes, got a header announcing ${length}`,
      );
    }
    this.#current = { fin, opcode, length };
    return offset;
  }
}

/** Header bytes implied by the second header byte (without the mask key: servers do not mask). */
function headerSize(b1: number): number {
  const length = b1 & 0x7f;
  return length < 126 ? 2 : length === 126 ? 4 : 10;
}

function isOpcode(op: number): op is Opcode {
  return op <= 0x2 || (op >= 0x8 && op <= 0xa);
}

function protocol(message: string): TransportError {
  return new TransportError("ws_protocol", message);
}
