/**
 * History sync, the pure core: a streaming decoder for the zlib-compressed `HistorySync` blobs a
 * primary phone sends a new companion, with lazily decoded conversations and a filter for what to keep.
 * No client, no store: bytes in, typed entries out, with memory bounded by the largest single entry.
 *
 * @example
 * ```ts
 * import { deflateSync } from "node:zlib";
 * import { HistorySync } from "../../proto/mod.ts";
 * import { streamHistorySync } from "./mod.ts";
 * const blob = new Uint8Array(deflateSync(HistorySync.encode({
 *   syncType: 0,
 *   conversations: [{ id: "123@g.us", messages: [{ msgOrderId: 1n, message: { messageTimestamp: 1700000000n } }] }],
 * })));
 * const since = new Date(1_600_000_000_000);
 * for await (const item of streamHistorySync(blob, { filter: { messagesSince: since } })) {
 *   if (item.kind === "conversation" && item.conversation.isGroup) {
 *     for (const m of item.conversation.messages()) console.log(m.message?.messageTimestamp); // 1700000000n
 *   }
 * }
 * ```
 *
 * @module
 */

export {
  DEFAULT_MAX_FIELD_SIZE,
  DEFAULT_MAX_INFLATED_SIZE,
  type HistorySyncFieldItem,
  type HistorySyncFields,
  type HistorySyncItem,
  type HistorySyncSource,
  type HistorySyncStreamOptions,
  type HistorySyncSummary,
  streamHistorySync,
} from "./stream.ts";
export { LazyConversation, type LazyConversationOptions } from "./lazy_conversation.ts";
export {
  type CompiledHistorySyncFilter,
  compileHistorySyncFilter,
  type HistorySyncFilter,
  type HistorySyncItemKind,
} from "./filter.ts";
export { HistorySyncError, type HistorySyncErrorCode, type HistorySyncErrorOptions } from "./errors.ts";
export { type InflateOptions, inflateZlib } from "./inflate.ts";
