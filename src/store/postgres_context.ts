/**
 * What the PostgreSQL domain stores share: the account id, the clock, and the two ways in — a read, and
 * a write that commits together with the pending write-behind journal.
 *
 * @module
 */

import type { Clock } from "./cache.ts";
import type { Querier } from "./postgres_db.ts";

/** Shared state of one `PostgresStore`, handed to its domain stores. */
export interface PostgresContext {
  /** The account every row belongs to. */
  readonly deviceId: number;
  /** Milliseconds clock (sent-message and SKDM timestamps, cache expiry). */
  readonly clock: Clock;
  /**
   * Runs `fn` at its turn on the connection, committing it together with every pending write-behind
   * change, so writes become durable in the order they were made (if the pending changes cannot be
   * written, `fn` commits alone and they stay pending). `fn` may run twice, so it must only touch the
   * database. Pass `multi` when `fn` runs more than one statement (they then share a transaction even
   * when nothing is pending). Driver errors become `StoreError`s naming `table` and `key`.
   */
  write<T>(fn: (q: Querier) => Promise<T>, table: string, key?: string, multi?: boolean): Promise<T>;
  /** Runs a read at its turn; driver errors become `StoreError`s naming `table` and `key`. */
  read<T>(fn: (q: Querier) => Promise<T>, table: string, key?: string): Promise<T>;
}
