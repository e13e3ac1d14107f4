/**
 * HMAC-SHA256 and HMAC-SHA512 (RFC 2104).
 *
 * Backend: @noble/hashes below 1 KiB of input, node:crypto from there on and for the streaming form.
 * bench/crypto.bench.ts ("HMAC-SHA256 200 B" / "4 KiB"): at 200 B noble takes about 6-8 µs against
 * node's 9.4 µs (node sets up a native HMAC context per call, with a long tail); at 4 KiB node's native
 * SHA-256 wins, 15.5 vs 30.6 µs. The crossover measured in between is about 1 KiB. SHA-512 in JavaScript
 * is slow enough (64-bit words) that node wins at every size: 7.5 against 11.9 µs at 130 B, the size of an
 * app state value MAC (measured while benching bench/app_state.bench.ts).
 *
 * @module
 */

import { createHmac } from "node:crypto";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 as nobleSha256, sha512 as nobleSha512 } from "@noble/hashes/sha2.js";
import { type Hasher, NodeHasher } from "./hash.ts";
import { plain } from "./node_bytes.ts";

// Total input size from which node:crypto's native hashing outweighs its per-call setup (see bench).
const NODE_FROM_BYTES = 1024;

type NobleHash = typeof nobleSha256 | typeof nobleSha512;

function mac(name: "sha256" | "sha512", noble: NobleHash, key: Uint8Array, data: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const part of data) total += part.length;
  if (total < NODE_FROM_BYTES && name === "sha256") {
    const h = hmac.create(noble, key);
    for (const part of data) h.update(part);
    return h.digest();
  }
  const h = createHmac(name, key);
  for (const part of data) h.update(part);
  return plain(h.digest());
}

/**
 * HMAC-SHA256 of the concatenation of `data`, without concatenating it.
 *
 * @example
 * ```ts
 * import { hmacSha256, utf8 } from "./mod.ts";
 * const tag = hmacSha256(utf8("key"), utf8("header"), utf8("body"));
 * ```
 */
export function hmacSha256(key: Uint8Array, ...data: Uint8Array[]): Uint8Array {
  return mac("sha256", nobleSha256, key, data);
}

/** HMAC-SHA512 of the concatenation of `data`, without concatenating it. */
export function hmacSha512(key: Uint8Array, ...data: Uint8Array[]): Uint8Array {
  return mac("sha512", nobleSha512, key, data);
}

/**
 * Streaming HMAC-SHA256 for large inputs (media files), backed by node:crypto.
 *
 * @example
 * ```ts
 * import { createHmacSha256 } from "./mod.ts";
 * const mac = createHmacSha256(new Uint8Array(32)).update(new Uint8Array(16)).digest();
 * ```
 */
export function createHmacSha256(key: Uint8Array): Hasher {
  return new NodeHasher(createHmac("sha256", key));
}
