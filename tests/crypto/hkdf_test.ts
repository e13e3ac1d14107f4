import assert from "node:assert/strict";
import fc from "npm:fast-check@4.10.2";
import { hkdf, hmacSha256, utf8 } from "../../src/crypto/mod.ts";
import { assertCryptoError, assertHex, range, repeat } from "./helpers.ts";

// RFC 5869 Appendix A.1-A.3 (the SHA-256 test cases).
Deno.test("HKDF-SHA256 matches RFC 5869 A.1 (basic)", () => {
  const okm = hkdf(repeat(0x0b, 22), 42, { salt: range(0x00, 0x0c), info: range(0xf0, 0xf9) });
  assertHex(okm, "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
});

Deno.test("HKDF-SHA256 matches RFC 5869 A.2 (longer inputs and outputs)", () => {
  const okm = hkdf(range(0x00, 0x4f), 82, { salt: range(0x60, 0xaf), info: range(0xb0, 0xff) });
  assertHex(
    okm,
    "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c" +
      "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71" +
      "cc30c58179ec3e87c14c01d5c1f3434f1d87",
  );
});

Deno.test("HKDF-SHA256 matches RFC 5869 A.3 (zero-length salt and info), and an absent salt is 32 zeros", () => {
  const expected = "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8";
  const ikm = repeat(0x0b, 22);
  assertHex(hkdf(ikm, 42, { salt: new Uint8Array(0), info: new Uint8Array(0) }), expected);
  assertHex(hkdf(ikm, 42), expected);
  assertHex(hkdf(ikm, 42, { salt: new Uint8Array(32) }), expected);
});

// RFC 5869 §2.2-2.3 written out with HMAC, as an independent reference for inputs the RFC has no vector for.
function referenceHkdf(ikm: Uint8Array, length: number, salt: Uint8Array, info: Uint8Array): Uint8Array {
  const prk = hmacSha256(salt.length === 0 ? new Uint8Array(32) : salt, ikm);
  const out = new Uint8Array(length);
  let t: Uint8Array = new Uint8Array(0);
  for (let i = 1, offset = 0; offset < length; i++, offset += 32) {
    t = hmacSha256(prk, t, info, new Uint8Array([i]));
    out.set(t.subarray(0, Math.min(32, length - offset)), offset);
  }
  return out;
}

Deno.test("HKDF string info is UTF-8, and info past node's 1024-byte limit still works", () => {
  const ikm = repeat(0x42, 32);
  assert.deepEqual(
    hkdf(ikm, 112, { info: "WhatsApp Media Keys" }),
    hkdf(ikm, 112, { info: utf8("WhatsApp Media Keys") }),
  );
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 64 }),
      fc.uint8Array({ maxLength: 64 }),
      fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ minLength: 1020, maxLength: 1500 })),
      fc.integer({ min: 1, max: 300 }),
      (ikm, salt, info, length) => {
        assert.deepEqual(hkdf(ikm, length, { salt, info }), referenceHkdf(ikm, length, salt, info));
      },
    ),
    { numRuns: 60 },
  );
});

Deno.test("HKDF rejects output lengths outside 1..8160 with bad_length", () => {
  assert.equal(hkdf(new Uint8Array(32), 8160).length, 8160);
  assert.equal(hkdf(new Uint8Array(32), 1).length, 1);
  assertCryptoError(() => hkdf(new Uint8Array(32), 0), "bad_length");
  assertCryptoError(() => hkdf(new Uint8Array(32), 8161), "bad_length");
  assertCryptoError(() => hkdf(new Uint8Array(32), 2.5), "bad_length");
  assertCryptoError(() => hkdf(new Uint8Array(32), -32), "bad_length");
});
