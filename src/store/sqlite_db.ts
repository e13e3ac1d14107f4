/**
 * One `node:sqlite` connection set up for the store: pragmas, versioned migrations, a prepared-statement
 * cache, transactions, and the mapping of SQLite result codes to {@linkcode StoreError} kinds.
 *
 * `node:sqlite` is synchronous, so a transaction runs to completion without yielding to the event loop:
 * no other store call can interleave with it, which is what makes the write-behind flush atomic with
 * respect to concurrent callers without any locking in JavaScript.
 *
 * @module
 */

import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import { StoreError, type StoreErrorKind } from "./errors.ts";
import { MIGRATIONS, SCHEMA_VERSION } from "./sqlite_schema.ts";

/**
 * The `synchronous` pragma. With WAL, `NORMAL` survives a process crash but may lose the last commits on
 * power loss or an OS crash; `FULL` fsyncs the WAL on every commit and survives both.
 */
export type SqliteSynchronous = "FULL" | "NORMAL";

/** Connection settings. */
export interface SqliteDbOptions {
  /** How long to wait for another connection's lock before failing with `locked`. */
  busyTimeoutMs: number;
  /** See {@linkcode SqliteSynchronous}. */
  synchronous: SqliteSynchronous;
  /** Extra pragmas, applied after the defaults (names and values are checked, not interpolated blindly). */
  pragmas?: Readonly<Record<string, number | string>>;
}

const PRAGMA_NAME = /^[a-z_]{1,64}$/;
const PRAGMA_WORD = /^[A-Za-z_]{1,32}$/;

function pragmaStatements(pragmas: Readonly<Record<string, number | string>> | undefined): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(pragmas ?? {})) {
    const ok = PRAGMA_NAME.test(name) &&
      (typeof value === "number" ? Number.isSafeInteger(value) : PRAGMA_WORD.test(value));
    if (!ok) {
      throw new StoreError(
        "invalid_input",
        `pragma ${name} = ${String(value)}: expected a name and an integer or word`,
      );
    }
    out.push(`PRAGMA ${name} = ${value}`);
  }
  return out;
}

// SQLite primary result codes (https://www.sqlite.org/rescode.html).
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;
const SQLITE_CORRUPT = 11;
const SQLITE_FULL = 13;
const SQLITE_NOTADB = 26;

// SQLite's own messages for those codes (sqlite3ErrStr), for errors that arrive without `errcode`
// (Deno's `exec` reports only the message).
const MESSAGE_CODES: ReadonlyArray<readonly [string, number]> = [
  ["database is locked", SQLITE_BUSY],
  ["database table is locked", SQLITE_LOCKED],
  ["database or disk is full", SQLITE_FULL],
  ["database disk image is malformed", SQLITE_CORRUPT],
  ["file is not a database", SQLITE_NOTADB],
];

/** The SQLite result code carried by a `node:sqlite` error, if any. */
function sqliteCode(e: unknown): number | undefined {
  const code = (e as { errcode?: unknown } | null)?.errcode;
  if (typeof code === "number") return code;
  const message = e instanceof Error ? e.message : "";
  return MESSAGE_CODES.find(([text]) => message.includes(text))?.[1];
}

/**
 * Turns a SQLite error into a {@linkcode StoreError} whose kind says what happened (full, locked, corrupt,
 * io). A `StoreError` passes through unchanged.
 */
export function toStoreError(e: unknown, action: string, table?: string, key?: string): StoreError {
  if (e instanceof StoreError) return e;
  const code = sqliteCode(e);
  let kind: StoreErrorKind = "io";
  switch (code === undefined ? undefined : code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      kind = "locked";
      break;
    case SQLITE_FULL:
      kind = "full";
      break;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      kind = "corrupt";
      break;
  }
  const detail = e instanceof Error ? e.message : String(e);
  return new StoreError(kind, `${action} failed: ${detail}`, { table, key, cause: e, sqliteCode: code });
}

/** The connection wrapper used by `SqliteStore`. */
export class SqliteDb {
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  #inTransaction = false;
  /** The file this connection is open on. */
  readonly path: string;

  private constructor(db: DatabaseSync, path: string) {
    this.#db = db;
    this.path = path;
  }

  /**
   * Opens `path` (created if missing), applies the pragmas and brings the schema to the current version.
   *
   * @throws {StoreError} `schema_too_new` when the file was written by newer code, `migration_failed` when
   * an upgrade failed (the file keeps its old version), `corrupt` when it is not a SQLite database or not
   * this store's, `locked` or `io` when it cannot be opened.
   */
  static open(path: string, options: SqliteDbOptions): SqliteDb {
    const extra = pragmaStatements(options.pragmas);
    let raw: DatabaseSync;
    try {
      raw = new DatabaseSync(path);
    } catch (e) {
      throw toStoreError(e, `opening ${path}`);
    }
    const db = new SqliteDb(raw, path);
    try {
      // busy_timeout first, so that switching to WAL waits for other connections instead of failing.
      raw.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs))}`);
      raw.exec("PRAGMA journal_mode = WAL");
      raw.exec(`PRAGMA synchronous = ${options.synchronous === "FULL" ? "FULL" : "NORMAL"}`);
      raw.exec("PRAGMA foreign_keys = ON");
      raw.exec("PRAGMA temp_store = MEMORY");
      for (const statement of extra) raw.exec(statement);
      db.#migrate();
    } catch (e) {
      try {
        raw.close();
      } catch {
        // The open failure is what the caller needs; closing a half-open handle cannot add to it.
      }
      throw toStoreError(e, `opening ${path}`);
    }
    return db;
  }

  /** The schema version recorded in the file, or 0 for a file without our tables. */
  schemaVersion(): number {
    const hasTable = this.#db.prepare(
      "SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'",
    ).get();
    if (hasTable === undefined) return 0;
    const row = this.#db.prepare("SELECT MAX(version) AS v FROM schema_version").get();
    const v = row?.v;
    if (typeof v !== "number") {
      throw new StoreError("corrupt", `schema_version holds no version in ${this.path}`, {
        table: "schema_version",
      });
    }
    return v;
  }

  #migrate(): void {
    const db = this.#db;
    db.exec("BEGIN IMMEDIATE");
    let current: number;
    try {
      current = this.schemaVersion();
      if (current === 0) {
        const other = db.prepare(
          "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' LIMIT 1",
        ).get();
        if (other !== undefined) {
          throw new StoreError(
            "corrupt",
            `${this.path} holds table ${String(other.name)} but no schema_version: not a wadeno store`,
            { table: "schema_version" },
          );
        }
      }
      if (current > SCHEMA_VERSION) {
        throw new StoreError(
          "schema_too_new",
          `${this.path} has schema version ${current}, newer than version ${SCHEMA_VERSION} this code supports; ` +
            "upgrade wadeno to open it",
          { table: "schema_version" },
        );
      }
    } catch (e) {
      db.exec("ROLLBACK");
      throw e;
    }
    if (current === SCHEMA_VERSION) {
      db.exec("COMMIT");
      return;
    }
    const from = current;
    try {
      for (const m of MIGRATIONS) {
        if (m.version <= current) continue;
        db.exec(m.sql);
        db.prepare("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)").run(
          m.version,
          Math.floor(Date.now() / 1000),
        );
        current = m.version;
      }
      db.exec("COMMIT");
    } catch (e) {
      if (db.isTransaction) db.exec("ROLLBACK");
      const cause = toStoreError(e, "migration");
      throw new StoreError(
        cause.kind === "locked" || cause.kind === "full" ? cause.kind : "migration_failed",
        `migrating ${this.path} from schema version ${from} to ${SCHEMA_VERSION} failed at version ${
          current + 1
        }; the file keeps version ${from}: ${cause.message}`,
        { table: "schema_version", cause: e, sqliteCode: cause.sqliteCode },
      );
    }
  }

  /** A prepared statement for `sql`, compiled once per connection. */
  prepare(sql: string): StatementSync {
    let st = this.#statements.get(sql);
    if (st === undefined) {
      st = this.#db.prepare(sql);
      this.#statements.set(sql, st);
    }
    return st;
  }

  /** Runs a cached statement and returns the number of changed rows. */
  run(sql: string, ...params: SQLInputValue[]): number {
    return Number(this.prepare(sql).run(...params).changes);
  }

  /** The first row of a cached query, or `undefined`. */
  get(sql: string, ...params: SQLInputValue[]): Record<string, SQLOutput> | undefined {
    return this.prepare(sql).get(...params) as Record<string, SQLOutput> | undefined;
  }

  /** All rows of a cached query. */
  all(sql: string, ...params: SQLInputValue[]): Record<string, SQLOutput>[] {
    return this.prepare(sql).all(...params) as Record<string, SQLOutput>[];
  }

  /** Runs raw SQL (several statements allowed); for tests and maintenance. */
  exec(sql: string): void {
    this.#db.exec(sql);
  }

  /**
   * Runs `fn` inside `BEGIN IMMEDIATE … COMMIT` (taking the write lock up front, so a busy database fails
   * before any work instead of at commit). On any error the transaction is rolled back and the error
   * rethrown. A call made while a transaction is open joins it.
   */
  transaction<T>(fn: () => T): T {
    if (this.#inTransaction) return fn();
    // Prepared (not exec'd) so that a failure carries SQLite's result code.
    this.prepare("BEGIN IMMEDIATE").run();
    this.#inTransaction = true;
    try {
      const result = fn();
      this.prepare("COMMIT").run();
      return result;
    } catch (e) {
      // SQLite may already have rolled back (e.g. after SQLITE_FULL); only roll back what is still open.
      if (this.#db.isTransaction) {
        try {
          this.prepare("ROLLBACK").run();
        } catch {
          // The original error says why the transaction failed; a failed rollback leaves nothing committed.
        }
      }
      throw e;
    } finally {
      this.#inTransaction = false;
    }
  }

  /** True until {@linkcode SqliteDb.close}. */
  get isOpen(): boolean {
    return this.#db.isOpen;
  }

  /** Closes the connection (finalizing the cached statements). Idempotent. */
  close(): void {
    if (!this.#db.isOpen) return;
    this.#statements.clear();
    this.#db.close();
  }
}

/** A value SQLite hands back. */
export type SQLOutput = null | number | bigint | string | Uint8Array;
