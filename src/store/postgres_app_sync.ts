/**
 * `AppSyncStore` on PostgreSQL: sync keys, collection versions (LTHash) and mutation MACs, written
 * through (each call commits).
 *
 * @module
 */

import type { PostgresContext } from "./postgres_context.ts";
import { asRow } from "./postgres_signal.ts";
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

/** The app state tables of one account. */
export class PostgresAppSync {
  readonly #c: PostgresContext;

  /** Binds to a store's context. */
  constructor(context: PostgresContext) {
    this.#c = context;
  }

  /** See `AppSyncStore.getSyncKey`. */
  getSyncKey(keyId: Uint8Array): Promise<AppStateSyncKey | undefined> {
    checkBytes(KEYS, "keyId", keyId);
    const key = keyId.toHex();
    return this.#c.read(
      async (q) => {
        const row = (await q.query(
          "SELECT key_data, fingerprint, timestamp FROM wadeno_app_state_sync_keys WHERE device_id = $1 AND key_id = $2",
          [this.#c.deviceId, keyId],
        )).rows[0];
        if (row === undefined) return undefined;
        const r = asRow(row);
        return {
          keyData: blobCol(r, "key_data", KEYS, key),
          fingerprint: blobCol(r, "fingerprint", KEYS, key),
          timestamp: intCol(r, "timestamp", KEYS, key),
        };
      },
      KEYS,
      key,
    );
  }

  /** See `AppSyncStore.setSyncKey`. */
  setSyncKey(keyId: Uint8Array, key: AppStateSyncKey): Promise<void> {
    checkBytes(KEYS, "keyId", keyId);
    checkSyncKey(key);
    // Every write draws a new write_seq: the tie-break for "stored last".
    return this.#c.write(
      async (q) => {
        await q.query(
          "INSERT INTO wadeno_app_state_sync_keys (device_id, key_id, key_data, fingerprint, timestamp) " +
            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (device_id, key_id) DO UPDATE SET key_data = excluded.key_data, " +
            "fingerprint = excluded.fingerprint, timestamp = excluded.timestamp, write_seq = nextval('wadeno_write_seq')",
          [this.#c.deviceId, keyId, key.keyData, key.fingerprint, key.timestamp],
        );
      },
      KEYS,
      keyId.toHex(),
    );
  }

  /** See `AppSyncStore.getLatestSyncKeyId`. */
  getLatestSyncKeyId(): Promise<Uint8Array | undefined> {
    return this.#c.read(async (q) => {
      const row = (await q.query(
        "SELECT key_id FROM wadeno_app_state_sync_keys WHERE device_id = $1 ORDER BY timestamp DESC, write_seq DESC LIMIT 1",
        [this.#c.deviceId],
      )).rows[0];
      return row === undefined ? undefined : blobCol(asRow(row), "key_id", KEYS, "latest");
    }, KEYS);
  }

  /** See `AppSyncStore.getAppStateVersion`. */
  getAppStateVersion(name: string): Promise<HashState> {
    checkKey(VERSIONS, "name", name);
    return this.#c.read(
      async (q) => {
        const row = (await q.query(
          "SELECT version, hash FROM wadeno_app_state_versions WHERE device_id = $1 AND name = $2",
          [this.#c.deviceId, name],
        )).rows[0];
        if (row === undefined) return { version: 0, hash: new Uint8Array(LTHASH_LENGTH) };
        return {
          version: intCol(asRow(row), "version", VERSIONS, name),
          hash: blobColOf(asRow(row), "hash", LTHASH_LENGTH, VERSIONS, name),
        };
      },
      VERSIONS,
      name,
    );
  }

  /** See `AppSyncStore.setAppStateVersion`. */
  setAppStateVersion(name: string, state: HashState): Promise<void> {
    checkKey(VERSIONS, "name", name);
    checkHashState(state);
    return this.#c.write(
      async (q) => {
        await q.query(
          "INSERT INTO wadeno_app_state_versions (device_id, name, version, hash) VALUES ($1, $2, $3, $4) " +
            "ON CONFLICT (device_id, name) DO UPDATE SET version = excluded.version, hash = excluded.hash",
          [this.#c.deviceId, name, state.version, state.hash],
        );
      },
      VERSIONS,
      name,
    );
  }

  /** See `AppSyncStore.deleteAppStateVersion`. */
  deleteAppStateVersion(name: string): Promise<void> {
    checkKey(VERSIONS, "name", name);
    return this.#c.write(
      async (q) => {
        await q.query("DELETE FROM wadeno_app_state_versions WHERE device_id = $1 AND name = $2", [
          this.#c.deviceId,
          name,
        ]);
        await q.query("DELETE FROM wadeno_app_state_mutation_macs WHERE device_id = $1 AND name = $2", [
          this.#c.deviceId,
          name,
        ]);
      },
      VERSIONS,
      name,
      true,
    );
  }

  /** See `AppSyncStore.putMutationMacs`. */
  putMutationMacs(name: string, version: number, macs: readonly AppStateMutationMac[]): Promise<void> {
    checkKey(MACS, "name", name);
    checkTimestamp(MACS, "version", version);
    checkArray(MACS, "macs", macs, checkMutationMac);
    if (macs.length === 0) return Promise.resolve();
    // One statement for the batch: unnest pairs the two arrays row by row. A MAC repeated in the batch
    // keeps its last value (DISTINCT ON over the reversed order), as repeated single upserts would.
    return this.#c.write(
      async (q) => {
        await q.query(
          "INSERT INTO wadeno_app_state_mutation_macs (device_id, name, version, index_mac, value_mac) " +
            "SELECT DISTINCT ON (i) $1::integer, $2::text, $3::bigint, i, v " +
            "FROM unnest($4::text[], $5::text[]) WITH ORDINALITY AS m(ih, vh, n), " +
            "LATERAL (SELECT decode(ih, 'hex') AS i, decode(vh, 'hex') AS v) AS d ORDER BY i, n DESC " +
            "ON CONFLICT (device_id, name, version, index_mac) DO UPDATE SET value_mac = excluded.value_mac",
          [
            this.#c.deviceId,
            name,
            version,
            macs.map((m) => m.indexMac.toHex()),
            macs.map((m) => m.valueMac.toHex()),
          ],
        );
      },
      MACS,
      name,
    );
  }

  /** See `AppSyncStore.getMutationMac`. */
  getMutationMac(name: string, indexMac: Uint8Array): Promise<Uint8Array | undefined> {
    checkKey(MACS, "name", name);
    checkBytes(MACS, "indexMac", indexMac, MUTATION_MAC_LENGTH);
    const key = `${name}/${indexMac.toHex()}`;
    return this.#c.read(
      async (q) => {
        const row = (await q.query(
          "SELECT value_mac FROM wadeno_app_state_mutation_macs WHERE device_id = $1 AND name = $2 AND index_mac = $3 " +
            "ORDER BY version DESC LIMIT 1",
          [this.#c.deviceId, name, indexMac],
        )).rows[0];
        return row === undefined
          ? undefined
          : blobColOf(asRow(row), "value_mac", MUTATION_MAC_LENGTH, MACS, key);
      },
      MACS,
      key,
    );
  }

  /** See `AppSyncStore.deleteMutationMacs`. */
  deleteMutationMacs(name: string, indexMacs: readonly Uint8Array[]): Promise<void> {
    checkKey(MACS, "name", name);
    checkArray(MACS, "indexMacs", indexMacs, (m) => checkBytes(MACS, "indexMac", m, MUTATION_MAC_LENGTH));
    if (indexMacs.length === 0) return Promise.resolve();
    return this.#c.write(
      async (q) => {
        await q.query(
          "DELETE FROM wadeno_app_state_mutation_macs WHERE device_id = $1 AND name = $2 " +
            "AND index_mac IN (SELECT decode(h, 'hex') FROM unnest($3::text[]) AS h)",
          [this.#c.deviceId, name, indexMacs.map((m) => m.toHex())],
        );
      },
      MACS,
      name,
    );
  }
}
