import assert from "node:assert/strict";
import fc from "npm:fast-check@4.10.2";
import { x25519 as nobleX25519 } from "@noble/curves/ed25519.js";
import { generateKeyPair, keyPairFromPrivateKey, x25519 } from "../../src/crypto/mod.ts";
import { assertCryptoError, assertHex, hex } from "./helpers.ts";

// RFC 7748 §5.2, the two single-call test vectors (the second has the top bit of u set, which must be masked).
Deno.test("X25519 matches RFC 7748 §5.2 test vectors", () => {
  assertHex(
    x25519(
      hex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"),
      hex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c"),
    ),
    "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552",
  );
  assertHex(
    x25519(
      hex("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d"),
      hex("e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493"),
    ),
    "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957",
  );
});

// RFC 7748 §5.2, the iterated test: k = u = 9, then (k, u) = (X25519(k, u), k); after 1 and 1000 rounds.
// (The 1,000,000-round value would take about a minute.)
Deno.test("X25519 matches the RFC 7748 §5.2 iterated test after 1 and 1000 rounds", () => {
  let k = hex("0900000000000000000000000000000000000000000000000000000000000000");
  let u = k;
  for (let i = 1; i <= 1000; i++) {
    [k, u] = [x25519(k, u), k];
    if (i === 1) assertHex(k, "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079");
  }
  assertHex(k, "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51");
});

// RFC 7748 §6.1, the Alice/Bob Diffie-Hellman example.
Deno.test("X25519 key pairs and shared secret match RFC 7748 §6.1", () => {
  const alice = keyPairFromPrivateKey(
    hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"),
  );
  const bob = keyPairFromPrivateKey(hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"));
  assertHex(alice.publicKey, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  assertHex(bob.publicKey, "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  const shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
  assertHex(x25519(alice.privateKey, bob.publicKey), shared);
  assertHex(x25519(bob.privateKey, alice.publicKey), shared);
});

// signalapp/libsignal, rust/core/src/curve/curve25519.rs, test_agreement
// (commit aeb2f2a5615521864beba4d884c4ba506fed704e).
Deno.test("X25519 matches libsignal's agreement test vector", () => {
  const alice = keyPairFromPrivateKey(
    hex("c806439dc9d2c476ffed8f2580c0888d58ab406bf7ae3698879021b96bb4bf59"),
  );
  const bob = keyPairFromPrivateKey(hex("b03b34c33a1c44f225b662d2bf4859b8135411fa7b0386d45fb75dc5b91b4466"));
  assertHex(alice.publicKey, "1bb75966f2e93a3691dfff942bb2a466a1c08b8d78ca3f4d6df8b8bfa2e4ee28");
  assertHex(bob.publicKey, "653614993d2b15ee9e5fd3d86ce719ef4ec1daae1886a87b3f5fa9565a27a22f");
  const shared = "325f239328941ced6e673b86ba41017448e99b649a9c3806c1dd7ca4c477e629";
  assertHex(x25519(alice.privateKey, bob.publicKey), shared);
  assertHex(x25519(bob.privateKey, alice.publicKey), shared);
});

Deno.test("keyPairFromPrivateKey clamps a copy (RFC 7748 §5) and leaves the input alone", () => {
  const input = new Uint8Array(32).fill(0xff);
  const pair = keyPairFromPrivateKey(input);
  assert.deepEqual(input, new Uint8Array(32).fill(0xff));
  assert.equal(pair.privateKey[0], 0xf8);
  assert.equal(pair.privateKey[31], 0x7f);
  assert.deepEqual(pair.privateKey.subarray(1, 31), new Uint8Array(30).fill(0xff));
  // Clamping is idempotent and does not change the public key.
  assert.deepEqual(keyPairFromPrivateKey(pair.privateKey), pair);
  assert.equal(pair.publicKey.length, 32);
  assert.equal(Object.getPrototypeOf(pair.publicKey), Uint8Array.prototype);
});

Deno.test("X25519 agrees with @noble/curves and is symmetric for random key pairs", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      (a, b) => {
        const alice = keyPairFromPrivateKey(a), bob = keyPairFromPrivateKey(b);
        assert.deepEqual(alice.publicKey, nobleX25519.getPublicKey(a));
        const shared = x25519(alice.privateKey, bob.publicKey);
        assert.deepEqual(shared, x25519(bob.privateKey, alice.publicKey));
        assert.deepEqual(shared, nobleX25519.getSharedSecret(a, bob.publicKey));
        // Unclamped private keys give the same result: X25519 clamps (RFC 7748 §5).
        assert.deepEqual(x25519(a, bob.publicKey), shared);
      },
    ),
    { numRuns: 40 },
  );
  const one = generateKeyPair(), two = generateKeyPair();
  assert.notDeepEqual(one.privateKey, two.privateKey);
  assert.deepEqual(x25519(one.privateKey, two.publicKey), x25519(two.privateKey, one.publicKey));
});

// libsodium's X25519 blocklist (src/libsodium/crypto_scalarmult/curve25519/ref10/x25519_ref10.c): u = 0, 1,
// the two points of order 8, p - 1, and the non-canonical p and p + 1. All give an all-zero secret.
const LOW_ORDER = [
  "0000000000000000000000000000000000000000000000000000000000000000",
  "0100000000000000000000000000000000000000000000000000000000000000",
  "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
  "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
];

Deno.test("X25519 rejects low-order peer keys with low_order_point (RFC 7748 §6.1 all-zero check)", () => {
  for (let i = 0; i < 3; i++) {
    const { privateKey } = generateKeyPair();
    for (const u of LOW_ORDER) {
      assertCryptoError(() => x25519(privateKey, hex(u)), "low_order_point", u);
      // The same points with the (ignored) top bit set.
      const high = hex(u);
      high[31] |= 0x80;
      assertCryptoError(() => x25519(privateKey, high), "low_order_point", `${u} | 2^255`);
    }
  }
});

Deno.test("X25519 rejects keys that are not 32 bytes with bad_key", () => {
  const pair = generateKeyPair();
  assertCryptoError(() => x25519(new Uint8Array(31), pair.publicKey), "bad_key");
  assertCryptoError(() => x25519(pair.privateKey, new Uint8Array(33)), "bad_key");
  assertCryptoError(() => keyPairFromPrivateKey(new Uint8Array(64)), "bad_key");
  assert.throws(
    () => x25519(pair.privateKey, new Uint8Array(33)),
    /X25519 public key must be 32 bytes, got 33/,
  );
});

Deno.test("a private key array edited in place is not served from the KeyObject cache", () => {
  const peer = generateKeyPair();
  const key = new Uint8Array(32).fill(3);
  const before = x25519(key, peer.publicKey);
  key[7] = 200;
  const after = x25519(key, peer.publicKey);
  assert.notDeepEqual(after, before);
  assert.deepEqual(after, nobleX25519.getSharedSecret(key, peer.publicKey));
});
