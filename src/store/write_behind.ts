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
import { StoreError } from "./errors.ts";
import { checkInt } from "./validate.ts";

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

/** Pending changes (`null` = deletion) as the rows to upsert and the keys to delete, in write order. */
export function splitPending<K, V>(
  pending: ReadonlyMap<K, V | null>,
): { writes: Array<readonly [K, V]>; removals: K[] } {
  const writes: Array<readonly [K, V]> = [];
  const removals: K[] = [];
  for (const [key, value] of pending) {
    if (value === null) removals.push(key);
    else writes.push([key, value]);
  }
  return { writes, removals };
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
    const { writes, removals } = splitPending(this.#dirty);
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

/** Defaults of the options both write-behind stores take. */
export const WRITE_BEHIND_DEFAULTS = { flushDelayMs: 1_000, cacheSize: 4_096 };

/**
 * Checks the options both write-behind stores take (`cacheSize` 1..2^24, `flushDelayMs` >= 1 or
 * `Infinity`) and returns them with the defaults filled in.
 *
 * @throws {StoreError} `invalid_input`.
 */
export function checkWriteBehindOptions(
  options: { cacheSize?: number; flushDelayMs?: number },
): { cacheSize: number; flushDelayMs: number } {
  const cacheSize = checkInt(
    "device",
    "cacheSize",
    options.cacheSize ?? WRITE_BEHIND_DEFAULTS.cacheSize,
    1,
    1 << 24,
  );
  const flushDelayMs = options.flushDelayMs ?? WRITE_BEHIND_DEFAULTS.flushDelayMs;
  if (!(flushDelayMs >= 1)) {
    throw new StoreError("invalid_input", `flushDelayMs: expected >= 1 or Infinity, got ${flushDelayMs}`);
  }
  return { cacheSize, flushDelayMs };
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
  /** How many writes are pending, for the failure reports. */
  pending: () => number;
  /** Where flush failures are reported. */
  logger?: Logger;
}

/**
 * Owns the store's one flush timer and its retry policy. The first write after a flush arms it; later
 * writes do not push it back, so an unflushed write waits at most `delayMs` even while writes keep coming.
 * A failed flush (automatic, explicit, or the journal a write-through call took along) is logged and
 * retried with a doubling delay. {@linkcode FlushScheduler.finalFlush} clears the timer (the store calls it
 * from `close()`, so no timer outlives the store).
 */
export class FlushScheduler {
  readonly #delay: number;
  readonly #maxRetry: number;
  readonly #flush: () => void | Promise<void>;
  readonly #pending: () => number;
  readonly #logger: Logger | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #failures = 0;

  /** Creates an idle scheduler. */
  constructor(options: FlushSchedulerOptions) {
    this.#delay = options.delayMs;
    this.#maxRetry = options.maxRetryDelayMs ?? 60_000;
    this.#flush = options.flush;
    this.#pending = options.pending;
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

  /** Clears the timer (an explicit flush is about to run, or the account was deleted). */
  cancel(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** A write-through call committed the pending writes with it: no timer needed, the retry delay resets. */
  committed(): void {
    this.cancel();
    this.#failures = 0;
  }

  /** A write-through call committed, but the pending writes it took along could not be written. */
  journalFailed(error: unknown): void {
    this.#logger?.error("pending writes could not be committed; they stay pending", {
      error,
      pending: this.#pending(),
    });
    this.#failures++;
    this.schedule();
  }

  /**
   * An explicit flush (`Backend.flush`): flushes now. On failure the writes stay pending, the failure is
   * logged and retried later (unless the store is closed), and rethrown.
   */
  flushNow(): void | Promise<void> {
    return this.#run(() => {
      this.#failures = 0;
    }, (error) => {
      if (!(error instanceof StoreError && error.kind === "closed")) {
        this.#failures++;
        this.#logger?.error("flush failed; the writes stay pending", { error, pending: this.#pending() });
        this.schedule();
      }
      throw error;
    });
  }

  /**
   * The last flush, from `close()`: clears the timer and flushes. Returns the error `close()` rejects
   * with when it fails (logged, naming how many writes are lost; `wrap` turns a driver error into a
   * `StoreError`), or `undefined`.
   */
  finalFlush(wrap: (error: unknown) => StoreError): StoreError | undefined | Promise<StoreError | undefined> {
    this.cancel();
    return this.#run(() => undefined, (e) => {
      const error = wrap(e);
      const failure = new StoreError(
        error.kind,
        `closing lost ${this.#pending()} pending writes: ${error.message}`,
        {
          table: error.table,
          key: error.key,
          cause: error,
          sqliteCode: error.sqliteCode,
          sqlState: error.sqlState,
        },
      );
      this.#logger?.error("final flush failed while closing", { error: failure });
      return failure;
    });
  }

  /** Runs the flush, then `done`, or `failed` with what it threw or rejected with. */
  #run<T>(done: () => T, failed: (error: unknown) => T): T | Promise<T> {
    let result: void | Promise<void>;
    try {
      result = this.#flush();
    } catch (error) {
      return failed(error);
    }
    return result instanceof Promise ? result.then(done, failed) : done();
  }

  #fire(): void {
    this.#timer = undefined;
    void this.#run(() => {
      this.#failures = 0;
    }, (error) => {
      this.#failures++;
      this.#logger?.error("automatic flush failed; the writes stay pending and will be retried", {
        error,
        failures: this.#failures,
      });
      this.schedule();
    });
  }
}
