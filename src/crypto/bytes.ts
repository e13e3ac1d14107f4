/**
 * Byte helpers shared by the whole library.
 *
 * @module
 */

/**
 * Concatenates byte arrays into one new array.
 *
 * @example
 * ```ts
 * concatBytes(new Uint8Array([1]), new Uint8Array([2, 3])); // Uint8Array [1, 2, 3]
 * ```
 */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * Compares two byte arrays. For equal lengths the time taken does not depend on where they differ, so it is
 * the comparison to use for MACs and tags. Different lengths return `false` at once (lengths are public).
 *
 * @example
 * ```ts
 * equalBytes(new Uint8Array([1, 2]), new Uint8Array([1, 2])); // true
 * ```
 */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

const encoder = new TextEncoder();

/**
 * Encodes a string as UTF-8 with one shared `TextEncoder`.
 *
 * @example
 * ```ts
 * utf8("WhatsApp"); // Uint8Array of 8 bytes
 * ```
 */
export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}
