import assert from "node:assert/strict";
import { pbkdf2Sync } from "node:crypto";
import fc from "npm:fast-check@4.10.2";
import { pbkdf2 as noblePbkdf2 } from "@noble/hashes/pbkdf2.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { pbkdf2Sha256, utf8 } from "../../src/crypto/mod.ts";
import { assertCryptoRejects, assertHex, text } from "./helpers.ts";

// RFC 7914 §11, the two PBKDF2-HMAC-SHA256 test vectors.
Deno.test("PBKDF2-HMAC-SHA256 matches RFC 7914 §11 (c = 1 and c = 80000)", async () => {
  assertHex(
    await pbkdf2Sha256("passwd", text("salt"), 1, 64),
    "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc" +
      "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783",
  );
  assertHex(
    await pbkdf2Sha256(text("Password"), text("NaCl"), 80000, 64),
    "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56" +
      "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d",
  );
});

Deno.test("PBKDF2 agrees with @noble/hashes on random inputs, and strings are UTF-8", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.uint8Array({ maxLength: 80 }),
      fc.uint8Array({ maxLength: 40 }),
      fc.integer({ min: 1, max: 50 }),
      fc.integer({ min: 1, max: 100 }),
      async (password, salt, iterations, length) => {
        assert.deepEqual(
          await pbkdf2Sha256(password, salt, iterations, length),
          noblePbkdf2(sha256, password, salt, { c: iterations, dkLen: length }),
        );
      },
    ),
    { numRuns: 40 },
  );
  assert.deepEqual(
    await pbkdf2Sha256("pässwörd", text("s"), 3, 32),
    await pbkdf2Sha256(utf8("pässwörd"), text("s"), 3, 32),
  );
});

Deno.test("PBKDF2 with WhatsApp's 131072 iterations leaves the event loop running", async () => {
  const salt = text("0123456789abcdef0123456789abcdef");
  let done = false;
  const derivation = pbkdf2Sha256("12345678", salt, 131072, 32).finally(() => (done = true));
  // Count macrotask turns while the derivation runs. The timer is a probe of the event loop, not a wait
  // for the result: a derivation computed on the main thread would let at most one turn through.
  let turns = 0;
  while (!done) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    turns++;
  }
  const key = await derivation;
  assert.ok(turns >= 3, `event loop turned only ${turns} times during the derivation`);
  // node:crypto as an independent reference for the full WhatsApp parameters.
  assert.deepEqual(key, new Uint8Array(pbkdf2Sync("12345678", salt, 131072, 32, "sha256")));
});

Deno.test("PBKDF2 rejects bad iteration counts and lengths with bad_length", async () => {
  for (const iterations of [0, -1, 1.5, Number.NaN]) {
    await assertCryptoRejects(pbkdf2Sha256("p", text("s"), iterations, 32), "bad_length", `c=${iterations}`);
  }
  for (const length of [0, -8, 2.5, (1 << 20) + 1]) {
    await assertCryptoRejects(pbkdf2Sha256("p", text("s"), 1, length), "bad_length", `dkLen=${length}`);
  }
});
