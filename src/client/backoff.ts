/**
 * Reconnect backoff: Fibonacci seconds (1, 1, 2, 3, 5, 8, ...) capped at 900 s, with ±10 % jitter, as the
 * seed's connection lifecycle describes.
 *
 * @module
 */

/** The longest wait between reconnect attempts, in milliseconds (15 minutes). */
export const MAX_BACKOFF_MS = 900_000;

/** The extra Fibonacci steps a 429 (rate limited) stream error adds to the failure counter. */
export const RATE_LIMIT_BACKOFF_STEPS = 5;

/**
 * The un-jittered delay for the n-th consecutive failure (1-based): fib(n) seconds, capped.
 *
 * @example
 * ```ts
 * import { fibonacciBackoffMs } from "./backoff.ts";
 * console.log([1, 2, 3, 4, 5, 6].map(fibonacciBackoffMs)); // [1000, 1000, 2000, 3000, 5000, 8000]
 * ```
 */
export function fibonacciBackoffMs(attempt: number): number {
  if (!(attempt >= 1)) return 0;
  let a = 1, b = 1;
  for (let i = 1; i < attempt; i++) {
    [a, b] = [b, a + b];
    if (a * 1000 >= MAX_BACKOFF_MS) return MAX_BACKOFF_MS;
  }
  return Math.min(a * 1000, MAX_BACKOFF_MS);
}

/** The delay with ±10 % jitter; `random` is injectable for tests. Never exceeds {@linkcode MAX_BACKOFF_MS}. */
export function jitteredBackoffMs(attempt: number, random: () => number = Math.random): number {
  const base = fibonacciBackoffMs(attempt);
  const jittered = base * (0.9 + 0.2 * random());
  return Math.min(Math.round(jittered), MAX_BACKOFF_MS);
}

/** Waits `ms`, or less when `signal` aborts (it never rejects). */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
