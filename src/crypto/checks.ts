/**
 * Boundary checks that turn bad input into a {@link CryptoError} naming what was expected and what came.
 *
 * @module
 */

import { CryptoError, type CryptoErrorCode } from "./errors.ts";

/** Describes a value's size for an error message: "16" for 16 bytes, otherwise its type. */
export function describeSize(value: unknown): string {
  if (value instanceof Uint8Array) return String(value.length);
  if (value === null) return "null";
  return `a value of type ${typeof value}`;
}

function assertSize(
  value: unknown,
  length: number,
  what: string,
  code: CryptoErrorCode,
): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== length) {
    throw new CryptoError(code, `${what} must be ${length} bytes, got ${describeSize(value)}`);
  }
}

/** Throws `bad_key` unless `key` is a Uint8Array of exactly `length` bytes. */
export function assertKey(key: unknown, length: number, what: string): asserts key is Uint8Array {
  assertSize(key, length, what, "bad_key");
}

/** Throws `bad_length` unless `value` is a Uint8Array of exactly `length` bytes. */
export function assertLength(value: unknown, length: number, what: string): asserts value is Uint8Array {
  assertSize(value, length, what, "bad_length");
}

/** Throws `bad_length` unless `value` is an integer in `[min, max]`. */
export function assertIntegerInRange(value: number, min: number, max: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new CryptoError("bad_length", `${what} must be an integer from ${min} to ${max}, got ${value}`);
  }
}
