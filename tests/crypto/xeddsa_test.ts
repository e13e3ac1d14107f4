import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import fc from "npm:fast-check@4.10.2";
import { ed25519, ED25519_TORSION_SUBGROUP } from "@noble/curves/ed25519.js";
import * as libsignal from "npm:/libsignal@6.0.0/src/curve.js";
import {
  CryptoError,
  generateKeyPair,
  keyPairFromPrivateKey,
  prefixPublicKey,
  xeddsaSign,
  xeddsaVerify,
} from "../../src/crypto/mod.ts";
import { assertCryptoError, hex, text } from "./helpers.ts";

// Independent implementation: npm libsignal@6.0.0 src/curve.js (curve25519-js underneath). It wants Buffers
// and 33-byte 0x05-prefixed public keys.
function libsignalSign(privateKey: Uint8Array, message: Uint8Array): Uint8Array {
  return new Uint8Array(libsignal.calculateSignature(Buffer.from(privateKey), Buffer.from(message)));
}
function libsignalVerify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  return libsignal.verifySignature(
    Buffer.from(prefixPublicKey(publicKey)),
    Buffer.from(message),
    Buffer.from(signature),
  );
}

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const out = bytes.slice();
  out[bit >> 3] ^= 1 << (bit & 7);
  return out;
}

// signalapp/libsignal, rust/core/src/curve/curve25519.rs, test_signature
// (commit aeb2f2a5615521864beba4d884c4ba506fed704e). Its signature carries sign bit 1 in its top bit.
const LIBSIGNAL_VECTOR = {
  privateKey: hex("c097248412e58bf05df487968205132794178e367637f5818f81e0e6ce73e865"),
  publicKey: hex("ab7e717d4a163b7d9a1d8071dfe9dcf8cdcd1cea3339b6356be84d887e322c64"),
  message: hex("05edce9d9c415ca78cb7252e72c2c4a554d3eb29485a0e1d503118d1a82d99fb4a"),
  signature: hex(
    "5de88ca9a89b4a115da79109c67c9c7464a3e4180274f1cb8c63c2984e286dfb" +
      "ede82deb9dcd9fae0bfbb821569b3d9001bd8130cd11d486cef047bd60b86e88",
  ),
};

Deno.test("xeddsaVerify accepts libsignal's published signature and rejects every single-bit change", () => {
  const v = LIBSIGNAL_VECTOR;
  assert.deepEqual(keyPairFromPrivateKey(v.privateKey).publicKey, v.publicKey);
  assert.equal(v.signature[63] >> 7, 1, "the vector exercises the sign bit in s");
  assert.equal(xeddsaVerify(v.publicKey, v.message, v.signature), true);
  assert.equal(libsignalVerify(v.publicKey, v.message, v.signature), true);
  for (let bit = 0; bit < 512; bit++) {
    assert.equal(
      xeddsaVerify(v.publicKey, v.message, flipBit(v.signature, bit)),
      false,
      `signature bit ${bit}`,
    );
  }
  for (let bit = 0; bit < v.message.length * 8; bit++) {
    assert.equal(
      xeddsaVerify(v.publicKey, flipBit(v.message, bit), v.signature),
      false,
      `message bit ${bit}`,
    );
  }
  for (let bit = 0; bit < 256; bit++) {
    assert.equal(xeddsaVerify(flipBit(v.publicKey, bit), v.message, v.signature), false, `key bit ${bit}`);
  }
  // Our own signature with the vector's key verifies with libsignal too.
  const ours = xeddsaSign(v.privateKey, v.message);
  assert.equal(libsignalVerify(v.publicKey, v.message, ours), true);
});

Deno.test("XEdDSA cross-check with libsignal: each side verifies the other's signatures, bit flips fail in both", () => {
  const signBits = new Set<number>();
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.uint8Array({ maxLength: 300 }),
      fc.nat({ max: 511 }),
      fc.nat(),
      (privateKey, message, sigBit, msgBit) => {
        const { publicKey } = keyPairFromPrivateKey(privateKey);
        const ours = xeddsaSign(privateKey, message);
        const theirs = libsignalSign(privateKey, message);
        signBits.add(theirs[63] >> 7);
        assert.equal(ours[63] >> 7, 0, "this library signs with sign bit 0, as the XEdDSA spec does");

        assert.equal(xeddsaVerify(publicKey, message, ours), true);
        assert.equal(libsignalVerify(publicKey, message, ours), true);
        assert.equal(xeddsaVerify(publicKey, message, theirs), true);
        assert.equal(libsignalVerify(publicKey, message, theirs), true);

        for (const signature of [ours, theirs]) {
          const forged = flipBit(signature, sigBit);
          assert.equal(xeddsaVerify(publicKey, message, forged), false, `sig bit ${sigBit}`);
          assert.equal(libsignalVerify(publicKey, message, forged), false, `sig bit ${sigBit}`);
          if (message.length > 0) {
            const otherMessage = flipBit(message, msgBit % (message.length * 8));
            assert.equal(xeddsaVerify(publicKey, otherMessage, signature), false);
            assert.equal(libsignalVerify(publicKey, otherMessage, signature), false);
          }
        }
      },
    ),
    { numRuns: 40 },
  );
  assert.deepEqual([...signBits].sort(), [0, 1], "libsignal signatures with both sign bits were checked");
});

Deno.test("xeddsaSign is deterministic in random64, random without it, and validates its inputs", () => {
  const { privateKey, publicKey } = generateKeyPair();
  const message = text("signed prekey");
  const z = new Uint8Array(64).fill(0x5a);
  const a = xeddsaSign(privateKey, message, z);
  assert.deepEqual(xeddsaSign(privateKey, message, z), a);
  assert.notDeepEqual(xeddsaSign(privateKey, message, new Uint8Array(64)), a);
  assert.notDeepEqual(xeddsaSign(privateKey, message), xeddsaSign(privateKey, message));
  assert.equal(xeddsaVerify(publicKey, message, a), true);
  assert.equal(a.length, 64);
  assert.equal(Object.getPrototypeOf(a), Uint8Array.prototype);
  assertCryptoError(() => xeddsaSign(new Uint8Array(31), message), "bad_key");
  assertCryptoError(() => xeddsaSign(privateKey, message, new Uint8Array(32)), "bad_signature_input");
  assertCryptoError(() => xeddsaSign(privateKey, "text" as unknown as Uint8Array), "bad_signature_input");
  assert.equal(xeddsaVerify(publicKey, new Uint8Array(0), xeddsaSign(privateKey, new Uint8Array(0))), true);
});

Deno.test("xeddsaVerify returns false, never throws, on malformed input", () => {
  const { privateKey, publicKey } = generateKeyPair();
  const message = text("m");
  const signature = xeddsaSign(privateKey, message);
  const junk: unknown[] = [undefined, null, "x", 5, {}, [], new Uint8Array(0), new Uint16Array(32)];
  for (const value of junk) {
    assert.equal(xeddsaVerify(value as Uint8Array, message, signature), false);
    assert.equal(xeddsaVerify(publicKey, value as Uint8Array, signature), false);
    assert.equal(xeddsaVerify(publicKey, message, value as Uint8Array), false);
  }
  assert.equal(
    xeddsaVerify(prefixPublicKey(publicKey), message, signature),
    false,
    "33-byte keys must be stripped",
  );
  assert.equal(xeddsaVerify(publicKey, message, signature.subarray(0, 63)), false);
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 40 }),
      fc.uint8Array({ maxLength: 20 }),
      fc.uint8Array({ maxLength: 70 }),
      (key, msg, sig) => {
        assert.equal(xeddsaVerify(key, msg, sig), false);
      },
    ),
    { numRuns: 200 },
  );
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.uint8Array({ minLength: 64, maxLength: 64 }),
      (key, sig) => {
        assert.equal(xeddsaVerify(key, message, sig), false);
      },
    ),
    { numRuns: 200 },
  );
});

Deno.test("the per-key caches never serve a key array that was edited in place", () => {
  const privateKey = new Uint8Array(32).fill(9);
  const message = text("cache");
  const first = keyPairFromPrivateKey(privateKey).publicKey;
  assert.equal(xeddsaVerify(first, message, xeddsaSign(privateKey, message)), true);
  privateKey[3] = 77;
  const second = keyPairFromPrivateKey(privateKey).publicKey;
  const signature = xeddsaSign(privateKey, message);
  assert.equal(xeddsaVerify(second, message, signature), true);
  assert.equal(xeddsaVerify(first, message, signature), false);
  // Same for the verifying side: one array, overwritten with another key.
  const publicKey = first.slice();
  assert.equal(xeddsaVerify(publicKey, message, signature), false);
  publicKey.set(second);
  assert.equal(xeddsaVerify(publicKey, message, signature), true);
});

// ---- Edge cases, against a reference written from libsignal's verify_signature (same file as the vector
// above): sign bit from the top bit of the signature, y = (u - 1) / (u + 1) with that sign, s with the top bit
// cleared and below 2^253, then R == encode(sB - hA) byte for byte. Re-expressed with @noble/curves points.

const { Point } = ed25519;
const P = Point.Fp.ORDER;
const Q = Point.Fn.ORDER;

function le(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++, n >>= 8n) out[i] = Number(n & 0xffn);
  return out;
}
function fromLe(bytes: Uint8Array): bigint {
  return BigInt("0x" + (bytes.toReversed().toHex() || "0"));
}
function hashScalar(...parts: Uint8Array[]): bigint {
  const h = createHash("sha512");
  for (const part of parts) h.update(part);
  return fromLe(new Uint8Array(h.digest())) % Q;
}
function toMontgomery(point: typeof Point.BASE): Uint8Array {
  const y = point.y;
  return le(Point.Fp.div(Point.Fp.add(1n, y), Point.Fp.sub(1n, y)));
}

function referenceVerify(u: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const Fp = Point.Fp;
  const x = Fp.create(fromLe(u) & ((1n << 255n) - 1n));
  if (x === P - 1n) return false;
  const encodedA = le(Fp.div(Fp.sub(x, 1n), Fp.add(x, 1n)));
  encodedA[31] |= signature[63] & 0x80;
  let A;
  try {
    A = Point.fromBytes(encodedA, true);
  } catch {
    return false;
  }
  const sBytes = signature.slice(32);
  sBytes[31] &= 0x7f;
  if (sBytes[31] & 0xe0) return false;
  const s = fromLe(sBytes) % Q;
  const R = signature.subarray(0, 32);
  const h = hashScalar(R, A.toBytes(), message);
  const check = Point.BASE.multiplyUnsafe(s).subtract(A.multiplyUnsafe(h));
  return check.toBytes().toHex() === R.toHex();
}

/** Signs with an arbitrary Edwards point `A = a·B + torsion`, as a buggy or hostile signer could. */
function signWithPoint(
  a: bigint,
  A: typeof Point.BASE,
  message: Uint8Array,
  R?: typeof Point.BASE,
): Uint8Array {
  const r = fromLe(crypto.getRandomValues(new Uint8Array(32))) % Q;
  const encodedR = (R ?? Point.BASE.multiply(r)).toBytes();
  const h = hashScalar(encodedR, A.toBytes(), message);
  const signature = new Uint8Array(64);
  signature.set(encodedR);
  signature.set(le((r + h * a) % Q), 32);
  signature[63] |= A.toBytes()[31] & 0x80;
  return signature;
}

const TORSION_8 = Point.fromHex(ED25519_TORSION_SUBGROUP[1]);

Deno.test("reference check: the reference verifier accepts honest signatures of both implementations", () => {
  for (let i = 0; i < 8; i++) {
    const { privateKey, publicKey } = generateKeyPair();
    const message = crypto.getRandomValues(new Uint8Array(20));
    assert.equal(referenceVerify(publicKey, message, xeddsaSign(privateKey, message)), true);
    assert.equal(referenceVerify(publicKey, message, libsignalSign(privateKey, message)), true);
    assert.equal(referenceVerify(publicKey, message, flipBit(xeddsaSign(privateKey, message), 3)), false);
  }
});

Deno.test("cofactorless like libsignal: a key with a torsion part verifies only when h·T vanishes", () => {
  assert.equal(TORSION_8.multiplyUnsafe(4n).is0(), false, "T has order 8");
  let rejected = 0;
  for (let i = 0; i < 48; i++) {
    const a = fromLe(crypto.getRandomValues(new Uint8Array(32))) % Q;
    const A = Point.BASE.multiply(a).add(TORSION_8);
    const u = toMontgomery(A);
    const message = crypto.getRandomValues(new Uint8Array(16));
    const signature = signWithPoint(a, A, message);
    const expected = referenceVerify(u, message, signature);
    assert.equal(xeddsaVerify(u, message, signature), expected);
    assert.equal(libsignalVerify(u, message, signature), expected);
    if (!expected) rejected++;
  }
  // A cofactored verifier would accept all 48; cofactorless accepts when h ≡ 0 (mod 8), about 1 in 8.
  assert.ok(rejected > 24, `rejected ${rejected}`);
});

Deno.test("cofactorless like libsignal: R plus a torsion point is rejected", () => {
  for (let i = 0; i < 16; i++) {
    const { privateKey, publicKey } = generateKeyPair();
    const message = crypto.getRandomValues(new Uint8Array(16));
    const honest = xeddsaSign(privateKey, message);
    // Rebuild with R' = R + T and s' = r + H(R' || A || M)·a: sB - h'A = R, not R'. A cofactored check (which
    // multiplies by 8 first) would accept it.
    const a0 = fromLe(keyPairFromPrivateKey(privateKey).privateKey) % Q;
    const E = Point.BASE.multiply(a0);
    const [a, A] = E.toBytes()[31] & 0x80 ? [(Q - a0) % Q, E.negate()] : [a0, E];
    const r = fromLe(crypto.getRandomValues(new Uint8Array(32))) % Q;
    const R = Point.BASE.multiply(r).add(TORSION_8);
    const h = hashScalar(R.toBytes(), A.toBytes(), message);
    const forged = new Uint8Array([...R.toBytes(), ...le((r + h * a) % Q)]);
    assert.equal(
      Point.BASE.multiply((r + h * a) % Q).subtract(A.multiply(h)).subtract(R).clearCofactor().is0(),
      true,
    );
    assert.equal(xeddsaVerify(publicKey, message, forged), false);
    assert.equal(libsignalVerify(publicKey, message, forged), false);
    assert.equal(referenceVerify(publicKey, message, forged), false);
    assert.equal(xeddsaVerify(publicKey, message, honest), true);
  }
});

Deno.test("stricter than libsignal: s + q is rejected (libsignal reduces s and accepts it)", () => {
  const { privateKey, publicKey } = generateKeyPair();
  const message = text("malleable");
  const signature = xeddsaSign(privateKey, message);
  const s = fromLe(signature.subarray(32));
  const malleated = new Uint8Array([...signature.subarray(0, 32), ...le(s + Q)]);
  assert.equal(referenceVerify(publicKey, message, malleated), true);
  assert.equal(xeddsaVerify(publicKey, message, malleated), false);
});

Deno.test("stricter than libsignal: low-order public keys are rejected, so signatures for them cannot be forged", () => {
  // u = 0 is the point (0, -1) of order 2: any R = rB with s = r verifies when h is even.
  const u = new Uint8Array(32);
  const A = Point.fromBytes(le(P - 1n));
  let forged = 0;
  for (let i = 0; forged < 4 && i < 200; i++) {
    const r = fromLe(crypto.getRandomValues(new Uint8Array(32))) % Q;
    const message = crypto.getRandomValues(new Uint8Array(8));
    const R = Point.BASE.multiply(r).toBytes();
    if (hashScalar(R, A.toBytes(), message) % 2n !== 0n) continue;
    const signature = new Uint8Array([...R, ...le(r)]);
    assert.equal(libsignalVerify(u, message, signature), true, "libsignal accepts the forgery");
    assert.equal(referenceVerify(u, message, signature), true);
    assert.equal(xeddsaVerify(u, message, signature), false);
    forged++;
  }
  assert.equal(forged, 4);
});

Deno.test("stricter than libsignal: u >= p (non-canonical, or with the top bit set) is rejected", () => {
  // The base point B (u = 9) with a = 1, then the same u written as p + 9 and as 9 + 2^255.
  const message = text("canonical");
  const signature = signWithPoint(1n, Point.BASE, message);
  assert.equal(xeddsaVerify(le(9n), message, signature), true);
  for (const u of [le(P + 9n), le(9n + (1n << 255n))]) {
    assert.equal(referenceVerify(u, message, signature), true, "libsignal reduces/masks u");
    assert.equal(xeddsaVerify(u, message, signature), false);
  }
});

Deno.test("xeddsaSign rejects bad input with CryptoError, not other errors", () => {
  assert.throws(() => xeddsaSign(new Uint8Array(33), new Uint8Array(1)), CryptoError);
  assert.throws(
    () => xeddsaSign(new Uint8Array(32), new Uint8Array(1), new Uint8Array(65)),
    /64 bytes, got 65/,
  );
});
