/**
 * Reading typed values out of SQLite rows. A column whose type or content is wrong (a TEXT where a BLOB
 * belongs, a blob that does not decode) is a corrupt row: it fails with `StoreError` kind `corrupt` naming
 * the table and key, never a silent default.
 *
 * @module
 */

import { StoreError } from "./errors.ts";
import type { SQLOutput } from "./sqlite_db.ts";
import type { DeviceListEntry } from "./types.ts";

type Row = Record<string, SQLOutput>;

function corrupt(table: string, key: string, message: string, cause?: unknown): StoreError {
  return new StoreError("corrupt", message, { table, key, cause });
}

/** A BLOB column. */
export function blobCol(row: Row, col: string, table: string, key: string): Uint8Array {
  const v = row[col];
  if (!(v instanceof Uint8Array)) {
    throw corrupt(table, key, `column ${col}: expected a BLOB, got ${typeOf(v)}`);
  }
  return v;
}

/** A BLOB column of an exact length. */
export function blobColOf(row: Row, col: string, length: number, table: string, key: string): Uint8Array {
  const v = blobCol(row, col, table, key);
  if (v.length !== length) {
    throw corrupt(table, key, `column ${col}: expected ${length} bytes, got ${v.length}`);
  }
  return v;
}

/** An INTEGER column (a safe integer). */
export function intCol(row: Row, col: string, table: string, key: string): number {
  const v = row[col];
  if (typeof v !== "number" || !Number.isSafeInteger(v)) {
    throw corrupt(table, key, `column ${col}: expected an INTEGER, got ${typeOf(v)}`);
  }
  return v;
}

/** A TEXT column. */
export function textCol(row: Row, col: string, table: string, key: string): string {
  const v = row[col];
  if (typeof v !== "string") throw corrupt(table, key, `column ${col}: expected TEXT, got ${typeOf(v)}`);
  return v;
}

/** A nullable INTEGER column. */
export function optIntCol(row: Row, col: string, table: string, key: string): number | undefined {
  return row[col] === null ? undefined : intCol(row, col, table, key);
}

/** A nullable TEXT column. */
export function optTextCol(row: Row, col: string, table: string, key: string): string | undefined {
  return row[col] === null ? undefined : textCol(row, col, table, key);
}

function typeOf(v: unknown): string {
  if (v === null) return "NULL";
  if (v instanceof Uint8Array) return `a BLOB of ${v.length} bytes`;
  if (typeof v === "string") return "TEXT";
  if (typeof v === "number" || typeof v === "bigint") return Number.isInteger(Number(v)) ? "INTEGER" : "REAL";
  return typeof v;
}

/**
 * Decodes a record blob with the signal layer's `deserialize`; its failure becomes `corrupt` naming the
 * row.
 */
export function decodeRecord<T>(
  bytes: Uint8Array,
  deserialize: (b: Uint8Array) => T,
  table: string,
  key: string,
): T {
  try {
    return deserialize(bytes);
  } catch (e) {
    throw corrupt(table, key, `stored record does not deserialize: ${e instanceof Error ? e.message : e}`, e);
  }
}

/** Encodes a device list's devices as compact JSON bytes: `[[deviceId, keyIndex?], ...]`. */
export function encodeDeviceEntries(devices: readonly DeviceListEntry[]): Uint8Array {
  const tuples = devices.map((d) => d.keyIndex === undefined ? [d.deviceId] : [d.deviceId, d.keyIndex]);
  return new TextEncoder().encode(JSON.stringify(tuples));
}

/** Decodes {@linkcode encodeDeviceEntries} output, checking every entry. */
export function decodeDeviceEntries(bytes: Uint8Array, table: string, key: string): DeviceListEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (e) {
    throw corrupt(table, key, "device list is not valid UTF-8 JSON", e);
  }
  if (!Array.isArray(parsed)) throw corrupt(table, key, "device list: expected a JSON array");
  const isId = (v: unknown, max: number) =>
    typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= max;
  return parsed.map((t: unknown) => {
    if (!Array.isArray(t) || t.length < 1 || t.length > 2 || !isId(t[0], 0xffff)) {
      throw corrupt(table, key, `device list: bad entry ${JSON.stringify(t)}`);
    }
    if (t.length === 1) return { deviceId: t[0] };
    if (!isId(t[1], 0xffffffff)) {
      throw corrupt(table, key, `device list: bad key index ${JSON.stringify(t[1])}`);
    }
    return { deviceId: t[0], keyIndex: t[1] };
  });
}
