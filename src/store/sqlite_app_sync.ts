/**
 * The SQLite statements behind `AppSyncStore` (app_sync_core.ts holds the checks): sync keys, collection
 * versions (LTHash) and mutation MACs. Synchronous; the `SqliteStore` wraps each call in a promise.
 *
 * @module
 */

import { type AppSyncSql, hashStateRow, KEYS, MACS, syncKeyRow, VERSIONS } from "./app_sync_core.ts";
import type { SqliteContext } from "./sqlite_context.ts";
import { blobCol, blobColOf } from "./sqlite_rows.ts";
import { MUTATION_MAC_LENGTH } from "./types.ts";

/** The app state tables of one account in a SQLite file. */
export function sqliteAppSyncSql(c: SqliteContext): AppSyncSql {
  const { db, deviceId } = c;
  return {
    syncKey(keyId) {
      const key = keyId.toHex();
      return c.read(
        () => {
          const row = db.get(
            `SELECT key_data, fingerprint, timestamp FROM ${KEYS} WHERE device_id = ? AND key_id = ?`,
            deviceId,
            keyId,
          );
          return row === undefined ? undefined : syncKeyRow(row, key);
        },
        KEYS,
        key,
      );
    },

    putSyncKey(keyId, key) {
      // REPLACE (not an upsert) gives the row a new, highest rowid: the tie-break for "stored last".
      c.write(
        () =>
          db.run(
            `INSERT OR REPLACE INTO ${KEYS} (device_id, key_id, key_data, fingerprint, timestamp) VALUES (?, ?, ?, ?, ?)`,
            deviceId,
            keyId,
            key.keyData,
            key.fingerprint,
            key.timestamp,
          ),
        KEYS,
        keyId.toHex(),
      );
    },

    latestSyncKeyId: () =>
      c.read(() => {
        const row = db.get(
          `SELECT key_id FROM ${KEYS} WHERE device_id = ? ORDER BY timestamp DESC, rowid DESC LIMIT 1`,
          deviceId,
        );
        return row === undefined ? undefined : blobCol(row, "key_id", KEYS, "latest");
      }, KEYS),

    appStateVersion: (name) =>
      c.read(
        () =>
          hashStateRow(
            db.get(`SELECT version, hash FROM ${VERSIONS} WHERE device_id = ? AND name = ?`, deviceId, name),
            name,
          ),
        VERSIONS,
        name,
      ),

    putAppStateVersion(name, state) {
      c.write(
        () =>
          db.run(
            `INSERT INTO ${VERSIONS} (device_id, name, version, hash) VALUES (?, ?, ?, ?) ` +
              "ON CONFLICT (device_id, name) DO UPDATE SET version = excluded.version, hash = excluded.hash",
            deviceId,
            name,
            state.version,
            state.hash,
          ),
        VERSIONS,
        name,
      );
    },

    deleteAppStateVersion(name) {
      c.write(
        () => {
          db.run(`DELETE FROM ${VERSIONS} WHERE device_id = ? AND name = ?`, deviceId, name);
          db.run(`DELETE FROM ${MACS} WHERE device_id = ? AND name = ?`, deviceId, name);
        },
        VERSIONS,
        name,
      );
    },

    putMutationMacs(name, version, macs) {
      c.write(
        () => {
          for (const m of macs) {
            db.run(
              `INSERT OR REPLACE INTO ${MACS} (device_id, name, version, index_mac, value_mac) VALUES (?, ?, ?, ?, ?)`,
              deviceId,
              name,
              version,
              m.indexMac,
              m.valueMac,
            );
          }
        },
        MACS,
        name,
      );
    },

    mutationMac(name, indexMac) {
      const key = `${name}/${indexMac.toHex()}`;
      return c.read(
        () => {
          const row = db.get(
            `SELECT value_mac FROM ${MACS} WHERE device_id = ? AND name = ? AND index_mac = ? ORDER BY version DESC LIMIT 1`,
            deviceId,
            name,
            indexMac,
          );
          return row === undefined ? undefined : blobColOf(row, "value_mac", MUTATION_MAC_LENGTH, MACS, key);
        },
        MACS,
        key,
      );
    },

    deleteMutationMacs(name, indexMacs) {
      c.write(
        () => {
          for (const m of indexMacs) {
            db.run(
              `DELETE FROM ${MACS} WHERE device_id = ? AND name = ? AND index_mac = ?`,
              deviceId,
              name,
              m,
            );
          }
        },
        MACS,
        name,
      );
    },
  };
}
