import { assert, assertEquals, assertThrows } from "../_assert.ts";
import { DEVICE_LIST_CACHE, LID_PN_CACHE, LruTtlCache } from "../../src/store/mod.ts";
import { ManualClock } from "./fixtures.ts";

Deno.test("LruTtlCache evicts the least recently used entry past maxEntries", () => {
  const cache = new LruTtlCache<string, number>({ maxEntries: 3, ttlMs: Infinity });
  cache.set("a", 1).set("b", 2).set("c", 3);
  assertEquals(cache.get("a"), 1); // a is now the most recently used
  cache.set("d", 4); // evicts b
  assertEquals(cache.get("b"), undefined);
  assertEquals([cache.get("a"), cache.get("c"), cache.get("d")], [1, 3, 4]);
  assertEquals(cache.size, 3);
  cache.set("c", 30); // overwrite refreshes recency, no eviction
  assertEquals(cache.size, 3);
  cache.set("e", 5); // evicts a (c and d were touched later)
  assertEquals(cache.get("a"), undefined);
  assertEquals(cache.get("c"), 30);
});

Deno.test("LruTtlCache time-to-live expires from the last write, whatever the reads", () => {
  const clock = new ManualClock(0);
  const cache = new LruTtlCache<string, string>({ maxEntries: 10, ttlMs: 1000, clock: clock.read });
  cache.set("k", "v");
  clock.advance(999);
  assertEquals(cache.get("k"), "v");
  clock.advance(1);
  assertEquals(cache.get("k"), undefined, "expired at exactly ttlMs");
  assertEquals(cache.size, 0, "an expired entry is dropped when touched");
  cache.set("k", "v2");
  clock.advance(600);
  cache.set("k", "v3"); // a write restarts the lifetime
  clock.advance(600);
  assertEquals(cache.get("k"), "v3");
});

Deno.test("LruTtlCache time-to-idle is extended by every read", () => {
  const clock = new ManualClock(0);
  const cache = new LruTtlCache<string, number | null>({
    maxEntries: 10,
    ttlMs: 1000,
    expireAfter: "access",
    clock: clock.read,
  });
  cache.set("k", null); // null is a value ("known absent"), not a miss
  for (let i = 0; i < 5; i++) {
    clock.advance(900);
    assertEquals(cache.get("k"), null);
  }
  assert(cache.has("k"));
  clock.advance(1000);
  assertEquals(cache.has("k"), false, "has() sees expiry and does not extend it");
  assertEquals(cache.get("k"), undefined);
});

Deno.test("LruTtlCache purgeExpired drops only expired entries", () => {
  const clock = new ManualClock(0);
  const cache = new LruTtlCache<number, number>({ maxEntries: 10, ttlMs: 100, clock: clock.read });
  cache.set(1, 1);
  clock.advance(50);
  cache.set(2, 2);
  clock.advance(60);
  assertEquals(cache.purgeExpired(), 1);
  assertEquals(cache.size, 1);
  assertEquals(cache.get(2), 2);
  cache.clear();
  assertEquals(cache.size, 0);
});

Deno.test("LruTtlCache rejects nonsense sizes; store cache sizes follow the reference client", () => {
  assertThrows(() => new LruTtlCache({ maxEntries: 0, ttlMs: 1 }), RangeError);
  assertThrows(() => new LruTtlCache({ maxEntries: 1, ttlMs: -1 }), RangeError);
  // reference/seed/29_concepts_storage.md: LidPnCache 10,000 entries per map, time-to-idle 1 hour; the
  // brief's device list cache: 1 hour TTL, 5,000 entries.
  assertEquals(LID_PN_CACHE, { maxEntries: 10_000, ttlMs: 3_600_000, expireAfter: "access" });
  assertEquals(DEVICE_LIST_CACHE, { maxEntries: 5_000, ttlMs: 3_600_000, expireAfter: "write" });
});
