/**
 * The write-behind half of `PostgresStore`: Signal records (identities, sessions, prekeys, signed
 * prekeys, sender keys), the durable inbox and the `Device`, cached in memory and written only when the
 * store flushes, all in one transaction (so after a crash either every write of a decrypt is in the
 * database or none is, as with SQLite).
 *
 * Flush writes are multi-row upserts, one statement per up to 64 rows: on a local server one round trip
 * costs about as much as writing dozens of session rows, so statements, not rows, are what to save.
 *
 * @module
 */

import type { PreKeyRecord, SenderKeyRecord, SessionRecord, SignedPreKeyRecord } from "../signal/mod.ts";
import { cloneDevice, decodeDevice, type Device, encodeDevice } from "./device.ts";
import type { Querier } from "./postgres_db.ts";
import { type PgParam, type PgRow, toStoreError } from "./postgres_driver.ts";
import { AsyncHotTable, type AsyncTableIo, type RunRead } from "./postgres_hot_table.ts";
import {
  chunkSizes,
  type HotTableSpec,
  INCOMING,
  INCOMING_CACHE_SIZE,
  INCOMING_COLS,
  type IncomingRow,
  SIGNAL_TABLES,
} from "./signal_tables.ts";
import { blobCol, intCol, textCol } from "./sqlite_rows.ts";
import type { SQLOutput } from "./sqlite_db.ts";

/** Rows as the shared column readers (sqlite_rows.ts) take them. */
export const asRow = (r: PgRow): Record<string, SQLOutput> => r as Record<string, SQLOutput>;

/**
 * The SQL side of a hot table in table `wadeno_<spec.table>`; `keyType` is the key column's type, for the
 * `= ANY($2::type[])` lookups.
 */
function keyedIo<K extends string | number, V>(
  deviceId: number,
  spec: HotTableSpec<K, V>,
  keyType: "text" | "bigint",
): AsyncTableIo<K, V> {
  const { table: name, keyCol, valueCol, decode, encode } = spec;
  const table = `wadeno_${name}`;
  const selectMany = `SELECT ${keyCol} AS k, ${valueCol} AS v FROM ${table} ` +
    `WHERE device_id = $1 AND ${keyCol} = ANY($2::${keyType}[])`;
  const selectOne = `SELECT ${valueCol} AS v FROM ${table} WHERE device_id = $1 AND ${keyCol} = $2`;
  const removeMany = `DELETE FROM ${table} WHERE device_id = $1 AND ${keyCol} = ANY($2::${keyType}[])`;
  const upsert = (rows: number) => {
    const marks = Array.from({ length: rows }, (_, i) => `($1, $${2 * i + 2}, $${2 * i + 3})`);
    return `INSERT INTO ${table} (device_id, ${keyCol}, ${valueCol}) VALUES ${marks.join(", ")} ` +
      `ON CONFLICT (device_id, ${keyCol}) DO UPDATE SET ${valueCol} = excluded.${valueCol}`;
  };
  const upserts = new Map<number, string>();
  return {
    table: name,
    async loadMany(q, keys) {
      const out = new Map<K, V>();
      if (keys.length === 1) {
        const row = (await q.query(selectOne, [deviceId, keys[0]])).rows[0];
        if (row !== undefined) {
          out.set(keys[0], decode(blobCol(asRow(row), "v", name, String(keys[0])), String(keys[0])));
        }
        return out;
      }
      const result = await q.query(selectMany, [deviceId, keys as readonly string[] | readonly number[]]);
      for (const row of result.rows) {
        const key = (keyType === "bigint"
          ? intCol(asRow(row), "k", name, "?")
          : textCol(asRow(row), "k", name, "?")) as K;
        out.set(key, decode(blobCol(asRow(row), "v", name, String(key)), String(key)));
      }
      return out;
    },
    async writeMany(q, entries) {
      let at = 0;
      for (const size of chunkSizes(entries.length)) {
        const params: PgParam[] = [deviceId];
        for (let i = at; i < at + size; i++) {
          const [key, value] = entries[i];
          let bytes: Uint8Array;
          try {
            bytes = encode(value, key);
          } catch (e) {
            throw toStoreError(e, `serializing a ${name} record`, name, String(key));
          }
          params.push(key, bytes);
        }
        let sql = upserts.get(size);
        if (sql === undefined) upserts.set(size, sql = upsert(size));
        try {
          await q.query(sql, params);
        } catch (e) {
          throw toStoreError(
            e,
            `writing ${size} ${name} rows`,
            name,
            size === 1 ? String(entries[at][0]) : undefined,
          );
        }
        at += size;
      }
    },
    async removeMany(q, keys) {
      try {
        await q.query(removeMany, [deviceId, keys as readonly string[] | readonly number[]]);
      } catch (e) {
        throw toStoreError(
          e,
          `deleting ${keys.length} ${name} rows`,
          name,
          keys.length === 1 ? String(keys[0]) : undefined,
        );
      }
    },
  };
}

function incomingRow(row: PgRow, key: string): IncomingRow {
  const r = asRow(row);
  return {
    seq: intCol(r, "seq", INCOMING, key),
    chat: textCol(r, "chat", INCOMING, key),
    payload: blobCol(r, "payload", INCOMING, key),
    receivedAt: intCol(r, "received_at", INCOMING, key),
  };
}

function incomingIo(deviceId: number): AsyncTableIo<string, IncomingRow> {
  return {
    table: INCOMING,
    async loadMany(q, keys) {
      const out = new Map<string, IncomingRow>();
      const r = await q.query(
        `SELECT ${INCOMING_COLS} FROM wadeno_incoming_messages WHERE device_id = $1 AND key = ANY($2::text[])`,
        [deviceId, keys],
      );
      for (const row of r.rows) {
        const key = textCol(asRow(row), "key", INCOMING, "?");
        out.set(key, incomingRow(row, key));
      }
      return out;
    },
    async writeMany(q, entries) {
      for (const [key, v] of entries) {
        try {
          await q.query(
            `INSERT INTO wadeno_incoming_messages (device_id, ${INCOMING_COLS}) VALUES ($1, $2, $3, $4, $5, $6) ` +
              "ON CONFLICT (device_id, key) DO UPDATE SET seq = excluded.seq, chat = excluded.chat, " +
              "payload = excluded.payload, received_at = excluded.received_at",
            [deviceId, key, v.seq, v.chat, v.payload, v.receivedAt],
          );
        } catch (e) {
          throw toStoreError(e, "writing an inbox entry", INCOMING, key);
        }
      }
    },
    async removeMany(q, keys) {
      try {
        await q.query("DELETE FROM wadeno_incoming_messages WHERE device_id = $1 AND key = ANY($2::text[])", [
          deviceId,
          keys,
        ]);
      } catch (e) {
        throw toStoreError(e, `deleting ${keys.length} inbox entries`, INCOMING);
      }
    },
  };
}

/** Cached, write-behind Signal state, inbox and device of one account. */
export class PostgresSignalState {
  /** Remote identity keys by address. */
  readonly identities: AsyncHotTable<string, Uint8Array>;
  /** Session records by address. */
  readonly sessions: AsyncHotTable<string, SessionRecord>;
  /** One-time prekeys by id. */
  readonly preKeys: AsyncHotTable<number, PreKeyRecord>;
  /** Signed prekeys by id. */
  readonly signedPreKeys: AsyncHotTable<number, SignedPreKeyRecord>;
  /** Sender-key records by name. */
  readonly senderKeys: AsyncHotTable<string, SenderKeyRecord>;
  /** The durable inbox. */
  readonly incoming: AsyncHotTable<string, IncomingRow>;
  readonly #tables: readonly AsyncHotTable<unknown, unknown>[];
  readonly #deviceId: number;
  readonly #run: RunRead;
  #incomingSeq: number | undefined;
  /** `undefined` = not read yet, `null` = none saved. */
  #device: Device | null | undefined;
  #deviceDirty = false;
  #deviceInFlight: Device | undefined;

  /** Prepares the caches; nothing is read until asked for. */
  constructor(deviceId: number, run: RunRead, cacheSize: number) {
    this.#deviceId = deviceId;
    this.#run = run;
    const hot = <K extends string | number, V>(spec: HotTableSpec<K, V>, keyType: "text" | "bigint") =>
      new AsyncHotTable(keyedIo(deviceId, spec, keyType), run, spec.cacheSize ?? cacheSize);
    this.identities = hot(SIGNAL_TABLES.identities, "text");
    this.sessions = hot(SIGNAL_TABLES.sessions, "text");
    this.senderKeys = hot(SIGNAL_TABLES.senderKeys, "text");
    this.preKeys = hot(SIGNAL_TABLES.preKeys, "bigint");
    this.signedPreKeys = hot(SIGNAL_TABLES.signedPreKeys, "bigint");
    this.incoming = new AsyncHotTable(incomingIo(deviceId), run, INCOMING_CACHE_SIZE);
    this.#tables = [
      this.identities,
      this.sessions,
      this.preKeys,
      this.signedPreKeys,
      this.senderKeys,
      this.incoming,
    ] as AsyncHotTable<unknown, unknown>[];
  }

  /**
   * Reads the highest stored inbox sequence number once, so {@linkcode nextIncomingSeq} is synchronous; a
   * failure names the message `key`.
   */
  async prepareIncomingSeq(key: string): Promise<void> {
    if (this.#incomingSeq !== undefined) return;
    const r = await this.#run((q) =>
      q.query("SELECT COALESCE(max(seq), 0) AS s FROM wadeno_incoming_messages WHERE device_id = $1", [
        this.#deviceId,
      ])
    ).catch((e) => {
      throw toStoreError(e, "reading the inbox", INCOMING, key);
    });
    this.#incomingSeq ??= Number(r.rows[0]?.s ?? 0);
  }

  /** The next inbox sequence number; call {@linkcode prepareIncomingSeq} first. */
  nextIncomingSeq(): number {
    if (this.#incomingSeq === undefined) throw new Error("prepareIncomingSeq was not awaited");
    return ++this.#incomingSeq;
  }

  /** Every inbox entry, stored or pending, oldest first. */
  async allIncoming(): Promise<Array<[string, IncomingRow]>> {
    const r = await this.#run((q) =>
      q.query(`SELECT ${INCOMING_COLS} FROM wadeno_incoming_messages WHERE device_id = $1`, [this.#deviceId])
    ).catch((e) => {
      throw toStoreError(e, "reading the inbox", INCOMING);
    });
    const out = new Map<string, IncomingRow>();
    for (const row of r.rows) {
      const key = textCol(asRow(row), "key", INCOMING, "?");
      out.set(key, incomingRow(row, key));
    }
    for (const [key, v] of this.incoming.pendingEntries()) {
      if (v === null) out.delete(key);
      else out.set(key, v);
    }
    return [...out].sort((a, b) => a[1].seq - b[1].seq);
  }

  /** The number of pending writes (a pending device counts as one). */
  get dirtyCount(): number {
    let n = this.#deviceDirty || this.#deviceInFlight ? 1 : 0;
    for (const t of this.#tables) n += t.dirtyCount;
    return n;
  }

  /** The newest device (a copy), or `undefined` when none was saved. */
  async loadDevice(): Promise<Device | undefined> {
    const id = String(this.#deviceId);
    if (this.#device === undefined) {
      try {
        const r = await this.#run((q) =>
          q.query("SELECT data FROM wadeno_device WHERE device_id = $1", [this.#deviceId])
        );
        const data = r.rows[0]?.data ?? null;
        // A save while the read ran wins.
        if (this.#device === undefined) {
          this.#device = data === null
            ? null
            : decodeDevice(blobCol(asRow(r.rows[0]), "data", "device", id), id);
        }
      } catch (e) {
        throw toStoreError(e, "reading the device", "device", id);
      }
    }
    return this.#device === null ? undefined : cloneDevice(this.#device);
  }

  /** True when a device was saved. */
  async deviceExists(): Promise<boolean> {
    if (this.#device !== undefined) return this.#device !== null;
    const r = await this.#run((q) =>
      q.query("SELECT data IS NOT NULL AS saved FROM wadeno_device WHERE device_id = $1", [this.#deviceId])
    ).catch((e) => {
      throw toStoreError(e, "reading the device", "device", String(this.#deviceId));
    });
    return this.#device !== undefined ? this.#device !== null : r.rows[0]?.saved === true;
  }

  /** Records a device save (a copy), written at the next flush. */
  saveDevice(device: Device): void {
    this.#device = cloneDevice(device);
    this.#deviceDirty = true;
  }

  /** Takes the flush snapshot of every table (synchronously, at the flush's turn); true if any. */
  beginFlush(): boolean {
    if (this.#deviceDirty && this.#device) this.#deviceInFlight = this.#device;
    this.#deviceDirty = false;
    let any = this.#deviceInFlight !== undefined;
    for (const t of this.#tables) any = t.beginFlush() || any;
    return any;
  }

  /** Writes the snapshot; call inside the flush transaction. */
  async writeFlush(q: Querier): Promise<void> {
    const device = this.#deviceInFlight;
    if (device) {
      try {
        await q.query(
          "INSERT INTO wadeno_device (device_id, data, jid, lid, push_name, updated_at) VALUES ($1, $2, $3, $4, $5, $6) " +
            "ON CONFLICT (device_id) DO UPDATE SET data = excluded.data, jid = excluded.jid, lid = excluded.lid, " +
            "push_name = excluded.push_name, updated_at = excluded.updated_at",
          [
            this.#deviceId,
            encodeDevice(device),
            device.pn?.toString() ?? null,
            device.lid?.toString() ?? null,
            device.pushName,
            Math.floor(Date.now() / 1000),
          ],
        );
      } catch (e) {
        throw toStoreError(e, "writing the device", "device", String(this.#deviceId));
      }
    }
    for (const t of this.#tables) await t.writeFlush(q);
  }

  /** The flush committed. */
  commitFlush(): void {
    this.#deviceInFlight = undefined;
    for (const t of this.#tables) t.commitFlush();
  }

  /** The flush failed: its snapshot is pending again. */
  abortFlush(): void {
    if (this.#deviceInFlight) this.#deviceDirty = true;
    this.#deviceInFlight = undefined;
    for (const t of this.#tables) t.abortFlush();
  }

  /** Drops every cached and pending value (the account's rows were deleted). */
  reset(): void {
    this.#device = null;
    this.#deviceDirty = false;
    this.#deviceInFlight = undefined;
    this.#incomingSeq = undefined;
    for (const t of this.#tables) t.reset();
  }
}
