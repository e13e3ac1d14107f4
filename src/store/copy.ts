/**
 * Copying whole stores between SQLite and PostgreSQL (either way, or to another database of the same
 * kind): every account, every row of every table, exact values (timestamps, inbox order, the "stored
 * last" tie-breaks), then verified by reading both sides back and comparing them row for row.
 *
 * The copy works on the databases, not on open stores: the stores' caches would not see rows written
 * under them. PostgreSQL accounts are leased for the duration (a running bot makes the copy fail with
 * `leased`); a SQLite source is read in one transaction, so stop its bots first for a current copy. The
 * destination is written in one transaction: after a failure it is unchanged.
 *
 * @module
 */

import { decodeDevice } from "./device.ts";
import { StoreError } from "./errors.ts";
import {
  connectClient,
  type PgClient,
  type PostgresConnection,
  toStoreError as pgError,
} from "./postgres_driver.ts";
import { migrate } from "./postgres_db.ts";
import { LOCK_NAMESPACE } from "./postgres_schema.ts";
import { SqliteDb, toStoreError as sqliteError } from "./sqlite_db.ts";

/** Where a store lives. */
export type StoreLocation = { sqlite: string } | { postgres: PostgresConnection };

/** Options for {@linkcode copyStore}. */
export interface CopyOptions {
  /** Only these accounts (default: every account of the source). */
  deviceIds?: readonly number[];
  /** Replace accounts that exist at the destination (default false: such an account fails the copy). */
  replace?: boolean;
}

/** What {@linkcode copyStore} copied (and verified). */
export interface CopyReport {
  /** The accounts copied, ascending. */
  deviceIds: number[];
  /** Rows copied per table (summed over accounts), the device rows under `device`. */
  rows: Record<string, number>;
}

type Cell = null | number | string | Uint8Array;
type Row = Cell[];

interface TableDef {
  /** The table name without the PostgreSQL prefix. */
  name: string;
  cols: readonly string[];
  /** Columns that are booleans in PostgreSQL and 0/1 integers in SQLite. */
  bools?: readonly string[];
  /** Rows whose order carries meaning (the tie-break): read in this order, written in it. */
  ordered?: { sqlite: string; postgres: string };
}

const TABLES: readonly TableDef[] = [
  { name: "identities", cols: ["address", "key"] },
  { name: "sessions", cols: ["address", "record"] },
  { name: "prekeys", cols: ["prekey_id", "record", "uploaded"], bools: ["uploaded"] },
  { name: "signed_prekeys", cols: ["signed_prekey_id", "record"] },
  { name: "sender_keys", cols: ["address", "record"] },
  { name: "incoming_messages", cols: ["key", "seq", "chat", "payload", "received_at"] },
  {
    name: "app_state_sync_keys",
    cols: ["key_id", "key_data", "fingerprint", "timestamp"],
    ordered: { sqlite: "rowid", postgres: "write_seq" },
  },
  { name: "app_state_versions", cols: ["name", "version", "hash"] },
  { name: "app_state_mutation_macs", cols: ["name", "version", "index_mac", "value_mac"] },
  { name: "skdm_recipients", cols: ["group_jid", "device_jid", "timestamp"] },
  {
    name: "lid_pn_mappings",
    cols: ["lid", "phone_number", "created_at", "updated_at", "learning_source"],
    ordered: { sqlite: "rowid", postgres: "write_seq" },
  },
  { name: "device_lists", cols: ["user", "devices", "timestamp", "phash"] },
  { name: "base_keys", cols: ["address", "message_id", "base_key"] },
  { name: "sender_key_forget_marks", cols: ["group_jid", "participant"] },
  { name: "tc_tokens", cols: ["jid", "token", "token_timestamp", "sender_timestamp"] },
  { name: "sent_messages", cols: ["chat_jid", "message_id", "payload", "created_at"] },
  { name: "message_secrets", cols: ["chat_jid", "sender_jid", "message_id", "secret", "created_at"] },
];

/** One database, as the copy sees it. */
interface Side {
  readonly label: string;
  deviceIds(): Promise<number[]>;
  /** The device blob (`null` for a reserved id), or `undefined` when the id is absent. */
  device(id: number): Promise<Uint8Array | null | undefined>;
  rows(id: number, t: TableDef): Promise<Row[]>;
  begin(): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  /** Deletes the account (cascading) and writes its device row. */
  putDevice(id: number, data: Uint8Array | null): Promise<void>;
  insert(id: number, t: TableDef, rows: readonly Row[]): Promise<void>;
  close(): Promise<void>;
}

const quote = (col: string) => (col === "user" ? `"user"` : col);

function sqliteSide(path: string): Side {
  const db = SqliteDb.open(path, { busyTimeoutMs: 5_000, synchronous: "FULL" });
  const wrap = <T>(fn: () => T, action: string, table?: string): Promise<T> => {
    try {
      return Promise.resolve(fn());
    } catch (e) {
      return Promise.reject(sqliteError(e, action, table));
    }
  };
  return {
    label: `SQLite ${path}`,
    deviceIds: () =>
      wrap(
        () => db.all("SELECT device_id FROM device ORDER BY device_id").map((r) => Number(r.device_id)),
        "listing devices",
        "device",
      ),
    device: (id) =>
      wrap(
        () => {
          const row = db.get("SELECT data FROM device WHERE device_id = ?", id);
          return row === undefined ? undefined : (row.data as Uint8Array | null);
        },
        "reading a device",
        "device",
      ),
    rows: (id, t) =>
      wrap(
        () =>
          db.all(
            `SELECT ${t.cols.map(quote).join(", ")} FROM ${t.name} WHERE device_id = ?` +
              (t.ordered ? ` ORDER BY ${t.ordered.sqlite}` : ""),
            id,
          ).map((r) => t.cols.map((c) => r[c] as Cell)),
        `reading ${t.name}`,
        t.name,
      ),
    begin: () => wrap(() => db.exec("BEGIN IMMEDIATE"), "beginning the copy"),
    commit: () => wrap(() => db.exec("COMMIT"), "committing the copy"),
    rollback: () => wrap(() => db.exec("ROLLBACK"), "rolling back the copy").catch(() => {}),
    putDevice: (id, data) =>
      wrap(
        () => {
          db.run("DELETE FROM device WHERE device_id = ?", id);
          db.run("INSERT INTO device (device_id, data) VALUES (?, ?)", id, data);
        },
        "writing a device",
        "device",
      ),
    insert: (id, t, rows) =>
      wrap(
        () => {
          const sql = `INSERT INTO ${t.name} (device_id, ${t.cols.map(quote).join(", ")}) VALUES (${
            ["?", ...t.cols.map(() => "?")].join(", ")
          })`;
          for (const row of rows) db.run(sql, id, ...row);
        },
        `writing ${t.name}`,
        t.name,
      ),
    close: () => wrap(() => db.close(), "closing"),
  };
}

async function postgresSide(connection: PostgresConnection): Promise<Side> {
  const client: PgClient = await connectClient(connection, 10_000);
  const q = async (text: string, values?: readonly (Cell | boolean)[], table?: string) => {
    try {
      return await client.query(values ? { text, values } : { text });
    } catch (e) {
      throw pgError(e, `running ${text.split(" ").slice(0, 3).join(" ")}`, table);
    }
  };
  try {
    await q("SET bytea_output = hex; SET client_min_messages = warning");
    await migrate(client);
  } catch (e) {
    await client.end().catch(() => {});
    throw pgError(e, "preparing the PostgreSQL database");
  }
  const leased = new Set<number>();
  /** Leases an account for the copy, as PostgresStore.open would. */
  const lease = async (id: number) => {
    if (leased.has(id)) return;
    const r = await q("SELECT pg_try_advisory_lock($1, $2) AS ok", [LOCK_NAMESPACE, id]);
    if (r.rows[0]?.ok !== true) {
      throw new StoreError("leased", `device ${id} is open in another process; stop it before copying`, {
        table: "device",
        key: String(id),
      });
    }
    leased.add(id);
  };
  return {
    label: "PostgreSQL",
    deviceIds: async () =>
      (await q("SELECT device_id FROM wadeno_device ORDER BY device_id")).rows.map((r) =>
        Number(r.device_id)
      ),
    device: async (id) => {
      await lease(id);
      const row = (await q("SELECT data FROM wadeno_device WHERE device_id = $1", [id], "device")).rows[0];
      return row === undefined ? undefined : (row.data as Uint8Array | null);
    },
    rows: async (id, t) => {
      const cols = t.cols.map((c) => (t.bools?.includes(c) ? `${c}::int AS ${c}` : quote(c)));
      const r = await q(
        `SELECT ${cols.join(", ")} FROM wadeno_${t.name} WHERE device_id = $1` +
          (t.ordered ? ` ORDER BY ${t.ordered.postgres}` : ""),
        [id],
        t.name,
      );
      return r.rows.map((row) => t.cols.map((c) => row[c] as Cell));
    },
    begin: async () => void await q("BEGIN"),
    commit: async () => void await q("COMMIT"),
    rollback: async () => void await q("ROLLBACK").catch(() => {}),
    putDevice: async (id, data) => {
      await lease(id);
      const device = data === null ? undefined : decodeDevice(data, String(id));
      await q("DELETE FROM wadeno_device WHERE device_id = $1", [id], "device");
      await q(
        "INSERT INTO wadeno_device (device_id, data, jid, lid, push_name, updated_at) VALUES ($1, $2, $3, $4, $5, $6)",
        [
          id,
          data,
          device?.pn?.toString() ?? null,
          device?.lid?.toString() ?? null,
          device?.pushName ?? null,
          device ? Math.floor(Date.now() / 1000) : 0,
        ],
        "device",
      );
    },
    insert: async (id, t, rows) => {
      const cols = t.cols.map(quote).join(", ");
      const marks = [
        "$1",
        ...t.cols.map((c, i) => (t.bools?.includes(c) ? `($${i + 2})::int::boolean` : `$${i + 2}`)),
      ];
      const sql = `INSERT INTO wadeno_${t.name} (device_id, ${cols}) VALUES (${marks.join(", ")})`;
      // One statement per row keeps every value's type exact; a copy is a one-off, not a hot path.
      for (const row of rows) await q(sql, [id, ...row], t.name);
    },
    close: async () => void await client.end().catch(() => {}),
  };
}

function open(location: StoreLocation): Promise<Side> {
  if ("sqlite" in location) {
    try {
      return Promise.resolve(sqliteSide(location.sqlite));
    } catch (e) {
      return Promise.reject(e);
    }
  }
  return postgresSide(location.postgres);
}

const canonical = (row: readonly Cell[]) =>
  JSON.stringify(row.map((v) => (v instanceof Uint8Array ? `bytes:${v.toHex()}` : v)));

async function readAccount(side: Side, id: number): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  const data = await side.device(id);
  out.set("device", data === undefined ? [] : [canonical([data])]);
  for (const t of TABLES) {
    const rows = (await side.rows(id, t)).map(canonical);
    // Order matters only where it is the tie-break; elsewhere compare as sets.
    out.set(t.name, t.ordered ? rows : rows.sort());
  }
  return out;
}

/**
 * Copies accounts from one store database to another, then verifies the copy.
 *
 * @throws {StoreError} `leased` when a PostgreSQL account is open in a running process, `invalid_input`
 * when an account exists at the destination and `replace` is not set or a requested id is missing,
 * `corrupt` when verification finds a difference (the destination then holds the copy: inspect it), and
 * any error of the two stores.
 *
 * @example
 * ```ts
 * import { copyStore } from "@wadeno/client";
 * export async function example() {
 *   const report = await copyStore({ sqlite: "bots.db" }, { postgres: "postgres://bot@db.internal/wadeno" });
 *   console.log(`copied ${report.deviceIds.length} accounts, ${report.rows.sessions} sessions`);
 * }
 * ```
 */
export async function copyStore(
  from: StoreLocation,
  to: StoreLocation,
  options: CopyOptions = {},
): Promise<CopyReport> {
  const source = await open(from);
  let dest: Side;
  try {
    dest = await open(to);
  } catch (e) {
    await source.close();
    throw e;
  }
  try {
    const all = await source.deviceIds();
    const ids = [...(options.deviceIds ?? all)].sort((a, b) => a - b);
    for (const id of ids) {
      if (!all.includes(id)) throw new StoreError("invalid_input", `device ${id} is not in ${source.label}`);
    }
    const existing = new Set(await dest.deviceIds());
    const clash = ids.filter((id) => existing.has(id));
    if (clash.length > 0 && !options.replace) {
      throw new StoreError(
        "invalid_input",
        `devices ${clash.join(", ")} already exist in ${dest.label}; pass replace: true to overwrite them`,
        { table: "device" },
      );
    }
    const rows: Record<string, number> = { device: 0 };
    const copied = new Map<number, Map<string, string[]>>();
    await source.begin();
    try {
      await dest.begin();
      try {
        for (const id of ids) {
          await dest.putDevice(id, (await source.device(id)) ?? null);
          rows.device++;
          for (const t of TABLES) {
            const r = await source.rows(id, t);
            await dest.insert(id, t, r);
            rows[t.name] = (rows[t.name] ?? 0) + r.length;
          }
          copied.set(id, await readAccount(source, id));
        }
        await dest.commit();
      } catch (e) {
        await dest.rollback();
        throw e;
      }
    } finally {
      await source.rollback();
    }
    for (const [id, expected] of copied) {
      const got = await readAccount(dest, id);
      for (const [table, want] of expected) {
        const have = got.get(table) ?? [];
        const same = have.length === want.length && have.every((r, i) => r === want[i]);
        if (!same) {
          throw new StoreError(
            "corrupt",
            `verifying the copy: device ${id} ${table} has ${have.length} rows in ${dest.label}, ` +
              `${want.length} in ${source.label}, or their values differ`,
            { table, key: String(id) },
          );
        }
      }
    }
    return { deviceIds: ids, rows };
  } finally {
    await dest.close();
    await source.close();
  }
}
