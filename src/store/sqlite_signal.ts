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

import type { PreKeyRecord, SenderKeyRecord, SessionRecord, SignedPreKeyRecord } from "../signal/mod.ts";
import { cloneDevice, decodeDevice, type Device, encodeDevice } from "./device.ts";
import {
  chunkSizes,
  type HotTableSpec,
  INCOMING,
  INCOMING_CACHE_SIZE,
  INCOMING_COLS,
  type IncomingRow,
  SIGNAL_TABLES,
} from "./signal_tables.ts";
import { type SqliteDb, toStoreError } from "./sqlite_db.ts";
import { blobCol, textCol } from "./sqlite_rows.ts";
import { HotTable, type HotTableIo } from "./write_behind.ts";

/**
 * The SQL side of a hot table: point and batch reads, and flush writes as multi-row upserts (one
 * statement per up to 64 rows; per-statement overhead dominates row cost at session sizes) and one
 * `DELETE … IN json_each(?)` for all deletions. `extra` holds constant columns written with every row
 * (e.g. `uploaded`).
 */
function keyedIo<K extends string | number, V>(
  db: SqliteDb,
  deviceId: number,
  spec: HotTableSpec<K, V>,
  extra: Readonly<Record<string, number>> = {},
): HotTableIo<K, V> {
  const { table, keyCol, valueCol, decode, encode } = spec;
  const extraCols = Object.keys(extra);
  const extraValues = Object.values(extra);
  const select = `SELECT ${valueCol} AS v FROM ${table} WHERE device_id = ? AND ${keyCol} = ?`;
  const selectMany = `SELECT ${keyCol} AS k, ${valueCol} AS v FROM ${table} ` +
    `WHERE device_id = ? AND ${keyCol} IN (SELECT value FROM json_each(?))`;
  const removeMany =
    `DELETE FROM ${table} WHERE device_id = ? AND ${keyCol} IN (SELECT value FROM json_each(?))`;
  const rowMarks = `(${["?", "?", "?", ...extraCols.map(() => "?")].join(", ")})`;
  const upsert = (rows: number) =>
    `INSERT INTO ${table} (${["device_id", keyCol, valueCol, ...extraCols].join(", ")}) VALUES ` +
    Array(rows).fill(rowMarks).join(", ") +
    ` ON CONFLICT (device_id, ${keyCol}) DO UPDATE SET ${valueCol} = excluded.${valueCol}`;
  const upserts = new Map<number, string>();
  return {
    load(key) {
      try {
        const row = db.get(select, deviceId, key);
        return row === undefined ? undefined : decode(blobCol(row, "v", table, String(key)), String(key));
      } catch (e) {
        throw toStoreError(e, `reading ${table}`, table, String(key));
      }
    },
    loadMany(keys) {
      const out = new Map<K, V>();
      try {
        for (const row of db.all(selectMany, deviceId, JSON.stringify(keys))) {
          const key = (typeof keys[0] === "number" ? row.k : textCol(row, "k", table, "?")) as K;
          out.set(key, decode(blobCol(row, "v", table, String(key)), String(key)));
        }
      } catch (e) {
        throw toStoreError(e, `reading ${table}`, table);
      }
      return out;
    },
    writeMany(entries) {
      let at = 0;
      for (const size of chunkSizes(entries.length)) {
        const params: (string | number | Uint8Array)[] = [];
        for (let i = at; i < at + size; i++) {
          const [key, value] = entries[i];
          let bytes: Uint8Array;
          try {
            bytes = encode(value, key);
          } catch (e) {
            throw toStoreError(e, `serializing a ${table} record`, table, String(key));
          }
          params.push(deviceId, key, bytes, ...extraValues);
        }
        let sql = upserts.get(size);
        if (sql === undefined) upserts.set(size, sql = upsert(size));
        try {
          db.run(sql, ...params);
        } catch (e) {
          throw toStoreError(
            e,
            `writing ${size} ${table} rows`,
            table,
            size === 1 ? String(entries[at][0]) : undefined,
          );
        }
        at += size;
      }
    },
    removeMany(keys) {
      if (keys.length === 0) return;
      try {
        db.run(removeMany, deviceId, JSON.stringify(keys));
      } catch (e) {
        throw toStoreError(
          e,
          `deleting ${keys.length} ${table} rows`,
          table,
          keys.length === 1 ? String(keys[0]) : undefined,
        );
      }
    },
  };
}

/** The inbox table: few rows per flush, each with four columns, so plain statements suffice. */
function incomingIo(db: SqliteDb, deviceId: number): HotTableIo<string, IncomingRow> {
  const decode = (row: Record<string, unknown>, key: string): IncomingRow => ({
    seq: Number(row.seq),
    chat: textCol(row as never, "chat", INCOMING, key),
    payload: blobCol(row as never, "payload", INCOMING, key),
    receivedAt: Number(row.received_at),
  });
  const cols = INCOMING_COLS;
  return {
    load(key) {
      const row = db.get(`SELECT ${cols} FROM ${INCOMING} WHERE device_id = ? AND key = ?`, deviceId, key);
      return row === undefined ? undefined : decode(row, key);
    },
    loadMany(keys) {
      const out = new Map<string, IncomingRow>();
      for (const key of keys) {
        const v = this.load(key);
        if (v) out.set(key, v);
      }
      return out;
    },
    writeMany(entries) {
      for (const [key, v] of entries) {
        try {
          db.run(
            `INSERT OR REPLACE INTO ${INCOMING} (device_id, ${cols}) VALUES (?, ?, ?, ?, ?, ?)`,
            deviceId,
            key,
            v.seq,
            v.chat,
            v.payload,
            v.receivedAt,
          );
        } catch (e) {
          throw toStoreError(e, "writing an inbox entry", INCOMING, key);
        }
      }
    },
    removeMany(keys) {
      if (keys.length === 0) return;
      try {
        db.run(
          `DELETE FROM ${INCOMING} WHERE device_id = ? AND key IN (SELECT value FROM json_each(?))`,
          deviceId,
          JSON.stringify(keys),
        );
      } catch (e) {
        throw toStoreError(e, `deleting ${keys.length} inbox entries`, INCOMING);
      }
    },
  };
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
  /** The durable inbox, in the same journal as the Signal state it was decrypted with. */
  readonly incoming: HotTable<string, IncomingRow>;
  #incomingSeq: number | undefined;
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
    const hot = <K extends string | number, V>(spec: HotTableSpec<K, V>, extra?: Record<string, number>) =>
      new HotTable(keyedIo(db, deviceId, spec, extra), spec.cacheSize ?? cacheSize);
    this.identities = hot(SIGNAL_TABLES.identities);
    this.sessions = hot(SIGNAL_TABLES.sessions);
    this.senderKeys = hot(SIGNAL_TABLES.senderKeys);
    this.preKeys = hot(SIGNAL_TABLES.preKeys, { uploaded: 1 });
    this.signedPreKeys = hot(SIGNAL_TABLES.signedPreKeys);
    this.incoming = new HotTable(incomingIo(db, deviceId), INCOMING_CACHE_SIZE);
    this.#tables = [
      this.identities,
      this.sessions,
      this.preKeys,
      this.signedPreKeys,
      this.senderKeys,
      this.incoming,
    ] as HotTable<unknown, unknown>[];
  }

  /** Reads the highest stored inbox sequence number once; a failure names the message `key`. */
  prepareIncomingSeq(key: string): void {
    if (this.#incomingSeq !== undefined) return;
    try {
      const row = this.#db.get(
        `SELECT COALESCE(MAX(seq), 0) AS s FROM ${INCOMING} WHERE device_id = ?`,
        this.#deviceId,
      );
      this.#incomingSeq = Number(row?.s ?? 0);
    } catch (e) {
      throw toStoreError(e, `reading ${INCOMING}`, INCOMING, key);
    }
  }

  /** The next inbox sequence number (continuing after the highest stored one); call {@linkcode prepareIncomingSeq} first. */
  nextIncomingSeq(): number {
    if (this.#incomingSeq === undefined) throw new Error("prepareIncomingSeq was not called");
    return ++this.#incomingSeq;
  }

  /** Every inbox entry, stored or pending, oldest first. */
  allIncoming(): Array<[string, IncomingRow]> {
    const out = new Map<string, IncomingRow>();
    try {
      for (const row of this.#db.all(`SELECT key FROM ${INCOMING} WHERE device_id = ?`, this.#deviceId)) {
        const key = textCol(row, "key", INCOMING, "?");
        const v = this.incoming.get(key);
        if (v) out.set(key, v);
      }
      for (const key of this.incoming.dirtyKeys()) {
        const v = this.incoming.get(key);
        if (v) out.set(key, v);
      }
    } catch (e) {
      throw toStoreError(e, `reading ${INCOMING}`, INCOMING);
    }
    return [...out].sort((a, b) => a[1].seq - b[1].seq);
  }

  /** The number of pending writes (a pending device counts as one). */
  get dirtyCount(): number {
    let n = this.#deviceDirty ? 1 : 0;
    for (const t of this.#tables) n += t.dirtyCount;
    return n;
  }

  /** The newest device (a copy), or `undefined` when none was saved. */
  loadDevice(): Device | undefined {
    const id = String(this.#deviceId);
    if (this.#device === undefined) {
      try {
        const row = this.#db.get("SELECT data FROM device WHERE device_id = ?", this.#deviceId);
        const data = row?.data ?? null;
        this.#device = data === null ? null : decodeDevice(blobCol(row!, "data", "device", id), id);
      } catch (e) {
        throw toStoreError(e, "reading device", "device", id);
      }
    }
    return this.#device === null ? undefined : cloneDevice(this.#device);
  }

  /** True when a device was saved (without decoding it). */
  deviceExists(): boolean {
    if (this.#device !== undefined) return this.#device !== null;
    try {
      const row = this.#db.get(
        "SELECT data IS NOT NULL AS saved FROM device WHERE device_id = ?",
        this.#deviceId,
      );
      return row?.saved === 1;
    } catch (e) {
      throw toStoreError(e, "reading device", "device", String(this.#deviceId));
    }
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
      try {
        this.#db.run(
          "INSERT INTO device (device_id, data) VALUES (?, ?) ON CONFLICT (device_id) DO UPDATE SET data = excluded.data",
          this.#deviceId,
          encodeDevice(device),
        );
      } catch (e) {
        throw toStoreError(e, "writing the device", "device", String(this.#deviceId));
      }
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
    this.#incomingSeq = undefined;
    for (const t of this.#tables) t.reset();
  }
}
