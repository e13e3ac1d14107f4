/**
 * `AppSyncStore` on SQLite: sync keys, collection versions (LTHash) and mutation MACs. Synchronous; the
 * `SqliteStore` wraps each call in a promise.
 *
 * @module
 */

import type { SqliteContext } from "./sqlite_context.ts";
import { blobCol, blobColOf, intCol } from "./sqlite_rows.ts";
import {
  type AppStateMutationMac,
  type AppStateSyncKey,
  type HashState,
  LTHASH_LENGTH,
  MUTATION_MAC_LENGTH,
} from "./types.ts";
import {
  checkArray,
  checkBytes,
  checkHashState,
  checkKey,
  checkMutationMac,
  checkSyncKey,
  checkTimestamp,
} from "./validate.ts";

const KEYS = "app_state_sync_keys";
const VERSIONS = "app_state_versions";
const MACS = "app_state_mutation_macs";

const hex = (b: Uint8Array) => b.toHex();

/** The app state tables of one account. */
export class SqliteAppSync {
  readonly #c: SqliteContext;

  /** Binds to a store's context. */
  constructor(context: SqliteContext) {
    this.#c = context;
  }

  /** See `AppSyncStore.getSyncKey`. */
  getSyncKey(keyId: Uint8Array): AppStateSyncKey | undefined {
    checkBytes(KEYS, "keyId", keyId);
    const { db, deviceId } = this.#c;
    const key = hex(keyId);
    return this.#c.read(
      () => {
        const row = db.get(
          `SELECT key_data, fingerprint, timestamp FROM ${KEYS} WHERE device_id = ? AND key_id = ?`,
          deviceId,
          keyId,
        );
        if (row === undefined) return undefined;
        return {
          keyData: blobCol(row, "key_data", KEYS, key),
          fingerprint: blobCol(row, "fingerprint", KEYS, key),
          timestamp: intCol(row, "timestamp", KEYS, key),
        };
      },
      KEYS,
      key,
    );
  }

  /** See `AppSyncStore.setSyncKey`. */
  setSyncKey(keyId: Uint8Array, key: AppStateSyncKey): void {
    checkBytes(KEYS, "keyId", keyId);
    checkSyncKey(key);
    const { db, deviceId } = this.#c;
    // REPLACE (not an upsert) gives the row a new, highest rowid: the tie-break for "stored last".
    this.#c.write(
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
      hex(keyId),
    );
  }

  /** See `AppSyncStore.getLatestSyncKeyId`. */
  getLatestSyncKeyId(): Uint8Array | undefined {
    const { db, deviceId } = this.#c;
    return this.#c.read(() => {
      const row = db.get(
        `SELECT key_id FROM ${KEYS} WHERE device_id = ? ORDER BY timestamp DESC, rowid DESC LIMIT 1`,
        deviceId,
      );
      return row === undefined ? undefined : blobCol(row, "key_id", KEYS, "latest");
    }, KEYS);
  }

  /** See `AppSyncStore.getAppStateVersion`. */
  getAppStateVersion(name: string): HashState {
    checkKey(VERSIONS, "name", name);
    const { db, deviceId } = this.#c;
    return this.#c.read(
      () => {
        const row = db.get(
          `SELECT version, hash FROM ${VERSIONS} WHERE device_id = ? AND name = ?`,
          deviceId,
          name,
        );
        if (row === undefined) return { version: 0, hash: new Uint8Array(LTHASH_LENGTH) };
        return {
          version: intCol(row, "version", VERSIONS, name),
          hash: blobColOf(row, "hash", LTHASH_LENGTH, VERSIONS, name),
        };
      },
      VERSIONS,
      name,
    );
  }

  /** See `AppSyncStore.setAppStateVersion`. */
  setAppStateVersion(name: string, state: HashState): void {
    checkKey(VERSIONS, "name", name);
    checkHashState(state);
    const { db, deviceId } = this.#c;
    this.#c.write(
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
  }

  /** See `AppSyncStore.deleteAppStateVersion`. */
  deleteAppStateVersion(name: string): void {
    checkKey(VERSIONS, "name", name);
    const { db, deviceId } = this.#c;
    this.#c.write(
      () => {
        db.run(`DELETE FROM ${VERSIONS} WHERE device_id = ? AND name = ?`, deviceId, name);
        db.run(`DELETE FROM ${MACS} WHERE device_id = ? AND name = ?`, deviceId, name);
      },
      VERSIONS,
      name,
    );
  }

  /** See `AppSyncStore.putMutationMacs`. */
  putMutationMacs(name: string, version: number, macs: readonly AppStateMutationMac[]): void {
    checkKey(MACS, "name", name);
    checkTimestamp(MACS, "version", version);
    checkArray(MACS, "macs", macs, checkMutationMac);
    if (macs.length === 0) return;
    const { db, deviceId } = this.#c;
    this.#c.write(
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
  }

  /** See `AppSyncStore.getMutationMac`. */
  getMutationMac(name: string, indexMac: Uint8Array): Uint8Array | undefined {
    checkKey(MACS, "name", name);
    checkBytes(MACS, "indexMac", indexMac, MUTATION_MAC_LENGTH);
    const { db, deviceId } = this.#c;
    const key = `${name}/${hex(indexMac)}`;
    return this.#c.read(
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
  }

  /** See `AppSyncStore.deleteMutationMacs`. */
  deleteMutationMacs(name: string, indexMacs: readonly Uint8Array[]): void {
    checkKey(MACS, "name", name);
    checkArray(MACS, "indexMacs", indexMacs, (m) => checkBytes(MACS, "indexMac", m, MUTATION_MAC_LENGTH));
    if (indexMacs.length === 0) return;
    const { db, deviceId } = this.#c;
    this.#c.write(
      () => {
        for (const m of indexMacs) {
          db.run(`DELETE FROM ${MACS} WHERE device_id = ? AND name = ? AND index_mac = ?`, deviceId, name, m);
        }
      },
      MACS,
      name,
    );
  }
}
