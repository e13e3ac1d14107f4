/**
 * Big-endian unsigned integers as stanza content: registration ids (4 bytes), prekey ids (3 bytes) and
 * similar fields that WhatsApp sends as raw bytes rather than attributes.
 *
 * @module
 */

/**
 * The `size`-byte big-endian encoding of `n` (the low bytes; `n` must be a non-negative integer).
 *
 * @example
 * ```ts
 * import { uintBytes } from "./uint.ts";
 * uintBytes(0x0102, 3); // Uint8Array [0, 1, 2]
 * ```
 */
export function uintBytes(n: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = size - 1; i >= 0; i--, n = Math.floor(n / 256)) out[i] = n & 0xff;
  return out;
}

/**
 * Reads a big-endian unsigned integer (up to 6 bytes stay exact); an absent value reads as 0.
 *
 * @example
 * ```ts
 * import { readUint } from "./uint.ts";
 * readUint(new Uint8Array([0, 1, 2])); // 258
 * ```
 */
export function readUint(bytes: Uint8Array | undefined): number {
  let n = 0;
  for (const b of bytes ?? []) n = n * 256 + b;
  return n;
}
