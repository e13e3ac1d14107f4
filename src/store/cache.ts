/**
 * A small bounded cache: least-recently-used eviction plus an expiry that is either a time-to-live (from
 * the last write) or a time-to-idle (from the last read or write), with an injectable clock so tests can
 * move time without sleeping.
 *
 * The store uses it in front of SQLite for the device registry and the LID↔PN mappings, with the sizes
 * the reference client uses (see {@linkcode DEVICE_LIST_CACHE} and {@linkcode LID_PN_CACHE}).
 *
 * @module
 */

/** Milliseconds since some epoch; `Date.now` by default. */
export type Clock = () => number;

/** Options for {@linkcode LruTtlCache}. */
export interface LruTtlCacheOptions {
  /** The most entries kept; the least recently used one is evicted past it. At least 1. */
  maxEntries: number;
  /** Lifetime of an entry in milliseconds; `Infinity` for none. */
  ttlMs: number;
  /**
   * `write` (default): an entry expires `ttlMs` after it was last set (time-to-live).
   * `access`: an entry expires `ttlMs` after it was last read or set (time-to-idle).
   */
  expireAfter?: "write" | "access";
  /** Time source in milliseconds; defaults to `Date.now`. */
  clock?: Clock;
}

interface Entry<V> {
  value: V;
  expiresAt: number;
}

/** Device lists: one hour after the last write, at most 5,000 users (the reference client's device cache). */
export const DEVICE_LIST_CACHE: Readonly<LruTtlCacheOptions> = Object.freeze({
  maxEntries: 5_000,
  ttlMs: 3_600_000,
  expireAfter: "write",
});

/** LID↔PN mappings: one hour idle, at most 10,000 entries per direction (the reference `LidPnCache`). */
export const LID_PN_CACHE: Readonly<LruTtlCacheOptions> = Object.freeze({
  maxEntries: 10_000,
  ttlMs: 3_600_000,
  expireAfter: "access",
});

/**
 * A bounded LRU map whose entries also expire. Expired entries are dropped lazily when touched, and
 * eviction removes the least recently used entry, so memory stays within `maxEntries`.
 *
 * The cached value may itself be `null` (the store caches "known absent" that way); `get` returns
 * `undefined` only for a miss.
 *
 * @example
 * ```ts
 * import { LruTtlCache } from "@wadeno/client/store";
 * let now = 0;
 * const cache = new LruTtlCache<string, number>({ maxEntries: 2, ttlMs: 1000, clock: () => now });
 * cache.set("a", 1);
 * now = 999;
 * cache.get("a"); // 1
 * now = 1000;
 * cache.get("a"); // undefined: expired
 * ```
 */
export class LruTtlCache<K, V> {
  readonly #map = new Map<K, Entry<V>>();
  readonly #max: number;
  readonly #ttl: number;
  readonly #touchExtends: boolean;
  readonly #clock: Clock;

  /** Creates an empty cache; throws a `RangeError` for a size below 1 or a negative TTL. */
  constructor(options: LruTtlCacheOptions) {
    if (!Number.isInteger(options.maxEntries) || options.maxEntries < 1) {
      throw new RangeError(`cache maxEntries must be an integer >= 1, got ${options.maxEntries}`);
    }
    if (!(options.ttlMs >= 0)) throw new RangeError(`cache ttlMs must be >= 0, got ${options.ttlMs}`);
    this.#max = options.maxEntries;
    this.#ttl = options.ttlMs;
    this.#touchExtends = options.expireAfter === "access";
    this.#clock = options.clock ?? Date.now;
  }

  /** The number of entries held, including expired ones not yet dropped. */
  get size(): number {
    return this.#map.size;
  }

  /** The value for `key`, or `undefined` when absent or expired. Marks the entry most recently used. */
  get(key: K): V | undefined {
    const entry = this.#map.get(key);
    if (entry === undefined) return undefined;
    const now = this.#clock();
    if (now >= entry.expiresAt) {
      this.#map.delete(key);
      return undefined;
    }
    // Re-inserting moves the key to the end of the Map's iteration order: the most recently used end.
    this.#map.delete(key);
    this.#map.set(key, entry);
    if (this.#touchExtends) entry.expiresAt = now + this.#ttl;
    return entry.value;
  }

  /** True when `key` has a live entry. Does not change recency or idle time. */
  has(key: K): boolean {
    const entry = this.#map.get(key);
    return entry !== undefined && this.#clock() < entry.expiresAt;
  }

  /** Sets `key`, evicting the least recently used entry when full. */
  set(key: K, value: V): this {
    this.#map.delete(key);
    this.#map.set(key, { value, expiresAt: this.#clock() + this.#ttl });
    if (this.#map.size > this.#max) {
      // The first key in iteration order is the least recently used.
      const oldest = this.#map.keys().next().value as K;
      this.#map.delete(oldest);
    }
    return this;
  }

  /** Removes `key`; returns whether it was present. */
  delete(key: K): boolean {
    return this.#map.delete(key);
  }

  /** Removes every entry. */
  clear(): void {
    this.#map.clear();
  }

  /** Drops every expired entry now (otherwise they go lazily); returns how many were dropped. */
  purgeExpired(): number {
    const now = this.#clock();
    let dropped = 0;
    for (const [key, entry] of this.#map) {
      if (now >= entry.expiresAt) {
        this.#map.delete(key);
        dropped++;
      }
    }
    return dropped;
  }
}
