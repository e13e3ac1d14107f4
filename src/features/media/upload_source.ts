/**
 * An encrypted upload body whose hashes are known before the upload starts.
 *
 * The upload URL carries `token` = base64url(fileEncSha256), and the hash is known only after the last
 * byte was encrypted, so the blob is read twice: once to hash it and once per upload attempt (a host
 * fallback needs a fresh body too). How, depends on the source, and each way keeps memory bounded except
 * the first, whose input is in memory already:
 *
 * | source | first pass | each `open()` |
 * | --- | --- | --- |
 * | bytes | encrypt into memory | stream the blob from memory |
 * | `{ path }` or a function returning a fresh source | encrypt, keep only the hashes | encrypt again (deterministic for the same key), and check the hash before the MAC goes out |
 * | a one-shot stream or async iterable | encrypt into a temporary file | stream that file |
 *
 * The second row costs one more AES pass and no disk; the third costs one file write and read.
 *
 * @module
 */

import type { MediaHashes } from "./crypto.ts";
import { MediaError } from "./errors.ts";
import { mediaType, type MediaTypeInfo, type MediaTypeLike } from "./media_type.ts";
import { encryptMediaStream, type MediaSource, mediaSourceStream, readAllBytes } from "./media_stream.ts";
import { equalBytes } from "../../crypto/mod.ts";

/** What an upload needs from its body: the token's hash and a fresh stream per attempt. */
export interface UploadBody {
  /** SHA-256 of the bytes `open()` yields: the upload token. */
  fileEncSha256: Uint8Array;
  /** Length of the bytes `open()` yields. */
  encryptedLength: number;
  /** A new stream of the whole body; call once per attempt. */
  open(): ReadableStream<Uint8Array>;
}

/**
 * An encrypted file ready to upload, and everything a media message needs about it. Dispose of it when
 * done (it may hold a temporary file): `await using upload = await prepareUpload(...)`.
 */
export interface EncryptedUpload extends UploadBody, MediaHashes, AsyncDisposable {
  /** The media type the keys were derived for. */
  readonly mediaType: MediaTypeInfo;
  /** The media key to put in the message. */
  readonly mediaKey: Uint8Array;
  /** Frees what the upload holds (the temporary file); idempotent. */
  dispose(): Promise<void>;
}

/** Options of {@link prepareUpload}. */
export interface PrepareUploadOptions {
  /** Key to use instead of a fresh random one. */
  mediaKey?: Uint8Array;
  /** Directory for the temporary file of one-shot streams; the system's by default. */
  tempDir?: string;
  /** Aborts the first pass. */
  signal?: AbortSignal;
}

async function drain(stream: ReadableStream<Uint8Array>): Promise<void> {
  const reader = stream.getReader();
  while (!(await reader.read()).done) { /* only the hashes matter in this pass */ }
}

function finish(
  type: MediaTypeInfo,
  mediaKey: Uint8Array,
  hashes: MediaHashes,
  open: () => ReadableStream<Uint8Array>,
  dispose: () => Promise<void> = () => Promise.resolve(),
): EncryptedUpload {
  let disposed: Promise<void> | undefined;
  const once = () => disposed ??= dispose();
  return {
    mediaType: type,
    mediaKey,
    ...hashes,
    open,
    dispose: once,
    [Symbol.asyncDispose]: once,
  };
}

async function fromBytes(
  plaintext: Uint8Array,
  type: MediaTypeInfo,
  options: PrepareUploadOptions,
): Promise<EncryptedUpload> {
  // The stream path, not encryptMedia: its WebCrypto AES is 3x faster than node's at this size.
  const encrypting = encryptMediaStream(plaintext, type, {
    mediaKey: options.mediaKey,
    signal: options.signal,
  });
  const encrypted = await readAllBytes(encrypting.stream);
  return finish(type, encrypting.mediaKey, await encrypting.hashes, () => mediaSourceStream(encrypted));
}

async function twoPass(
  reopen: () => MediaSource,
  type: MediaTypeInfo,
  options: PrepareUploadOptions,
): Promise<EncryptedUpload> {
  const first = encryptMediaStream(reopen(), type, { mediaKey: options.mediaKey, signal: options.signal });
  await drain(first.stream);
  const hashes = await first.hashes;
  const open = () =>
    encryptMediaStream(reopen(), type, {
      mediaKey: first.mediaKey,
      check: (again) => {
        if (!equalBytes(again.fileEncSha256, hashes.fileEncSha256)) {
          throw new MediaError(
            "source_changed",
            `the source changed since it was hashed: ${hashes.fileLength} bytes hashed, ${again.fileLength} read now`,
          );
        }
      },
    }).stream;
  return finish(type, first.mediaKey, hashes, open);
}

async function spool(
  source: MediaSource,
  type: MediaTypeInfo,
  options: PrepareUploadOptions,
): Promise<EncryptedUpload> {
  const path = await Deno.makeTempFile({ dir: options.tempDir, prefix: "wadeno-upload-", suffix: ".enc" });
  const remove = () => Deno.remove(path).catch(() => {});
  try {
    const encrypting = encryptMediaStream(source, type, {
      mediaKey: options.mediaKey,
      signal: options.signal,
    });
    const file = await Deno.open(path, { write: true, truncate: true });
    await encrypting.stream.pipeTo(file.writable);
    const hashes = await encrypting.hashes;
    return finish(type, encrypting.mediaKey, hashes, () => mediaSourceStream({ path }), remove);
  } catch (error) {
    await remove();
    throw error;
  }
}

/**
 * Encrypts `source` for upload and returns the hashes with a way to stream the blob, in bounded memory
 * for files, re-openable sources and streams (see the module comment for how each is read).
 *
 * @param source bytes; `{ path }`; a function returning a fresh source each call (for data that can be
 *   regenerated); or a one-shot `ReadableStream` / async iterable (spooled to a temporary file)
 * @param type the media type
 * @throws {MediaError} `unsupported_type` for a type without keys, `bad_key`, `bad_input` for an unreadable
 *   file, `aborted`. Re-reading a file that changed errors that attempt's stream with `source_changed`.
 * @example
 * ```ts
 * import { prepareUpload } from "./upload_source.ts";
 * await using upload = await prepareUpload(new TextEncoder().encode("a small document"), "document");
 * upload.fileLength; // 16
 * upload.fileEncSha256.length; // 32, for the upload token
 * const body = upload.open(); // the blob, encrypted again as it is read
 * await body.cancel();
 * ```
 */
export async function prepareUpload(
  source: MediaSource | (() => MediaSource),
  type: MediaTypeLike,
  options: PrepareUploadOptions = {},
): Promise<EncryptedUpload> {
  const info = mediaType(type);
  if (info.hkdfInfo === undefined) {
    throw new MediaError(
      "unsupported_type",
      `media type ${info.kind} is sent unencrypted; nothing to encrypt`,
    );
  }
  if (source instanceof Uint8Array) return await fromBytes(source, info, options);
  if (typeof source === "function") return await twoPass(source, info, options);
  if (!(source instanceof ReadableStream) && "path" in source) {
    const file = { path: source.path };
    return await twoPass(() => file, info, options);
  }
  return await spool(source, info, options);
}
