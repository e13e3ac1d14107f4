/**
 * `AppSyncStore` written once for both SQL stores: argument checks, empty batches, the "never synced"
 * state, and the row readers. A backend supplies only its statements, as an {@linkcode AppSyncSql}.
 *
 * @module
 */

import type { Awaitable } from "./awaitable.ts";
import type { SQLOutput } from "./sqlite_db.ts";
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

/** App state sync keys (the table `StoreError`s name; SQLite's table name). */
export const KEYS = "app_state_sync_keys";
/** Collection versions. */
export const VERSIONS = "app_state_versions";
/** Mutation MACs. */
export const MACS = "app_state_mutation_macs";

type Row = Record<string, SQLOutput>;

/** A sync key row (columns `key_data, fingerprint, timestamp`); `key` names it in errors. */
export function syncKeyRow(row: Row, key: string): AppStateSyncKey {
  return {
    keyData: blobCol(row, "key_data", KEYS, key),
    fingerprint: blobCol(row, "fingerprint", KEYS, key),
    timestamp: intCol(row, "timestamp", KEYS, key),
  };
}

/** A collection's version row (columns `version, hash`), or the state before the first sync. */
export function hashStateRow(row: Row | undefined, name: string): HashState {
  if (row === undefined) return { version: 0, hash: new Uint8Array(LTHASH_LENGTH) };
  return {
    version: intCol(row, "version", VERSIONS, name),
    hash: blobColOf(row, "hash", LTHASH_LENGTH, VERSIONS, name),
  };
}

/**
 * One backend's statements for the app state tables of one account. Arguments are already checked;
 * failures are `StoreError`s naming the table and key. Writes commit together with the store's pending
 * write-behind journal.
 */
export interface AppSyncSql {
  /** The sync key `keyId`, or `undefined`. */
  syncKey(keyId: Uint8Array): Awaitable<AppStateSyncKey | undefined>;
  /** Stores a sync key so that it is "the last stored" for {@linkcode AppSyncSql.latestSyncKeyId}. */
  putSyncKey(keyId: Uint8Array, key: AppStateSyncKey): Awaitable<void>;
  /** The id of the key with the greatest timestamp, the last stored among equals. */
  latestSyncKeyId(): Awaitable<Uint8Array | undefined>;
  /** A collection's state (see {@linkcode hashStateRow}). */
  appStateVersion(name: string): Awaitable<HashState>;
  /** Upserts a collection's state. */
  putAppStateVersion(name: string, state: HashState): Awaitable<void>;
  /** Deletes a collection's state and all its MACs, in one transaction. */
  deleteAppStateVersion(name: string): Awaitable<void>;
  /** Upserts MACs (at least one) at `version`; a MAC repeated in `macs` keeps its last value. */
  putMutationMacs(name: string, version: number, macs: readonly AppStateMutationMac[]): Awaitable<void>;
  /** The value MAC of the highest version for `indexMac`. */
  mutationMac(name: string, indexMac: Uint8Array): Awaitable<Uint8Array | undefined>;
  /** Deletes every version of the given MACs (at least one). */
  deleteMutationMacs(name: string, indexMacs: readonly Uint8Array[]): Awaitable<void>;
}

/** The app state tables of one account, over a backend's {@linkcode AppSyncSql}. */
export class AppSyncCore {
  readonly #sql: AppSyncSql;

  /** Binds to a backend's statements. */
  constructor(sql: AppSyncSql) {
    this.#sql = sql;
  }

  /** See `AppSyncStore.getSyncKey`. */
  getSyncKey(keyId: Uint8Array): Awaitable<AppStateSyncKey | undefined> {
    checkBytes(KEYS, "keyId", keyId);
    return this.#sql.syncKey(keyId);
  }

  /** See `AppSyncStore.setSyncKey`. */
  setSyncKey(keyId: Uint8Array, key: AppStateSyncKey): Awaitable<void> {
    checkBytes(KEYS, "keyId", keyId);
    checkSyncKey(key);
    return this.#sql.putSyncKey(keyId, key);
  }

  /** See `AppSyncStore.getLatestSyncKeyId`. */
  getLatestSyncKeyId(): Awaitable<Uint8Array | undefined> {
    return this.#sql.latestSyncKeyId();
  }

  /** See `AppSyncStore.getAppStateVersion`. */
  getAppStateVersion(name: string): Awaitable<HashState> {
    checkKey(VERSIONS, "name", name);
    return this.#sql.appStateVersion(name);
  }

  /** See `AppSyncStore.setAppStateVersion`. */
  setAppStateVersion(name: string, state: HashState): Awaitable<void> {
    checkKey(VERSIONS, "name", name);
    checkHashState(state);
    return this.#sql.putAppStateVersion(name, state);
  }

  /** See `AppSyncStore.deleteAppStateVersion`. */
  deleteAppStateVersion(name: string): Awaitable<void> {
    checkKey(VERSIONS, "name", name);
    return this.#sql.deleteAppStateVersion(name);
  }

  /** See `AppSyncStore.putMutationMacs`. */
  putMutationMacs(name: string, version: number, macs: readonly AppStateMutationMac[]): Awaitable<void> {
    checkKey(MACS, "name", name);
    checkTimestamp(MACS, "version", version);
    checkArray(MACS, "macs", macs, checkMutationMac);
    if (macs.length === 0) return;
    return this.#sql.putMutationMacs(name, version, macs);
  }

  /** See `AppSyncStore.getMutationMac`. */
  getMutationMac(name: string, indexMac: Uint8Array): Awaitable<Uint8Array | undefined> {
    checkKey(MACS, "name", name);
    checkBytes(MACS, "indexMac", indexMac, MUTATION_MAC_LENGTH);
    return this.#sql.mutationMac(name, indexMac);
  }

  /** See `AppSyncStore.deleteMutationMacs`. */
  deleteMutationMacs(name: string, indexMacs: readonly Uint8Array[]): Awaitable<void> {
    checkKey(MACS, "name", name);
    checkArray(MACS, "indexMacs", indexMacs, (m) => checkBytes(MACS, "indexMac", m, MUTATION_MAC_LENGTH));
    if (indexMacs.length === 0) return;
    return this.#sql.deleteMutationMacs(name, indexMacs);
  }
}
