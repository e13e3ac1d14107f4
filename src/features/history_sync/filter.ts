/**
 * What a bot keeps from a history sync, applied while the blob streams by.
 *
 * @module
 */

/** The kinds of item {@link streamHistorySync} yields (see {@link HistorySyncItem}). */
export type HistorySyncItemKind =
  | "conversation"
  | "pushname"
  | "lid_mapping"
  | "status_message"
  | "past_participants"
  | "field"
  | "unknown";

/**
 * What to keep from a history sync. Everything is kept when a property is absent.
 *
 * @example
 * ```ts
 * import type { HistorySyncFilter } from "./filter.ts";
 * // Only group chats, only the last day of messages, and the push names; nothing else.
 * const filter: HistorySyncFilter = {
 *   kinds: ["conversation", "pushname"],
 *   conversation: (id) => id.endsWith("@g.us"),
 *   messagesSince: new Date(Date.now() - 86_400_000),
 * };
 * ```
 */
export interface HistorySyncFilter {
  /** Skip the history entirely: read nothing (a stream source is cancelled) and yield nothing. */
  skip?: boolean;
  /**
   * Item kinds to yield. Entries of other kinds are stepped over without being copied or decoded, so
   * leaving out `"conversation"` makes the sync cost little more than its inflate.
   */
  kinds?: readonly HistorySyncItemKind[];
  /** Keep a conversation only when this returns true for its id (the chat JID; `""` when absent). */
  conversation?: (id: string) => boolean;
  /**
   * Keep only messages sent at or after this time (by `WebMessageInfo.messageTimestamp`, whole seconds;
   * a message without a timestamp is dropped). Conversations are still yielded, with the rest of their
   * messages hidden from `messageCount`, `messages()` and `decode()`.
   */
  messagesSince?: Date;
}

/** A {@link HistorySyncFilter} checked and reduced to what the decoder tests per entry. */
export interface CompiledHistorySyncFilter {
  /** True when nothing is to be read at all. */
  readonly skip: boolean;
  /** Whether items of `kind` are yielded. */
  wants(kind: HistorySyncItemKind): boolean;
  /** Predicate on conversation ids, when one was given. */
  readonly conversation: ((id: string) => boolean) | undefined;
  /** Lowest message timestamp kept (unix seconds), when `messagesSince` was given. */
  readonly since: bigint | undefined;
}

/**
 * Checks a filter and compiles it. Throws a `TypeError` for a `messagesSince` that is not a valid
 * `Date`, or a `kinds` entry that is not an item kind.
 *
 * @example
 * ```ts
 * import { compileHistorySyncFilter } from "./filter.ts";
 * const f = compileHistorySyncFilter({ kinds: ["pushname"], messagesSince: new Date(1_700_000_000_500) });
 * console.log(f.wants("conversation"), f.since); // false 1700000001n
 * ```
 */
export function compileHistorySyncFilter(filter: HistorySyncFilter = {}): CompiledHistorySyncFilter {
  const { kinds, messagesSince, conversation } = filter;
  let wanted: ReadonlySet<HistorySyncItemKind> | undefined;
  if (kinds !== undefined) {
    for (const kind of kinds) {
      if (!ITEM_KINDS.has(kind)) {
        throw new TypeError(`expected kinds from ${[...ITEM_KINDS].join(", ")}, got ${String(kind)}`);
      }
    }
    wanted = new Set(kinds);
  }
  let since: bigint | undefined;
  if (messagesSince !== undefined) {
    const ms = messagesSince instanceof Date ? messagesSince.getTime() : NaN;
    if (!Number.isFinite(ms)) {
      throw new TypeError(`expected messagesSince to be a valid Date, got ${messagesSince}`);
    }
    // Timestamps are whole seconds: a message at second s is kept when s*1000 >= ms.
    since = BigInt(Math.ceil(ms / 1000));
  }
  return {
    skip: filter.skip === true,
    wants: wanted === undefined ? () => true : (kind) => wanted.has(kind),
    conversation,
    since,
  };
}

const ITEM_KINDS: ReadonlySet<string> = new Set<HistorySyncItemKind>([
  "conversation",
  "pushname",
  "lid_mapping",
  "status_message",
  "past_participants",
  "field",
  "unknown",
]);
