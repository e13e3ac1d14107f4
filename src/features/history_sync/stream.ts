/**
 * Streaming decoder for history-sync blobs: zlib-compressed `HistorySync` protobufs that can run to
 * hundreds of megabytes. The blob is inflated as a stream and its top-level fields are scanned as they
 * arrive, so peak memory is bounded by the largest single entry (one conversation, usually kilobytes to
 * a few megabytes), not by the history.
 *
 * @module
 */

import {
  GlobalSettings,
  type HistorySyncType,
  PastParticipants,
  PhoneNumberToLidMapping,
  PROTO_MAX_DEPTH,
  ProtoDecodeError,
  Pushname,
  Reader,
  WebMessageInfo,
} from "../../proto/mod.ts";
import { ChunkReader, describeLength } from "./byte_reader.ts";
import { HistorySyncError } from "./errors.ts";
import { compileHistorySyncFilter, type HistorySyncFilter, type HistorySyncItemKind } from "./filter.ts";
import { inflateZlib } from "./inflate.ts";
import { LazyConversation } from "./lazy_conversation.ts";

/** Default bound on one top-level field (one conversation, one push name, ...): 64 MiB. */
export const DEFAULT_MAX_FIELD_SIZE: number = 64 * 1024 * 1024;
/** Default bound on the whole inflated blob: 1 GiB. Streaming keeps memory flat; this bounds the work. */
export const DEFAULT_MAX_INFLATED_SIZE: number = 1024 * 1024 * 1024;

/** Where the blob comes from: a byte stream (a download), chunks, or the whole blob in memory. */
export type HistorySyncSource =
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array>
  | Iterable<Uint8Array>
  | Uint8Array;

/** Options of {@link streamHistorySync}. */
export interface HistorySyncStreamOptions {
  /** Largest single top-level field, in bytes (default {@link DEFAULT_MAX_FIELD_SIZE}). */
  maxFieldSize?: number;
  /** Largest inflated blob, in bytes (default {@link DEFAULT_MAX_INFLATED_SIZE}). */
  maxInflatedSize?: number;
  /** False when the source is already inflated (an inline payload someone else inflated); default true. */
  compressed?: boolean;
  /** What to keep; see {@link HistorySyncFilter}. */
  filter?: HistorySyncFilter;
  /** Stops reading; the stream then throws `signal.reason`. */
  signal?: AbortSignal;
}

/** The singular top-level fields of `HistorySync`, as {@link HistorySyncFieldItem}s report them. */
export interface HistorySyncFields {
  /** Field 1: which kind of sync this chunk belongs to. */
  syncType: HistorySyncType;
  /** Field 5: the chunk's position in its sync. */
  chunkOrder: number;
  /** Field 6: percent complete. */
  progress: number;
  /** Field 8: account-wide settings (initial sync). */
  globalSettings: GlobalSettings;
  /** Field 9. */
  threadIdUserSecret: Uint8Array;
  /** Field 10. */
  threadDsTimeframeOffset: number;
  /** Field 16: stored after a sync. */
  companionMetaNonce: string;
  /** Field 17. */
  shareableChatIdentifierEncryptionKey: Uint8Array;
  /** Field 19: the NCT salt, stored after a sync. */
  nctSalt: Uint8Array;
}

/** One singular field, reported each time it appears (protobuf allows any order, and repeats: the last wins). */
export type HistorySyncFieldItem = {
  [K in keyof HistorySyncFields]: { kind: "field"; field: K; value: HistorySyncFields[K] };
}[keyof HistorySyncFields];

/** One entry of the blob, in the order it was encoded. */
export type HistorySyncItem =
  /** A `conversations` entry (field 2), not decoded. */
  | { kind: "conversation"; conversation: LazyConversation }
  /** A `pushnames` entry (field 7). */
  | { kind: "pushname"; pushname: Pushname }
  /** A `phoneNumberToLidMappings` entry (field 15). */
  | { kind: "lid_mapping"; mapping: PhoneNumberToLidMapping }
  /** A `statusV3Messages` entry (field 3). */
  | { kind: "status_message"; message: WebMessageInfo }
  /** A `pastParticipants` entry (field 12). */
  | { kind: "past_participants"; pastParticipants: PastParticipants }
  | HistorySyncFieldItem
  /**
   * A field this schema does not know (recent stickers, call logs, accounts, ...), or a `syncType` value
   * outside the enum: its raw tag and value, as `HistorySync.decode` would keep them in `$unknown`.
   */
  | { kind: "unknown"; field: number; bytes: Uint8Array };

/** What {@link streamHistorySync} returns when the blob ends. */
export interface HistorySyncSummary {
  /** The last value of each singular field that appeared (whether or not `"field"` items were wanted). */
  fields: Partial<HistorySyncFields>;
  /** Conversations yielded. */
  conversations: number;
  /** Conversations dropped by the filter. */
  conversationsSkipped: number;
  /** Messages in the conversations yielded (after the date filter). */
  messages: number;
  /** Push names yielded. */
  pushnames: number;
  /** LID mappings yielded. */
  lidMappings: number;
  /** Inflated bytes read. */
  inflatedBytes: number;
}

const TYPE = "wadeno.proto.HistorySync";
// Wire type of every field the schema declares (HistorySync in src/proto/history_sync.proto).
const KNOWN_WIRE: ReadonlyMap<number, number> = new Map([
  [1, 0],
  [2, 2],
  [3, 2],
  [5, 0],
  [6, 0],
  [7, 2],
  [8, 2],
  [9, 2],
  [10, 0],
  [12, 2],
  [15, 2],
  [16, 2],
  [17, 2],
  [19, 2],
]);
const KIND_OF_FIELD: ReadonlyMap<number, HistorySyncItemKind> = new Map([
  [2, "conversation"],
  [3, "status_message"],
  [7, "pushname"],
  [12, "past_participants"],
  [15, "lid_mapping"],
]);

/**
 * Inflates a history-sync blob as a stream and yields its top-level entries one at a time, as they
 * arrive: conversations as {@link LazyConversation}s (kept encoded), push names, LID mappings, status
 * messages and past participants decoded (they are small), singular fields (`syncType`, `chunkOrder`,
 * `progress`, ...) whenever they appear, and unknown fields raw. Returns a {@link HistorySyncSummary}.
 *
 * Nothing is read ahead of the consumer beyond about 64 KiB of input and one inflated chunk (64 KiB): a
 * slow consumer slows the download. Breaking out of the loop stops the inflate and cancels the source.
 *
 * Bounds and errors ({@link HistorySyncError}): a field declaring more than `maxFieldSize` bytes fails
 * `too_large` before anything is allocated for it; an inflated total past `maxInflatedSize` fails
 * `inflated_too_large`; data ending inside a field or a zlib stream is `truncated`; malformed protobuf is
 * `bad_protobuf`; malformed zlib is `inflate_failed`. Every loop is bounded by its input, so no input hangs.
 *
 * @example
 * ```ts
 * import { deflateSync } from "node:zlib";
 * import { HistorySync } from "../../proto/mod.ts";
 * import { streamHistorySync } from "./stream.ts";
 * const blob = new Uint8Array(deflateSync(HistorySync.encode({
 *   syncType: 3,
 *   conversations: [{ id: "15551234567@s.whatsapp.net", messages: [{ msgOrderId: 1n }] }],
 *   pushnames: [{ id: "15551234567@s.whatsapp.net", pushname: "Ann" }],
 * })));
 * for await (const item of streamHistorySync(blob)) {
 *   if (item.kind === "conversation") console.log(item.conversation.id, item.conversation.messageCount);
 *   if (item.kind === "pushname") console.log(item.pushname.pushname);
 * }
 * ```
 */
export async function* streamHistorySync(
  source: HistorySyncSource,
  options: HistorySyncStreamOptions = {},
): AsyncGenerator<HistorySyncItem, HistorySyncSummary, undefined> {
  const maxFieldSize = options.maxFieldSize ?? DEFAULT_MAX_FIELD_SIZE;
  const maxInflatedSize = options.maxInflatedSize ?? DEFAULT_MAX_INFLATED_SIZE;
  const filter = compileHistorySyncFilter(options.filter);
  const summary: HistorySyncSummary = {
    fields: {},
    conversations: 0,
    conversationsSkipped: 0,
    messages: 0,
    pushnames: 0,
    lidMappings: 0,
    inflatedBytes: 0,
  };
  if (filter.skip) {
    if (source instanceof ReadableStream) await source.cancel().catch(() => {});
    return summary;
  }
  const chunks = source instanceof Uint8Array ? [source] : source;
  const inflated = options.compressed === false
    ? bounded(chunks, maxInflatedSize, options.signal)
    : inflateZlib(chunks, { maxInflatedSize, signal: options.signal });
  const reader = new ChunkReader(inflated);
  const wantsField = filter.wants("field");
  const wantsUnknown = filter.wants("unknown");
  // Singular fields are always read: the summary reports them whatever the filter.
  const keep = (field: number) => {
    const kind = kindOf(field);
    return kind === "field" || filter.wants(kind);
  };
  try {
    for (;;) {
      const start = reader.offset;
      let field: number;
      let raw: Uint8Array | undefined;
      const whole = reader.syncField(maxFieldSize, keep);
      if (whole !== undefined) {
        field = whole.tag >>> 3;
        checkWireType(field, whole.tag & 7, start);
        raw = whole.raw;
      } else {
        if (await reader.atEnd()) break;
        ({ field, raw } = await readField(reader, maxFieldSize, keep, start));
      }
      if (raw === undefined) {
        if (field === 2) summary.conversationsSkipped++;
        continue;
      }
      const item = decodeField(raw, field, start, filter.since);
      if (item.kind === "field") {
        (summary.fields as Record<string, unknown>)[item.field] = item.value;
        if (!wantsField) continue;
      } else if (item.kind === "unknown") {
        if (!wantsUnknown) continue;
      } else if (item.kind === "conversation") {
        const predicate = filter.conversation;
        if (predicate !== undefined && !predicate(item.conversation.id)) {
          summary.conversationsSkipped++;
          continue;
        }
        summary.conversations++;
        summary.messages += item.conversation.messageCount;
      } else if (item.kind === "pushname") {
        summary.pushnames++;
      } else if (item.kind === "lid_mapping") {
        summary.lidMappings++;
      }
      yield item;
    }
  } finally {
    summary.inflatedBytes = reader.offset;
    // Stops the inflater and the source when the consumer leaves early or an error ends the loop.
    await inflated.return(undefined);
  }
  return summary;
}

function kindOf(field: number): HistorySyncItemKind {
  return KIND_OF_FIELD.get(field) ?? (KNOWN_WIRE.has(field) ? "field" : "unknown");
}

function checkWireType(field: number, wire: number, start: number): void {
  const expected = KNOWN_WIRE.get(field);
  if (expected !== undefined && wire !== expected) {
    throw malformed(`field ${field} arrived with wire type ${wire}, expected ${expected}`, start, field);
  }
}

// The general path for one top-level field: any size, any wire type, split across chunks, with every
// error diagnosed. Returns the field's bytes (tag included), or none when `keep` refuses the field.
async function readField(
  reader: ChunkReader,
  maxFieldSize: number,
  keep: (field: number) => boolean,
  start: number,
): Promise<{ field: number; raw: Uint8Array | undefined }> {
  reader.mark();
  const tag = await reader.varint();
  if (tag > 0xffffffff) {
    throw malformed(`expected a field tag, got a varint of ${describeLength(tag)}`, start);
  }
  const field = Math.floor(tag / 8);
  const wire = tag & 7;
  if (field === 0) throw malformed("field number 0 is invalid", start);
  checkWireType(field, wire, start);
  const kept = keep(field);
  switch (wire) {
    case 0:
    case 1:
    case 5:
      await skipScalar(reader, wire, field);
      break;
    case 2: {
      const lenAt = reader.offset;
      const len = await reader.varint(field);
      if (len > maxFieldSize) {
        reader.unmark();
        throw new HistorySyncError(
          "too_large",
          `expected field ${field} to be at most ${maxFieldSize} bytes, but it declares ${
            describeLength(len)
          }`,
          { offset: lenAt, field },
        );
      }
      // A refused field is stepped over without keeping its bytes.
      if (!kept) reader.unmark();
      await reader.skip(len, field);
      break;
    }
    case 3:
      await skipGroup(reader, field, 1, maxFieldSize, start);
      break;
    case 4:
      throw malformed(`unexpected end-group tag for field ${field}`, start, field);
    default:
      throw malformed(`invalid wire type ${wire} for field ${field}`, start, field);
  }
  if (!kept) {
    reader.unmark();
    return { field, raw: undefined };
  }
  return { field, raw: reader.take() };
}

// Decodes one captured top-level field (tag + value bytes, a private copy) into its item.
function decodeField(
  raw: Uint8Array,
  field: number,
  start: number,
  since: bigint | undefined,
): HistorySyncItem {
  const r = new Reader(raw, TYPE);
  try {
    r.uint32();
    switch (field) {
      case 1: {
        const v = r.int32();
        // The same range check as HistorySync.decode: other values are kept as unknown fields.
        if (v >= 0 && v <= 8) return { kind: "field", field: "syncType", value: v as HistorySyncType };
        return { kind: "unknown", field, bytes: raw };
      }
      case 2: {
        const len = r.length();
        const bytes = raw.subarray(r.pos, r.pos + len);
        return {
          kind: "conversation",
          conversation: new LazyConversation(bytes, { since, offset: start + r.pos }),
        };
      }
      case 3:
        return { kind: "status_message", message: r.message(WebMessageInfo.read, 0) };
      case 5:
        return { kind: "field", field: "chunkOrder", value: r.uint32() };
      case 6:
        return { kind: "field", field: "progress", value: r.uint32() };
      case 7:
        return { kind: "pushname", pushname: r.message(Pushname.read, 0) };
      case 8:
        return { kind: "field", field: "globalSettings", value: r.message(GlobalSettings.read, 0) };
      case 9:
        return { kind: "field", field: "threadIdUserSecret", value: r.bytes() };
      case 10:
        return { kind: "field", field: "threadDsTimeframeOffset", value: r.uint32() };
      case 12:
        return { kind: "past_participants", pastParticipants: r.message(PastParticipants.read, 0) };
      case 15:
        return { kind: "lid_mapping", mapping: r.message(PhoneNumberToLidMapping.read, 0) };
      case 16:
        return { kind: "field", field: "companionMetaNonce", value: r.string() };
      case 17:
        return { kind: "field", field: "shareableChatIdentifierEncryptionKey", value: r.bytes() };
      case 19:
        return { kind: "field", field: "nctSalt", value: r.bytes() };
      default:
        return { kind: "unknown", field, bytes: raw };
    }
  } catch (error) {
    if (error instanceof ProtoDecodeError) {
      throw new HistorySyncError(
        "bad_protobuf",
        `expected a valid HistorySync field ${field}: ${error.message}`,
        {
          offset: start + error.offset,
          field,
          cause: error,
        },
      );
    }
    throw error;
  }
}

// Steps over a (proto2) group whose start tag was read, keeping its bytes in the open capture.
async function skipGroup(
  reader: ChunkReader,
  field: number,
  depth: number,
  maxFieldSize: number,
  start: number,
): Promise<void> {
  if (depth > PROTO_MAX_DEPTH) throw malformed(`groups nested deeper than ${PROTO_MAX_DEPTH}`, start, field);
  for (;;) {
    if (reader.marked > maxFieldSize) throw groupTooLarge(field, maxFieldSize, start);
    const at = reader.offset;
    if (await reader.atEnd()) {
      throw new HistorySyncError("truncated", `expected the end of group ${field}, but the data ended`, {
        offset: at,
        field,
      });
    }
    const tag = await reader.varint(field);
    const inner = Math.floor(tag / 8);
    if (tag > 0xffffffff || inner === 0) throw malformed("expected a field tag inside a group", at, field);
    switch (tag & 7) {
      case 0:
      case 1:
      case 5:
        await skipScalar(reader, tag & 7, field);
        break;
      case 2: {
        const len = await reader.varint(field);
        if (reader.marked + len > maxFieldSize) throw groupTooLarge(field, maxFieldSize, at);
        await reader.skip(len, field);
        break;
      }
      case 3:
        await skipGroup(reader, inner, depth + 1, maxFieldSize, at);
        break;
      case 4:
        if (inner !== field) {
          throw malformed(`group ${field} closed by the end-group tag of ${inner}`, at, field);
        }
        return;
      default:
        throw malformed(`invalid wire type ${tag & 7} inside group ${field}`, at, field);
    }
  }
}

// Steps over a varint (wire type 0), fixed64 (1) or fixed32 (5) value of `field`.
async function skipScalar(reader: ChunkReader, wire: number, field: number): Promise<void> {
  if (wire === 0) await reader.varint(field);
  else await reader.skip(wire === 1 ? 8 : 4, field);
}

function groupTooLarge(field: number, maxFieldSize: number, offset: number): HistorySyncError {
  return new HistorySyncError("too_large", `expected group ${field} to be at most ${maxFieldSize} bytes`, {
    offset,
    field,
  });
}

// Passes already-inflated chunks through, enforcing the same total bound, and the abort signal even while
// the source is stalled.
async function* bounded(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  max: number,
  signal: AbortSignal | undefined,
): AsyncGenerator<Uint8Array, void, undefined> {
  signal?.throwIfAborted();
  const iterator = Symbol.asyncIterator in chunks
    ? chunks[Symbol.asyncIterator]()
    : (chunks as Iterable<Uint8Array>)[Symbol.iterator]();
  let total = 0;
  let finished = false;
  let pending = false;
  try {
    for (;;) {
      pending = true;
      const step = await nextOrAbort(iterator, signal);
      pending = false;
      if (step.done) {
        finished = true;
        return;
      }
      total += step.value.length;
      if (total > max) {
        throw new HistorySyncError(
          "inflated_too_large",
          `expected at most ${max} bytes, but the data has more`,
          {
            offset: max,
          },
        );
      }
      yield step.value;
    }
  } finally {
    if (!finished) {
      // A pending read would hold return() until it settles: then close without waiting.
      const closing = Promise.resolve(iterator.return?.()).catch(() => {});
      if (!pending) await closing;
    }
  }
}

function nextOrAbort<T>(
  iterator: AsyncIterator<T> | Iterator<T>,
  signal: AbortSignal | undefined,
): Promise<IteratorResult<T>> {
  const next = Promise.resolve(iterator.next());
  if (signal === undefined) return next;
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    next.then(
      (step) => (signal.removeEventListener("abort", onAbort), resolve(step)),
      (error) => (signal.removeEventListener("abort", onAbort), reject(error)),
    );
  });
}

function malformed(what: string, offset: number, field?: number): HistorySyncError {
  return new HistorySyncError("bad_protobuf", what, { offset, field });
}
