import assert from "node:assert/strict";
import fc from "npm:fast-check@4.10.2";
import { concatBytes, createSha256, md5, sha256, sha512 } from "../../src/crypto/mod.ts";
import { assertHex, text } from "./helpers.ts";

// FIPS 180-2 Appendix B.1 / B.2 (SHA-256) and C.1 / C.2 (SHA-512), and the empty-message digests from the
// NIST "Example Algorithms" pages (csrc.nist.gov, SHA256.pdf / SHA512.pdf).
Deno.test("SHA-256 known answers (FIPS 180-2 B.1, B.2, B.3, empty)", () => {
  assertHex(sha256(text("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  assertHex(
    sha256(text("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
  );
  assertHex(sha256(new Uint8Array(0)), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // B.3: one million repetitions of "a".
  assertHex(
    sha256(new Uint8Array(1_000_000).fill(0x61)),
    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
  );
});

Deno.test("SHA-512 known answers (FIPS 180-2 C.1, C.2, empty)", () => {
  assertHex(
    sha512(text("abc")),
    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a" +
      "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
  );
  assertHex(
    sha512(
      text(
        "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
      ),
    ),
    "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018" +
      "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909",
  );
  assertHex(
    sha512(new Uint8Array(0)),
    "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce" +
      "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
  );
});

// RFC 1321 Appendix A.5, the MD5 test suite.
Deno.test("MD5 known answers (RFC 1321 A.5)", () => {
  const suite: [string, string][] = [
    ["", "d41d8cd98f00b204e9800998ecf8427e"],
    ["a", "0cc175b9c0f1b6a831c399e269772661"],
    ["abc", "900150983cd24fb0d6963f7d28e17f72"],
    ["message digest", "f96b697d7cb7938d525a2f31aaf161d0"],
    ["abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"],
    ["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"],
    [
      "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
      "57edf4a22be3c955ac49da2e2107b67a",
    ],
  ];
  for (const [input, digest] of suite) assertHex(md5(text(input)), digest);
});

Deno.test("createSha256 streams: FIPS 180-2 B.1 in pieces, and any chunking equals one-shot", () => {
  const hasher = createSha256();
  assert.equal(hasher.update(text("a")).update(new Uint8Array(0)), hasher, "update chains");
  assertHex(
    hasher.update(text("bc")).digest(),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }), (chunks) => {
      const h = createSha256();
      for (const chunk of chunks) h.update(chunk);
      assert.deepEqual(h.digest(), sha256(concatBytes(...chunks)));
    }),
    { numRuns: 50 },
  );
});
