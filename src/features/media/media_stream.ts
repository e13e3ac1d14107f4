/**
 * Media encryption and decryption as web streams, in bounded memory: each stream pulls one source chunk
 * at a time (`highWaterMark` 1), so a 1 GiB file holds about one 64 KiB chunk and the cipher state.
 *
 * A source is bytes (cut into 64 KiB views, not copied), a `ReadableStream`, an async iterable, or a file
 * `{ path }` (opened on the first read, closed at the end or on cancel).
 *
 * @module
 */

import { MediaError } from "./errors.ts";
import { AsyncMediaDecryptor, AsyncMediaEncryptor } from "./async_cipher.ts";
import type { DecryptOptions, MediaHashes } from "./crypto.ts";
import type { MediaTypeLike } from "./media_type.ts";

/** A file on disk, read as a stream. */
export interface MediaFile {
  /** Path of the file. */
  path: string | URL;
}

/** Anything media bytes can be read from. */
export type MediaSource = Uint8Array | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | MediaFile;

/** Size of the views bytes are cut into, and the read size for files. */
export const MEDIA_CHUNK_SIZE = 64 * 1024;

function* slices(bytes: Uint8Array): Generator<Uint8Array> {
  for (let offset = 0; offset < bytes.length; offset += MEDIA_CHUNK_SIZE) {
    yield bytes.subarray(offset, Math.min(offset + MEDIA_CHUNK_SIZE, bytes.length));
  }
}

function isFile(source: MediaSource): source is MediaFile {
  return typeof source === "object" && source !== null && "path" in source &&
    !(source instanceof Uint8Array) && !(source instanceof ReadableStream);
}

/** The part of a stream reader the transforms use. */
interface ChunkReader {
  read(): Promise<ReadableStreamReadResult<Uint8Array>>;
  cancel(reason?: unknown): Promise<void>;
}

/**
 * Reads a byte stream (fetch bodies, files) into one reused buffer: without it every chunk is a fresh
 * ArrayBuffer, and V8 lets up to 64 MB of those pile up before collecting them. Only for consumers that
 * are done with a chunk when `step` returns (the ciphers copy what they keep).
 */
function byobReader(stream: ReadableStream<Uint8Array>): ChunkReader | undefined {
  let reader: ReadableStreamBYOBReader;
  try {
    reader = stream.getReader({ mode: "byob" });
  } catch {
    return undefined; // not a byte stream
  }
  let buffer: ArrayBuffer = new ArrayBuffer(MEDIA_CHUNK_SIZE);
  return {
    async read() {
      const result = await reader.read(new Uint8Array(buffer));
      if (result.value !== undefined) buffer = result.value.buffer as ArrayBuffer;
      if (result.done) return { done: true, value: undefined };
      return { done: false, value: result.value };
    },
    cancel: (reason) => reader.cancel(reason),
  };
}

async function openStream(source: MediaSource): Promise<ReadableStream<Uint8Array>> {
  if (source instanceof Uint8Array) return ReadableStream.from(slices(source));
  if (source instanceof ReadableStream) return source;
  if (isFile(source)) {
    let file: Deno.FsFile;
    try {
      file = await Deno.open(source.path, { read: true });
    } catch (cause) {
      throw new MediaError("bad_input", `cannot open media file ${String(source.path)}`, { cause });
    }
    return file.readable;
  }
  return ReadableStream.from(source);
}

async function openReader(source: MediaSource, reuse: boolean): Promise<ChunkReader> {
  const stream = await openStream(source);
  return (reuse ? byobReader(stream) : undefined) ?? stream.getReader();
}

/**
 * A readable stream of the source's bytes (bytes are cut into 64 KiB views).
 *
 * @example
 * ```ts
 * import { mediaSourceStream } from "./media_stream.ts";
 * const stream = mediaSourceStream(new Uint8Array(200_000)); // 4 chunks
 * ```
 */
export function mediaSourceStream(source: MediaSource): ReadableStream<Uint8Array> {
  return transformSource(
    source,
    (chunk) => Promise.resolve([chunk]),
    () => Promise.resolve([]),
    () => {},
    false,
  );
}

function abortError(signal: AbortSignal): MediaError {
  return new MediaError("aborted", "the media operation was aborted", { cause: signal.reason });
}

/**
 * The core of every stream here: pull a chunk, map it, enqueue non-empty output; `finish` runs at the
 * source's end and may throw (that is where integrity errors surface). `onError` sees every failure and
 * cancellation exactly once.
 */
function transformSource(
  source: MediaSource,
  step: (chunk: Uint8Array) => Promise<Uint8Array[]>,
  finish: () => Promise<Uint8Array[]>,
  onError: (reason: unknown) => void,
  reuseInput: boolean,
  signal?: AbortSignal,
): ReadableStream<Uint8Array> {
  let reader: ChunkReader | undefined;
  let failed = false;
  const fail = (reason: unknown) => {
    if (failed) return;
    failed = true;
    onError(reason);
    reader?.cancel(reason).catch(() => {});
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        reader ??= await openReader(source, reuseInput);
        for (;;) {
          if (signal?.aborted) throw abortError(signal);
          const { done, value } = await reader.read();
          if (done) {
            for (const part of await finish()) if (part.length > 0) controller.enqueue(part);
            controller.close();
            return;
          }
          let produced = false;
          for (const part of await step(value)) {
            if (part.length === 0) continue;
            controller.enqueue(part);
            produced = true;
          }
          if (produced) return;
        }
      } catch (error) {
        fail(error);
        throw error;
      }
    },
    cancel(reason) {
      fail(reason ?? new MediaError("aborted", "the media stream was cancelled"));
    },
  });
}

/** A stream of encrypted bytes, with the key and the hashes it ends with. */
export interface EncryptingStream {
  /** The media key in use. */
  mediaKey: Uint8Array;
  /** The blob (ciphertext ‖ MAC), produced as the source is read. */
  stream: ReadableStream<Uint8Array>;
  /** Resolves once `stream` has been read to its end; rejects with the stream's error. */
  hashes: Promise<MediaHashes>;
}

/** Options of {@link encryptMediaStream}. */
export interface EncryptStreamOptions {
  /** Key to use instead of a fresh random one. */
  mediaKey?: Uint8Array;
  /** Errors the stream with `aborted` at the next chunk. */
  signal?: AbortSignal;
  /**
   * Called with the hashes before the tail (last block + MAC) is enqueued; a throw errors the stream
   * instead, so a consumer never sees a complete blob that the check refused.
   */
  check?: (hashes: MediaHashes) => void;
}

/**
 * Encrypts a source as it is read. The hashes are known only at the end, so an upload that needs
 * `fileEncSha256` first goes through upload_source.ts.
 *
 * @throws {MediaError} `bad_key`, `unsupported_type` at once; the stream errors with `bad_input` for an
 * unreadable file and `aborted`.
 * @example
 * ```ts
 * import { encryptMediaStream } from "./media_stream.ts";
 * const { stream, hashes, mediaKey } = encryptMediaStream(new Uint8Array(1 << 20), "video");
 * for await (const chunk of stream) console.log(chunk.length); // or send it
 * const { fileEncSha256 } = await hashes;
 * ```
 */
export function encryptMediaStream(
  source: MediaSource,
  type: MediaTypeLike,
  options: EncryptStreamOptions = {},
): EncryptingStream {
  const encryptor = new AsyncMediaEncryptor(type, options.mediaKey);
  const { promise: hashes, resolve, reject } = Promise.withResolvers<MediaHashes>();
  // A caller that only reads the stream still sees the error there; keep it from also surfacing as an
  // unhandled rejection.
  hashes.catch(() => {});
  const stream = transformSource(
    source,
    (chunk) => encryptor.update(chunk),
    async () => {
      const { parts, ...result } = await encryptor.final();
      options.check?.(result);
      resolve(result);
      return parts;
    },
    reject,
    true,
    options.signal,
  );
  return { mediaKey: encryptor.mediaKey, stream, hashes };
}

/** Options of {@link decryptMediaStream}. */
export interface DecryptStreamOptions extends DecryptOptions {
  /** Errors the stream with `aborted` at the next chunk. */
  signal?: AbortSignal;
}

/**
 * Verifies and decrypts a blob as it is read. Plaintext flows as it is decrypted; the integrity checks
 * run at the end, so a bad blob errors the stream only after its last chunk (with the {@link MediaError}
 * of `MediaDecryptor.final`). A consumer must not trust or keep the output until the stream closes
 * cleanly; transport.ts's file download writes under a temporary name for that reason.
 *
 * @throws {MediaError} `bad_key`, `unsupported_type`, `bad_input` at once.
 */
export function decryptMediaStream(
  blob: MediaSource,
  type: MediaTypeLike,
  options: DecryptStreamOptions,
): ReadableStream<Uint8Array> {
  const decryptor = new AsyncMediaDecryptor(type, options);
  return transformSource(
    blob,
    (chunk) => decryptor.update(chunk),
    () => decryptor.final(),
    () => {},
    true,
    options.signal,
  );
}

/**
 * Reads a stream to its end and returns its bytes, refusing more than `maxBytes` (`too_large`).
 *
 * @example
 * ```ts
 * import { readAllBytes } from "./media_stream.ts";
 * const bytes = await readAllBytes(ReadableStream.from([new Uint8Array([1, 2])]), 1024);
 * ```
 */
export async function readAllBytes(
  stream: ReadableStream<Uint8Array>,
  maxBytes = Infinity,
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      await reader.cancel();
      throw new MediaError("too_large", `expected at most ${maxBytes} bytes, got ${total} or more`);
    }
    parts.push(value);
  }
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
