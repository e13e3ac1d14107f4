// Shared helpers for the media tests.
import assert from "node:assert/strict";
import { concatBytes } from "../../../src/crypto/mod.ts";
import { MediaError, type MediaErrorCode } from "../../../src/features/media/mod.ts";

export { cut } from "../helpers.ts";

/** Asserts `fn` throws a MediaError with `code`. */
export function assertMediaError(fn: () => unknown, code: MediaErrorCode, context = ""): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof MediaError, `${context} expected MediaError, got ${e}`);
    assert.equal(e.name, "MediaError");
    assert.equal(e.code, code, `${context} expected code ${code}, got ${e.code}: ${e.message}`);
    return true;
  });
}

/** Asserts the promise rejects with a MediaError with `code`; returns the error. */
export async function assertMediaRejects(
  promise: Promise<unknown>,
  code: MediaErrorCode,
  context = "",
): Promise<MediaError> {
  let caught: MediaError | undefined;
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof MediaError, `${context} expected MediaError, got ${e}`);
    assert.equal(e.code, code, `${context} expected code ${code}, got ${e.code}: ${e.message}`);
    caught = e;
    return true;
  });
  return caught!;
}

/** Deterministic pseudo-random bytes (xorshift32), so big inputs need no stored fixture. */
export function pseudoRandom(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  const words = new Uint32Array(out.buffer, 0, length >>> 2);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  for (let i = words.length * 4; i < length; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

/** Concatenates parts (an array of them, as the tests collect them). */
export function join(parts: Uint8Array[]): Uint8Array {
  return concatBytes(...parts);
}

/** Reads a stream until it ends or errors: how many bytes came first, and the error (if one came). */
export async function readUntilError(
  stream: ReadableStream<Uint8Array>,
): Promise<{ received: number; error: unknown }> {
  const reader = stream.getReader();
  let received = 0;
  for (;;) {
    try {
      const { done, value } = await reader.read();
      if (done) return { received, error: undefined };
      received += value.length;
    } catch (error) {
      return { received, error };
    }
  }
}

/** Reads a stream to the end. */
export async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of stream) parts.push(chunk);
  return join(parts);
}
