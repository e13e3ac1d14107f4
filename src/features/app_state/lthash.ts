/**
 * WhatsApp's LT-hash ("WhatsApp Patch Integrity"): a 128-byte summary of a collection's set of value MACs
 * that is updated by adding and subtracting, so that any order of the same additions and removals gives the
 * same bytes.
 *
 * Each value MAC is expanded with HKDF-SHA256 (no salt, info `WhatsApp Patch Integrity`) to 128 bytes; the
 * state and the expansion are read as 64 little-endian unsigned 16-bit lanes and added or subtracted lane by
 * lane modulo 2^16. Little-endian is explicit here: whatsmeow (`appstate/lthash/lthash.go`) writes it out,
 * whatsapp-rust relied on native order until its "fix LTHash endianness" change.
 *
 * @module
 */

import { hkdf } from "../../crypto/mod.ts";
import { AppStateError } from "./errors.ts";

/** The byte length of an LT-hash state. */
export const LTHASH_LENGTH = 128;

/** The HKDF info string that expands a value MAC into an LT-hash term. */
export const LTHASH_INFO = "WhatsApp Patch Integrity";

/**
 * Expands one value MAC into the 128-byte term that is added to or subtracted from an LT-hash.
 *
 * @example
 * ```ts
 * import { ltHashExpand } from "./lthash.ts";
 * const term = ltHashExpand(new Uint8Array(32)); // 128 bytes
 * ```
 */
export function ltHashExpand(valueMac: Uint8Array): Uint8Array {
  return hkdf(valueMac, LTHASH_LENGTH, { info: LTHASH_INFO });
}

/**
 * Subtracts the terms of `subtract`, then adds those of `add`, to a copy of `hash`; returns the copy.
 * Both lists hold value MACs (any length; WhatsApp's are 32 bytes). Because lane arithmetic is modular,
 * the order of the items, and whether subtraction comes first, does not change the result.
 *
 * @throws {AppStateError} `malformed` when `hash` is not {@linkcode LTHASH_LENGTH} bytes.
 * @example
 * ```ts
 * import { ltHashSubtractThenAdd } from "./lthash.ts";
 * const mac = new Uint8Array(32).fill(7);
 * const added = ltHashSubtractThenAdd(new Uint8Array(128), [], [mac]);
 * const back = ltHashSubtractThenAdd(added, [mac], []); // 128 zero bytes again
 * ```
 */
export function ltHashSubtractThenAdd(
  hash: Uint8Array,
  subtract: readonly Uint8Array[],
  add: readonly Uint8Array[],
): Uint8Array {
  if (hash.length !== LTHASH_LENGTH) {
    throw new AppStateError("malformed", `an LT-hash is ${LTHASH_LENGTH} bytes, got ${hash.length}`);
  }
  const out = hash.slice();
  ltHashMixInPlace(out, subtract, -1);
  ltHashMixInPlace(out, add, 1);
  return out;
}

/**
 * Adds (`sign` 1) or subtracts (`sign` -1) the expansion of every value MAC in `items` into `target`, which
 * must be {@linkcode LTHASH_LENGTH} bytes. The in-place form used on the bulk paths (snapshots).
 */
export function ltHashMixInPlace(target: Uint8Array, items: readonly Uint8Array[], sign: 1 | -1): void {
  for (const item of items) addLanes(target, ltHashExpand(item), sign);
}

/**
 * Adds (`sign` 1) or subtracts (`sign` -1) `term` into `target` as 16-bit little-endian lanes with
 * wrap-around. Both must have the same even length.
 *
 * @throws {AppStateError} `malformed` when the lengths differ or are odd.
 * @example
 * ```ts
 * import { addLanes } from "./lthash.ts";
 * const a = new Uint8Array([0xff, 0xff, 0, 0]);
 * addLanes(a, new Uint8Array([1, 0, 1, 0]), 1); // a is now [0, 0, 1, 0]
 * ```
 */
export function addLanes(target: Uint8Array, term: Uint8Array, sign: 1 | -1): void {
  if (target.length !== term.length || target.length % 2 !== 0) {
    throw new AppStateError(
      "malformed",
      `LT-hash lanes need two buffers of the same even length, got ${target.length} and ${term.length}`,
    );
  }
  for (let i = 0; i < target.length; i += 2) {
    const x = target[i] | (target[i + 1] << 8);
    const y = term[i] | (term[i + 1] << 8);
    const r = (sign === 1 ? x + y : x - y) & 0xffff;
    target[i] = r & 0xff;
    target[i + 1] = r >>> 8;
  }
}
