import assert from "node:assert/strict";
import fc from "npm:fast-check@4.10.2";
import { concatBytes, createHmacSha256, hmacSha256, hmacSha512 } from "../../src/crypto/mod.ts";
import { assertHex, range, repeat, text } from "./helpers.ts";

// RFC 4231 §4.2-§4.8, test cases 1-7 (HMAC-SHA-256 and HMAC-SHA-512).
const LARGE_KEY = repeat(0xaa, 131);
const CASES: { name: string; key: Uint8Array; data: Uint8Array; sha256: string; sha512: string }[] = [
  {
    name: "4.2 test case 1",
    key: repeat(0x0b, 20),
    data: text("Hi There"),
    sha256: "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
    sha512: "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde" +
      "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854",
  },
  {
    name: "4.3 test case 2",
    key: text("Jefe"),
    data: text("what do ya want for nothing?"),
    sha256: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    sha512: "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554" +
      "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
  },
  {
    name: "4.4 test case 3",
    key: repeat(0xaa, 20),
    data: repeat(0xdd, 50),
    sha256: "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
    sha512: "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39" +
      "bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb",
  },
  {
    name: "4.5 test case 4",
    key: range(0x01, 0x19),
    data: repeat(0xcd, 50),
    sha256: "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
    sha512: "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3db" +
      "a91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd",
  },
  {
    name: "4.7 test case 6",
    key: LARGE_KEY,
    data: text("Test Using Larger Than Block-Size Key - Hash Key First"),
    sha256: "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
    sha512: "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352" +
      "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598",
  },
  {
    name: "4.8 test case 7",
    key: LARGE_KEY,
    data: text(
      "This is a test using a larger than block-size key and a larger than block-size data. " +
        "The key needs to be hashed before being used by the HMAC algorithm.",
    ),
    sha256: "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
    sha512: "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944" +
      "b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58",
  },
];

Deno.test("HMAC-SHA256 and HMAC-SHA512 match RFC 4231 test cases 1-4, 6, 7", () => {
  for (const c of CASES) {
    assertHex(hmacSha256(c.key, c.data), c.sha256);
    assertHex(hmacSha512(c.key, c.data), c.sha512);
    assertHex(createHmacSha256(c.key).update(c.data).digest(), c.sha256);
  }
});

Deno.test("HMAC truncated output matches RFC 4231 §4.6 test case 5", () => {
  const key = repeat(0x0c, 20);
  const data = text("Test With Truncation");
  assertHex(hmacSha256(key, data).subarray(0, 16), "a3b6167473100ee06e0c796c2955552b");
  assertHex(hmacSha512(key, data).subarray(0, 16), "415fad6271580a531d4179bc891d87a6");
});

Deno.test("HMAC over several parts equals HMAC over their concatenation, on both sides of the backend switch", () => {
  // Sizes around 1024 bytes cross from the @noble path to the node:crypto path.
  const size = fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 1000, max: 1100 }));
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 200 }),
      fc.array(size, { maxLength: 4 }),
      fc.integer(),
      (key, sizes, seed) => {
        const parts = sizes.map((n, i) => repeat((seed + i) & 0xff, n));
        const joined = concatBytes(...parts);
        assert.deepEqual(hmacSha256(key, ...parts), hmacSha256(key, joined));
        assert.deepEqual(hmacSha512(key, ...parts), hmacSha512(key, joined));
        const streaming = createHmacSha256(key);
        for (const part of parts) streaming.update(part);
        assert.deepEqual(streaming.digest(), hmacSha256(key, joined));
      },
    ),
    { numRuns: 60 },
  );
});

Deno.test("HMAC agrees with the streaming HMAC just below and above the 1 KiB backend switch", () => {
  // 1023 bytes take the @noble path, 1024 and more the node:crypto one; both must equal the streaming HMAC.
  const key = repeat(0x0b, 20);
  for (const n of [1023, 1024, 1025]) {
    const message = repeat(0x61, n);
    assert.deepEqual(hmacSha256(key, message), createHmacSha256(key).update(message).digest());
  }
  assert.deepEqual(
    hmacSha256(new Uint8Array(0), new Uint8Array(0)),
    createHmacSha256(new Uint8Array(0)).digest(),
  );
});
