import { assert, assertEquals } from "../_assert.ts";
import { fibonacciBackoffMs, jitteredBackoffMs, MAX_BACKOFF_MS } from "../../src/client/backoff.ts";

// Sequence and cap from the seed's connection lifecycle (reference/seed/04_advanced_websocket-handling.md):
// Fibonacci seconds 1,1,2,3,5,8,13,21,34,55,89,144,... capped at 900 s, jitter ±10 %.
Deno.test("fibonacci backoff follows the seed's sequence and caps at 900 s", () => {
  assertEquals(
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map(fibonacciBackoffMs),
    [1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144].map((s) => s * 1000),
  );
  assertEquals(fibonacciBackoffMs(16), 987_000 > MAX_BACKOFF_MS ? MAX_BACKOFF_MS : 987_000);
  assertEquals(fibonacciBackoffMs(1000), MAX_BACKOFF_MS);
  assertEquals(fibonacciBackoffMs(0), 0);
});

Deno.test("jitter stays within ±10 % and never exceeds the cap", () => {
  for (const attempt of [1, 5, 10, 15, 40]) {
    const base = fibonacciBackoffMs(attempt);
    assertEquals(jitteredBackoffMs(attempt, () => 0), Math.round(base * 0.9));
    assertEquals(jitteredBackoffMs(attempt, () => 0.5), base);
    const hi = jitteredBackoffMs(attempt, () => 0.999999);
    assert(hi <= Math.min(base * 1.1, MAX_BACKOFF_MS) + 1, `attempt ${attempt}: ${hi}`);
  }
});
