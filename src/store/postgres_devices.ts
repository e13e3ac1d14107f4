/**
 * Listing the accounts of a PostgreSQL store without opening (and so leasing) any of them: what an
 * operator's dashboard or a fleet launcher needs to decide which bots to start where.
 *
 * @module
 */

import { connectClient, type PostgresConnection, toStoreError } from "./postgres_driver.ts";
import { schemaVersion } from "./postgres_db.ts";
import { LOCK_NAMESPACE } from "./postgres_schema.ts";
import { asRow } from "./postgres_signal.ts";
import { intCol, optTextCol } from "./sqlite_rows.ts";

/** One account of a PostgreSQL store, as {@linkcode listPostgresDevices} reports it. */
export interface PostgresDeviceSummary {
  /** The account id (`PostgresStoreOptions.deviceId`). */
  deviceId: number;
  /** True when a device was saved (false for a reserved, empty id). */
  saved: boolean;
  /** Our phone-number JID with device (`15551234567:12@s.whatsapp.net`), once paired. */
  pn?: string;
  /** Our LID with device, once paired (if the server sent one). */
  lid?: string;
  /** The push name last saved. */
  pushName?: string;
  /** True while a process holds the account's lease (has it open). */
  leased: boolean;
  /** When the device was last saved, Unix seconds (0 if never). */
  updatedAt: number;
}

/**
 * Every account in the database, ascending by id; an empty list when the schema was never created.
 *
 * @example
 * ```ts
 * import { listPostgresDevices } from "@wadeno/client";
 * export async function example() {
 *   for (const d of await listPostgresDevices("postgres://bot@db.internal/wadeno")) {
 *     console.log(d.deviceId, d.pn ?? "(not paired)", d.leased ? "running" : "idle");
 *   }
 * }
 * ```
 */
export async function listPostgresDevices(connection: PostgresConnection): Promise<PostgresDeviceSummary[]> {
  const client = await connectClient(connection, 10_000);
  try {
    if (await schemaVersion(client) === 0) return [];
    const r = await client.query({
      text: "SELECT d.device_id, d.data IS NOT NULL AS saved, d.jid, d.lid, d.push_name, d.updated_at, " +
        "EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1 " +
        "AND l.objid = d.device_id::oid AND l.objsubid = 2 " +
        "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())) AS leased " +
        "FROM wadeno_device d ORDER BY d.device_id",
      values: [LOCK_NAMESPACE],
    });
    return r.rows.map((row) => {
      const raw = asRow(row);
      const id = String(row.device_id);
      const summary: PostgresDeviceSummary = {
        deviceId: intCol(raw, "device_id", "device", id),
        saved: row.saved === true,
        leased: row.leased === true,
        updatedAt: intCol(raw, "updated_at", "device", id),
      };
      const pn = optTextCol(raw, "jid", "device", id);
      const lid = optTextCol(raw, "lid", "device", id);
      const pushName = optTextCol(raw, "push_name", "device", id);
      if (pn !== undefined) summary.pn = pn;
      if (lid !== undefined) summary.lid = lid;
      if (pushName !== undefined) summary.pushName = pushName;
      return summary;
    });
  } catch (e) {
    throw toStoreError(e, "listing devices", "device");
  } finally {
    await client.end().catch(() => {});
  }
}
