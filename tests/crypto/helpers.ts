// Shared assertions for the crypto tests.
import assert from "node:assert/strict";
import { CryptoError, type CryptoErrorCode } from "../../src/crypto/mod.ts";

/** Asserts `fn` throws a CryptoError with `code`. */
export function assertCryptoError(fn: () => unknown, code: CryptoErrorCode, context = ""): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof CryptoError, `${context} expected CryptoError, got ${e}`);
    assert.equal(e.name, "CryptoError");
    assert.equal(e.code, code, `${context} expected code ${code}, got ${e.code}: ${e.message}`);
    return true;
  }, `${context} expected a CryptoError ${code}`);
}

/** Asserts the promise rejects with a CryptoError with `code`. */
export async function assertCryptoRejects(
  promise: Promise<unknown>,
  code: CryptoErrorCode,
  context = "",
): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof CryptoError, `${context} expected CryptoError, got ${e}`);
    assert.equal(e.code, code, `${context} expected code ${code}, got ${e.code}: ${e.message}`);
    return true;
  }, `${context} expected a rejection with CryptoError ${code}`);
}

/** Asserts `bytes` is a plain Uint8Array (no Buffer leaking out of node:crypto) holding `hex`. */
export function assertHex(bytes: Uint8Array, hex: string): void {
  assert.equal(Object.getPrototypeOf(bytes), Uint8Array.prototype, "expected a plain Uint8Array");
  assert.equal(bytes.toHex(), hex.replaceAll(/\s/g, ""));
}

/** Hex to bytes, ignoring whitespace so long vectors can be wrapped. */
export function hex(s: string): Uint8Array {
  return Uint8Array.fromHex(s.replaceAll(/\s/g, ""));
}

/** ASCII/UTF-8 string to bytes. */
export function text(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** `n` copies of `byte`. */
export function repeat(byte: number, n: number): Uint8Array {
  return new Uint8Array(n).fill(byte);
}

/** The bytes start, start + 1, ..., end inclusive. */
export function range(start: number, end: number): Uint8Array {
  return Uint8Array.from({ length: end - start + 1 }, (_, i) => start + i);
}
