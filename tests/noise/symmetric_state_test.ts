import assert from "node:assert/strict";
import { utf8 } from "../../src/crypto/mod.ts";
import { CipherState, COUNTER_LIMIT, NOISE_XX_PATTERN, SymmetricState } from "../../src/noise/mod.ts";
import { assertNoiseError, assertNoiseRejects, fill } from "./helpers.ts";

function pair(): [SymmetricState, SymmetricState] {
  const a = new SymmetricState(NOISE_XX_PATTERN), b = new SymmetricState(NOISE_XX_PATTERN);
  a.mixKey(fill(32, 1));
  b.mixKey(fill(32, 1));
  return [a, b];
}

Deno.test("the handshake counter advances per message and restarts at 0 on every mixKey", () => {
  const [a, b] = pair();
  assert.equal(a.counter, 0);
  for (let i = 0; i < 3; i++) b.decryptAndHash(a.encryptAndHash(fill(10, i)));
  assert.equal(a.counter, 3);
  assert.equal(b.counter, 3);
  a.mixKey(fill(32, 2));
  b.mixKey(fill(32, 2));
  assert.equal(a.counter, 0);
  assert.deepEqual(b.decryptAndHash(a.encryptAndHash(utf8("after mix"))), utf8("after mix"));
  assert.deepEqual(a.handshakeHash, b.handshakeHash);
});

Deno.test("decryptAndHash fails with decrypt_failed on a changed ciphertext, hash or key", () => {
  const [a, b] = pair();
  const sealed = a.encryptAndHash(utf8("static key"));
  const flipped = sealed.slice();
  flipped[0] ^= 1;
  assertNoiseError(() => b.decryptAndHash(flipped), "decrypt_failed");

  const [c, d] = pair();
  d.mixHash(utf8("a different transcript"));
  assertNoiseError(() => d.decryptAndHash(c.encryptAndHash(utf8("x"))), "decrypt_failed");

  const [e, f] = pair();
  f.mixKey(fill(32, 9));
  assertNoiseError(() => f.decryptAndHash(e.encryptAndHash(utf8("x"))), "decrypt_failed");

  const [g, h] = pair();
  const truncated = g.encryptAndHash(utf8("x")).subarray(0, 10);
  assertNoiseError(() => h.decryptAndHash(truncated), "decrypt_failed");
});

Deno.test("every handshake message changes h, so a replayed or reordered one does not decrypt", () => {
  const [a, b] = pair();
  const one = a.encryptAndHash(utf8("one"));
  const two = a.encryptAndHash(utf8("two"));
  assertNoiseError(() => b.decryptAndHash(two), "decrypt_failed", "reordered");
  const [c, d] = pair();
  const first = c.encryptAndHash(utf8("one"));
  d.decryptAndHash(first);
  assertNoiseError(() => d.decryptAndHash(first), "decrypt_failed", "replayed");
  assert.notDeepEqual(one, two);
});

Deno.test("split gives two different keys, the same on both sides", () => {
  const [a, b] = pair();
  b.decryptAndHash(a.encryptAndHash(utf8("x")));
  const [a1, a2] = a.split(), [b1, b2] = b.split();
  assert.deepEqual(b1.decrypt(a1.encrypt(utf8("i->r"))), utf8("i->r"));
  assert.deepEqual(a2.decrypt(b2.encrypt(utf8("r->i"))), utf8("r->i"));
  const [c1, c2] = a.split();
  assertNoiseError(
    () => c2.decrypt(c1.encrypt(utf8("x"))),
    "decrypt_failed",
    "the two directions must differ",
  );
});

Deno.test("a cipher fails cleanly with counter_exhausted instead of reusing a nonce", async () => {
  const key = fill(32, 3);
  const enc = new CipherState(key, COUNTER_LIMIT - 2), dec = new CipherState(key, COUNTER_LIMIT - 2);
  assert.deepEqual(dec.decrypt(enc.encrypt(utf8("a"))), utf8("a"));
  assert.deepEqual(await dec.decryptAsync(await enc.encryptAsync(fill(20_000))), fill(20_000));
  assert.equal(enc.counter, COUNTER_LIMIT);
  assertNoiseError(() => enc.encrypt(utf8("b")), "counter_exhausted");
  assertNoiseError(() => dec.decrypt(new Uint8Array(17)), "counter_exhausted");
  await assertNoiseRejects(enc.encryptAsync(utf8("b")), "counter_exhausted");
  assert.equal(enc.counter, COUNTER_LIMIT, "a refused call does not move the counter");
  // Exhaustion is per key: a new key restarts the count.
  enc.initializeKey(fill(32, 4));
  assert.equal(enc.counter, 0);
});

Deno.test("before any key, CipherState passes bytes through (spec §5.1) and SymmetricState only hashes", () => {
  const cipher = new CipherState();
  assert.equal(cipher.hasKey, false);
  assert.deepEqual(cipher.encrypt(utf8("plain")), utf8("plain"));
  const state = new SymmetricState(NOISE_XX_PATTERN);
  const before = state.handshakeHash;
  assert.deepEqual(state.encryptAndHash(utf8("plain")), utf8("plain"));
  assert.notDeepEqual(state.handshakeHash, before);
});
