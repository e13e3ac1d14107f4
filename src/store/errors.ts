/**
 * The store layer's error: one class whose `kind` says what went wrong and whose `table`/`key` say where,
 * so that a caller can tell a corrupt row (drop the session, ask for a retry) from a full disk (stop and
 * alert) without parsing messages.
 *
 * @module
 */

/**
 * What went wrong.
 *
 * - `corrupt`: a stored value does not decode (a blob that does not deserialize, a malformed row, a database
 *   file that is not SQLite). `table` and `key` name the row.
 * - `schema_too_new`: the database was written by a newer version of this code; nothing was changed.
 * - `migration_failed`: upgrading an older schema failed; the database was left at its old version.
 * - `full`: the disk or the database is full (`SQLITE_FULL`, PostgreSQL `53100`); the write did not happen.
 * - `locked`: another connection held the database past the busy timeout (`SQLITE_BUSY`/`SQLITE_LOCKED`), or
 *   PostgreSQL reported a lock timeout, a deadlock or a serialization failure.
 * - `leased`: another process holds this account's lease (PostgreSQL: one process per device at a time);
 *   nothing was changed. Open it again after that process stopped.
 * - `closed`: the store was used after {@linkcode Backend.close}.
 * - `invalid_input`: an argument failed validation (wrong key length, negative id, ...); nothing changed.
 * - `io`: any other storage failure (read-only file, I/O error, permission denied, a failed serializer).
 */
export type StoreErrorKind =
  | "corrupt"
  | "schema_too_new"
  | "migration_failed"
  | "full"
  | "locked"
  | "leased"
  | "closed"
  | "invalid_input"
  | "io";

/** Where and why, for {@linkcode StoreError}. */
export interface StoreErrorOptions {
  /** The table (or in-memory domain) involved, e.g. `sessions`. */
  table?: string;
  /** The row's key within the table, e.g. a Signal address or a prekey id. */
  key?: string;
  /** The underlying error (a SQLite error, a decoder error). */
  cause?: unknown;
  /** The SQLite result code, when the error came from SQLite. */
  sqliteCode?: number;
  /** The PostgreSQL SQLSTATE (e.g. `53100`), when the error came from PostgreSQL. */
  sqlState?: string;
}

/**
 * A failure of the store layer.
 *
 * @example
 * ```ts
 * import { StoreError } from "@wadeno/client";
 * try {
 *   throw new StoreError("corrupt", "session record does not deserialize", { table: "sessions", key: "1@c.us.0" });
 * } catch (e) {
 *   if (e instanceof StoreError && e.kind === "corrupt") console.log(e.table, e.key); // sessions 1@c.us.0
 * }
 * ```
 */
export class StoreError extends Error {
  /** What went wrong; see {@linkcode StoreErrorKind}. */
  readonly kind: StoreErrorKind;
  /** The table involved, when one is. */
  readonly table?: string;
  /** The row's key, when one is. */
  readonly key?: string;
  /** The SQLite result code, when SQLite reported the failure. */
  readonly sqliteCode?: number;
  /** The PostgreSQL SQLSTATE, when PostgreSQL reported the failure. */
  readonly sqlState?: string;

  /** Creates an error; `message` says what was expected and what came. */
  constructor(kind: StoreErrorKind, message: string, options: StoreErrorOptions = {}) {
    const where = options.table === undefined
      ? ""
      : ` (${options.table}${options.key === undefined ? "" : ` key ${options.key}`})`;
    super(`${message}${where}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "StoreError";
    this.kind = kind;
    if (options.table !== undefined) this.table = options.table;
    if (options.key !== undefined) this.key = options.key;
    if (options.sqliteCode !== undefined) this.sqliteCode = options.sqliteCode;
    if (options.sqlState !== undefined) this.sqlState = options.sqlState;
  }
}

/** Throws a `closed` error; shared by both backends so the message is the same. */
export function closedError(): StoreError {
  return new StoreError("closed", "the store is closed");
}
