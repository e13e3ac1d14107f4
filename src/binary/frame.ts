/**
 * Frame payloads: the flags byte in front of an encoded node, and zlib decompression.
 *
 * Inflating uses `node:zlib`'s `inflateSync` rather than `DecompressionStream`: measured on Deno 2.9
 * (see `bench/binary.bench.ts`, group "inflate"), it is about 3.5x faster for 200 B - 4 KiB payloads and
 * 1.2x for 64 KiB, it takes a hard `maxOutputLength` bound, and it keeps `unmarshal` synchronous.
 *
 * @module
 */

import { inflateSync } from "node:zlib";
import { decodeAt } from "./decoder.ts";
import { BinaryDecodeError } from "./errors.ts";
import type { Node } from "./node.ts";

/** Flag bit saying the rest of the payload is zlib-compressed. */
export const FLAG_COMPRESSED = 0x02;

/** Default bound on the inflated size of a compressed payload (32 MiB). */
export const DEFAULT_MAX_INFLATED_SIZE: number = 32 * 1024 * 1024;

/** Options of {@link unmarshal}. */
export interface UnmarshalOptions {
  /** Largest inflated size accepted for a compressed payload, in bytes (default 32 MiB). */
  maxInflatedSize?: number;
}

/**
 * Inflates a zlib stream, rejecting output over `maxSize` bytes with {@link BinaryDecodeError} (so a
 * zlib bomb costs at most `maxSize` bytes of memory). `offset` is reported for errors.
 */
export function inflateBounded(data: Uint8Array, maxSize: number, offset = 0): Uint8Array {
  let out: Uint8Array;
  try {
    out = inflateSync(data, { maxOutputLength: Math.max(1, maxSize) });
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === "ERR_BUFFER_TOO_LARGE") {
      throw new BinaryDecodeError(`inflated payload exceeds the ${maxSize}-byte limit`, offset, {
        cause: error,
      });
    }
    throw new BinaryDecodeError(`invalid zlib data: ${(error as Error)?.message}`, offset, { cause: error });
  }
  // inflateSync returns a Node Buffer; expose a plain Uint8Array over the same memory.
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/**
 * Decodes a frame payload: a flags byte, then a node (zlib-compressed when flag bit 0x02 is set).
 *
 * For an uncompressed payload, byte content in the result is a view into `payload` (no copy), and error
 * offsets count the flags byte. For a compressed payload, byte content views the inflated buffer and
 * error offsets refer to the inflated bytes.
 *
 * @example
 * ```ts
 * import { unmarshal } from "./frame.ts";
 * unmarshal(new Uint8Array([0x00, 0xf8, 0x01, 0x13])); // { tag: "message", attrs: {}, content: undefined }
 * ```
 */
export function unmarshal(payload: Uint8Array, options?: UnmarshalOptions): Node {
  if (payload.length === 0) throw new BinaryDecodeError("empty payload: expected a flags byte", 0);
  const flags = payload[0];
  if ((flags & FLAG_COMPRESSED) !== 0) {
    const max = options?.maxInflatedSize ?? DEFAULT_MAX_INFLATED_SIZE;
    return decodeAt(inflateBounded(payload.subarray(1), max, 1), 0, 0);
  }
  return decodeAt(payload, 1, 0);
}
