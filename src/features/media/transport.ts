/**
 * Upload and download of media blobs over a {@link MediaHttpClient}, with host fallback. No Client: the
 * caller supplies the `media_conn` hosts and auth token, and refreshes them when an error says so.
 *
 * Status handling, after the seed's upload and download pages (api/upload, api/download) and WA Web's
 * `MediaNotFoundError` as they describe it:
 * - 2xx: done.
 * - 401/403: {@link MediaError} `auth` at once; the caller refreshes `media_conn` and retries once.
 * - 404/410 (download): `gone` at once; the caller refreshes and retries once, then asks the phone to
 *   re-upload (media retry).
 * - anything else, or a network error: the next host; when none is left, the last error.
 *
 * URL shapes (protocol-facts.md "Media", protocol-facts-features.md §1.2):
 * - upload: `POST https://<host><path>/<token>?auth=<auth>&token=<token>`, token = unpadded
 *   base64url(fileEncSha256), auth URL-encoded (Baileys, whatsmeow); answer JSON `{url, direct_path, ...}`.
 * - download: `https://<host><directPath>`, then whatsmeow's query: `hash=<token>&mms-type=<type>&__wa-mms=`
 *   (joined with `&` when the direct path has a query already, as real ones do).
 *
 * @module
 */

import { type DecryptOptions, encryptedLengthFor } from "./crypto.ts";
import { MediaError } from "./errors.ts";
import { defaultHttpClient, type MediaHttpClient } from "./http.ts";
import { mediaType, type MediaTypeLike } from "./media_type.ts";
import { decryptMediaStream, readAllBytes } from "./media_stream.ts";
import type { UploadBody } from "./upload_source.ts";

/** The Origin (and Referer) WhatsApp Web sends to the media hosts. */
export const WA_WEB_ORIGIN = "https://web.whatsapp.com";

const BASE_HEADERS = { Origin: WA_WEB_ORIGIN, Referer: `${WA_WEB_ORIGIN}/` };

/** Unpadded base64url, the upload and download token encoding. */
export function mediaToken(hash: Uint8Array): string {
  return hash.toBase64({ alphabet: "base64url", omitPadding: true });
}

/** Options of {@link uploadEncrypted}. */
export interface UploadOptions {
  /** Media hosts from `media_conn`, primary first (`mmg.whatsapp.net`, or `127.0.0.1:port` in tests). */
  hosts: readonly string[];
  /** The `media_conn` auth token. */
  auth: string;
  /** The media type: selects the upload path. */
  mediaType: MediaTypeLike;
  /** The encrypted body (an `EncryptedUpload` from `prepareUpload`). */
  encrypted: UploadBody;
  /** Upload path instead of the type's, e.g. `newsletterUploadPath(type)`. */
  path?: string;
  /** HTTP client; global fetch by default. */
  http?: MediaHttpClient;
  /** Aborts the upload. */
  signal?: AbortSignal;
}

/** The server's answer to an upload. */
export interface UploadResult {
  /** Full URL of the blob (the message's `url`). */
  url: string;
  /** Path of the blob on any media host (the message's `directPath`). */
  directPath: string;
  /** Newsletter media id, when the server gives one. */
  handle?: string;
  /** The server's object id, when given. */
  objectId?: string;
  /** The host that took the upload. */
  host: string;
}

function checkAborted(signal?: AbortSignal): void {
  if (signal?.aborted) {
    throw new MediaError("aborted", "the media transfer was aborted", { cause: signal.reason });
  }
}

function statusError(status: number, host: string, what: string): MediaError {
  if (status === 401 || status === 403) {
    return new MediaError("auth", `${what} refused by ${host}: HTTP ${status}; refresh media_conn`, {
      status,
      host,
    });
  }
  if (status === 404 || status === 410) {
    return new MediaError("gone", `${what} not found on ${host}: HTTP ${status}; the media expired`, {
      status,
      host,
    });
  }
  return new MediaError("http", `${what} failed on ${host}: expected HTTP 2xx, got ${status}`, {
    status,
    host,
  });
}

function networkError(cause: unknown, host: string, what: string, signal?: AbortSignal): MediaError {
  if (signal?.aborted) {
    return new MediaError("aborted", `${what} was aborted`, { cause: signal.reason, host });
  }
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new MediaError("network", `${what} to ${host} failed before an answer: ${detail}`, { cause, host });
}

function lastOf(errors: MediaError[], what: string): MediaError {
  if (errors.length === 0) return new MediaError("no_hosts", `${what}: no media host to try`);
  const last = errors[errors.length - 1];
  if (errors.length === 1) return last;
  const summary = errors.map((e) => e.message).join("; ");
  return new MediaError(last.code, `${what} failed on all ${errors.length} hosts: ${summary}`, {
    cause: new AggregateError(errors),
    status: last.status,
    host: last.host,
  });
}

function stringField(json: Record<string, unknown>, key: string): string | undefined {
  const value = json[key];
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

const MAX_UPLOAD_ANSWER = 64 * 1024;

async function parseUploadAnswer(response: Response, host: string): Promise<UploadResult> {
  const text = new TextDecoder().decode(
    await readAllBytes(response.body ?? new ReadableStream(), MAX_UPLOAD_ANSWER),
  );
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new MediaError("bad_response", `upload answer from ${host} is not JSON: ${text.slice(0, 80)}`, {
      cause,
      host,
    });
  }
  const fields = typeof json === "object" && json !== null ? json as Record<string, unknown> : {};
  const url = stringField(fields, "url");
  const directPath = stringField(fields, "direct_path");
  if (url === undefined || directPath === undefined) {
    throw new MediaError(
      "bad_response",
      `upload answer from ${host} lacks url or direct_path: ${text.slice(0, 80)}`,
      {
        host,
      },
    );
  }
  const result: UploadResult = { url, directPath, host };
  const handle = stringField(fields, "handle");
  const objectId = stringField(fields, "object_id");
  if (handle !== undefined) result.handle = handle;
  if (objectId !== undefined) result.objectId = objectId;
  return result;
}

/**
 * Uploads an encrypted blob, trying `hosts` in order.
 *
 * @throws {MediaError} `auth` (refresh and retry), `http`, `network`, `bad_response` (from the last host),
 *   `no_hosts`, `unsupported_type` (no upload path), `aborted`.
 * @example
 * ```ts
 * import { type MediaHttpClient, prepareUpload, uploadEncrypted } from "./mod.ts";
 * // hosts and auth come from `client.media.mediaConn()`.
 * export async function example(bytes: Uint8Array, hosts: string[], auth: string, http: MediaHttpClient) {
 *   await using encrypted = await prepareUpload(bytes, "image");
 *   const { url, directPath } = await uploadEncrypted({ hosts, auth, mediaType: "image", encrypted, http });
 *   return { url, directPath, mediaKey: encrypted.mediaKey };
 * }
 * ```
 */
export async function uploadEncrypted(options: UploadOptions): Promise<UploadResult> {
  const info = mediaType(options.mediaType);
  const path = options.path ?? info.uploadPath;
  if (path === undefined) {
    throw new MediaError("unsupported_type", `media type ${info.kind} has no upload path`);
  }
  const http = options.http ?? defaultHttpClient;
  const token = mediaToken(options.encrypted.fileEncSha256);
  const query = `auth=${encodeURIComponent(options.auth)}&token=${token}`;
  const errors: MediaError[] = [];
  for (const host of options.hosts) {
    checkAborted(options.signal);
    let response: Response;
    try {
      response = await http.request({
        method: "POST",
        url: `https://${host}${path}/${token}?${query}`,
        headers: { ...BASE_HEADERS, "Content-Type": "application/octet-stream" },
        body: options.encrypted.open(),
        signal: options.signal,
      });
    } catch (cause) {
      const error = cause instanceof MediaError ? cause : networkError(cause, host, "upload", options.signal);
      if (error.code === "aborted" || error.code === "source_changed") throw error;
      errors.push(error);
      continue;
    }
    if (!response.ok) {
      await response.body?.cancel();
      const error = statusError(response.status, host, "upload");
      if (error.code === "auth") throw error;
      errors.push(error);
      continue;
    }
    try {
      return await parseUploadAnswer(response, host);
    } catch (error) {
      if (!(error instanceof MediaError)) throw error;
      errors.push(error);
    }
  }
  throw lastOf(errors, "upload");
}

/** Where to download from: a direct path on the media hosts, or a full URL. */
export interface DownloadSource {
  /** The message's `directPath` (may carry its own query). Tried on every host in order. */
  directPath?: string;
  /** A full URL (the message's `url` or `staticUrl`), used when there is no direct path or no host. */
  url?: string;
  /** Media hosts from `media_conn`, primary first. */
  hosts?: readonly string[];
  /** The media type; adds `mms-type` to the query. */
  mediaType?: MediaTypeLike;
  /** The blob's hash; adds `hash` to the query. */
  fileEncSha256?: Uint8Array;
}

/** Options of {@link downloadEncrypted}. */
export interface DownloadOptions extends DownloadSource {
  /** HTTP client; global fetch by default. */
  http?: MediaHttpClient;
  /** Aborts the download, including the body. */
  signal?: AbortSignal;
}

/** An answer whose body has not been read yet. */
export interface DownloadResponse {
  /** The body: the encrypted blob. */
  stream: ReadableStream<Uint8Array>;
  /** The URL that answered. */
  url: string;
  /** Content-Length, when the server sent one. */
  contentLength?: number;
}

/**
 * The download URL of `directPath` on `host`, with whatsmeow's query (`hash`, `mms-type`, `__wa-mms`).
 *
 * @example
 * ```ts
 * import { downloadUrl } from "./transport.ts";
 * downloadUrl("mmg.whatsapp.net", "/v/t62.7118-24/1_2_n.enc?ccb=11-4", { mediaType: "image" });
 * // "https://mmg.whatsapp.net/v/t62.7118-24/1_2_n.enc?ccb=11-4&mms-type=image&__wa-mms="
 * ```
 */
export function downloadUrl(
  host: string,
  directPath: string,
  extra: { mediaType?: MediaTypeLike; fileEncSha256?: Uint8Array } = {},
): string {
  if (!directPath.startsWith("/")) {
    throw new MediaError(
      "bad_input",
      `a direct path starts with "/", got ${JSON.stringify(directPath.slice(0, 40))}`,
    );
  }
  const params: string[] = [];
  if (extra.fileEncSha256 !== undefined) params.push(`hash=${mediaToken(extra.fileEncSha256)}`);
  if (extra.mediaType !== undefined) params.push(`mms-type=${mediaType(extra.mediaType).mmsType}`);
  if (params.length > 0) params.push("__wa-mms=");
  const base = `https://${host}${directPath}`;
  if (params.length === 0) return base;
  return base + (directPath.includes("?") ? "&" : "?") + params.join("&");
}

function candidateUrls(source: DownloadSource): { url: string; host: string }[] {
  const hosts = source.hosts ?? [];
  if (source.directPath !== undefined && hosts.length > 0) {
    return hosts.map((host) => ({ url: downloadUrl(host, source.directPath!, source), host }));
  }
  if (source.url !== undefined) {
    let host: string;
    try {
      const parsed = new URL(source.url);
      if (parsed.protocol !== "https:") throw new TypeError(`not https: ${parsed.protocol}`);
      host = parsed.host;
    } catch (cause) {
      throw new MediaError(
        "bad_input",
        `a media URL must be absolute https, got ${source.url.slice(0, 60)}`,
        {
          cause,
        },
      );
    }
    return [{ url: source.url, host }];
  }
  if (source.directPath !== undefined) {
    throw new MediaError("no_hosts", "a direct path needs media hosts (from media_conn) to download from");
  }
  throw new MediaError("bad_input", "a download needs a directPath with hosts, or a url");
}

/**
 * Requests a blob, trying each host until one answers 2xx, and returns its unread body. The body's bytes
 * are not checked here; {@link downloadAndDecrypt} and its stream/file forms do that.
 *
 * @throws {MediaError} `gone` (404/410), `auth` (401/403), `http`/`network` from the last host,
 *   `no_hosts`, `bad_input`, `aborted`.
 */
export async function downloadEncrypted(options: DownloadOptions): Promise<DownloadResponse> {
  const http = options.http ?? defaultHttpClient;
  const errors: MediaError[] = [];
  for (const { url, host } of candidateUrls(options)) {
    checkAborted(options.signal);
    let response: Response;
    try {
      response = await http.request({
        method: "GET",
        url,
        headers: { ...BASE_HEADERS },
        signal: options.signal,
      });
    } catch (cause) {
      const error = networkError(cause, host, "download", options.signal);
      if (error.code === "aborted") throw error;
      errors.push(error);
      continue;
    }
    if (!response.ok || response.body === null) {
      await response.body?.cancel();
      const error = statusError(response.ok ? 502 : response.status, host, "download");
      if (error.code === "gone" || error.code === "auth") throw error;
      errors.push(error);
      continue;
    }
    const length = Number(response.headers.get("content-length") ?? NaN);
    const result: DownloadResponse = { stream: response.body, url };
    if (Number.isSafeInteger(length) && length >= 0) result.contentLength = length;
    return result;
  }
  throw lastOf(errors, "download");
}

/** Options of the `downloadAndDecrypt*` functions: where from, and what to check the blob against. */
export interface DecryptDownloadOptions extends DownloadOptions, DecryptOptions {
  /** The media type: selects the keys. */
  mediaType: MediaTypeLike;
}

function checkContentLength(response: DownloadResponse, options: DecryptDownloadOptions): void {
  const declared = response.contentLength;
  if (declared === undefined) return;
  const limit = Math.min(
    options.maxBytes ?? Infinity,
    options.fileLength === undefined ? Infinity : encryptedLengthFor(options.fileLength),
  );
  if (declared > limit) {
    response.stream.cancel().catch(() => {});
    throw new MediaError("too_large", `the server announces ${declared} bytes, expected at most ${limit}`);
  }
}

/**
 * Downloads a blob and returns a stream of its plaintext, verified at the end: a bad blob errors the
 * stream after its last chunk, with the typed integrity error.
 *
 * @throws {MediaError} as {@link downloadEncrypted}, plus `too_large` for an announced length over the
 *   limit; the stream errors with the codes of `MediaDecryptor.final`.
 */
export async function downloadAndDecryptStream(
  options: DecryptDownloadOptions,
): Promise<ReadableStream<Uint8Array>> {
  const response = await downloadEncrypted(options);
  checkContentLength(response, options);
  return decryptMediaStream(response.stream, options.mediaType, options);
}

/**
 * Downloads, verifies and decrypts a blob into memory. Memory is bounded by `fileLength` or `maxBytes`
 * when given; pass one of them for input from the network.
 *
 * @throws {MediaError} as {@link downloadAndDecryptStream}, and the integrity codes.
 * @example
 * ```ts
 * import type { ImageMessage } from "@wadeno/client/proto";
 * import { downloadAndDecrypt } from "./mod.ts";
 * export async function example(image: ImageMessage, hosts: string[]) {
 *   if (!image.mediaKey) throw new Error("the message carries no media key");
 *   const bytes = await downloadAndDecrypt({
 *     directPath: image.directPath,
 *     hosts,
 *     mediaType: "image",
 *     mediaKey: image.mediaKey,
 *     fileSha256: image.fileSha256,
 *     fileEncSha256: image.fileEncSha256,
 *     fileLength: image.fileLength === undefined ? undefined : Number(image.fileLength),
 *   });
 *   return bytes;
 * }
 * ```
 */
export async function downloadAndDecrypt(options: DecryptDownloadOptions): Promise<Uint8Array> {
  return await readAllBytes(await downloadAndDecryptStream(options));
}

/** Options of {@link downloadAndDecryptToFile}. */
export interface DownloadToFileOptions extends DecryptDownloadOptions {
  /** Where the plaintext goes. Written only once every check passed; an existing file is replaced. */
  path: string;
}

/** Detaches `bytes`' buffer, which frees its memory at once. */
function release(bytes: Uint8Array): void {
  const buffer = bytes.buffer;
  if (buffer instanceof ArrayBuffer && !buffer.detached) buffer.transfer(0);
}

function temporaryPath(path: string): string {
  const slash = path.lastIndexOf("/");
  const dir = path.slice(0, slash + 1);
  const name = path.slice(slash + 1);
  const nonce = crypto.getRandomValues(new Uint8Array(6)).toHex();
  return `${dir}.${name}.${nonce}.part`;
}

/**
 * Downloads, verifies and decrypts a blob into a file in bounded memory. The plaintext is written under a
 * temporary name in the same directory and renamed to `path` only after every check passed; on any failure
 * the temporary file is removed and `path` is left as it was.
 *
 * @returns the number of plaintext bytes written.
 * @throws {MediaError} as {@link downloadAndDecryptStream}, and the integrity codes.
 */
export async function downloadAndDecryptToFile(
  options: DownloadToFileOptions,
): Promise<{ fileLength: number }> {
  if (typeof options.path !== "string" || options.path.length === 0) {
    throw new MediaError("bad_input", "downloadAndDecryptToFile needs a file path");
  }
  const plaintext = await downloadAndDecryptStream(options);
  const temp = temporaryPath(options.path);
  let fileLength = 0;
  const reader = plaintext.getReader();
  let file: Deno.FsFile | undefined;
  try {
    file = await Deno.open(temp, { write: true, createNew: true });
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      for (let offset = 0; offset < value.length;) offset += await file.write(value.subarray(offset));
      fileLength += value.length;
      // Each chunk is a fresh buffer only this loop holds: free it now rather than when V8 gets to it
      // (it lets ~64 MB of dead ArrayBuffers accumulate before collecting).
      release(value);
    }
    file.close();
    file = undefined;
    await Deno.rename(temp, options.path);
    return { fileLength };
  } catch (error) {
    file?.close();
    await reader.cancel(error).catch(() => {});
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
}
