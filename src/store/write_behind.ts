/**
 * Write-behind for hot state: a per-table cache of records with dirty tracking ({@linkcode HotTable}), and
 * the timer that flushes dirty records a little later ({@linkcode FlushScheduler}).
 *
 * A store keeps the records it was given (Signal records are immutable, so holding the object is safe)
 * and serializes them only when it flushes; several updates of one session between flushes cost one
 * serialization and one row write. Reads check the dirty set first, so they always see the newest value.
 *
 * @module
 */

import type { Logger } from "../logger.ts";
import { LruTtlCache } from "./cache.ts";

/** How a {@linkcode HotTable} reaches its backing table. */
export interface HotTableIo<K, V> {
  /** Reads and decodes one row; `undefined` when absent. Throws `StoreError` `corrupt` on a bad row. */
  load(key: K): V | undefined;
  /** Reads many rows in one query; absent keys are absent from the map. */
  loadMany(keys: readonly K[]): Map<K, V>;
  /** Serializes and upserts rows (called inside the flush transaction). */
  writeMany(entries: ReadonlyArray<readonly [K, V]>): void;
  /** Deletes rows (called inside the flush transaction). */
  removeMany(keys: readonly K[]): void;
}

/**
 * A write-behind cache in front of one table. Clean entries (as last read or flushed, `null` meaning
 * "known absent") live in a bounded LRU; dirty entries are held until flushed, however many there are.
 */
export class HotTable<K, V> {
  readonly #io: HotTableIo<K, V>;
  readonly #clean: LruTtlCache<K, V | null>;
  #dirty = new Map<K, V | null>();

  /** Creates a table cache keeping at most `cacheSize` clean entries. */
  constructor(io: HotTableIo<K, V>, cacheSize: number) {
    this.#io = io;
    this.#clean = new LruTtlCache({ maxEntries: Math.max(1, cacheSize), ttlMs: Infinity });
  }

  /** The number of writes waiting for a flush. */
  get dirtyCount(): number {
    return this.#dirty.size;
  }

  /** The newest value of `key`: pending write, cached, or read from the table. */
  get(key: K): V | undefined {
    if (this.#dirty.has(key)) return this.#dirty.get(key) ?? undefined;
    const cached = this.#clean.get(key);
    if (cached !== undefined) return cached ?? undefined;
    const loaded = this.#io.load(key);
    this.#clean.set(key, loaded ?? null);
    return loaded;
  }

  /** The newest values of many keys; misses are read from the table in one query. */
  getMany(keys: readonly K[]): Map<K, V> {
    const out = new Map<K, V>();
    const misses: K[] = [];
    for (const key of keys) {
      if (this.#dirty.has(key)) {
        const v = this.#dirty.get(key);
        if (v != null) out.set(key, v);
        continue;
      }
      const cached = this.#clean.get(key);
      if (cached === undefined) misses.push(key);
      else if (cached !== null) out.set(key, cached);
    }
    if (misses.length > 0) {
      const loaded = this.#io.loadMany(misses);
      for (const key of misses) {
        const v = loaded.get(key);
        this.#clean.set(key, v ?? null);
        if (v !== undefined) out.set(key, v);
      }
    }
    return out;
  }

  /** Records a write of `key` (kept until the next flush). */
  set(key: K, value: V): void {
    this.#dirty.set(key, value);
  }

  /** Records a deletion of `key` (kept until the next flush). */
  delete(key: K): void {
    this.#dirty.set(key, null);
  }

  /** The keys with a pending write (not deletion). */
  dirtyKeys(): K[] {
    const keys: K[] = [];
    for (const [k, v] of this.#dirty) if (v !== null) keys.push(k);
    return keys;
  }

  /** True when `key` has a pending deletion. */
  isPendingDelete(key: K): boolean {
    return this.#dirty.has(key) && this.#dirty.get(key) === null;
  }

  /** Writes every pending change to the table; call inside a transaction, then {@linkcode markClean}. */
  writeDirty(): void {
    if (this.#dirty.size === 0) return;
    const writes: Array<readonly [K, V]> = [];
    const removals: K[] = [];
    for (const [key, value] of this.#dirty) {
      if (value === null) removals.push(key);
      else writes.push([key, value]);
    }
    this.#io.removeMany(removals);
    this.#io.writeMany(writes);
  }

  /** After the transaction committed: the pending changes become the clean cached values. */
  markClean(): void {
    if (this.#dirty.size === 0) return;
    for (const [key, value] of this.#dirty) this.#clean.set(key, value);
    this.#dirty = new Map();
  }

  /** Drops everything cached and pending (after the rows were deleted wholesale). */
  reset(): void {
    this.#clean.clear();
    this.#dirty = new Map();
  }
}

/** Options for {@linkcode FlushScheduler}. */
export interface FlushSchedulerOptions {
  /** Delay from the first unflushed write to the automatic flush; `Infinity` disables the timer. */
  delayMs: number;
  /** Longest retry delay after failed automatic flushes (the delay doubles per failure up to this). */
  maxRetryDelayMs?: number;
  /**
   * Does the flush; throws (or, for an asynchronous store, rejects) on failure, the data then still
   * pending.
   */
  flush: () => void | Promise<void>;
  /** Where automatic flush failures are reported. */
  logger?: Logger;
}

/**
 * Owns the store's one flush timer. The first write after a flush arms it; later writes do not push it
 * back, so an unflushed write waits at most `delayMs` even while writes keep coming. A failed automatic
 * flush is logged and retried with a doubling delay. {@linkcode FlushScheduler.cancel} clears the timer
 * (the store calls it from `close()`, so no timer outlives the store).
 */
export class FlushScheduler {
  readonly #delay: number;
  readonly #maxRetry: number;
  readonly #flush: () => void | Promise<void>;
  readonly #logger: Logger | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #failures = 0;

  /** Creates an idle scheduler. */
  constructor(options: FlushSchedulerOptions) {
    this.#delay = options.delayMs;
    this.#maxRetry = options.maxRetryDelayMs ?? 60_000;
    this.#flush = options.flush;
    this.#logger = options.logger;
  }

  /** True while a flush is scheduled. */
  get pending(): boolean {
    return this.#timer !== undefined;
  }

  /** Arms the timer unless it is armed or disabled. */
  schedule(): void {
    if (this.#timer !== undefined || !Number.isFinite(this.#delay)) return;
    const wait = this.#failures === 0
      ? this.#delay
      : Math.min(this.#maxRetry, this.#delay * 2 ** Math.min(this.#failures, 30));
    this.#timer = setTimeout(() => this.#fire(), wait);
  }

  /** Clears the timer (an explicit flush is about to run, or the store is closing). */
  cancel(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Records the outcome of an explicit flush, so a success resets the retry delay. */
  succeeded(): void {
    this.#failures = 0;
  }

  /** Records a failed flush; the next automatic attempt waits longer. */
  failed(): void {
    this.#failures++;
  }

  #fire(): void {
    this.#timer = undefined;
    let result: void | Promise<void>;
    try {
      result = this.#flush();
    } catch (error) {
      this.#fireFailed(error);
      return;
    }
    if (result instanceof Promise) result.then(() => this.#failures = 0, (error) => this.#fireFailed(error));
    else this.#failures = 0;
  }

  #fireFailed(error: unknown): void {
    this.#failures++;
    this.#logger?.error("automatic flush failed; the writes stay pending and will be retried", {
      error,
      failures: this.#failures,
    });
    this.schedule();
  }
}
