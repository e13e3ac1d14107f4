/**
 * Node -> bytes: {@link marshal}, {@link encodeNode} and {@link marshalInto}. The writing itself is in
 * `writer.ts` (nodes and strings) and `jid_writer.ts` (JIDs).
 *
 * @module
 */

import type { NodeInput } from "./node.ts";
import { SLAB_SIZE, Writer } from "./writer.ts";

export { MAX_ENCODE_DEPTH } from "./writer.ts";

/** A slab with less room than this left is replaced before an encode starts. */
const SLAB_MIN_FREE = 2048;

/*
 * Output pool. Allocating a small ArrayBuffer costs about 0.8 µs on Deno 2.9 (measured), more than
 * encoding a typical stanza, so results are carved from 64 KiB slabs as Node's Buffer pool does: each
 * result is a view of its own bytes, never handed out twice, and the slab is freed by the GC once all its
 * views are gone. The writer itself is reused (it holds no data between calls).
 */
let slab: Uint8Array = new Uint8Array(SLAB_SIZE);
let slabPos = 0;
const shared = new Writer(slab, false);
let sharedBusy = false;

/**
 * Encodes with the shared writer. Every buffer it writes into is allocated here or in the writer as a
 * plain `ArrayBuffer` (only `marshalInto` writes into a caller's buffer), hence the one cast.
 */
function run(node: NodeInput, flags: boolean): Uint8Array<ArrayBuffer> {
  return runShared(node, flags) as Uint8Array<ArrayBuffer>;
}

function runShared(node: NodeInput, flags: boolean): Uint8Array {
  // Re-entrancy (an attribute getter that encodes) gets its own writer and buffer.
  if (sharedBusy) return runAlone(node, flags);
  sharedBusy = true;
  const writer = shared;
  try {
    if (SLAB_SIZE - slabPos < SLAB_MIN_FREE) {
      slab = new Uint8Array(SLAB_SIZE);
      slabPos = 0;
    }
    writer.reset(slab, slabPos);
    if (flags) writer.buf[writer.pos++] = 0;
    writer.writeNode(node, 0);
    if (writer.deferCount !== 0) return writer.assemble();
    const { buf, start, pos } = writer;
    if (buf === slab) {
      slabPos = (pos + 7) & ~7;
      // A view built directly is ~25% cheaper than subarray() (measured), and this runs once per call.
      return new Uint8Array(buf.buffer, buf.byteOffset + start, pos - start);
    }
    // The output outgrew the slab and moved to a buffer of its own.
    if (buf.length <= 16 * SLAB_SIZE && buf.length - pos >= SLAB_MIN_FREE) {
      slab = buf;
      slabPos = (pos + 7) & ~7;
      return buf.subarray(start, pos);
    }
    return buf.length - pos > SLAB_SIZE ? buf.slice(start, pos) : buf.subarray(start, pos);
  } finally {
    sharedBusy = false;
    // Drop references to deferred arrays so they can be collected.
    if (writer.deferCount !== 0) writer.deferData.fill(undefined as unknown as Uint8Array);
    writer.buf = slab;
  }
}

function runAlone(node: NodeInput, flags: boolean): Uint8Array {
  const writer = new Writer(new Uint8Array(256), false);
  if (flags) writer.buf[writer.pos++] = 0;
  writer.writeNode(node, 0);
  return writer.deferCount !== 0 ? writer.assemble() : writer.buf.slice(0, writer.pos);
}

/**
 * Encodes a node without the frame's flags byte.
 *
 * @example
 * ```ts
 * import { encodeNode } from "./encoder.ts";
 * encodeNode({ tag: "message", attrs: {}, content: "receipt" }); // f8 02 13 07
 * ```
 */
export function encodeNode(node: NodeInput): Uint8Array<ArrayBuffer> {
  return run(node, false);
}

/**
 * Encodes a node as a frame payload: a flags byte of 0 (uncompressed) followed by the node.
 *
 * The result holds only this payload, but small results share their underlying `ArrayBuffer` with other
 * results (they are carved from a pool, as Node's `Buffer` does): read them through the view, or
 * `slice()` when you need an `ArrayBuffer` of your own.
 *
 * @example
 * ```ts
 * import { marshal } from "./encoder.ts";
 * marshal({ tag: "iq", attrs: { id: "1", type: "get" } });
 * ```
 */
export function marshal(node: NodeInput): Uint8Array<ArrayBuffer> {
  return run(node, true);
}

/**
 * Encodes a frame payload (flags byte 0 + node) into `buffer` starting at `offset`, without allocating,
 * and returns the number of bytes written. Throws {@link BinaryEncodeError} when the buffer is too small
 * (the bytes after `offset` are then unspecified).
 */
export function marshalInto(node: NodeInput, buffer: Uint8Array, offset = 0): number {
  if (!Number.isInteger(offset) || offset < 0 || offset > buffer.length) {
    throw new RangeError(`offset ${offset} is outside the buffer (length ${buffer.length})`);
  }
  const writer = new Writer(buffer.subarray(offset), true);
  writer.ensure(1);
  writer.buf[writer.pos++] = 0;
  writer.writeNode(node, 0);
  return writer.pos;
}
