/**
 * Adapters between node:crypto (which speaks `Buffer`) and the plain `Uint8Array`s this library hands out.
 *
 * @module
 */

/**
 * Returns `bytes` as a plain `Uint8Array` (not a `Buffer` subclass), without copying when `bytes` owns its
 * whole backing store. A `Buffer` leaking out would change `slice()` (a view, not a copy) and `toString()`
 * for callers, so every node:crypto result passes through here.
 */
export function plain(bytes: Uint8Array): Uint8Array {
  if (Object.getPrototypeOf(bytes) === Uint8Array.prototype) return bytes;
  const buffer = bytes.buffer;
  if (bytes.byteOffset === 0 && bytes.byteLength === buffer.byteLength) return new Uint8Array(buffer);
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return copy;
}

/** Joins the `update()` and `final()` outputs of a node:crypto cipher into one plain array. */
export function joinPlain(head: Uint8Array, tail: Uint8Array): Uint8Array {
  if (tail.length === 0) return plain(head);
  if (head.length === 0) return plain(tail);
  const out = new Uint8Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}

/** Unpadded base64url, the encoding of the `x`/`d` members of an OKP JSON Web Key. */
export function base64Url(bytes: Uint8Array): string {
  return bytes.toBase64({ alphabet: "base64url", omitPadding: true });
}

/**
 * Returns `bytes` typed as backed by an `ArrayBuffer`, as WebCrypto's `BufferSource` demands. Views over a
 * `SharedArrayBuffer` are copied, since WebCrypto rejects them.
 */
export function arrayBufferBacked(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  if (bytes.buffer instanceof ArrayBuffer) return bytes as Uint8Array<ArrayBuffer>;
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return copy;
}
