/**
 * The PostgreSQL statements behind `AppSyncStore` (app_sync_core.ts holds the checks): sync keys,
 * collection versions (LTHash) and mutation MACs, written through (each call commits).
 *
 * @module
 */

import { type AppSyncSql, hashStateRow, KEYS, MACS, syncKeyRow, VERSIONS } from "./app_sync_core.ts";
import type { PostgresContext } from "./postgres_context.ts";
import { asRow } from "./postgres_signal.ts";
import { blobCol, blobColOf } from "./sqlite_rows.ts";
import { MUTATION_MAC_LENGTH } from "./types.ts";

/** The app state tables of one account in a PostgreSQL database. */
export function postgresAppSyncSql(c: PostgresContext): AppSyncSql {
  const { deviceId } = c;
  return {
    syncKey(keyId) {
      const key = keyId.toHex();
      return c.read(
        async (q) => {
          const row = (await q.query(
            "SELECT key_data, fingerprint, timestamp FROM wadeno_app_state_sync_keys WHERE device_id = $1 AND key_id = $2",
            [deviceId, keyId],
          )).rows[0];
          return row === undefined ? undefined : syncKeyRow(asRow(row), key);
        },
        KEYS,
        key,
      );
    },

    // Every write draws a new write_seq: the tie-break for "stored last".
    putSyncKey: (keyId, key) =>
      c.write(
        async (q) => {
          await q.query(
            "INSERT INTO wadeno_app_state_sync_keys (device_id, key_id, key_data, fingerprint, timestamp) " +
              "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (device_id, key_id) DO UPDATE SET key_data = excluded.key_data, " +
              "fingerprint = excluded.fingerprint, timestamp = excluded.timestamp, write_seq = nextval('wadeno_write_seq')",
            [deviceId, keyId, key.keyData, key.fingerprint, key.timestamp],
          );
        },
        KEYS,
        keyId.toHex(),
      ),

    latestSyncKeyId: () =>
      c.read(async (q) => {
        const row = (await q.query(
          "SELECT key_id FROM wadeno_app_state_sync_keys WHERE device_id = $1 ORDER BY timestamp DESC, write_seq DESC LIMIT 1",
          [deviceId],
        )).rows[0];
        return row === undefined ? undefined : blobCol(asRow(row), "key_id", KEYS, "latest");
      }, KEYS),

    appStateVersion: (name) =>
      c.read(
        async (q) => {
          const row = (await q.query(
            "SELECT version, hash FROM wadeno_app_state_versions WHERE device_id = $1 AND name = $2",
            [deviceId, name],
          )).rows[0];
          return hashStateRow(row === undefined ? undefined : asRow(row), name);
        },
        VERSIONS,
        name,
      ),

    putAppStateVersion: (name, state) =>
      c.write(
        async (q) => {
          await q.query(
            "INSERT INTO wadeno_app_state_versions (device_id, name, version, hash) VALUES ($1, $2, $3, $4) " +
              "ON CONFLICT (device_id, name) DO UPDATE SET version = excluded.version, hash = excluded.hash",
            [deviceId, name, state.version, state.hash],
          );
        },
        VERSIONS,
        name,
      ),

    deleteAppStateVersion: (name) =>
      c.write(
        async (q) => {
          await q.query("DELETE FROM wadeno_app_state_versions WHERE device_id = $1 AND name = $2", [
            deviceId,
            name,
          ]);
          await q.query("DELETE FROM wadeno_app_state_mutation_macs WHERE device_id = $1 AND name = $2", [
            deviceId,
            name,
          ]);
        },
        VERSIONS,
        name,
        true,
      ),

    // One statement for the batch: unnest pairs the two arrays row by row. A MAC repeated in the batch
    // keeps its last value (DISTINCT ON over the reversed order), as repeated single upserts would.
    putMutationMacs: (name, version, macs) =>
      c.write(
        async (q) => {
          await q.query(
            "INSERT INTO wadeno_app_state_mutation_macs (device_id, name, version, index_mac, value_mac) " +
              "SELECT DISTINCT ON (i) $1::integer, $2::text, $3::bigint, i, v " +
              "FROM unnest($4::text[], $5::text[]) WITH ORDINALITY AS m(ih, vh, n), " +
              "LATERAL (SELECT decode(ih, 'hex') AS i, decode(vh, 'hex') AS v) AS d ORDER BY i, n DESC " +
              "ON CONFLICT (device_id, name, version, index_mac) DO UPDATE SET value_mac = excluded.value_mac",
            [
              deviceId,
              name,
              version,
              macs.map((m) => m.indexMac.toHex()),
              macs.map((m) => m.valueMac.toHex()),
            ],
          );
        },
        MACS,
        name,
      ),

    mutationMac(name, indexMac) {
      const key = `${name}/${indexMac.toHex()}`;
      return c.read(
        async (q) => {
          const row = (await q.query(
            "SELECT value_mac FROM wadeno_app_state_mutation_macs WHERE device_id = $1 AND name = $2 AND index_mac = $3 " +
              "ORDER BY version DESC LIMIT 1",
            [deviceId, name, indexMac],
          )).rows[0];
          return row === undefined
            ? undefined
            : blobColOf(asRow(row), "value_mac", MUTATION_MAC_LENGTH, MACS, key);
        },
        MACS,
        key,
      );
    },

    deleteMutationMacs: (name, indexMacs) =>
      c.write(
        async (q) => {
          await q.query(
            "DELETE FROM wadeno_app_state_mutation_macs WHERE device_id = $1 AND name = $2 " +
              "AND index_mac IN (SELECT decode(h, 'hex') FROM unnest($3::text[]) AS h)",
            [deviceId, name, indexMacs.map((m) => m.toHex())],
          );
        },
        MACS,
        name,
      ),
  };
}
