// Padding, the keyed lock, key generation and prekey ids.
import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import fc from "npm:fast-check@4.10.2";
import { prefixPublicKey, xeddsaVerify } from "../../src/crypto/mod.ts";
import {
  generateIdentityKeyPair,
  generatePreKeys,
  generateRegistrationId,
  generateSignedPreKey,
  KeyedMutex,
  MAX_PREKEY_ID,
  nextPreKeyId,
  padMessage,
  SignalError,
  unpadMessage,
} from "../../src/signal/mod.ts";

const isCode = (code: string) => (e: unknown) => e instanceof SignalError && e.code === code;

Deno.test("padding: round trip, n bytes of value n, n in 1..16", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (plaintext) => {
      const padded = padMessage(plaintext);
      const n = padded.length - plaintext.length;
      strictEqual(n >= 1 && n <= 16, true);
      for (let i = plaintext.length; i < padded.length; i++) strictEqual(padded[i], n);
      deepStrictEqual(unpadMessage(padded), plaintext);
    }),
    { numRuns: 300 },
  );
  // Every length 1..16 occurs (each has probability 1/16 per call).
  const seen = new Set<number>();
  for (let i = 0; i < 2000; i++) seen.add(padMessage(new Uint8Array(1)).length - 1);
  deepStrictEqual([...seen].sort((a, b) => a - b), Array.from({ length: 16 }, (_, i) => i + 1));
  deepStrictEqual(padMessage(new Uint8Array([7]), 3), new Uint8Array([7, 3, 3, 3]));
});

Deno.test("padding: malformed padding is invalid_padding", () => {
  throws(() => unpadMessage(new Uint8Array(0)), isCode("invalid_padding"));
  throws(() => unpadMessage(new Uint8Array([1, 2, 0])), isCode("invalid_padding")); // n = 0
  throws(() => unpadMessage(new Uint8Array([5, 5])), isCode("invalid_padding")); // n > length
  throws(() => unpadMessage(new Uint8Array([9, 2, 3, 3])), isCode("invalid_padding")); // bytes differ
  deepStrictEqual(unpadMessage(new Uint8Array([3, 3, 3])), new Uint8Array(0));
  throws(() => padMessage(new Uint8Array(1), 0), isCode("invalid_argument"));
  throws(() => padMessage(new Uint8Array(1), 17), isCode("invalid_argument"));
});

Deno.test("KeyedMutex: same key runs in call order without interleaving; other keys run freely", async () => {
  const locks = new KeyedMutex();
  const log: string[] = [];
  const task = (key: string, name: string, ticks: number) =>
    locks.withLock(key, async () => {
      log.push(`${name} start`);
      for (let i = 0; i < ticks; i++) await Promise.resolve();
      log.push(`${name} end`);
      return name;
    });
  const results = await Promise.all([
    task("a", "a1", 5),
    task("a", "a2", 1),
    task("b", "b1", 1),
    task("a", "a3", 0),
  ]);
  deepStrictEqual(results, ["a1", "a2", "b1", "a3"]);
  const onA = log.filter((l) => l.startsWith("a"));
  deepStrictEqual(onA, ["a1 start", "a1 end", "a2 start", "a2 end", "a3 start", "a3 end"]);
  // b1 ran while a1 was still running.
  strictEqual(log.indexOf("b1 end") < log.indexOf("a1 end"), true);
  strictEqual(locks.size, 0, "idle keys are removed");
});

Deno.test("KeyedMutex: a failing task releases the lock and its error reaches only its caller", async () => {
  const locks = new KeyedMutex();
  const failing = locks.withLock("k", () => Promise.reject(new Error("boom")));
  const next = locks.withLock("k", () => "ran");
  strictEqual(locks.isLocked("k"), true);
  await failing.then(() => {
    throw new Error("expected rejection");
  }, (e) => strictEqual(e.message, "boom"));
  strictEqual(await next, "ran");
  strictEqual(locks.size, 0);
  // Many keys in use, then none: the map does not keep them.
  await Promise.all(Array.from({ length: 1000 }, (_, i) => locks.withLock(`key${i}`, () => i)));
  strictEqual(locks.size, 0);
});

Deno.test("keys: prekey ids are consecutive and wrap within 1..0xFFFFFF", () => {
  deepStrictEqual(generatePreKeys(0xfffffe, 4).map((p) => p.keyId), [0xfffffe, 0xffffff, 1, 2]);
  strictEqual(nextPreKeyId(MAX_PREKEY_ID), 1);
  strictEqual(nextPreKeyId(1), 2);
  strictEqual(generatePreKeys(1, 812).length, 812);
  throws(() => generatePreKeys(0, 1), isCode("invalid_argument"));
  throws(() => generatePreKeys(0x1000000, 1), isCode("invalid_argument"));
  const keys = generatePreKeys(10, 3);
  strictEqual(new Set(keys.map((k) => k.publicKey.toHex())).size, 3);
});

Deno.test("keys: signed prekey signature verifies over the 0x05-prefixed key; registration ids in range", () => {
  const identity = generateIdentityKeyPair();
  const signed = generateSignedPreKey(identity, 0xabcdef, 1700000000000);
  strictEqual(signed.keyId, 0xabcdef);
  strictEqual(signed.timestamp, 1700000000000);
  strictEqual(xeddsaVerify(identity.publicKey, prefixPublicKey(signed.publicKey), signed.signature), true);
  strictEqual(xeddsaVerify(identity.publicKey, signed.publicKey, signed.signature), false);
  throws(() => generateSignedPreKey(identity, 0x1000000), isCode("invalid_argument"));
  for (let i = 0; i < 2000; i++) {
    const id = generateRegistrationId();
    strictEqual(Number.isInteger(id) && id >= 1 && id < 16380, true);
  }
});

Deno.test("KeyedMutex: withLocks holds every key; overlapping multi-key callers do not deadlock", async () => {
  const locks = new KeyedMutex();
  const active = new Set<string>();
  const run = (keys: string[]) =>
    locks.withLocks(keys, async () => {
      for (const k of new Set(keys)) {
        strictEqual(active.has(k), false, `${k} held twice`);
        active.add(k);
      }
      await Promise.resolve();
      for (const k of keys) active.delete(k);
      return keys.length;
    });
  const results = await Promise.all([
    run(["c", "a", "b"]),
    run(["b", "c"]),
    run(["a"]),
    run(["c", "b", "a", "a"]),
    locks.withLock("b", () => 0),
  ]);
  deepStrictEqual(results, [3, 2, 1, 4, 0]);
  strictEqual(locks.size, 0);
});
