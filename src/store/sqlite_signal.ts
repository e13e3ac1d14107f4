/**
 * The write-behind half of `SqliteStore`: Signal records (identities, sessions, prekeys, signed prekeys,
 * sender keys) and the `Device`, cached in memory, written to their tables only when the store flushes.
 *
 * All of them go through the same journal and are committed in one transaction, so a flush is atomic:
 * after a crash either every write of a decrypt (session, identity, prekey removal) is on disk or none is,
 * which is what lets a redelivered message be decrypted again.
 *
 * @module
 */

import { PreKeyRecord, SenderKeyRecord, SessionRecord, SignedPreKeyRecord } from "../signal/mod.ts";
import { cloneDevice, decodeDevice, type Device, encodeDevice } from "./device.ts";
import { type SqliteDb, toStoreError } from "./sqlite_db.ts";
import { StoreError } from "./errors.ts";
import { blobCol, decodeRecord, textCol } from "./sqlite_rows.ts";
import { HotTable, type HotTableIo } from "./write_behind.ts";

/** The byte length of a stored remote identity key. */
export const IDENTITY_KEY_LENGTH = 32;

interface Serializable {
  serialize(): Uint8Array;
}

/** Runs one row write of a flush, naming the row in the error if it fails (or its record does not serialize). */
function guard(fn: () => unknown, table: string, key: string): void {
  try {
    fn();
  } catch (e) {
    throw toStoreError(e, `writing ${table} row`, table, key);
  }
}

/** Rows keyed by a text column holding an encoded value. */
function textKeyedIo<V>(
  db: SqliteDb,
  deviceId: number,
  table: string,
  keyCol: string,
  valueCol: string,
  decode: (bytes: Uint8Array, key: string) => V,
  encode: (value: V) => Uint8Array,
): HotTableIo<string, V> {
  const select = `SELECT ${valueCol} AS v FROM ${table} WHERE device_id = ? AND ${keyCol} = ?`;
  const selectMany = `SELECT ${keyCol} AS k, ${valueCol} AS v FROM ${table} ` +
    `WHERE device_id = ? AND ${keyCol} IN (SELECT value FROM json_each(?))`;
  const upsert = `INSERT INTO ${table} (device_id, ${keyCol}, ${valueCol}) VALUES (?, ?, ?) ` +
    `ON CONFLICT (device_id, ${keyCol}) DO UPDATE SET ${valueCol} = excluded.${valueCol}`;
  const del = `DELETE FROM ${table} WHERE device_id = ? AND ${keyCol} = ?`;
  return {
    load(key) {
      const row = db.get(select, deviceId, key);
      return row === undefined ? undefined : decode(blobCol(row, "v", table, key), key);
    },
    loadMany(keys) {
      const out = new Map<string, V>();
      for (const row of db.all(selectMany, deviceId, JSON.stringify(keys))) {
        const key = textCol(row, "k", table, "?");
        out.set(key, decode(blobCol(row, "v", table, key), key));
      }
      return out;
    },
    write(key, value) {
      guard(() => db.run(upsert, deviceId, key, encode(value)), table, key);
    },
    remove(key) {
      guard(() => db.run(del, deviceId, key), table, key);
    },
  };
}

/** Rows keyed by an integer id holding a serialized record. */
function idKeyedIo<V extends Serializable>(
  db: SqliteDb,
  deviceId: number,
  table: string,
  keyCol: string,
  extraCols: string,
  extraValues: readonly (number | string)[],
  decode: (bytes: Uint8Array, key: string) => V,
): HotTableIo<number, V> {
  const select = `SELECT record AS v FROM ${table} WHERE device_id = ? AND ${keyCol} = ?`;
  const cols = `device_id, ${keyCol}, record${extraCols ? `, ${extraCols}` : ""}`;
  const marks = `?, ?, ?${extraValues.map(() => ", ?").join("")}`;
  const upsert = `INSERT INTO ${table} (${cols}) VALUES (${marks}) ` +
    `ON CONFLICT (device_id, ${keyCol}) DO UPDATE SET record = excluded.record`;
  const del = `DELETE FROM ${table} WHERE device_id = ? AND ${keyCol} = ?`;
  const io: HotTableIo<number, V> = {
    load(id) {
      const row = db.get(select, deviceId, id);
      return row === undefined ? undefined : decode(blobCol(row, "v", table, String(id)), String(id));
    },
    loadMany(ids) {
      const out = new Map<number, V>();
      for (const id of ids) {
        const v = io.load(id);
        if (v !== undefined) out.set(id, v);
      }
      return out;
    },
    write(id, value) {
      guard(() => db.run(upsert, deviceId, id, value.serialize(), ...extraValues), table, String(id));
    },
    remove(id) {
      guard(() => db.run(del, deviceId, id), table, String(id));
    },
  };
  return io;
}

/** Cached, write-behind Signal state and device of one account in a SQLite file. */
export class SqliteSignalState {
  /** Remote identity keys by address (32 bytes; the cache holds private copies). */
  readonly identities: HotTable<string, Uint8Array>;
  /** Session records by address. */
  readonly sessions: HotTable<string, SessionRecord>;
  /** One-time prekeys by id. */
  readonly preKeys: HotTable<number, PreKeyRecord>;
  /** Signed prekeys by id. */
  readonly signedPreKeys: HotTable<number, SignedPreKeyRecord>;
  /** Sender-key records by name. */
  readonly senderKeys: HotTable<string, SenderKeyRecord>;
  readonly #tables: readonly HotTable<unknown, unknown>[];
  readonly #db: SqliteDb;
  readonly #deviceId: number;
  /** The device as last loaded/saved: `undefined` = not read yet, `null` = none saved. */
  #device: Device | null | undefined;
  #deviceDirty = false;

  /** Prepares the caches; nothing is read until asked for. */
  constructor(db: SqliteDb, deviceId: number, cacheSize: number) {
    this.#db = db;
    this.#deviceId = deviceId;
    const rec = <T>(table: string, deserialize: (b: Uint8Array) => T) => (bytes: Uint8Array, key: string) =>
      decodeRecord(bytes, deserialize, table, key);
    const serialize = (r: Serializable) => r.serialize();
    this.identities = new HotTable(
      textKeyedIo(db, deviceId, "identities", "address", "key", (bytes, key) => {
        if (bytes.length !== IDENTITY_KEY_LENGTH) {
          throw new StoreError(
            "corrupt",
            `identity key: expected ${IDENTITY_KEY_LENGTH} bytes, got ${bytes.length}`,
            {
              table: "identities",
              key,
            },
          );
        }
        return bytes;
      }, (key) => key),
      cacheSize,
    );
    this.sessions = new HotTable(
      textKeyedIo(
        db,
        deviceId,
        "sessions",
        "address",
        "record",
        rec("sessions", SessionRecord.deserialize),
        serialize,
      ),
      cacheSize,
    );
    this.senderKeys = new HotTable(
      textKeyedIo(
        db,
        deviceId,
        "sender_keys",
        "address",
        "record",
        rec("sender_keys", SenderKeyRecord.deserialize),
        serialize,
      ),
      cacheSize,
    );
    // Prekeys are read once each (when a PreKeySignalMessage arrives), so the clean cache stays small.
    this.preKeys = new HotTable(
      idKeyedIo(
        db,
        deviceId,
        "prekeys",
        "prekey_id",
        "uploaded",
        [1],
        rec("prekeys", PreKeyRecord.deserialize),
      ),
      64,
    );
    this.signedPreKeys = new HotTable(
      idKeyedIo(
        db,
        deviceId,
        "signed_prekeys",
        "signed_prekey_id",
        "",
        [],
        rec("signed_prekeys", SignedPreKeyRecord.deserialize),
      ),
      16,
    );
    this.#tables = [
      this.identities,
      this.sessions,
      this.preKeys,
      this.signedPreKeys,
      this.senderKeys,
    ] as HotTable<unknown, unknown>[];
  }

  /** The number of pending writes (a pending device counts as one). */
  get dirtyCount(): number {
    let n = this.#deviceDirty ? 1 : 0;
    for (const t of this.#tables) n += t.dirtyCount;
    return n;
  }

  /** The newest device (a copy), or `undefined` when none was saved. */
  loadDevice(): Device | undefined {
    if (this.#device === undefined) {
      const row = this.#db.get("SELECT data FROM device WHERE device_id = ?", this.#deviceId);
      const data = row?.data ?? null;
      this.#device = data === null
        ? null
        : decodeDevice(blobCol(row!, "data", "device", String(this.#deviceId)), String(this.#deviceId));
    }
    return this.#device === null ? undefined : cloneDevice(this.#device);
  }

  /** True when a device was saved (without decoding it). */
  deviceExists(): boolean {
    if (this.#device !== undefined) return this.#device !== null;
    const row = this.#db.get(
      "SELECT data IS NOT NULL AS saved FROM device WHERE device_id = ?",
      this.#deviceId,
    );
    return row?.saved === 1;
  }

  /** Records a device save (a copy of `device`), written at the next flush. */
  saveDevice(device: Device): void {
    this.#device = cloneDevice(device);
    this.#deviceDirty = true;
  }

  /** Writes every pending change; call inside a transaction, then {@linkcode markClean}. */
  writeDirty(): void {
    const device = this.#device;
    if (this.#deviceDirty && device) {
      guard(
        () =>
          this.#db.run(
            "INSERT INTO device (device_id, data) VALUES (?, ?) ON CONFLICT (device_id) DO UPDATE SET data = excluded.data",
            this.#deviceId,
            encodeDevice(device),
          ),
        "device",
        String(this.#deviceId),
      );
    }
    for (const t of this.#tables) t.writeDirty();
  }

  /** After the transaction committed: pending changes are now clean. */
  markClean(): void {
    this.#deviceDirty = false;
    for (const t of this.#tables) t.markClean();
  }

  /** Drops every cached and pending value (the account's rows were deleted). */
  reset(): void {
    this.#device = null;
    this.#deviceDirty = false;
    for (const t of this.#tables) t.reset();
  }
}
