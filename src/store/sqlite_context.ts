/**
 * What the SQLite domain stores share: the connection, the account id, the clock, and the two ways in —
 * a read, and a write that commits together with the pending write-behind journal.
 *
 * @module
 */

import type { Clock } from "./cache.ts";
import type { SqliteDb } from "./sqlite_db.ts";

/** Shared state of one `SqliteStore`, handed to its domain stores. */
export interface SqliteContext {
  /** The connection. */
  readonly db: SqliteDb;
  /** The account every row belongs to. */
  readonly deviceId: number;
  /** Milliseconds clock (sent-message and SKDM timestamps, cache expiry). */
  readonly clock: Clock;
  /**
   * Runs `fn` in a transaction that also writes every pending write-behind change, so writes become
   * durable in the order they were made (if the pending changes cannot be written, `fn` commits alone and
   * they stay pending). `fn` may run twice, so it must only touch the database. SQLite errors become
   * `StoreError`s naming `table` and `key`.
   */
  write<T>(fn: () => T, table: string, key?: string): T;
  /** Runs a read; SQLite errors become `StoreError`s naming `table` and `key`. */
  read<T>(fn: () => T, table: string, key?: string): T;
}

/** The clock in whole Unix seconds. */
export function nowSeconds(clock: Clock): number {
  return Math.floor(clock() / 1000);
}
