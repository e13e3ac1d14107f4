/**
 * Write-behind in front of one PostgreSQL table: the asynchronous counterpart of `HotTable`
 * (write_behind.ts). Clean entries (`null` for "known absent") live in a bounded LRU; dirty entries are
 * held until a flush.
 *
 * Because statements are asynchronous, a flush cannot clear the dirty set when it is done the way the
 * SQLite store does: writes may arrive while its transaction runs. So a flush first moves the dirty set
 * aside (`beginFlush`, synchronous, at its turn in the connection queue), writes that snapshot, and then
 * either makes it clean (`commitFlush`) or puts back whatever was not overwritten meanwhile
 * (`abortFlush`). Reads look at the dirty set, then the snapshot in flight, then the cache, then the
 * table, so they always see the newest value.
 *
 * @module
 */

import { LruTtlCache } from "./cache.ts";
import type { Querier } from "./postgres_db.ts";
import { toStoreError } from "./postgres_driver.ts";
import { splitPending } from "./write_behind.ts";

/** How an {@linkcode AsyncHotTable} reaches its table. */
export interface AsyncTableIo<K, V> {
  /** The table's name in errors (`sessions`, ...). */
  readonly table: string;
  /** Reads and decodes rows; absent keys are absent from the map. */
  loadMany(q: Querier, keys: readonly K[]): Promise<Map<K, V>>;
  /** Serializes and upserts rows (inside the flush transaction). */
  writeMany(q: Querier, entries: ReadonlyArray<readonly [K, V]>): Promise<void>;
  /** Deletes rows (inside the flush transaction). */
  removeMany(q: Querier, keys: readonly K[]): Promise<void>;
}

/** Runs a read on the store's connection, in queue order. */
export type RunRead = <T>(fn: (q: Querier) => Promise<T>) => Promise<T>;

/** A write-behind cache in front of one table. */
export class AsyncHotTable<K, V> {
  readonly #io: AsyncTableIo<K, V>;
  readonly #run: RunRead;
  readonly #clean: LruTtlCache<K, V | null>;
  #dirty = new Map<K, V | null>();
  #inFlight = new Map<K, V | null>();
  /** Bumped whenever the table's contents may have changed under a read in progress. */
  #epoch = 0;

  /** Creates a table cache keeping at most `cacheSize` clean entries; reads go through `run`. */
  constructor(io: AsyncTableIo<K, V>, run: RunRead, cacheSize: number) {
    this.#io = io;
    this.#run = run;
    this.#clean = new LruTtlCache({ maxEntries: Math.max(1, cacheSize), ttlMs: Infinity });
  }

  /** The number of writes waiting for a flush (including one in flight). */
  get dirtyCount(): number {
    let n = this.#dirty.size;
    for (const key of this.#inFlight.keys()) if (!this.#dirty.has(key)) n++;
    return n;
  }

  /** The pending value of `key` (`null`: pending delete), or `undefined` when nothing is pending. */
  pending(key: K): V | null | undefined {
    if (this.#dirty.has(key)) return this.#dirty.get(key)!;
    if (this.#inFlight.has(key)) return this.#inFlight.get(key)!;
    return undefined;
  }

  #known(key: K): V | null | undefined {
    const p = this.pending(key);
    return p !== undefined ? p : this.#clean.get(key);
  }

  /** The newest value of `key`. */
  async get(key: K): Promise<V | undefined> {
    const known = this.#known(key);
    if (known !== undefined) return known ?? undefined;
    return (await this.getMany([key])).get(key);
  }

  /** The newest values of many keys; misses are read in one query. */
  async getMany(keys: readonly K[]): Promise<Map<K, V>> {
    const out = new Map<K, V>();
    const misses: K[] = [];
    for (const key of keys) {
      const known = this.#known(key);
      if (known === undefined) misses.push(key);
      else if (known !== null) out.set(key, known);
    }
    if (misses.length === 0) return out;
    const epoch = this.#epoch;
    // A read the server refuses (connection lost, table gone) is a StoreError like a failed flush.
    const loaded = await this.#run((q) => this.#io.loadMany(q, misses)).catch((e: unknown) => {
      throw toStoreError(
        e,
        `reading ${this.#io.table}`,
        this.#io.table,
        misses.length === 1 ? String(misses[0]) : undefined,
      );
    });
    for (const key of misses) {
      // A write or flush while the read ran makes the pending value (or a fresh read) the newest.
      const pending = this.pending(key);
      if (pending !== undefined) {
        if (pending !== null) out.set(key, pending);
        continue;
      }
      const v = loaded.get(key);
      if (epoch === this.#epoch) this.#clean.set(key, v ?? null);
      if (v !== undefined) out.set(key, v);
    }
    return out;
  }

  /** Records a write of `key`. */
  set(key: K, value: V): void {
    this.#dirty.set(key, value);
  }

  /** Records a deletion of `key`. */
  delete(key: K): void {
    this.#dirty.set(key, null);
  }

  /** Every key with a pending write or delete, and its pending value. */
  pendingEntries(): Map<K, V | null> {
    const out = new Map(this.#inFlight);
    for (const [k, v] of this.#dirty) out.set(k, v);
    return out;
  }

  /** Moves the dirty set aside for a flush; returns whether there is anything to write. */
  beginFlush(): boolean {
    if (this.#inFlight.size > 0) throw new Error("AsyncHotTable: a flush is already in flight");
    this.#inFlight = this.#dirty;
    this.#dirty = new Map();
    return this.#inFlight.size > 0;
  }

  /** Writes the snapshot taken by {@linkcode beginFlush}; call inside the flush transaction. */
  async writeFlush(q: Querier): Promise<void> {
    if (this.#inFlight.size === 0) return;
    const { writes, removals } = splitPending(this.#inFlight);
    if (removals.length > 0) await this.#io.removeMany(q, removals);
    if (writes.length > 0) await this.#io.writeMany(q, writes);
  }

  /** The flush committed: the snapshot becomes the clean cached values. */
  commitFlush(): void {
    if (this.#inFlight.size === 0) return;
    this.#epoch++;
    for (const [key, value] of this.#inFlight) this.#clean.set(key, value);
    this.#inFlight = new Map();
  }

  /** The flush failed: the snapshot is pending again, except keys written since. */
  abortFlush(): void {
    if (this.#inFlight.size === 0) return;
    // Keep the original write order: older (snapshot) entries first.
    const merged = new Map(this.#inFlight);
    for (const [key, value] of this.#dirty) {
      merged.delete(key);
      merged.set(key, value);
    }
    this.#dirty = merged;
    this.#inFlight = new Map();
  }

  /** Drops everything cached and pending (the rows were deleted wholesale). */
  reset(): void {
    this.#epoch++;
    this.#clean.clear();
    this.#dirty = new Map();
    this.#inFlight = new Map();
  }
}
