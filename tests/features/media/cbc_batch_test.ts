// Batched WebCrypto AES-256-CBC against src/crypto's one-shot node:crypto CBC (itself checked against
// NIST SP 800-38A F.2.5/F.2.6 in tests/crypto/aes_test.ts), at and around the batch boundaries.
import assert from "node:assert/strict";
import { aesCbcDecrypt, aesCbcEncrypt, CryptoError } from "../../../src/crypto/mod.ts";
import {
  CBC_BATCH,
  createBatchCbcDecryptor,
  createBatchCbcEncryptor,
} from "../../../src/features/media/cbc_batch.ts";
import { cut, join, pseudoRandom } from "./helpers.ts";

const key = pseudoRandom(32, 1);
const iv = pseudoRandom(16, 2);

async function run(
  cipher: ReturnType<typeof createBatchCbcEncryptor>,
  parts: Uint8Array[],
): Promise<Uint8Array> {
  const out: Uint8Array[] = [];
  for (const part of parts) out.push(...await cipher.update(part));
  out.push(...await cipher.final());
  return join(out);
}

Deno.test("batched CBC equals one-shot CBC across batch boundaries, in any chunking", async () => {
  const sizes = [
    0,
    1,
    15,
    16,
    17,
    CBC_BATCH - 1,
    CBC_BATCH,
    CBC_BATCH + 1,
    2 * CBC_BATCH,
    2 * CBC_BATCH + 17,
  ];
  for (const size of sizes) {
    const plaintext = pseudoRandom(size, size + 3);
    const ciphertext = aesCbcEncrypt(key, iv, plaintext);
    for (const bounds of [[], [7], [CBC_BATCH - 16, CBC_BATCH + 5], [1, 65_536, CBC_BATCH * 2 - 1]]) {
      const encrypted = await run(createBatchCbcEncryptor(key, iv), cut(plaintext, bounds));
      assert.deepEqual(encrypted, ciphertext, `encrypt ${size} cut ${bounds}`);
      const decrypted = await run(createBatchCbcDecryptor(key, iv), cut(ciphertext, bounds));
      assert.deepEqual(decrypted, aesCbcDecrypt(key, iv, ciphertext), `decrypt ${size} cut ${bounds}`);
    }
  }
});

Deno.test("batched CBC decryption reports bad padding and bad lengths as CryptoError", async () => {
  const ciphertext = aesCbcEncrypt(key, iv, pseudoRandom(CBC_BATCH + 100, 9));
  const wrongKey = createBatchCbcDecryptor(pseudoRandom(32, 5), iv);
  await assert.rejects(
    run(wrongKey, [ciphertext]),
    (e) => e instanceof CryptoError && e.code === "bad_padding",
  );
  const partial = createBatchCbcDecryptor(key, iv);
  await assert.rejects(
    run(partial, [ciphertext.subarray(0, 33)]),
    (e) => e instanceof CryptoError && e.code === "bad_length",
  );
  const empty = createBatchCbcDecryptor(key, iv);
  await assert.rejects(run(empty, []), (e) => e instanceof CryptoError && e.code === "bad_length");
});
