/**
 * One code path for both SQL backends: SQLite answers synchronously and PostgreSQL with promises, so code
 * shared by the two takes and returns {@linkcode Awaitable} values and chains them with
 * {@linkcode andThen}, which stays synchronous for a plain value. That keeps the SQLite store's guarantee
 * that a call has registered its writes by the time it returns (no `await` in between).
 *
 * @module
 */

/** A value, or a promise of one. */
export type Awaitable<T> = T | Promise<T>;

/**
 * `fn(value)`: at once for a plain value, after it resolves for a promise.
 *
 * @example
 * ```ts
 * import { andThen } from "./awaitable.ts";
 * andThen(2, (n) => n + 1); // 3, synchronously
 * await andThen(Promise.resolve(2), (n) => n + 1); // 3
 * ```
 */
export function andThen<T, U>(value: Awaitable<T>, fn: (value: T) => Awaitable<U>): Awaitable<U> {
  return value instanceof Promise ? value.then(fn) : fn(value);
}
