/**
 * How `SqliteStore` makes writes durable. The pending writes of its Signal state (the write-behind
 * journal) are committed by a flush (explicit, or the {@linkcode FlushScheduler}'s timer) or together
 * with the next write-through call, so writes reach the disk in the order they were made. If the journal
 * cannot be written (a full disk), the call commits alone and the journal stays pending for the next
 * flush to retry and report.
 *
 * @module
 */

import type { Logger } from "../logger.ts";
import type { Clock } from "./cache.ts";
import type { SqliteContext } from "./sqlite_context.ts";
import { type SqliteDb, toStoreError } from "./sqlite_db.ts";
import type { SqliteSignalState } from "./sqlite_signal.ts";
import { FlushScheduler } from "./write_behind.ts";

/** The journal of one `SqliteStore`. */
export class SqliteJournal {
  /** The flush timer and its retry policy. */
  readonly scheduler: FlushScheduler;
  readonly #db: SqliteDb;
  readonly #state: SqliteSignalState;
  readonly #logger: Logger | undefined;

  /** Journals `state`'s pending writes on `db`; an automatic flush runs `flushDelayMs` after a write. */
  constructor(db: SqliteDb, state: SqliteSignalState, options: { flushDelayMs: number; logger?: Logger }) {
    this.#db = db;
    this.#state = state;
    this.#logger = options.logger;
    this.scheduler = new FlushScheduler({
      delayMs: options.flushDelayMs,
      flush: () => this.#flushPending(),
      pending: () => state.dirtyCount,
      logger: options.logger,
    });
  }

  /** What the domain stores of account `deviceId` run their statements through. */
  context(deviceId: number, clock: Clock): SqliteContext {
    return {
      db: this.#db,
      deviceId,
      clock,
      write: (fn, table, key) => this.write(fn, table, key),
      read: (fn, table, key) => this.read(fn, table, key),
    };
  }

  /** Runs a read; SQLite errors become `StoreError`s naming `table` and `key`. */
  read<T>(fn: () => T, table: string, key?: string): T {
    try {
      return fn();
    } catch (e) {
      throw toStoreError(e, `reading ${table}`, table, key);
    }
  }

  /** Runs a write-through call in a transaction that also commits the journal (see the module doc). */
  write<T>(fn: () => T, table: string, key?: string): T {
    let journalError: unknown;
    let result: T;
    try {
      result = this.#db.transaction(() => {
        // The call's own change first: if the journal then cannot be written (a full disk), the retry below
        // still lets a call that frees space go through.
        const r = fn();
        try {
          this.#state.writeDirty();
        } catch (e) {
          journalError = e;
          throw e;
        }
        return r;
      });
    } catch (e) {
      if (journalError === undefined) throw toStoreError(e, `writing ${table}`, table, key);
      try {
        result = this.#db.transaction(fn);
      } catch (e2) {
        throw toStoreError(e2, `writing ${table}`, table, key);
      }
      this.scheduler.journalFailed(journalError);
      return result;
    }
    if (this.#state.dirtyCount > 0) {
      this.#state.markClean();
      this.scheduler.committed();
    }
    return result;
  }

  /** Commits the journal; throws (keeping it pending) on failure. */
  #flushPending(): void {
    this.scheduler.cancel();
    const count = this.#state.dirtyCount;
    if (count === 0) return;
    try {
      this.#db.transaction(() => this.#state.writeDirty());
    } catch (e) {
      throw toStoreError(e, "flushing pending writes");
    }
    this.#state.markClean();
    this.#logger?.debug("flushed pending writes", { count });
  }
}
