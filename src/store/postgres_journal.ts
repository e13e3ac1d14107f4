/**
 * How `PostgresStore` makes writes durable. The pending writes of its Signal state (the write-behind
 * journal) are committed in one transaction by a flush (explicit, or the {@linkcode FlushScheduler}'s
 * timer) or together with the next write-through call, so writes become durable in the order they were
 * made. If the journal cannot be written, the call still commits (the journal's part is rolled back to a
 * savepoint) and the journal stays pending for the next flush to retry and report.
 *
 * Statements are asynchronous, so a flush works on a snapshot the state takes at its turn on the
 * connection (`beginFlush`), then commits or aborts it.
 *
 * @module
 */

import type { Logger } from "../logger.ts";
import type { Clock } from "./cache.ts";
import type { PostgresContext } from "./postgres_context.ts";
import type { PostgresDb, Querier } from "./postgres_db.ts";
import { toStoreError } from "./postgres_driver.ts";
import type { PostgresSignalState } from "./postgres_signal.ts";
import { FlushScheduler } from "./write_behind.ts";

/** The journal of one `PostgresStore`. */
export class PostgresJournal {
  /** The flush timer and its retry policy. */
  readonly scheduler: FlushScheduler;
  readonly #db: PostgresDb;
  readonly #state: PostgresSignalState;
  readonly #logger: Logger | undefined;

  /** Journals `state`'s pending writes on `db`; an automatic flush runs `flushDelayMs` after a write. */
  constructor(
    db: PostgresDb,
    state: PostgresSignalState,
    options: { flushDelayMs: number; logger?: Logger },
  ) {
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
  context(deviceId: number, clock: Clock): PostgresContext {
    return {
      deviceId,
      clock,
      write: (fn, table, key, multi) => this.write(fn, table, key, multi ?? false),
      read: (fn, table, key) => this.read(fn, table, key),
    };
  }

  /** Runs a read at its turn; driver errors become `StoreError`s naming `table` and `key`. */
  read<T>(fn: (q: Querier) => Promise<T>, table: string, key?: string): Promise<T> {
    return this.#db.run(async (q) => {
      try {
        return await fn(q);
      } catch (e) {
        throw toStoreError(e, `reading ${table}`, table, key);
      }
    });
  }

  /**
   * Runs a write-through call at its turn, committing the journal with it (see the module doc); `multi`
   * when `fn` runs more than one statement, so they share a transaction even when nothing is pending.
   */
  write<T>(
    fn: (q: Querier) => Promise<T>,
    table: string,
    key: string | undefined,
    multi: boolean,
  ): Promise<T> {
    const state = this.#state;
    return this.#db.run(async (q) => {
      const pending = state.beginFlush();
      if (!pending && !multi) {
        try {
          return await fn(q);
        } catch (e) {
          throw toStoreError(e, `writing ${table}`, table, key);
        }
      }
      let journalError: unknown;
      let result: T;
      try {
        await q.query("BEGIN");
        // The call's own change first: if the journal then cannot be written, the call still commits.
        result = await fn(q);
        if (pending) {
          await q.query("SAVEPOINT journal");
          try {
            await state.writeFlush(q);
            await q.query("RELEASE SAVEPOINT journal");
          } catch (e) {
            journalError = e;
            await q.query("ROLLBACK TO SAVEPOINT journal");
          }
        }
        await q.query("COMMIT");
      } catch (e) {
        await q.query("ROLLBACK").catch(() => {});
        state.abortFlush();
        throw toStoreError(e, `writing ${table}`, table, key);
      }
      if (journalError === undefined) {
        if (pending) {
          state.commitFlush();
          this.scheduler.committed();
        }
      } else {
        state.abortFlush();
        this.scheduler.journalFailed(journalError);
      }
      return result;
    });
  }

  /** Commits the journal in one transaction; rejects (keeping it pending) on failure. */
  #flushPending(): Promise<void> {
    this.scheduler.cancel();
    const state = this.#state;
    // Nothing pending and nothing in flight: every write so far is committed (or its caller was told).
    if (state.dirtyCount === 0) return Promise.resolve();
    return this.#db.run(async (q) => {
      if (!state.beginFlush()) return;
      const count = state.dirtyCount;
      try {
        await q.query("BEGIN");
        await state.writeFlush(q);
        await q.query("COMMIT");
      } catch (e) {
        await q.query("ROLLBACK").catch(() => {});
        state.abortFlush();
        throw toStoreError(e, "flushing pending writes");
      }
      state.commitFlush();
      this.#logger?.debug("flushed pending writes", { count });
    });
  }
}
