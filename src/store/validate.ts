/**
 * Argument checks shared by both backends, so that bad input is rejected the same way, before anything is
 * changed, with a `StoreError` of kind `invalid_input` naming the table and the argument.
 *
 * @module
 */

import { SenderKeyRecord, SessionRecord } from "../signal/mod.ts";
import { StoreError } from "./errors.ts";
import {
  type AppStateMutationMac,
  type AppStateSyncKey,
  type DeviceListRecord,
  type HashState,
  type IncomingMessageRecord,
  type LidPnMappingEntry,
  LTHASH_LENGTH,
  MUTATION_MAC_LENGTH,
  type SignalWriteBatch,
  type TcTokenEntry,
} from "./types.ts";

/** The longest key string (address, JID, message id, collection name) the store accepts. */
export const MAX_KEY_LENGTH = 1024;
/** The largest blob (record, payload, token) the store accepts: 16 MiB. */
export const MAX_BLOB_LENGTH = 16 * 1024 * 1024;
/** Largest 32-bit unsigned id (prekey and signed prekey ids). */
export const MAX_UINT32 = 0xffff_ffff;

function describe(value: unknown): string {
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (typeof value === "string") return `a string of length ${value.length}`;
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return typeof value === "number" ? String(value) : typeof value;
}

function invalid(table: string, what: string, expected: string, got: unknown): StoreError {
  return new StoreError("invalid_input", `${what}: expected ${expected}, got ${describe(got)}`, { table });
}

/** A non-empty string of at most {@linkcode MAX_KEY_LENGTH} characters. */
export function checkKey(table: string, what: string, value: unknown): string {
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_KEY_LENGTH) {
    throw invalid(table, what, `a non-empty string of at most ${MAX_KEY_LENGTH} characters`, value);
  }
  return value;
}

/** A string (possibly empty) of at most {@linkcode MAX_KEY_LENGTH} characters. */
export function checkText(table: string, what: string, value: unknown): string {
  if (typeof value !== "string" || value.length > MAX_KEY_LENGTH) {
    throw invalid(table, what, `a string of at most ${MAX_KEY_LENGTH} characters`, value);
  }
  return value;
}

/** An integer in `min..max`. */
export function checkInt(table: string, what: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(table, what, `an integer in ${min}..${max}`, value);
  }
  return value;
}

/** A timestamp: a safe integer >= 0. */
export function checkTimestamp(table: string, what: string, value: unknown): number {
  return checkInt(table, what, value, 0, Number.MAX_SAFE_INTEGER);
}

/** A cutoff for expiry sweeps: any safe integer (a negative cutoff simply matches nothing). */
export function checkCutoff(table: string, value: unknown): number {
  return checkInt(table, "cutoff", value, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
}

/** A 32-bit unsigned id. */
export function checkId(table: string, what: string, value: unknown): number {
  return checkInt(table, what, value, 0, MAX_UINT32);
}

/** Bytes of an exact length, or (without `length`) 1..{@linkcode MAX_BLOB_LENGTH} bytes. */
export function checkBytes(table: string, what: string, value: unknown, length?: number): Uint8Array {
  if (!(value instanceof Uint8Array)) throw invalid(table, what, "a Uint8Array", value);
  if (length !== undefined ? value.length !== length : value.length === 0 || value.length > MAX_BLOB_LENGTH) {
    throw invalid(
      table,
      what,
      length !== undefined ? `${length} bytes` : `1..${MAX_BLOB_LENGTH} bytes`,
      value,
    );
  }
  return value;
}

/** Bytes of any length up to {@linkcode MAX_BLOB_LENGTH}, including empty. */
export function checkBlob(table: string, what: string, value: unknown): Uint8Array {
  if (!(value instanceof Uint8Array) || value.length > MAX_BLOB_LENGTH) {
    throw invalid(table, what, `a Uint8Array of at most ${MAX_BLOB_LENGTH} bytes`, value);
  }
  return value;
}

type RecordClass = abstract new (...args: never[]) => unknown;

/** An instance of the signal layer's record class `cls` (`SessionRecord`, `PreKeyRecord`, ...); returns it. */
export function checkRecord<T>(table: string, value: T, cls: RecordClass): T {
  if (!(value instanceof cls)) {
    throw new StoreError("invalid_input", `record: expected a ${cls.name}, got ${typeof value}`, { table });
  }
  return value;
}

/** An array whose every element passes `check`; returns it. */
export function checkArray<T>(table: string, what: string, value: unknown, check: (item: unknown) => T): T[] {
  if (!Array.isArray(value)) throw invalid(table, what, "an array", value);
  for (const item of value) check(item);
  return value as T[];
}

function checkObject(table: string, what: string, value: unknown): Record<string, unknown> {
  if (typeof value !== "object" || value === null) throw invalid(table, what, "an object", value);
  return value as Record<string, unknown>;
}

/** An {@linkcode AppStateSyncKey}. */
export function checkSyncKey(value: unknown): AppStateSyncKey {
  const t = "app_state_sync_keys";
  const key = checkObject(t, "sync key", value);
  checkBytes(t, "keyData", key.keyData);
  checkBlob(t, "fingerprint", key.fingerprint);
  checkTimestamp(t, "timestamp", key.timestamp);
  return key as unknown as AppStateSyncKey;
}

/** A {@linkcode HashState} with a 128-byte hash. */
export function checkHashState(value: unknown): HashState {
  const t = "app_state_versions";
  const state = checkObject(t, "hash state", value);
  checkTimestamp(t, "version", state.version);
  checkBytes(t, "hash", state.hash, LTHASH_LENGTH);
  return state as unknown as HashState;
}

/** An {@linkcode AppStateMutationMac} with 32-byte MACs. */
export function checkMutationMac(value: unknown): AppStateMutationMac {
  const t = "app_state_mutation_macs";
  const mac = checkObject(t, "mutation MAC", value);
  checkBytes(t, "indexMac", mac.indexMac, MUTATION_MAC_LENGTH);
  checkBytes(t, "valueMac", mac.valueMac, MUTATION_MAC_LENGTH);
  return mac as unknown as AppStateMutationMac;
}

/** A {@linkcode LidPnMappingEntry}. */
export function checkLidMapping(value: unknown): LidPnMappingEntry {
  const t = "lid_pn_mappings";
  const e = checkObject(t, "mapping", value);
  checkKey(t, "lid", e.lid);
  checkKey(t, "phoneNumber", e.phoneNumber);
  checkTimestamp(t, "createdAt", e.createdAt);
  checkTimestamp(t, "updatedAt", e.updatedAt);
  checkText(t, "learningSource", e.learningSource);
  return e as unknown as LidPnMappingEntry;
}

/** A {@linkcode DeviceListRecord}. */
export function checkDeviceList(value: unknown): DeviceListRecord {
  const t = "device_lists";
  const r = checkObject(t, "device list", value);
  checkKey(t, "user", r.user);
  checkTimestamp(t, "timestamp", r.timestamp);
  if (r.phash !== undefined) checkText(t, "phash", r.phash);
  checkArray(t, "devices", r.devices, (d) => {
    const dev = checkObject(t, "device", d);
    checkInt(t, "deviceId", dev.deviceId, 0, 0xffff);
    if (dev.keyIndex !== undefined) checkId(t, "keyIndex", dev.keyIndex);
    return dev;
  });
  return r as unknown as DeviceListRecord;
}

/** A {@linkcode TcTokenEntry}. */
export function checkTcToken(value: unknown): TcTokenEntry {
  const t = "tc_tokens";
  const e = checkObject(t, "tc token", value);
  checkBytes(t, "token", e.token);
  checkTimestamp(t, "tokenTimestamp", e.tokenTimestamp);
  if (e.senderTimestamp !== undefined) checkTimestamp(t, "senderTimestamp", e.senderTimestamp);
  return e as unknown as TcTokenEntry;
}

/** A checked inbox commit: the record's fields and the writes as plain arrays. */
export interface CheckedIncoming {
  /** The entry's key. */
  key: string;
  /** The entry's chat. */
  chat: string;
  /** The payload (the caller's bytes; copy before keeping). */
  payload: Uint8Array;
  /** Sessions to store or delete. */
  sessions: Array<readonly [string, SessionRecord | null]>;
  /** Identity keys to store. */
  identities: Array<readonly [string, Uint8Array]>;
  /** Prekeys to remove. */
  removedPreKeys: number[];
  /** Sender keys to store. */
  senderKeys: Array<readonly [string, SenderKeyRecord]>;
}

const INCOMING = "incoming_messages";

/** Checks an `InboxStore.commitIncoming` call before anything is applied. */
export function checkIncoming(
  record: Omit<IncomingMessageRecord, "receivedAt">,
  writes: SignalWriteBatch,
): CheckedIncoming {
  if (record === null || typeof record !== "object") throw invalid(INCOMING, "record", "an object", record);
  if (writes === null || typeof writes !== "object") throw invalid(INCOMING, "writes", "an object", writes);
  const pair = <T>(table: string, what: string, check: (v: unknown) => T) => (item: unknown) => {
    if (!Array.isArray(item) || item.length !== 2) {
      throw invalid(table, what, "an [address, value] pair", item);
    }
    return [checkKey(table, `${what} address`, item[0]), check(item[1])] as const;
  };
  return {
    key: checkKey(INCOMING, "key", record.key),
    chat: checkKey(INCOMING, "chat", record.chat),
    payload: checkBlob(INCOMING, "payload", record.payload),
    sessions: checkArray(
      "sessions",
      "sessions",
      writes.sessions ?? [],
      pair("sessions", "session", (v) => {
        if (v !== null && !(v instanceof SessionRecord)) {
          throw invalid("sessions", "record", "a SessionRecord", v);
        }
        return v as SessionRecord | null;
      }),
    ),
    identities: checkArray(
      "identities",
      "identities",
      writes.identities ?? [],
      pair("identities", "identity", (v) => checkBytes("identities", "identityKey", v, 32)),
    ),
    removedPreKeys: checkArray(
      "prekeys",
      "removedPreKeys",
      writes.removedPreKeys ?? [],
      (v) => checkId("prekeys", "id", v),
    ),
    senderKeys: checkArray(
      "sender_keys",
      "senderKeys",
      writes.senderKeys ?? [],
      pair("sender_keys", "sender key", (v) => {
        if (!(v instanceof SenderKeyRecord)) throw invalid("sender_keys", "record", "a SenderKeyRecord", v);
        return v;
      }),
    ),
  };
}
