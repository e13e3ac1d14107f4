/**
 * The first bytes of an upload source, for sniffing its mimetype and image dimensions before it is
 * encrypted, without losing them: a one-shot stream comes back as a new stream that yields the bytes
 * read first and then the rest; bytes, files and re-openable sources are read again from the start.
 *
 * @module
 */

import { MediaError } from "./errors.ts";
import type { MediaSource } from "./media_stream.ts";

/** How many leading bytes are read: enough for every header sniff.ts reads (JPEG's SOF after Exif). */
export const HEAD_BYTES = 64 * 1024;

/** An upload source (as `prepareUpload` takes it) and its first bytes. */
export interface SourceHead {
  /** Up to `max` leading bytes (fewer for a shorter source). */
  head: Uint8Array;
  /** The source to upload: the same one, or, for a one-shot stream, one that replays the head. */
  source: MediaSource | (() => MediaSource);
}

function isFile(source: MediaSource): source is { path: string | URL } {
  return typeof source === "object" && source !== null && "path" in source &&
    !(source instanceof Uint8Array) && !(source instanceof ReadableStream);
}

async function fileHead(path: string | URL, max: number): Promise<Uint8Array> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (cause) {
    throw new MediaError("bad_input", `cannot open media file ${String(path)}`, { cause });
  }
  try {
    const buffer = new Uint8Array(max);
    let filled = 0;
    while (filled < max) {
      const n = await file.read(buffer.subarray(filled));
      if (n === null) break;
      filled += n;
    }
    return buffer.subarray(0, filled);
  } finally {
    file.close();
  }
}

function concat(parts: Uint8Array[], max: number): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(Math.min(length, max));
  let offset = 0;
  for (const part of parts) {
    if (offset >= out.length) break;
    const take = part.subarray(0, out.length - offset);
    out.set(take, offset);
    offset += take.length;
  }
  return out;
}

/** Reads chunks until `max` bytes; returns them and the reader positioned after them. */
async function streamHead(
  stream: ReadableStream<Uint8Array>,
  max: number,
): Promise<{ parts: Uint8Array[]; rest: ReadableStreamDefaultReader<Uint8Array>; done: boolean }> {
  const reader = stream.getReader();
  const parts: Uint8Array[] = [];
  let length = 0;
  while (length < max) {
    const { done, value } = await reader.read();
    if (done) return { parts, rest: reader, done: true };
    // Copied: a source may reuse its buffer for the next chunk.
    parts.push(value.slice());
    length += value.length;
  }
  return { parts, rest: reader, done: false };
}

function replay(parts: Uint8Array[], rest: ReadableStreamDefaultReader<Uint8Array>, done: boolean) {
  let index = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (index < parts.length) return controller.enqueue(parts[index++]);
      if (done) return controller.close();
      const next = await rest.read();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    cancel: (reason) => rest.cancel(reason),
  }, { highWaterMark: 0 });
}

/**
 * The first `max` bytes of `source`, and the source to upload in its place.
 *
 * @throws {MediaError} `bad_input` for a file that cannot be opened.
 * @example
 * ```ts
 * import { readSourceHead } from "./source_head.ts";
 * const { head } = await readSourceHead(new Uint8Array([0x89, 0x50, 0x4e, 0x47]));
 * head.length; // 4
 * ```
 */
export async function readSourceHead(
  source: MediaSource | (() => MediaSource),
  max: number = HEAD_BYTES,
): Promise<SourceHead> {
  if (source instanceof Uint8Array) return { head: source.subarray(0, max), source };
  if (typeof source === "function") {
    const once = await readSourceHead(source(), max);
    // A fresh source is opened again for the upload: stop reading this one.
    if (once.source instanceof ReadableStream) await once.source.cancel().catch(() => {});
    return { head: once.head, source };
  }
  if (isFile(source)) return { head: await fileHead(source.path, max), source };
  const stream = source instanceof ReadableStream ? source : ReadableStream.from(source);
  const { parts, rest, done } = await streamHead(stream, max);
  return { head: concat(parts, max), source: replay(parts, rest, done) };
}
