/**
 * One account's PostgreSQL connection: session settings, migrations, the lease, a queue that runs one
 * operation at a time, transactions, and reconnecting after a lost connection.
 *
 * The lease is a session-level advisory lock (`pg_try_advisory_lock(namespace, device_id)`) held by this
 * connection, and every read and write of the account goes through the same connection. So:
 * - a second process (or a second store in this one) opening the device gets `StoreError` kind `leased`;
 * - when the holder dies, its connection closes and PostgreSQL releases the lock at once (on a host that
 *   vanishes without closing TCP, within the keepalive window set below, about 25 s); the next opener
 *   takes it over with no heartbeat and no expiry clock to tune;
 * - a holder cannot write after losing the lease, since its writes travel on the connection that held it.
 *
 * After a lost connection, the next operation reconnects and takes the lock again; `lease_epoch` (bumped
 * at every acquisition) tells whether another process held the device meanwhile, in which case this
 * store's caches and pending writes may be stale and it fails with `leased` from then on.
 *
 * The operation queue matters because node-postgres is asynchronous: a flush transaction must not
 * interleave with other statements on the connection, and the write-behind snapshot a flush takes must be
 * ordered with the calls around it.
 *
 * @module
 */

import {
  connectClient,
  type PgClient,
  type PgParam,
  type PgResult,
  type PostgresConnection,
  toStoreError,
} from "./postgres_driver.ts";
import { StoreError } from "./errors.ts";
import { LOCK_NAMESPACE, PG_MIGRATIONS, PG_SCHEMA_VERSION, SCHEMA_LOCK_KEY } from "./postgres_schema.ts";

/** What `synchronous_commit` a store's connection uses; `on` (the server default) waits for the WAL fsync. */
export type PostgresSynchronousCommit = "on" | "off" | "local" | "remote_write" | "remote_apply";

/** Connection settings. */
export interface PostgresDbOptions {
  /** Durability of a commit; see {@linkcode PostgresSynchronousCommit}. */
  synchronousCommit: PostgresSynchronousCommit;
  /** How long a statement waits for a row lock before failing with `locked`. */
  lockTimeoutMs: number;
  /** How long to wait for a lease held by another process (0: fail at once). */
  leaseTimeoutMs: number;
  /** How long to wait for the TCP connection. */
  connectTimeoutMs: number;
}

/** Runs statements on the store's connection. */
export interface Querier {
  /** Runs one statement (prepared and cached on the connection). */
  query(text: string, values?: readonly PgParam[]): Promise<PgResult>;
}

const SYNC_VALUES: readonly PostgresSynchronousCommit[] = [
  "on",
  "off",
  "local",
  "remote_write",
  "remote_apply",
];

/** The account's connection and its queue. */
export class PostgresDb {
  readonly #connection: PostgresConnection;
  readonly #deviceId: number;
  readonly #options: PostgresDbOptions;
  readonly #names = new Map<string, string>();
  #client: PgClient;
  #lost: Error | undefined;
  #leaseLost: StoreError | undefined;
  #epoch: number;
  #tail: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(
    connection: PostgresConnection,
    deviceId: number,
    options: PostgresDbOptions,
    client: PgClient,
    epoch: number,
  ) {
    this.#connection = connection;
    this.#deviceId = deviceId;
    this.#options = options;
    this.#client = client;
    this.#epoch = epoch;
    this.#watch(client);
  }

  /**
   * Connects, migrates the schema, takes the account's lease and creates its row if missing.
   *
   * @throws {StoreError} `leased` when another process holds the device, `schema_too_new`,
   * `migration_failed`, `io` when the server cannot be reached.
   */
  static async open(
    connection: PostgresConnection,
    deviceId: number,
    options: PostgresDbOptions,
  ): Promise<PostgresDb> {
    if (!SYNC_VALUES.includes(options.synchronousCommit)) {
      throw new StoreError(
        "invalid_input",
        `synchronousCommit: expected one of ${SYNC_VALUES.join(", ")}, got ${
          String(options.synchronousCommit)
        }`,
      );
    }
    const client = await connectClient(connection, options.connectTimeoutMs);
    try {
      await setUpSession(client, options);
      await migrate(client);
      await query(client, "INSERT INTO wadeno_device (device_id) VALUES ($1) ON CONFLICT DO NOTHING", [
        deviceId,
      ]);
      const epoch = await acquireLease(client, deviceId, options.leaseTimeoutMs);
      return new PostgresDb(connection, deviceId, options, client, epoch);
    } catch (e) {
      await client.end().catch(() => {});
      throw toStoreError(e, `opening device ${deviceId}`, "device", String(deviceId));
    }
  }

  #watch(client: PgClient): void {
    const lost = (error: Error) => {
      if (this.#client === client && !this.#closed) this.#lost ??= error;
    };
    client.on("error", lost);
    client.on("end", () => lost(new Error("the connection to PostgreSQL closed")));
  }

  /** The lease epoch this store holds. */
  get epoch(): number {
    return this.#epoch;
  }

  /** Runs `fn` alone on the connection (after every operation queued before it). */
  run<T>(fn: (q: Querier) => Promise<T>): Promise<T> {
    const next = this.#tail.then(() => this.#turn(fn));
    this.#tail = next.catch(() => {});
    return next;
  }

  /** Runs `fn` alone on the connection inside `BEGIN … COMMIT`; rolls back and rethrows on failure. */
  transaction<T>(fn: (q: Querier) => Promise<T>): Promise<T> {
    return this.run((q) => inTransaction(q, fn));
  }

  async #turn<T>(fn: (q: Querier) => Promise<T>): Promise<T> {
    if (this.#closed) throw new StoreError("closed", "the store is closed");
    if (this.#leaseLost) throw this.#leaseLost;
    if (this.#lost) await this.#reconnect();
    const client = this.#client;
    return fn({ query: (text, values) => this.#query(client, text, values) });
  }

  #query(client: PgClient, text: string, values?: readonly PgParam[]): Promise<PgResult> {
    // Statements with parameters are prepared once per connection under a stable name.
    if (values === undefined || values.length === 0) return client.query({ text });
    let name = this.#names.get(text);
    if (name === undefined) this.#names.set(text, name = `w${this.#names.size}`);
    return client.query({ text, values, name });
  }

  async #reconnect(): Promise<void> {
    const cause = this.#lost;
    let client: PgClient;
    try {
      client = await connectClient(this.#connection, this.#options.connectTimeoutMs);
    } catch (e) {
      throw toStoreError(
        e,
        `reconnecting after a lost connection (${cause?.message})`,
        "device",
        String(this.#deviceId),
      );
    }
    try {
      await setUpSession(client, this.#options);
      const epoch = await acquireLease(client, this.#deviceId, this.#options.leaseTimeoutMs);
      if (epoch !== this.#epoch + 1) {
        this.#leaseLost = new StoreError(
          "leased",
          `device ${this.#deviceId} was opened by another process while this store's connection was lost ` +
            `(lease epoch ${this.#epoch}, now ${epoch}); its cached and pending state may be stale: reopen it`,
          { table: "device", key: String(this.#deviceId) },
        );
        await client.end().catch(() => {});
        throw this.#leaseLost;
      }
      this.#epoch = epoch;
    } catch (e) {
      await client.end().catch(() => {});
      throw toStoreError(e, "reconnecting", "device", String(this.#deviceId));
    }
    const old = this.#client;
    this.#client = client;
    this.#lost = undefined;
    this.#watch(client);
    await old.end().catch(() => {});
  }

  /** Waits for queued operations, releases the lease and closes the connection. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#tail;
    this.#closed = true;
    // Closing the session releases its advisory locks; no explicit unlock round trip is needed.
    await this.#client.end().catch(() => {});
  }
}

async function query(client: PgClient, text: string, values?: readonly PgParam[]): Promise<PgResult> {
  return await client.query(values === undefined ? { text } : { text, values });
}

async function inTransaction<T>(q: Querier, fn: (q: Querier) => Promise<T>): Promise<T> {
  await q.query("BEGIN");
  try {
    const result = await fn(q);
    await q.query("COMMIT");
    return result;
  } catch (e) {
    await q.query("ROLLBACK").catch(() => {});
    throw e;
  }
}

async function setUpSession(client: PgClient, options: PostgresDbOptions): Promise<void> {
  const ms = (n: number) => `'${Math.max(0, Math.floor(n))}ms'`;
  // tcp_keepalives_* make the server drop a vanished client's session (and so its lease) within ~25 s;
  // they are ignored on Unix sockets, where the kernel reports a dead peer at once.
  await query(
    client,
    `SET synchronous_commit = ${options.synchronousCommit}; SET lock_timeout = ${
      ms(options.lockTimeoutMs)
    }; ` +
      "SET bytea_output = hex; SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; " +
      "SET tcp_keepalives_count = 3; SET client_min_messages = warning",
  );
}

/** The schema version in the database, 0 before the first migration. */
export async function schemaVersion(client: { query: PgClient["query"] }): Promise<number> {
  const present = await client.query({
    text: "SELECT to_regclass('wadeno_schema_version') IS NOT NULL AS p",
  });
  if (present.rows[0]?.p !== true) return 0;
  const row = (await client.query({ text: "SELECT max(version) AS v FROM wadeno_schema_version" })).rows[0];
  return typeof row?.v === "number" ? row.v : 0;
}

function tooNew(current: number): StoreError {
  return new StoreError(
    "schema_too_new",
    `the database has wadeno schema version ${current}, newer than version ${PG_SCHEMA_VERSION} this code ` +
      "supports; upgrade wadeno to open it",
    { table: "schema_version" },
  );
}

/** Brings the database's schema to {@linkcode PG_SCHEMA_VERSION} (serialized across processes). */
export async function migrate(client: PgClient): Promise<void> {
  const seen = await schemaVersion(client);
  if (seen === PG_SCHEMA_VERSION) return;
  if (seen > PG_SCHEMA_VERSION) throw tooNew(seen);
  await query(client, "BEGIN");
  let current = seen;
  try {
    // Serializes concurrent openers: the second waits, then sees the migrated schema.
    await query(client, "SELECT pg_advisory_xact_lock($1, $2)", [LOCK_NAMESPACE, SCHEMA_LOCK_KEY]);
    current = await schemaVersion(client);
    if (current > PG_SCHEMA_VERSION) throw tooNew(current);
    for (const m of PG_MIGRATIONS) {
      if (m.version <= current) continue;
      await query(client, m.sql);
      await query(client, "INSERT INTO wadeno_schema_version (version, applied_at) VALUES ($1, $2)", [
        m.version,
        Math.floor(Date.now() / 1000),
      ]);
      current = m.version;
    }
    await query(client, "COMMIT");
  } catch (e) {
    await query(client, "ROLLBACK").catch(() => {});
    if (e instanceof StoreError) throw e;
    const cause = toStoreError(e, "migration");
    throw new StoreError(
      cause.kind === "locked" || cause.kind === "full" ? cause.kind : "migration_failed",
      `migrating from wadeno schema version ${seen} to ${PG_SCHEMA_VERSION} failed at version ${
        current + 1
      }; ` +
        `the database keeps version ${seen}: ${cause.message}`,
      { table: "schema_version", cause: e, sqlState: cause.sqlState },
    );
  }
}

/** Who holds a device's lease, for the error message. */
async function holderOf(client: PgClient, deviceId: number): Promise<string> {
  const r = await query(
    client,
    "SELECT a.pid, a.application_name AS app, host(a.client_addr) AS addr, " +
      "extract(epoch FROM a.backend_start)::bigint AS since FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid " +
      "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1 AND l.objid = $2 AND l.objsubid = 2 " +
      "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    [LOCK_NAMESPACE, deviceId],
  );
  const row = r.rows[0];
  if (row === undefined) return "another process";
  const since = typeof row.since === "number" ? new Date(row.since * 1000).toISOString() : "?";
  return `server backend ${row.pid} (${row.app || "?"} from ${
    row.addr ?? "a local socket"
  }, connected since ${since})`;
}

/** Takes the device's advisory lock and bumps its lease epoch; `leased` when another session holds it. */
async function acquireLease(client: PgClient, deviceId: number, timeoutMs: number): Promise<number> {
  let ok: boolean;
  if (timeoutMs <= 0) {
    const r = await query(client, "SELECT pg_try_advisory_lock($1, $2) AS ok", [LOCK_NAMESPACE, deviceId]);
    ok = r.rows[0]?.ok === true;
  } else {
    // Waits in the server (no polling) until the holder's session ends or the timeout passes.
    await query(client, "BEGIN");
    try {
      await query(client, `SET LOCAL lock_timeout = '${Math.floor(timeoutMs)}ms'`);
      await query(client, "SELECT pg_advisory_lock($1, $2)", [LOCK_NAMESPACE, deviceId]);
      await query(client, "COMMIT");
      ok = true;
    } catch (e) {
      await query(client, "ROLLBACK").catch(() => {});
      if (toStoreError(e, "lease").sqlState !== "55P03") throw e;
      ok = false;
    }
  }
  if (!ok) {
    throw new StoreError(
      "leased",
      `device ${deviceId} is in use by ${await holderOf(
        client,
        deviceId,
      )}: one process may open a device at a ` +
        "time; stop that process, or pass leaseTimeoutMs to wait for it",
      { table: "device", key: String(deviceId) },
    );
  }
  // Creates the account's row when missing, in the same round trip.
  const r = await query(
    client,
    "INSERT INTO wadeno_device (device_id, lease_epoch) VALUES ($1, 1) " +
      "ON CONFLICT (device_id) DO UPDATE SET lease_epoch = wadeno_device.lease_epoch + 1 RETURNING lease_epoch",
    [deviceId],
  );
  return Number(r.rows[0]?.lease_epoch ?? 0);
}
