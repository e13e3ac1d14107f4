import assert from "node:assert/strict";
import fc from "npm:fast-check@4.10.2";
import {
  aesCbcDecrypt,
  aesCbcEncrypt,
  aesCtr,
  aesGcmDecrypt,
  aesGcmDecryptAsync,
  aesGcmEncrypt,
  aesGcmEncryptAsync,
  concatBytes,
  createAesCbcDecryptor,
  createAesCbcEncryptor,
  randomBytes,
} from "../../src/crypto/mod.ts";
import { assertCryptoError, assertCryptoRejects, assertHex, hex, repeat } from "./helpers.ts";

// NIST SP 800-38A Appendix F: the AES-256 key, the four-block plaintext, F.2.5/F.2.6 (CBC) and F.5.5/F.5.6
// (CTR).
const SP800_38A_KEY = hex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
const SP800_38A_PLAINTEXT = hex(
  "6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51" +
    "30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710",
);
const CBC_IV = hex("000102030405060708090a0b0c0d0e0f");
const CBC_CIPHERTEXT = "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d" +
  "39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b";
const CTR_COUNTER = hex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
const CTR_CIPHERTEXT = "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5" +
  "2b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6";

Deno.test("AES-256-CBC matches NIST SP 800-38A F.2.5 (the vector has no padding: PKCS#7 adds one block)", () => {
  const ciphertext = aesCbcEncrypt(SP800_38A_KEY, CBC_IV, SP800_38A_PLAINTEXT);
  assert.equal(ciphertext.length, 80);
  assertHex(ciphertext.subarray(0, 64), CBC_CIPHERTEXT);
  // CBC's structure: the padding block is the encryption of 16 × 0x10 chained on the last NIST block, which
  // is exactly what encrypting the empty plaintext with that block as IV produces.
  assert.deepEqual(
    ciphertext.subarray(64),
    aesCbcEncrypt(SP800_38A_KEY, hex(CBC_CIPHERTEXT).subarray(48), new Uint8Array(0)),
  );
});

Deno.test("AES-256-CBC decrypts NIST SP 800-38A F.2.6 (with the PKCS#7 block appended)", () => {
  const padBlock = aesCbcEncrypt(SP800_38A_KEY, hex(CBC_CIPHERTEXT).subarray(48), new Uint8Array(0));
  const ciphertext = concatBytes(hex(CBC_CIPHERTEXT), padBlock);
  assert.deepEqual(aesCbcDecrypt(SP800_38A_KEY, CBC_IV, ciphertext), SP800_38A_PLAINTEXT);
  const decryptor = createAesCbcDecryptor(SP800_38A_KEY, CBC_IV);
  assert.deepEqual(concatBytes(decryptor.update(ciphertext), decryptor.final()), SP800_38A_PLAINTEXT);
});

Deno.test("AES-256-CTR matches NIST SP 800-38A F.5.5 (encrypt) and F.5.6 (decrypt)", () => {
  assertHex(aesCtr(SP800_38A_KEY, CTR_COUNTER, SP800_38A_PLAINTEXT), CTR_CIPHERTEXT);
  assertHex(aesCtr(SP800_38A_KEY, CTR_COUNTER, hex(CTR_CIPHERTEXT)), SP800_38A_PLAINTEXT.toHex());
  // A partial final block is the keystream prefix.
  assertHex(
    aesCtr(SP800_38A_KEY, CTR_COUNTER, SP800_38A_PLAINTEXT.subarray(0, 37)),
    CTR_CIPHERTEXT.slice(0, 74),
  );
});

Deno.test("AES-CTR carries the counter across all 128 bits", () => {
  // Counter ff..ff wraps to 00..00: block 2 of a run from ff..ff equals block 1 of a run from 00..00.
  const key = repeat(0x11, 32);
  const run = aesCtr(key, repeat(0xff, 16), new Uint8Array(32));
  assert.deepEqual(run.subarray(16), aesCtr(key, new Uint8Array(16), new Uint8Array(16)));
});

Deno.test("AES-CBC round-trips every length and rejects bad keys, IVs and lengths", () => {
  const key = randomBytes(32), iv = randomBytes(16);
  for (let n = 0; n <= 48; n++) {
    const plaintext = randomBytes(n);
    const ciphertext = aesCbcEncrypt(key, iv, plaintext);
    assert.equal(ciphertext.length, (Math.floor(n / 16) + 1) * 16);
    assert.deepEqual(aesCbcDecrypt(key, iv, ciphertext), plaintext);
  }
  assertCryptoError(() => aesCbcEncrypt(new Uint8Array(16), iv, new Uint8Array(1)), "bad_key");
  assertCryptoError(() => aesCbcEncrypt(new Uint8Array(33), iv, new Uint8Array(1)), "bad_key");
  assertCryptoError(() => aesCbcEncrypt(key, new Uint8Array(15), new Uint8Array(1)), "bad_length");
  assertCryptoError(() => aesCbcDecrypt(key, new Uint8Array(12), new Uint8Array(16)), "bad_length");
  assertCryptoError(() => aesCbcDecrypt(new Uint8Array(24), iv, new Uint8Array(16)), "bad_key");
  for (const n of [0, 1, 15, 17, 31]) {
    assertCryptoError(() => aesCbcDecrypt(key, iv, new Uint8Array(n)), "bad_length");
  }
  assert.throws(
    () => aesCbcEncrypt(new Uint8Array(16), iv, new Uint8Array(1)),
    /AES-256 key must be 32 bytes, got 16/,
  );
});

Deno.test("AES-CBC rejects invalid PKCS#7 padding with bad_padding", () => {
  const key = repeat(0x24, 32), iv = repeat(0x42, 16);
  // Encrypting nothing gives one block whose plaintext is 16 × 0x10. XOR-ing the IV edits that plaintext
  // exactly, so each case below decrypts to a chosen invalid padding.
  const block = aesCbcEncrypt(key, iv, new Uint8Array(0));
  const withPlaintextEdit = (edit: (p: Uint8Array) => void) => {
    const wanted = repeat(0x10, 16);
    edit(wanted);
    const forged = iv.map((b, i) => b ^ 0x10 ^ wanted[i]);
    return () => aesCbcDecrypt(key, forged, block);
  };
  assertCryptoError(withPlaintextEdit((p) => (p[15] = 0x00)), "bad_padding"); // pad length 0
  assertCryptoError(withPlaintextEdit((p) => (p[15] = 0x11)), "bad_padding"); // longer than a block
  assertCryptoError(withPlaintextEdit((p) => (p[15] = 0xff)), "bad_padding");
  assertCryptoError(withPlaintextEdit((p) => (p[15] = 0x02)), "bad_padding"); // ... 10 02: inconsistent bytes
  assertCryptoError(withPlaintextEdit((p) => (p[0] = 0x11)), "bad_padding"); // first of 16 pad bytes wrong
  // Sanity: the unedited block decrypts, and a valid short pad (...xx 01) decrypts to 15 bytes.
  assert.deepEqual(withPlaintextEdit(() => {})(), new Uint8Array(0));
  assert.deepEqual(withPlaintextEdit((p) => (p[15] = 0x01))(), repeat(0x10, 15));
  // The streaming decryptor reports the same at final().
  const decryptor = createAesCbcDecryptor(key, iv.map((b, i) => (i === 15 ? b ^ 0x10 : b)));
  assert.equal(decryptor.update(block).length, 0, "the last block is held back until final()");
  assertCryptoError(() => decryptor.final(), "bad_padding");
});

Deno.test("streaming AES-CBC equals one-shot for random data and random chunkings", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 3000 }),
      fc.array(fc.nat({ max: 3000 }), { maxLength: 8 }),
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
      (data, cuts, key, iv) => {
        const bounds = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
        const split = (bytes: Uint8Array, points: number[]) =>
          [0, ...points, bytes.length].slice(1).map((end, i, ends) =>
            bytes.subarray(i === 0 ? 0 : ends[i - 1], end)
          );
        const expected = aesCbcEncrypt(key, iv, data);

        const encryptor = createAesCbcEncryptor(key, iv);
        const encrypted = concatBytes(
          ...split(data, bounds).map((c) => encryptor.update(c)),
          encryptor.final(),
        );
        assert.deepEqual(encrypted, expected);

        const decryptor = createAesCbcDecryptor(key, iv);
        const cipherCuts = bounds.map((b) => Math.min(b, expected.length));
        const outputs = [...split(expected, cipherCuts).map((c) => decryptor.update(c)), decryptor.final()];
        for (const out of outputs) assert.equal(Object.getPrototypeOf(out), Uint8Array.prototype);
        assert.deepEqual(concatBytes(...outputs), data);
      },
    ),
    { numRuns: 80 },
  );
});

Deno.test("streaming AES-CBC decryptor rejects a total length that is not a non-zero multiple of 16", () => {
  const key = repeat(1, 32), iv = repeat(2, 16);
  for (
    const chunks of [[], [new Uint8Array(0)], [new Uint8Array(10), new Uint8Array(7)], [new Uint8Array(15)]]
  ) {
    const decryptor = createAesCbcDecryptor(key, iv);
    for (const chunk of chunks) decryptor.update(chunk);
    assertCryptoError(() => decryptor.final(), "bad_length");
  }
  assertCryptoError(() => createAesCbcDecryptor(new Uint8Array(31), iv), "bad_key");
  assertCryptoError(() => createAesCbcEncryptor(key, new Uint8Array(12)), "bad_length");
});

// McGrew and Viega, "The Galois/Counter Mode of Operation (GCM)", revised spec (2005), Appendix B, test
// cases 13-16 (the AES-256 cases with 96-bit IVs).
const GCM_K0 = new Uint8Array(32);
const GCM_K1 = hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
const GCM_IV1 = hex("cafebabefacedbaddecaf888");
const GCM_P = hex(
  "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72" +
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
);
const GCM_C = "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa" +
  "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad";
const GCM_CASES = [
  {
    name: "13",
    key: GCM_K0,
    iv: new Uint8Array(12),
    p: new Uint8Array(0),
    c: "",
    t: "530f8afbc74536b9a963b4f1c4cb738b",
  },
  {
    name: "14",
    key: GCM_K0,
    iv: new Uint8Array(12),
    p: new Uint8Array(16),
    c: "cea7403d4d606b6e074ec5d3baf39d18",
    t: "d0d1c8a799996bf0265b98b5d48ab919",
  },
  { name: "15", key: GCM_K1, iv: GCM_IV1, p: GCM_P, c: GCM_C, t: "b094dac5d93471bdec1a502270e3cc6c" },
  {
    name: "16",
    key: GCM_K1,
    iv: GCM_IV1,
    p: GCM_P.subarray(0, 60),
    aad: hex("feedfacedeadbeeffeedfacedeadbeefabaddad2"),
    c: GCM_C.slice(0, 120),
    t: "76fc6ece0f4e1768cddf8853bb2d551b",
  },
];

Deno.test("AES-256-GCM matches McGrew-Viega test cases 13-16, sync and async", async () => {
  for (const tc of GCM_CASES) {
    const sealed = tc.c + tc.t;
    assertHex(aesGcmEncrypt(tc.key, tc.iv, tc.p, tc.aad), sealed);
    assertHex(await aesGcmEncryptAsync(tc.key, tc.iv, tc.p, tc.aad), sealed);
    assert.deepEqual(aesGcmDecrypt(tc.key, tc.iv, hex(sealed), tc.aad), tc.p, `case ${tc.name}`);
    assert.deepEqual(await aesGcmDecryptAsync(tc.key, tc.iv, hex(sealed), tc.aad), tc.p, `case ${tc.name}`);
  }
});

Deno.test("AES-GCM accepts only 96-bit IVs: test cases 17/18's 8- and 60-byte IVs are bad_length", async () => {
  // Same spec, test case 17 (IV cafebabefacedbad) and 18 (60-byte IV): deliberately unsupported.
  const iv8 = hex("cafebabefacedbad");
  const iv60 = repeat(0x93, 60);
  for (const iv of [iv8, iv60, new Uint8Array(16), new Uint8Array(0)]) {
    assertCryptoError(() => aesGcmEncrypt(GCM_K1, iv, GCM_P), "bad_length");
    assertCryptoError(() => aesGcmDecrypt(GCM_K1, iv, new Uint8Array(32)), "bad_length");
    await assertCryptoRejects(aesGcmEncryptAsync(GCM_K1, iv, GCM_P), "bad_length");
    await assertCryptoRejects(aesGcmDecryptAsync(GCM_K1, iv, new Uint8Array(32)), "bad_length");
  }
  assertCryptoError(() => aesGcmEncrypt(new Uint8Array(16), GCM_IV1, GCM_P), "bad_key");
  await assertCryptoRejects(aesGcmEncryptAsync(new Uint8Array(16), GCM_IV1, GCM_P), "bad_key");
  assertCryptoError(() => aesGcmDecrypt(GCM_K1, GCM_IV1, new Uint8Array(15)), "bad_length");
  await assertCryptoRejects(aesGcmDecryptAsync(GCM_K1, GCM_IV1, new Uint8Array(15)), "bad_length");
});

// Sizes on both sides of the async functions' switch from node:crypto to WebCrypto (4 KiB).
const GCM_SIZES = [0, 1, 200, 4095, 4096, 4097, 20_000, 70_001];

Deno.test("AES-GCM rejects tampered tag, ciphertext, AAD, IV and key with auth_failed, sync and async", async () => {
  const key = randomBytes(32), iv = randomBytes(12), aad = randomBytes(20);
  for (const size of GCM_SIZES) {
    const plaintext = randomBytes(size);
    const sealed = aesGcmEncrypt(key, iv, plaintext, aad);
    assert.equal(sealed.length, size + 16);
    const flip = (bytes: Uint8Array, index: number) => bytes.map((b, i) => (i === index ? b ^ 0x01 : b));
    const tampered: [string, () => Uint8Array, Uint8Array, Uint8Array | undefined, Uint8Array][] = [
      ["tag", () => flip(sealed, sealed.length - 1), iv, aad, key],
      ["tag start", () => flip(sealed, size), iv, aad, key],
      ["aad", () => sealed, iv, flip(aad, 0), key],
      ["missing aad", () => sealed, iv, undefined, key],
      ["iv", () => sealed, flip(iv, 11), aad, key],
      ["key", () => sealed, iv, aad, flip(key, 31)],
    ];
    if (size > 0) tampered.push(["ciphertext", () => flip(sealed, size >> 1), iv, aad, key]);
    for (const [what, input, tIv, tAad, tKey] of tampered) {
      const context = `size ${size}, tampered ${what}:`;
      assertCryptoError(() => aesGcmDecrypt(tKey, tIv, input(), tAad), "auth_failed", context);
      await assertCryptoRejects(aesGcmDecryptAsync(tKey, tIv, input(), tAad), "auth_failed", context);
    }
    assert.deepEqual(aesGcmDecrypt(key, iv, sealed, aad), plaintext);
  }
});

Deno.test("AES-GCM sync and async agree in both directions", async () => {
  for (const size of GCM_SIZES) {
    const key = randomBytes(32), iv = randomBytes(12), plaintext = randomBytes(size);
    for (const aad of [undefined, new Uint8Array(0), randomBytes(33)]) {
      const sealed = aesGcmEncrypt(key, iv, plaintext, aad);
      const sealedAsync = await aesGcmEncryptAsync(key, iv, plaintext, aad);
      assert.deepEqual(sealedAsync, sealed, `size ${size}`);
      assert.equal(Object.getPrototypeOf(sealedAsync), Uint8Array.prototype);
      assert.deepEqual(await aesGcmDecryptAsync(key, iv, sealed, aad), plaintext);
      assert.deepEqual(aesGcmDecrypt(key, iv, sealedAsync, aad), plaintext);
    }
  }
});

Deno.test("a key array edited in place is not served from the WebCrypto key cache", async () => {
  const key = repeat(1, 32), iv = repeat(2, 12), plaintext = repeat(3, 5000);
  const first = await aesGcmEncryptAsync(key, iv, plaintext);
  key[0] = 9;
  const second = await aesGcmEncryptAsync(key, iv, plaintext);
  assert.notDeepEqual(second, first);
  assert.deepEqual(second, aesGcmEncrypt(repeat(1, 32).map((b, i) => (i === 0 ? 9 : b)), iv, plaintext));
});
