/**
 * Small per-key caches for derived key material (imported KeyObjects, CryptoKeys, Edwards forms of private
 * keys). Identity and Noise keys are the same `Uint8Array` object for a whole session, so keying by object
 * identity hits; a copy of the bytes is checked on every hit so a caller mutating the array in place never
 * gets a stale value. Entries live exactly as long as the caller's key array (a `WeakMap`), which bounds the
 * cache by what the caller already holds.
 *
 * @module
 */

import { equalBytes } from "./bytes.ts";

/** A weak, content-checked cache from key bytes to something derived from them. */
export class KeyCache<V> {
  #entries = new WeakMap<Uint8Array, { bytes: Uint8Array; value: V }>();

  /** Returns the value derived from `key`, deriving and remembering it on a miss. */
  get(key: Uint8Array, derive: (key: Uint8Array) => V): V {
    const hit = this.#entries.get(key);
    if (hit !== undefined && equalBytes(hit.bytes, key)) return hit.value;
    const value = derive(key);
    // new Uint8Array(key) copies even when `key` is a Buffer (whose slice() would share memory).
    this.#entries.set(key, { bytes: new Uint8Array(key), value });
    return value;
  }
}
