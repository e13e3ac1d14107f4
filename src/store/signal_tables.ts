/**
 * The Signal hot tables as both SQL stores lay them out: which tables there are, the columns a record
 * lives in, how a value is encoded and checked when read back, and how many clean rows each keeps cached.
 * The SQL and the cache classes stay with each backend (`sqlite_signal.ts`, `postgres_signal.ts`).
 *
 * @module
 */

import { PreKeyRecord, SenderKeyRecord, SessionRecord, SignedPreKeyRecord } from "../signal/mod.ts";
import { StoreError } from "./errors.ts";
import { decodeRecord } from "./sqlite_rows.ts";

/** The byte length of a stored remote identity key. */
export const IDENTITY_KEY_LENGTH = 32;

/** Largest number of rows one flush statement writes. */
const MAX_ROWS_PER_STATEMENT = 64;

/** Splits `n` rows into power-of-two chunks, so a few cached statement shapes cover every batch size. */
export function chunkSizes(n: number): number[] {
  const sizes: number[] = [];
  for (let size = MAX_ROWS_PER_STATEMENT; n > 0; size >>= 1) {
    while (n >= size) {
      sizes.push(size);
      n -= size;
    }
  }
  return sizes;
}

/** Where a hot table's rows live and how its values are encoded. */
export interface HotTableSpec<K, V> {
  /** The table, without a backend's prefix; also the table `StoreError`s name. */
  table: string;
  /** The key column (after `device_id`). */
  keyCol: string;
  /** The value column. */
  valueCol: string;
  /** Decodes a stored value; a bad one throws `StoreError` `corrupt` naming `key`. */
  decode: (bytes: Uint8Array, key: string) => V;
  /** Encodes a value for its row. */
  encode: (value: V, key: K) => Uint8Array;
  /** Clean rows kept cached; the store's `cacheSize` when absent. */
  cacheSize?: number;
}

interface Serializable {
  serialize(): Uint8Array;
}

const serialize = (r: Serializable) => r.serialize();

function record<T>(table: string, deserialize: (b: Uint8Array) => T): (bytes: Uint8Array, key: string) => T {
  return (bytes, key) => decodeRecord(bytes, deserialize, table, key);
}

/** The five Signal tables. */
export const SIGNAL_TABLES: {
  readonly identities: HotTableSpec<string, Uint8Array>;
  readonly sessions: HotTableSpec<string, SessionRecord>;
  readonly senderKeys: HotTableSpec<string, SenderKeyRecord>;
  readonly preKeys: HotTableSpec<number, PreKeyRecord>;
  readonly signedPreKeys: HotTableSpec<number, SignedPreKeyRecord>;
} = {
  identities: {
    table: "identities",
    keyCol: "address",
    valueCol: "key",
    decode: (bytes, key) => {
      if (bytes.length !== IDENTITY_KEY_LENGTH) {
        throw new StoreError(
          "corrupt",
          `identity key: expected ${IDENTITY_KEY_LENGTH} bytes, got ${bytes.length}`,
          { table: "identities", key },
        );
      }
      return bytes;
    },
    encode: (key) => key,
  },
  sessions: {
    table: "sessions",
    keyCol: "address",
    valueCol: "record",
    decode: record("sessions", SessionRecord.deserialize),
    encode: serialize,
  },
  senderKeys: {
    table: "sender_keys",
    keyCol: "address",
    valueCol: "record",
    decode: record("sender_keys", SenderKeyRecord.deserialize),
    encode: serialize,
  },
  // Prekeys are read once each (when a PreKeySignalMessage arrives), so the clean cache stays small.
  preKeys: {
    table: "prekeys",
    keyCol: "prekey_id",
    valueCol: "record",
    decode: record("prekeys", PreKeyRecord.deserialize),
    encode: serialize,
    cacheSize: 64,
  },
  signedPreKeys: {
    table: "signed_prekeys",
    keyCol: "signed_prekey_id",
    valueCol: "record",
    decode: record("signed_prekeys", SignedPreKeyRecord.deserialize),
    encode: serialize,
    cacheSize: 16,
  },
};

/** An inbox entry as the hot table holds it. */
export interface IncomingRow {
  /** Commit order. */
  seq: number;
  /** The chat. */
  chat: string;
  /** The client's payload. */
  payload: Uint8Array;
  /** Unix seconds. */
  receivedAt: number;
}

/** The inbox table (without a backend's prefix). */
export const INCOMING = "incoming_messages";
/** The inbox table's columns after `device_id`. */
export const INCOMING_COLS = "key, seq, chat, payload, received_at";
/** Clean inbox entries kept cached. */
export const INCOMING_CACHE_SIZE = 64;
