/**
 * Media (`client.media`): upload and download over the client's HTTP client with the `media_conn` hosts
 * and token (cached, refreshed), media messages (image, video, GIF, round video, audio, voice note,
 * document, sticker), and media retry both ways: a download whose blob expired asks the sender's phone to
 * upload it again and downloads the new copy; a client that sent media answers such requests while it still
 * has the bytes (reupload.ts says what is kept).
 *
 * Refresh rules (the seed's download and upload pages, 11_api_download / 23_api_upload): 401/403 from a host
 * drops the cached `media_conn`, fetches a new one and tries once more; so does 404/410 on a download, and
 * when the blob is still gone the sender is asked to re-upload (the message's key must be known: pass the
 * `message` event, not the bare message). Other statuses move on to the next host (transport.ts).
 *
 * @module
 */

import { getChild, Jid, type Node } from "../../binary/mod.ts";
import { equalBytes } from "../../crypto/mod.ts";
import type { MessageKey } from "../../proto/mod.ts";
import type { FeatureContext } from "../context.ts";
import { InputError } from "../errors.ts";
import { toJid } from "../jid_input.ts";
import type { SendOptions, SendResult } from "../send_options.ts";
import { MediaError } from "./errors.ts";
import type { MediaConn } from "./media_conn.ts";
import { mediaHostnames } from "./media_conn.ts";
import { MediaConnCache, mediaConnSpec } from "./media_conn_cache.ts";
import type { MediaHttp } from "./media_http.ts";
import type { MediaRef } from "./media_ref.ts";
import type { MediaSource } from "./media_stream.ts";
import { MEDIA_TYPES, type MediaKind } from "./media_type.ts";
import {
  checkMediaOptions,
  type Downloadable,
  downloadTarget,
  mediaMessage,
  type MediaMessageOptions,
  type MessageMediaKind,
  type UploadedMedia,
} from "./messages.ts";
import {
  buildMediaRetryReceipt,
  decryptMediaRetryNotification,
  encryptMediaRetryNotification,
  type MediaRetryNotice,
  parseMediaRetryNotification,
} from "./retry_crypto.ts";
import { MEDIA_RETRY_TIMEOUT_MS, MediaRetryWaiters } from "./retry_waiters.ts";
import {
  DEFAULT_REUPLOAD_LIMITS,
  mediaRetryAnswerSpec,
  reopenerOf,
  ReuploadCache,
  type ReuploadEntry,
  type ReuploadLimits,
} from "./reupload.ts";
import { imageDimensions, OCTET_STREAM, sniffMimetype } from "./sniff.ts";
import { readSourceHead } from "./source_head.ts";
import {
  downloadAndDecrypt,
  downloadAndDecryptStream,
  downloadAndDecryptToFile,
  uploadEncrypted,
} from "./transport.ts";
import { prepareUpload } from "./upload_source.ts";

/** The events of the media feature. */
export interface MediaEvents {
  /**
   * A `<notification type="mediaretry">` arrived: a phone answered a media retry request (ours, or one a
   * download is waiting for, which then continues on its own). Decrypt `encrypted` with the message's
   * media key (`decryptMediaRetryNotification`) when handling retries by hand.
   */
  mediaRetry: MediaRetryNotice;
}

/** Options of {@link Media.upload}. */
export interface MediaUploadOptions {
  /** Use this media key instead of a fresh one. */
  mediaKey?: Uint8Array;
  /** Directory for the temporary file a one-shot stream is spooled to. */
  tempDir?: string;
  /**
   * Keep what is needed to answer a receiver's media retry (default true; see the cache's bounds in the
   * module comment of reupload.ts). One-shot streams are never kept.
   */
  keepForReupload?: boolean;
  /** Aborts the upload. */
  signal?: AbortSignal;
}

/** Where a download goes. */
export type DownloadTo = "bytes" | "stream" | { path: string };

/** Options of {@link Media.download}. */
export interface MediaDownloadOptions {
  /**
   * `"bytes"` (default): the plaintext in memory, verified. `"stream"`: a stream of the plaintext that
   * errors at its end when a check fails. `{ path }`: written to that file, in bounded memory, only once
   * every check passed (a failed download leaves no file).
   */
  to?: DownloadTo;
  /** Refuse blobs longer than this (`too_large`). */
  maxBytes?: number;
  /** Ask the sender to re-upload expired media (default true; needs the message's key). */
  retry?: boolean;
  /** How long to wait for the sender's re-upload (default 30 s). */
  retryTimeoutMs?: number;
  /** Aborts the download, including the wait for a re-upload. */
  signal?: AbortSignal;
}

/** Options of {@link Media.send}: what the message says, how to upload, how to send. */
export type SendMediaOptions = MediaMessageOptions & MediaUploadOptions & SendOptions;

/** Tuning for tests. */
export interface MediaFeatureOptions {
  /** Bounds of the re-upload cache. */
  reupload?: ReuploadLimits;
  /** Clock in ms. */
  now?: () => number;
}

/** A source for uploads: bytes, a file, a stream, or a function returning a fresh source per read. */
export type UploadSource = MediaSource | (() => MediaSource);

/** The media feature. */
export class Media {
  readonly #ctx: FeatureContext<MediaEvents>;
  readonly #http: MediaHttp;
  readonly #conn: MediaConnCache;
  readonly #waiters = new MediaRetryWaiters();
  readonly #reupload: ReuploadCache;
  readonly #now: () => number;

  /** Creates the feature; it listens for retry requests and answers from the first login. */
  constructor(ctx: FeatureContext<MediaEvents>, http: MediaHttp, options: MediaFeatureOptions = {}) {
    this.#ctx = ctx;
    this.#http = http;
    this.#now = options.now ?? Date.now;
    this.#conn = new MediaConnCache({
      fetch: (signal) => ctx.execute(mediaConnSpec(this.#now), { signal }),
      now: this.#now,
    });
    this.#reupload = new ReuploadCache(options.reupload ?? DEFAULT_REUPLOAD_LIMITS);
    ctx.onStanza({ tag: "notification", type: "mediaretry" }, (node) => this.#onRetryAnswer(node));
    ctx.onStanza({ tag: "receipt", type: "server-error" }, (node) => this.#onRetryRequest(node));
  }

  /**
   * The media hosts and upload token (`media_conn`), cached until they expire.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export async function example(client: Client) {
   *   const { hosts, auth } = await client.media.mediaConn();
   *   console.log(hosts.map((h) => h.hostname), auth.length);
   * }
   * ```
   */
  mediaConn(options: { signal?: AbortSignal; refresh?: boolean } = {}): Promise<MediaConn> {
    if (options.refresh) this.#conn.invalidate();
    return this.#conn.get(options.signal);
  }

  /** Closes the HTTP client once running transfers end (the client calls it on disconnect). */
  close(): void {
    this.#http.close();
  }

  /** Runs `attempt` with fresh hosts, and once more with a new `media_conn` after `auth` (and `gone`). */
  async #withConn<T>(
    signal: AbortSignal | undefined,
    refreshOn: readonly string[],
    attempt: (hosts: string[], auth: string) => Promise<T>,
  ): Promise<T> {
    const conn = await this.#conn.get(signal);
    try {
      return await attempt(mediaHostnames(conn), conn.auth);
    } catch (error) {
      if (!(error instanceof MediaError) || !refreshOn.includes(error.code)) throw error;
      this.#ctx.log.debug(`media_conn refused (${error.code}); fetching a new one`);
      this.#conn.invalidate(conn);
      const fresh = await this.#conn.get(signal);
      return await attempt(mediaHostnames(fresh), fresh.auth);
    }
  }

  /**
   * Encrypts and uploads media; the result goes into a message (`mediaMessage`), or use {@link send}.
   *
   * @param kind selects the keys and the upload path (`gif` uploads as video, `sticker` as image)
   * @throws {MediaError} from the upload (`auth` twice, `http`, `network`, `unsupported_type`, ...);
   *   `ConnectionError`/`IqError` when `media_conn` cannot be fetched.
   * @example
   * ```ts
   * import { type Client, type Jid, mediaMessage } from "@wadeno/client";
   * export async function example(client: Client, chat: Jid) {
   *   const uploaded = await client.media.upload(await Deno.readFile("cat.jpg"), "image");
   *   await client.sendMessage(chat, mediaMessage("image", uploaded, { mimetype: "image/jpeg", caption: "a cat" }));
   * }
   * ```
   */
  async upload(
    source: UploadSource,
    kind: MediaKind,
    options: MediaUploadOptions = {},
  ): Promise<UploadedMedia> {
    if (source === undefined || source === null) {
      throw new InputError("invalid_argument", "source", "expected bytes, { path }, a stream or a function");
    }
    const info = MEDIA_TYPES[kind];
    if (info === undefined || info.uploadPath === undefined) {
      throw new MediaError("unsupported_type", `media kind ${String(kind)} cannot be uploaded`);
    }
    await using prepared = await prepareUpload(source, kind, {
      mediaKey: options.mediaKey,
      tempDir: options.tempDir,
      signal: options.signal,
    });
    const result = await this.#withConn(options.signal, ["auth"], async (hosts, auth) => {
      const lease = this.#http.acquire();
      try {
        return await uploadEncrypted({
          hosts,
          auth,
          mediaType: kind,
          encrypted: prepared,
          http: lease.http,
          signal: options.signal,
        });
      } finally {
        lease.release();
      }
    });
    const uploaded: UploadedMedia = {
      kind,
      url: result.url,
      directPath: result.directPath,
      mediaKey: prepared.mediaKey,
      fileSha256: prepared.fileSha256,
      fileEncSha256: prepared.fileEncSha256,
      fileLength: prepared.fileLength,
      mediaKeyTimestamp: Math.floor(this.#now() / 1000),
    };
    if (result.handle !== undefined) uploaded.handle = result.handle;
    const reopener = options.keepForReupload === false ? undefined : reopenerOf(source);
    if (reopener !== undefined) {
      this.#reupload.remember({
        kind,
        mediaKey: prepared.mediaKey,
        fileEncSha256: prepared.fileEncSha256,
        ...reopener,
      });
    }
    return uploaded;
  }

  /**
   * Uploads media and sends it as a message. The mimetype is sniffed from the first bytes when not given
   * (falling back to the kind's default), and images and stickers get their width and height from their
   * header (PNG, JPEG, GIF, WebP). `thumbnail` (a small JPEG) is sent inline when given.
   *
   * @throws {InputError} for an option the kind does not carry; {@link MediaError} from the upload;
   *   `SendError`/`ConnectionError` from sending.
   * @example
   * ```ts
   * import type { Client, Jid } from "@wadeno/client";
   * export async function example(client: Client, chat: Jid) {
   *   await client.media.send(chat, "image", { path: "cat.png" }, { caption: "a cat", viewOnce: true });
   *   await client.media.send(chat, "ptt", await Deno.readFile("note.ogg"), { seconds: 4 });
   * }
   * ```
   */
  async send(
    to: Jid | string,
    kind: MessageMediaKind,
    source: UploadSource,
    options: SendMediaOptions = {},
  ): Promise<SendResult> {
    const jid = toJid(to, "to");
    checkMediaOptions(kind, options);
    const { head, source: body } = await readSourceHead(source);
    const details: MediaMessageOptions = { ...options };
    if (details.mimetype === undefined) {
      const sniffed = sniffMimetype(head);
      details.mimetype = sniffed === OCTET_STREAM ? MEDIA_TYPES[kind].defaultMimetype : sniffed;
    }
    if (
      (kind === "image" || kind === "sticker") &&
      (details.width === undefined || details.height === undefined)
    ) {
      const size = imageDimensions(head);
      details.width ??= size?.width;
      details.height ??= size?.height;
    }
    const uploaded = await this.upload(body, kind, options);
    const message = mediaMessage(kind, uploaded, details);
    const sent = await this.#ctx.sendMessage(jid, message, {
      id: options.id,
      extraNodes: options.extraNodes,
      timeoutMs: options.timeoutMs,
      signal: options.signal,
    });
    this.#reupload.bind(uploaded.fileEncSha256, sent.id);
    return sent;
  }

  /**
   * Sends an image (`caption`, `thumbnail`, `viewOnce`, `replyTo`, `mentions`...). See {@link send}.
   *
   * @example
   * ```ts
   * import type { Client, Jid } from "@wadeno/client";
   * export async function example(client: Client, chat: Jid) {
   *   await client.media.sendImage(chat, { path: "chart.png" }, { caption: "this week" });
   * }
   * ```
   */
  sendImage(to: Jid | string, source: UploadSource, options?: SendMediaOptions): Promise<SendResult> {
    return this.send(to, "image", source, options);
  }

  /**
   * Sends a video (`caption`, `seconds`, `thumbnail`, `viewOnce`...). See {@link send}.
   *
   * @example
   * ```ts
   * import type { Client, Jid } from "@wadeno/client";
   * export async function example(client: Client, chat: Jid) {
   *   await client.media.sendVideo(chat, { path: "demo.mp4" }, { caption: "the demo", seconds: 42 });
   * }
   * ```
   */
  sendVideo(to: Jid | string, source: UploadSource, options?: SendMediaOptions): Promise<SendResult> {
    return this.send(to, "video", source, options);
  }

  /**
   * Sends a GIF: an MP4 video played as a looping GIF. See {@link send}.
   *
   * @example
   * ```ts
   * import type { Client, Jid } from "@wadeno/client";
   * export async function example(client: Client, chat: Jid) {
   *   await client.media.sendGif(chat, { path: "party.mp4" });
   * }
   * ```
   */
  sendGif(to: Jid | string, source: UploadSource, options?: SendMediaOptions): Promise<SendResult> {
    return this.send(to, "gif", source, options);
  }

  /**
   * Sends an audio file. See {@link send}.
   *
   * @example
   * ```ts
   * import type { Client, Jid } from "@wadeno/client";
   * export async function example(client: Client, chat: Jid) {
   *   await client.media.sendAudio(chat, { path: "song.mp3" }, { mimetype: "audio/mpeg" });
   * }
   * ```
   */
  sendAudio(to: Jid | string, source: UploadSource, options?: SendMediaOptions): Promise<SendResult> {
    return this.send(to, "audio", source, options);
  }

  /**
   * Sends a voice note (push to talk; Opus in Ogg is what phones play). See {@link send}.
   *
   * @example
   * ```ts
   * import type { Client, Jid } from "@wadeno/client";
   * export async function example(client: Client, chat: Jid) {
   *   await client.media.sendVoiceNote(chat, await Deno.readFile("note.ogg"), { seconds: 4 });
   * }
   * ```
   */
  sendVoiceNote(to: Jid | string, source: UploadSource, options?: SendMediaOptions): Promise<SendResult> {
    return this.send(to, "ptt", source, options);
  }

  /**
   * Sends a document (`fileName`, `caption`, `title`, `pageCount`...). See {@link send}.
   *
   * @example
   * ```ts
   * import type { Client, Jid } from "@wadeno/client";
   * export async function example(client: Client, chat: Jid) {
   *   await client.media.sendDocument(chat, { path: "report.pdf" }, { fileName: "report.pdf", pageCount: 12 });
   * }
   * ```
   */
  sendDocument(to: Jid | string, source: UploadSource, options?: SendMediaOptions): Promise<SendResult> {
    return this.send(to, "document", source, options);
  }

  /**
   * Sends a sticker (a 512x512 WebP; `animated` for an animated one). See {@link send}.
   *
   * @example
   * ```ts
   * import type { Client, Jid } from "@wadeno/client";
   * export async function example(client: Client, chat: Jid) {
   *   await client.media.sendSticker(chat, { path: "wave.webp" });
   * }
   * ```
   */
  sendSticker(to: Jid | string, source: UploadSource, options?: SendMediaOptions): Promise<SendResult> {
    return this.send(to, "sticker", source, options);
  }

  /**
   * Downloads, verifies and decrypts the media of a message: a `message` event (then expired media is
   * recovered through media retry), a quoted message from `quotedMessageOf`, a bare `Message` or a
   * `MediaRef`.
   *
   * @throws {InputError} when the message holds no media. {@link MediaError}: the integrity codes
   *   (`bad_mac`, `bad_enc_hash`, `bad_file_hash`, `bad_length`, ...), `gone` (expired, and no retry was
   *   possible), `retry_failed` (the sender no longer has it), `timeout` (no answer to the retry), transfer
   *   codes. With `to: "stream"` the integrity codes error the stream at its end.
   * @example
   * ```ts
   * import { type Client, hasMedia } from "@wadeno/client";
   * export function example(client: Client) {
   *   client.on("message", async (event) => {
   *     if (!hasMedia(event.message)) return;
   *     const bytes = await client.media.download(event); // in memory
   *     const { fileLength } = await client.media.download(event, { to: { path: "/tmp/in.bin" } }); // to a file
   *     console.log(bytes.length === fileLength);
   *   });
   * }
   * ```
   */
  download(target: Downloadable, options?: MediaDownloadOptions & { to?: "bytes" }): Promise<Uint8Array>;
  /** Streams the plaintext; see the first signature. */
  download(
    target: Downloadable,
    options: MediaDownloadOptions & { to: "stream" },
  ): Promise<ReadableStream<Uint8Array>>;
  /** Writes the plaintext to a file; resolves with its length. See the first signature. */
  download(
    target: Downloadable,
    options: MediaDownloadOptions & { to: { path: string } },
  ): Promise<{ fileLength: number }>;
  /** Any of the above. */
  download(
    target: Downloadable,
    options?: MediaDownloadOptions,
  ): Promise<Uint8Array | ReadableStream<Uint8Array> | { fileLength: number }>;
  async download(
    target: Downloadable,
    options: MediaDownloadOptions = {},
  ): Promise<Uint8Array | ReadableStream<Uint8Array> | { fileLength: number }> {
    const { ref, key } = downloadTarget(target);
    const to = options.to ?? "bytes";
    if (to !== "bytes" && to !== "stream" && (typeof to !== "object" || typeof to.path !== "string")) {
      throw new InputError(
        "invalid_argument",
        "to",
        `expected "bytes", "stream" or { path }, got ${String(to)}`,
      );
    }
    const once = (directPath: string | undefined, hosts: string[]) =>
      this.#fetchOnce(ref, directPath, hosts, to, options);
    if (ref.directPath === undefined) return await once(undefined, []);
    try {
      return await this.#withConn(options.signal, ["auth", "gone"], (hosts) => once(ref.directPath, hosts));
    } catch (error) {
      if (!(error instanceof MediaError) || error.code !== "gone") throw error;
      if (options.retry === false || key?.id === undefined || ref.mediaKey === undefined) throw error;
      this.#ctx.log.info(`media of ${key.id} expired; asking the sender to upload it again`);
      const directPath = await this.#requestReupload(ref, key, options);
      return await this.#withConn(options.signal, ["auth"], (hosts) => once(directPath, hosts));
    }
  }

  async #fetchOnce(
    ref: MediaRef,
    directPath: string | undefined,
    hosts: string[],
    to: DownloadTo,
    options: MediaDownloadOptions,
  ): Promise<Uint8Array | ReadableStream<Uint8Array> | { fileLength: number }> {
    if (ref.mediaKey === undefined) {
      throw new MediaError(
        "unsupported_type",
        "this media has no media key (unencrypted media is not supported here)",
      );
    }
    const lease = this.#http.acquire();
    const request = {
      directPath,
      url: ref.url ?? ref.staticUrl,
      hosts,
      http: lease.http,
      signal: options.signal,
      mediaType: ref.kind,
      mediaKey: ref.mediaKey,
      fileSha256: ref.fileSha256,
      fileEncSha256: ref.fileEncSha256,
      fileLength: ref.fileLength,
      maxBytes: options.maxBytes,
    };
    let stream: ReadableStream<Uint8Array> | undefined;
    try {
      if (to === "bytes") return await downloadAndDecrypt(request);
      if (to !== "stream") return await downloadAndDecryptToFile({ ...request, path: to.path });
      stream = releasing(await downloadAndDecryptStream(request), lease.release);
      return stream;
    } finally {
      if (stream === undefined) lease.release();
    }
  }

  /** Sends the retry receipt and waits for the phone's answer; resolves with the new direct path. */
  async #requestReupload(ref: MediaRef, key: MessageKey, options: MediaDownloadOptions): Promise<string> {
    const own = this.#ctx.ownJid;
    const chat = key.remoteJid === undefined ? undefined : Jid.tryParse(key.remoteJid);
    if (own === undefined || chat === undefined) {
      throw new MediaError(
        "gone",
        `the media of ${key.id} expired, and the chat is unknown or we are not paired`,
      );
    }
    const messageId = key.id!;
    // Registered before the request goes out, so a fast answer is not missed; dropped if it cannot go out.
    const unsent = new AbortController();
    const answer = this.#waiters.wait(messageId, {
      timeoutMs: options.retryTimeoutMs ?? MEDIA_RETRY_TIMEOUT_MS,
      signal: options.signal ? AbortSignal.any([options.signal, unsent.signal]) : unsent.signal,
    });
    try {
      await this.#ctx.sendNode(buildMediaRetryReceipt(ref.mediaKey!, own.toNonAd(), {
        messageId,
        chat,
        fromMe: key.fromMe === true,
        participant: key.participant,
      }));
    } catch (error) {
      answer.catch(() => {});
      unsent.abort();
      throw error;
    }
    const notice = await answer;
    const result = notice.error ??
      (notice.encrypted
        ? decryptMediaRetryNotification(ref.mediaKey!, messageId, notice.encrypted)
        : { kind: "error" as const, code: "general_error" as const, raw: 0 });
    if (result.kind === "error") {
      throw new MediaError(
        "retry_failed",
        `the sender could not upload the media of ${messageId} again: ${result.code} (${result.raw})`,
        { retryResult: result.code },
      );
    }
    return result.directPath;
  }

  async #onRetryAnswer(node: Node): Promise<void> {
    let notice: MediaRetryNotice;
    try {
      notice = parseMediaRetryNotification(node);
    } catch (error) {
      this.#ctx.log.warn("dropping a malformed media retry notification", { error, attrs: node.attrs });
      return;
    }
    this.#waiters.deliver(notice);
    await this.#ctx.emit("mediaRetry", notice);
  }

  #onRetryRequest(node: Node): void {
    const messageId = node.attrs.id;
    const requester = node.attrs.from;
    const rmr = getChild(node, "rmr");
    if (!messageId || !requester || rmr === undefined) return;
    const encrypt = getChild(node, "encrypt");
    const ciphertext = encrypt && getChild(encrypt, "enc_p")?.content;
    const iv = encrypt && getChild(encrypt, "enc_iv")?.content;
    const request = ciphertext instanceof Uint8Array && iv instanceof Uint8Array
      ? { ciphertext: ciphertext.slice(), iv: iv.slice() }
      : undefined;
    const rmrCopy: Node = { tag: "rmr", attrs: { ...rmr.attrs } };
    // Acked at once; the re-upload runs in the background.
    this.#ctx.spawn("answering a media retry request", async () => {
      const lookup = this.#reupload.find(messageId, request);
      const base = { messageId, requester, rmr: rmrCopy };
      if (lookup.kind !== "found") {
        this.#ctx.log.info(`media retry for ${messageId}: ${lookup.kind}`);
        const errorCode = lookup.kind === "decryption_error" ? 3 : 2;
        return await this.#ctx.execute(mediaRetryAnswerSpec({ ...base, errorCode }));
      }
      let directPath: string;
      try {
        directPath = await this.#reuploadEntry(lookup.entry);
      } catch (error) {
        this.#ctx.log.warn(`could not upload the media of ${messageId} again`, { error });
        return await this.#ctx.execute(mediaRetryAnswerSpec({ ...base, errorCode: 0 }));
      }
      const encrypted = encryptMediaRetryNotification(lookup.entry.mediaKey, messageId, { directPath });
      await this.#ctx.execute(mediaRetryAnswerSpec({ ...base, encrypted }));
    });
  }

  async #reuploadEntry(entry: ReuploadEntry): Promise<string> {
    const uploaded = await this.upload(entry.reopen(), entry.kind, {
      mediaKey: entry.mediaKey,
      keepForReupload: false,
    });
    if (!equalBytes(uploaded.fileEncSha256, entry.fileEncSha256)) {
      throw new MediaError(
        "source_changed",
        "the media changed since it was sent; its hashes no longer match",
      );
    }
    return uploaded.directPath;
  }
}

/** `stream`, calling `done` once when it ends, errors or is cancelled. */
function releasing(stream: ReadableStream<Uint8Array>, done: () => void): ReadableStream<Uint8Array> {
  const reader = stream.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch (error) {
        done();
        throw error;
      }
      if (result.done) {
        done();
        controller.close();
      } else controller.enqueue(result.value);
    },
    async cancel(reason) {
      done();
      await reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}
