/**
 * The twisted Edwards core under XEdDSA: scalar and point encodings, signing with an explicit scalar and
 * nonce, and RFC 8032 verification. Internal to the crypto layer (mod.ts does not re-export it); the tests
 * run RFC 8032 §7.1 through it.
 *
 * Backends, from bench/crypto.bench.ts ("XEdDSA sign" / "XEdDSA verify"):
 * - Signing: @noble/curves point arithmetic (constant-time base-point multiplication, about 110 µs).
 *   node:crypto can only sign with a seed it hashes itself, not with the Curve25519 scalar XEdDSA needs.
 *   xeddsaSign: 140 µs (260 µs on a key not seen before) against libsignal's curve25519-js at 8.9 ms.
 * - Verification: node:crypto's Ed25519 verify. xeddsaVerify takes 38 µs (68 µs for a key not seen
 *   before) against 467 µs for the same equation on @noble/curves points and 8.6 ms for libsignal. Its
 *   semantics are the ones libsignal has and the XEdDSA spec writes down: s below the group order, and R
 *   equal to the encoding of sB - hA byte for byte (cofactorless), so R plus a torsion point is rejected.
 *   tests/crypto/ed25519_test.ts and xeddsa_test.ts check this against @noble/curves, libsignal and a
 *   cofactorless reference.
 *
 * @module
 */

import { createHash, createPublicKey, type KeyObject, verify } from "node:crypto";
import { ed25519, ED25519_TORSION_SUBGROUP } from "@noble/curves/ed25519.js";
import { base64Url } from "./node_bytes.ts";

const Point = ed25519.Point;
const Fp = Point.Fp;

/** The field prime p = 2^255 - 19. */
export const FIELD_PRIME: bigint = Fp.ORDER;
/** The prime order q = 2^252 + 27742317777372353535851937790883648493 of the base point. */
export const GROUP_ORDER: bigint = Point.Fn.ORDER;

/** Reads a little-endian unsigned integer. */
export function bytesToNumberLE(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]);
  return n;
}

/** Writes `n` (0 <= n < 2^256) as 32 little-endian bytes. */
export function numberToBytesLE(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}

/** SHA-512 of the concatenation of `parts`, reduced modulo the group order. */
export function hashToScalar(...parts: Uint8Array[]): bigint {
  const h = createHash("sha512");
  for (const part of parts) h.update(part);
  return bytesToNumberLE(h.digest()) % GROUP_ORDER;
}

/** Encodes `scalar`·B (RFC 8032 §5.1.2 point encoding). `scalar` must be in [0, q). */
export function basePointMultiply(scalar: bigint): Uint8Array {
  // noble's constant-time multiply refuses 0; the identity is the right answer for it.
  return (scalar === 0n ? Point.ZERO : Point.BASE.multiply(scalar)).toBytes();
}

/**
 * The Ed25519 signing equation with caller-supplied secret scalar `a` (in [0, q)), its encoded public point
 * `publicKey` = a·B and nonce `r` (in [0, q)): returns R || s with R = r·B, h = SHA-512(R || A || M) mod q and
 * s = r + h·a mod q. RFC 8032 §5.1.6 steps 3-6 and XEdDSA's signing both reduce to this.
 */
export function signWithScalar(a: bigint, publicKey: Uint8Array, r: bigint, message: Uint8Array): Uint8Array {
  const encodedR = basePointMultiply(r);
  const h = hashToScalar(encodedR, publicKey, message);
  const s = (r + h * a) % GROUP_ORDER;
  const signature = new Uint8Array(64);
  signature.set(encodedR);
  signature.set(numberToBytesLE(s), 32);
  return signature;
}

/**
 * Imports an encoded Edwards point as a node:crypto Ed25519 public key, or returns `undefined` when the
 * bytes do not decode to a curve point.
 */
export function importEdwardsPublicKey(publicKey: Uint8Array): KeyObject | undefined {
  try {
    return createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: base64Url(publicKey) }, format: "jwk" });
  } catch {
    // Not a point on the curve: the documented outcome is "no key", which verification turns into false.
    return undefined;
  }
}

/**
 * RFC 8032 §5.1.7 verification against an imported key: rejects s >= q, then checks that the encoding of
 * sB - hA equals R byte for byte (cofactorless). Never throws.
 */
export function verifyWithKey(key: KeyObject, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  // Checked here as well as in the backend, so the bound does not depend on the backend's version.
  if (bytesToNumberLE(signature.subarray(32)) >= GROUP_ORDER) return false;
  return verify(null, message, key, signature);
}

/** RFC 8032 Ed25519 verification of `signature` on `message` by the encoded point `publicKey`. Never throws. */
export function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== 32) return false;
  const key = importEdwardsPublicKey(publicKey);
  return key !== undefined && verifyWithKey(key, message, signature);
}

// u-coordinates of the points of order 2, 4 and 8, mapped from noble's list of the Edwards torsion subgroup
// through u = (1 + y) / (1 - y) (the identity, y = 1, has no u), plus u = p - 1, where the way back,
// y = (u - 1) / (u + 1), divides by zero. A public key among them would let anyone forge signatures, and no
// private key produces one.
const EXCLUDED_U: ReadonlySet<bigint> = new Set([
  FIELD_PRIME - 1n,
  ...ED25519_TORSION_SUBGROUP.map((hex) => Point.fromHex(hex).y)
    .filter((y) => y !== 1n)
    .map((y) => Fp.div(Fp.add(1n, y), Fp.sub(1n, y))),
]);

/**
 * Converts a Montgomery u-coordinate to the Edwards point with y = (u - 1) / (u + 1) and the given sign
 * bit of x, encoded. Returns `undefined` for u >= p (XEdDSA rejects non-canonical u) and for the low-order
 * u values.
 */
export function montgomeryToEdwards(u: Uint8Array, signBit: number): Uint8Array | undefined {
  const x = bytesToNumberLE(u);
  if (x >= FIELD_PRIME || EXCLUDED_U.has(x)) return undefined;
  const encoded = Fp.toBytes(Fp.div(Fp.sub(x, 1n), Fp.add(x, 1n)));
  encoded[31] |= signBit << 7;
  return encoded;
}
