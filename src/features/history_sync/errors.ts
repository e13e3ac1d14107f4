/**
 * The one error class of the history-sync decoder.
 *
 * @module
 */

/**
 * Why a history-sync blob was refused.
 *
 * - `too_large`: one field declares more bytes than `maxFieldSize` allows (checked before anything is
 *   allocated for it).
 * - `inflated_too_large`: the inflated history passes `maxInflatedSize` (a decompression bomb, or a limit
 *   set too low).
 * - `truncated`: the data ends inside a field, or the zlib stream ends before its trailer.
 * - `bad_protobuf`: the inflated bytes are not a valid `HistorySync` encoding (bad varint, bad wire type,
 *   a length beyond its parent, an undecodable entry).
 * - `inflate_failed`: the bytes are not a valid zlib stream (bad header, corrupt data, bad checksum).
 * - `timeout`: the phone did not answer an on-demand history request in time.
 * - `no_payload`: a notification names neither an inline payload nor a blob to download.
 * - `stalled`: the history blob's download sent nothing for too long.
 */
export type HistorySyncErrorCode =
  | "too_large"
  | "inflated_too_large"
  | "truncated"
  | "bad_protobuf"
  | "inflate_failed"
  | "timeout"
  | "no_payload"
  | "stalled";

/** Extra data carried by a {@link HistorySyncError}. */
export interface HistorySyncErrorOptions extends ErrorOptions {
  /** Offset in the inflated bytes where the problem starts, when known. */
  offset?: number;
  /** Top-level `HistorySync` field number being read, when known. */
  field?: number;
}

/**
 * Thrown (from the stream, or from a lazy entry's decode) when a history-sync blob cannot be read.
 * Branch on {@link HistorySyncError.code}.
 *
 * @example
 * ```ts
 * import { HistorySyncError, streamHistorySync } from "./mod.ts";
 * try {
 *   for await (const item of streamHistorySync(new Uint8Array([1, 2, 3]))) console.log(item.kind);
 * } catch (e) {
 *   if (e instanceof HistorySyncError) console.log(e.code); // "inflate_failed"
 * }
 * ```
 */
export class HistorySyncError extends Error {
  /** Machine-readable reason, stable across releases. */
  readonly code: HistorySyncErrorCode;
  /** Offset in the inflated bytes where the problem starts, when known. */
  readonly offset: number | undefined;
  /** Top-level `HistorySync` field number being read, when known. */
  readonly field: number | undefined;

  /**
   * Creates the error; `name` is always "HistorySyncError".
   *
   * @param code machine-readable reason
   * @param message what was expected and what came
   * @param options the inflated offset, the field number and a `cause`
   */
  constructor(code: HistorySyncErrorCode, message: string, options?: HistorySyncErrorOptions) {
    const where = options?.offset === undefined ? "" : ` (at inflated byte ${options.offset})`;
    super(message + where, options);
    this.name = "HistorySyncError";
    this.code = code;
    this.offset = options?.offset;
    this.field = options?.field;
  }
}
