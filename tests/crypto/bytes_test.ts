import assert from "node:assert/strict";
import fc from "npm:fast-check@4.10.2";
import {
  concatBytes,
  CryptoError,
  DJB_KEY_TYPE,
  equalBytes,
  prefixPublicKey,
  randomBytes,
  stripPublicKey,
  utf8,
} from "../../src/crypto/mod.ts";
import { assertCryptoError, hex } from "./helpers.ts";

Deno.test("CryptoError carries name, code, message and cause", () => {
  const cause = new Error("backend");
  const e = new CryptoError("bad_key", "AES-256 key must be 32 bytes, got 16", { cause });
  assert.ok(e instanceof Error);
  assert.equal(e.name, "CryptoError");
  assert.equal(e.code, "bad_key");
  assert.equal(e.message, "AES-256 key must be 32 bytes, got 16");
  assert.equal(e.cause, cause);
});

Deno.test("concatBytes joins parts in order, including empty ones", () => {
  assert.deepEqual(concatBytes(), new Uint8Array(0));
  assert.deepEqual(
    concatBytes(new Uint8Array([1]), new Uint8Array(0), new Uint8Array([2, 3])),
    new Uint8Array([1, 2, 3]),
  );
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 6 }), (parts) => {
      const joined = concatBytes(...parts);
      assert.deepEqual([...joined], parts.flatMap((p) => [...p]));
    }),
    { numRuns: 100 },
  );
});

Deno.test("equalBytes compares content and length", () => {
  assert.equal(equalBytes(new Uint8Array(0), new Uint8Array(0)), true);
  assert.equal(equalBytes(hex("0102"), hex("0102")), true);
  assert.equal(equalBytes(hex("0102"), hex("0103")), false);
  assert.equal(equalBytes(hex("0102"), hex("010200")), false);
  // A difference in the first byte only, and in the last byte only.
  assert.equal(equalBytes(hex("ff00000000"), hex("0000000000")), false);
  assert.equal(equalBytes(hex("00000000ff"), hex("0000000000")), false);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 64 }), (a, b) => {
      assert.equal(equalBytes(a, b), a.length === b.length && a.every((v, i) => v === b[i]));
    }),
    { numRuns: 200 },
  );
});

Deno.test("utf8 encodes strings as UTF-8", () => {
  assert.deepEqual(utf8(""), new Uint8Array(0));
  assert.deepEqual(utf8("WhatsApp"), hex("5768617473417070"));
  // U+00E9 and U+1F600 (a 4-byte sequence).
  assert.deepEqual(utf8("é😀"), hex("c3a9f09f9880"));
});

Deno.test("randomBytes returns the requested length, fresh values, and rejects bad lengths", () => {
  assert.equal(randomBytes(0).length, 0);
  assert.equal(randomBytes(32).length, 32);
  // Past getRandomValues' 65536-byte limit per call.
  const big = randomBytes(200_000);
  assert.equal(big.length, 200_000);
  // The tail beyond the first chunk is filled too (all-zero 70000 bytes would have probability 2^-560000).
  assert.ok(big.subarray(65536).some((b) => b !== 0));
  assert.notDeepEqual(randomBytes(32), randomBytes(32));
  assertCryptoError(() => randomBytes(-1), "bad_length");
  assertCryptoError(() => randomBytes(1.5), "bad_length");
  assertCryptoError(() => randomBytes(Number.NaN), "bad_length");
});

Deno.test("prefixPublicKey and stripPublicKey round-trip the 0x05 type byte", () => {
  assert.equal(DJB_KEY_TYPE, 0x05);
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (raw) => {
      const prefixed = prefixPublicKey(raw);
      assert.equal(prefixed.length, 33);
      assert.equal(prefixed[0], 0x05);
      assert.deepEqual(prefixed.subarray(1), raw);
      const stripped = stripPublicKey(prefixed);
      assert.deepEqual(stripped, raw);
      // A copy: later edits of the serialized form do not reach the raw key.
      prefixed[1] ^= 0xff;
      assert.deepEqual(stripped, raw);
    }),
    { numRuns: 50 },
  );
  const raw = new Uint8Array(32).fill(7);
  assert.equal(stripPublicKey(raw), raw, "a raw 32-byte key is returned as is");
});

Deno.test("prefixPublicKey and stripPublicKey reject other shapes with bad_key", () => {
  assertCryptoError(() => prefixPublicKey(new Uint8Array(31)), "bad_key");
  assertCryptoError(() => prefixPublicKey(new Uint8Array(33)), "bad_key");
  const wrongType = new Uint8Array(33);
  wrongType[0] = 0x06;
  assertCryptoError(() => stripPublicKey(wrongType), "bad_key");
  assertCryptoError(() => stripPublicKey(new Uint8Array(31)), "bad_key");
  assertCryptoError(() => stripPublicKey(new Uint8Array(34).fill(5)), "bad_key");
  assertCryptoError(() => stripPublicKey(new Uint8Array(0)), "bad_key");
  assert.throws(() => stripPublicKey(wrongType), /type byte 0x05, got 0x06/);
  assert.throws(() => prefixPublicKey(new Uint8Array(31)), /32 bytes, got 31/);
});
