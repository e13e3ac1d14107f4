/**
 * What a client keeps of the history its phone sends (`ClientOptions.history`), how that is announced to
 * the phone at pairing (`DeviceProps.requireFullSync` and `historySyncConfig`), and the decoder filter it
 * becomes for each chunk.
 *
 * @module
 */

import type { HistorySyncConfig } from "../../proto/mod.ts";
import type { HistorySyncKind } from "./events.ts";
import type { HistorySyncFilter } from "./filter.ts";
import { DEFAULT_STALL_TIMEOUT_MS } from "./stall.ts";
import { DEFAULT_MAX_FIELD_SIZE, DEFAULT_MAX_INFLATED_SIZE } from "./stream.ts";

/**
 * History-sync options. By default everything the phone sends is delivered.
 *
 * @example
 * ```ts
 * import type { HistorySyncOptions } from "./options.ts";
 * // A bot that only answers new messages.
 * const skip: HistorySyncOptions = { skip: true };
 * // Only group chats, only the last week.
 * const some: HistorySyncOptions = { days: 7, conversation: (id) => id.endsWith("@g.us") };
 * ```
 */
export interface HistorySyncOptions {
  /**
   * Skip history entirely: nothing is downloaded or decoded, the receipts the phone expects are still
   * sent, each chunk is reported as `skipped`, and the phone is asked at pairing for as little as it
   * offers (no full sync, one-day limits).
   */
  skip?: boolean;
  /** Only these kinds of chunk are read (others are skipped as above); default every kind. */
  syncTypes?: readonly HistorySyncKind[];
  /** Keep a conversation only when this returns true for its id (the chat JID). */
  conversation?: (id: string) => boolean;
  /**
   * Keep only messages of the last `days` days (counted when each chunk arrives); also asks the phone
   * at pairing to send no more than that.
   */
  days?: number;
  /** Keep only messages sent at or after this time (combined with `days`, the later bound wins). */
  messagesSince?: Date;
  /** Ask the phone at pairing for its full history instead of the recent part (default false). */
  fullSync?: boolean;
  /** Emit `joinedGroup` (with `fromHistory: true`) for each group conversation (default true). */
  joinedGroupEvents?: boolean;
  /** Largest download, in bytes (default 1 GiB). */
  maxDownloadBytes?: number;
  /** Largest inflated chunk, in bytes (default 1 GiB). */
  maxInflatedSize?: number;
  /** Largest single entry (one conversation), in bytes (default 64 MiB). */
  maxFieldSize?: number;
  /**
   * How long a download may send nothing before the chunk fails with `stalled` (default 120 s). Time the
   * listeners spend on what arrived does not count.
   */
  stallTimeoutMs?: number;
}

/** Default of `maxDownloadBytes`. */
export const DEFAULT_MAX_HISTORY_DOWNLOAD = 1024 * 1024 * 1024;

/** The options checked, with their defaults. */
export interface ResolvedHistoryOptions {
  /** See {@link HistorySyncOptions.skip}. */
  skip: boolean;
  /** Kinds read; `undefined` for all. */
  syncTypes: ReadonlySet<HistorySyncKind> | undefined;
  /** See {@link HistorySyncOptions.conversation}. */
  conversation: ((id: string) => boolean) | undefined;
  /** See {@link HistorySyncOptions.days}. */
  days: number | undefined;
  /** See {@link HistorySyncOptions.messagesSince}. */
  messagesSince: Date | undefined;
  /** See {@link HistorySyncOptions.joinedGroupEvents}. */
  joinedGroupEvents: boolean;
  /** Bounds. */
  maxDownloadBytes: number;
  /** Bounds. */
  maxInflatedSize: number;
  /** Bounds. */
  maxFieldSize: number;
  /** See {@link HistorySyncOptions.stallTimeoutMs}. */
  stallTimeoutMs: number;
}

/**
 * Checks history options; throws a `TypeError` naming the option that is wrong.
 *
 * @example
 * ```ts
 * import { resolveHistoryOptions } from "./options.ts";
 * console.log(resolveHistoryOptions({ days: 7 }).days); // 7
 * ```
 */
export function resolveHistoryOptions(options: HistorySyncOptions = {}): ResolvedHistoryOptions {
  const { days, messagesSince, conversation } = options;
  if (days !== undefined && !(Number.isFinite(days) && days > 0)) {
    throw new TypeError(`history.days: expected a positive number of days, got ${days}`);
  }
  if (
    messagesSince !== undefined &&
    !(messagesSince instanceof Date && Number.isFinite(messagesSince.getTime()))
  ) {
    throw new TypeError(`history.messagesSince: expected a valid Date, got ${messagesSince}`);
  }
  if (conversation !== undefined && typeof conversation !== "function") {
    throw new TypeError(`history.conversation: expected a function, got ${typeof conversation}`);
  }
  return {
    skip: options.skip === true,
    syncTypes: options.syncTypes === undefined ? undefined : new Set(options.syncTypes),
    conversation,
    days,
    messagesSince,
    joinedGroupEvents: options.joinedGroupEvents ?? true,
    maxDownloadBytes: positive(options.maxDownloadBytes, DEFAULT_MAX_HISTORY_DOWNLOAD, "maxDownloadBytes"),
    maxInflatedSize: positive(options.maxInflatedSize, DEFAULT_MAX_INFLATED_SIZE, "maxInflatedSize"),
    maxFieldSize: positive(options.maxFieldSize, DEFAULT_MAX_FIELD_SIZE, "maxFieldSize"),
    stallTimeoutMs: positive(
      options.stallTimeoutMs,
      DEFAULT_STALL_TIMEOUT_MS,
      "stallTimeoutMs",
      "milliseconds",
    ),
  };
}

function positive(value: number | undefined, fallback: number, name: string, unit = "bytes"): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new TypeError(`history.${name}: expected a positive whole number of ${unit}, got ${value}`);
  }
  return value;
}

/** Why a chunk of this kind is not read, or `undefined` when it is. */
export function skipReason(options: ResolvedHistoryOptions, kind: HistorySyncKind): string | undefined {
  if (options.skip) return "history sync is skipped (history.skip)";
  if (options.syncTypes !== undefined && !options.syncTypes.has(kind)) {
    return `${kind} chunks are not wanted (history.syncTypes)`;
  }
  return undefined;
}

/** The decoder filter for one chunk, with `days` counted from `now` (ms). */
export function chunkFilter(options: ResolvedHistoryOptions, now: number): HistorySyncFilter {
  let since = options.messagesSince?.getTime();
  if (options.days !== undefined) {
    const fromDays = now - options.days * 86_400_000;
    since = since === undefined ? fromDays : Math.max(since, fromDays);
  }
  const filter: HistorySyncFilter = {
    kinds: ["conversation", "pushname", "lid_mapping", "status_message", "past_participants"],
  };
  if (options.conversation !== undefined) filter.conversation = options.conversation;
  if (since !== undefined) filter.messagesSince = new Date(since);
  return filter;
}

/**
 * What the options ask of the phone at pairing: `requireFullSync` and limits in `historySyncConfig`
 * (merged over the client's defaults). Skipping asks for no full sync and one-day limits; the phone may
 * still send its bootstrap chunk, which is then acknowledged and dropped. Which limits phones honour is
 * not documented (unverified).
 *
 * @example
 * ```ts
 * import { historyDeviceProps } from "./options.ts";
 * console.log(historyDeviceProps({ days: 30 }).historySyncConfig?.fullSyncDaysLimit); // 30
 * ```
 */
export function historyDeviceProps(
  options: HistorySyncOptions = {},
): { requireFullSync?: boolean; historySyncConfig?: HistorySyncConfig } {
  if (options.skip) {
    return { requireFullSync: false, historySyncConfig: { fullSyncDaysLimit: 1, recentSyncDaysLimit: 1 } };
  }
  const out: { requireFullSync?: boolean; historySyncConfig?: HistorySyncConfig } = {};
  if (options.fullSync !== undefined) out.requireFullSync = options.fullSync;
  if (options.days !== undefined && Number.isFinite(options.days) && options.days > 0) {
    const days = Math.ceil(options.days);
    out.historySyncConfig = { fullSyncDaysLimit: days, recentSyncDaysLimit: days };
  }
  return out;
}
