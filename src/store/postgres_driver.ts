/**
 * The one place the PostgreSQL driver (`npm:pg`, node-postgres) is touched: a narrow typed view of its
 * client, connection settings, and the mapping of SQLSTATE codes to {@linkcode StoreError} kinds.
 *
 * node-postgres was chosen over `postgres` (porsager) by measurement under Deno (bench in the commit that
 * added it): a one-row upsert transaction took 0.37 ms against 0.50 ms, a 50-row multi-VALUES upsert
 * 0.90 ms against 1.40 ms, a point read 111 µs against 122 µs, on a durable local server. Both are
 * maintained; node-postgres is the most used driver and is pure JavaScript (no native addon).
 *
 * @module
 */

import { StoreError, type StoreErrorKind } from "./errors.ts";

/** A value node-postgres hands back for the column types this store uses. */
export type PgValue = null | string | number | boolean | Uint8Array;

/** One result row. */
export type PgRow = Record<string, PgValue>;

/** What a query returns. */
export interface PgResult {
  /** The rows, for statements that return some. */
  rows: PgRow[];
  /** Rows changed (INSERT/UPDATE/DELETE) or returned. */
  rowCount: number | null;
}

/** A parameter value: what node-postgres serializes (bytes go as binary parameters). */
export type PgParam = null | string | number | boolean | Uint8Array | readonly string[] | readonly number[];

/** The part of a node-postgres `Client` this store uses. */
export interface PgClient {
  /** Runs one statement; `name` makes it a prepared statement reused on this connection. */
  query(config: { text: string; values?: readonly PgParam[]; name?: string }): Promise<PgResult>;
  /** Closes the connection. */
  end(): Promise<void>;
  /** Connection-level failures (the server went away) arrive here, not as rejections of a query. */
  on(event: "error", listener: (error: Error) => void): unknown;
  /** The connection ended (closed by either side). */
  on(event: "end", listener: () => void): unknown;
}

type TypeParser = (text: string) => unknown;

interface PgModule {
  Client: new (config: Record<string, unknown>) => PgClient & { connect(): Promise<void> };
  types: { getTypeParser(oid: number, format: string): TypeParser };
}

// Type OIDs (PostgreSQL's pg_type.dat): bigint and bytea.
const INT8_OID = 20;
const BYTEA_OID = 17;

/** bytea in hex output format (`\x0a1b…`) straight into a fresh Uint8Array (no pooled Buffer). */
function parseBytea(text: string): Uint8Array {
  if (!text.startsWith("\\x")) {
    throw new TypeError(`bytea: expected hex output format, got ${text.slice(0, 8)}`);
  }
  return Uint8Array.fromHex(text.slice(2));
}

/** How to reach the server: a `postgres://` URL, or node-postgres connection fields. */
export type PostgresConnection = string | {
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
  /** Passed to node-postgres as is (`true`, or TLS options). */
  ssl?: unknown;
};

/** Opens one connection with TCP keepalive on, so a vanished peer is noticed. */
export async function connectClient(
  connection: PostgresConnection,
  connectTimeoutMs: number,
): Promise<PgClient> {
  const base = typeof connection === "string" ? { connectionString: connection } : { ...connection };
  // Loaded on first use, so programs that never open a PostgreSQL store never load the driver.
  // node-postgres ships no type declarations: this is the one cast from its untyped export to the
  // interfaces above (the part of its API this store uses).
  const pg = (await import("pg")).default as unknown as PgModule;
  const Client = pg.Client;
  const fallback = pg.types;
  const client = new Client({
    ...base,
    // bigint columns hold timestamps and ids, all safe integers: numbers, not strings. bytea: Uint8Array.
    types: {
      getTypeParser: (oid: number, format: string): TypeParser =>
        format === "text" && oid === INT8_OID
          ? Number
          : format === "text" && oid === BYTEA_OID
          ? parseBytea
          : fallback.getTypeParser(oid, format),
    },
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    connectionTimeoutMillis: connectTimeoutMs,
    application_name: "wadeno",
  });
  // Without a listener, a connection error after connect would be an uncaught exception.
  client.on("error", () => {});
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => {});
    throw toStoreError(e, "connecting to PostgreSQL");
  }
  return client;
}

/** The SQLSTATE of a server error, if `e` is one. */
export function sqlStateOf(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

// SQLSTATE classes and codes (PostgreSQL manual, appendix A "PostgreSQL Error Codes").
function kindOf(state: string | undefined): StoreErrorKind {
  if (state === undefined) return "io";
  if (state === "53100") return "full"; // disk_full
  if (state === "40001" || state === "40P01" || state === "55P03" || state === "57014") return "locked";
  if (state === "XX001" || state === "XX002") return "corrupt"; // data_corrupted, index_corrupted
  return "io";
}

/**
 * Turns a driver or server error into a {@linkcode StoreError}: disk full → `full`, lock timeout, deadlock
 * or serialization failure → `locked`, corrupted data → `corrupt`, anything else (connection refused or
 * lost, permission denied) → `io`. A `StoreError` passes through unchanged.
 */
export function toStoreError(e: unknown, action: string, table?: string, key?: string): StoreError {
  if (e instanceof StoreError) return e;
  const state = sqlStateOf(e);
  const detail = e instanceof Error ? e.message : String(e);
  return new StoreError(kindOf(state), `${action} failed: ${detail}${state ? ` (SQLSTATE ${state})` : ""}`, {
    table,
    key,
    cause: e,
    sqlState: state,
  });
}
