/**
 * FakeWhatsApp's media server: the HTTPS CDN that media uploads go to and downloads come from, on
 * 127.0.0.1 with a certificate made at start (clients trust {@link MediaServer.caCert}).
 *
 * Like the real hosts (protocol-facts.md "Media", protocol-facts-features.md §1.2):
 * - `POST <path>/<token>?auth=<auth>&token=<token>` with `<path>` one of `/mms/<type>`,
 *   `/newsletter/newsletter-<type>`, `/product/image`, `/pps/<type>`. The auth token must be one this
 *   server issued and not expired (else 401); `token` (padded or not) must be base64url(SHA-256(body))
 *   (else 400); the body streams to storage and is cut off at the size bound (413). The answer is JSON
 *   `{url, direct_path}` (plus `handle` for newsletter media); `&resume=1` answers
 *   `{"resume":"complete", url, direct_path}` for a blob already held and `{"resume":0}` otherwise.
 * - `GET <direct path>` with any query (whatsmeow's `&hash=&mms-type=&__wa-mms=`, whatsapp-rust's
 *   `?auth=&token=`): the blob, streamed, with `Range` support; 404 for an unknown path, 404 or 410 after
 *   {@link MediaServer.expire}.
 * - `DELETE <path>/<token>?token=&d_md=<b64url(direct path)>&auth=` removes a blob (history blobs).
 *
 * Blobs up to `memoryThreshold` stay in memory; larger ones spill to a file in a temporary directory
 * removed by {@link MediaServer.stop}, so a 256 MiB blob is held once, on disk, and streamed both ways.
 *
 * @module
 */

import type { NodeInput } from "../binary/mod.ts";
import { createSha256, equalBytes, randomBytes } from "../crypto/mod.ts";
import { generateTlsCertificate, type TlsCertificate } from "./tls_cert.ts";

/** One host entry of a `media_conn` answer. */
export interface MediaConnHostInfo {
  /** Host name, with a port for a local server. */
  hostname: string;
  /** `primary` (default) or `fallback`. */
  type?: "primary" | "fallback";
  /** An alternative name for the same host. */
  fallbackHostname?: string;
  /** Writes an empty `<upload/>` child (the host takes uploads). Default true. */
  upload?: boolean;
  /** Download categories (`<download><image/>...</download>`); none by default. */
  download?: string[];
}

/** What a `media_conn` answer says. */
export interface MediaConnInfo {
  /** Auth token for uploads. */
  auth: string;
  /** Seconds the hosts are valid. */
  ttl: number;
  /** Seconds the auth token is valid. */
  authTtl?: number;
  /** `max_buckets`. */
  maxBuckets?: number;
  /** Hosts, primary first. */
  hosts: MediaConnHostInfo[];
}

/**
 * The `<media_conn>` node of the answer to `<iq xmlns="w:m" type="set"><media_conn/></iq>`, shaped as
 * whatsapp-rust's mock and whatsmeow's parser expect (`wacore/src/iq/mediaconn.rs`, `mediaconn.go`):
 * `<media_conn auth ttl auth_ttl max_buckets><host hostname type ...><upload/><download>...</download></host>`.
 *
 * @example
 * ```ts
 * import { buildMediaConnNode } from "@wadeno/client/testing";
 * const node = buildMediaConnNode({ auth: "tok", ttl: 300, hosts: [{ hostname: "127.0.0.1:4433" }] });
 * ```
 */
export function buildMediaConnNode(info: MediaConnInfo): NodeInput {
  return {
    tag: "media_conn",
    attrs: {
      auth: info.auth,
      ttl: String(info.ttl),
      auth_ttl: info.authTtl === undefined ? undefined : String(info.authTtl),
      max_buckets: info.maxBuckets === undefined ? undefined : String(info.maxBuckets),
    },
    content: info.hosts.map((host) => {
      const children: NodeInput[] = [];
      if (host.upload ?? true) children.push({ tag: "upload" });
      if (host.download !== undefined) {
        children.push({ tag: "download", content: host.download.map((tag) => ({ tag })) });
      }
      return {
        tag: "host",
        attrs: {
          hostname: host.hostname,
          type: host.type ?? "primary",
          fallback_hostname: host.fallbackHostname,
        },
        content: children.length > 0 ? children : undefined,
      };
    }),
  };
}

/** Options of {@link MediaServer.start}. */
export interface MediaServerOptions {
  /** How many listeners (hosts) to open, each on its own port; default 1. */
  hosts?: number;
  /** Largest blob accepted, in bytes; default 2 GiB. */
  maxBlobBytes?: number;
  /** Most blobs held at once; default 10,000. */
  maxBlobs?: number;
  /** Blobs up to this size stay in memory; default 1 MiB. */
  memoryThreshold?: number;
  /** Lifetime of issued auth tokens, in seconds; default 21,600 (whatsapp-rust's mock `auth_ttl`). */
  authTtlSeconds?: number;
  /** Certificate to serve; generated when absent. */
  tls?: TlsCertificate;
  /** Clock in ms, for expiry tests; `Date.now` by default. */
  now?: () => number;
  /**
   * The host name announced in `media_conn` and upload answers (the listeners always bind 127.0.0.1);
   * default `127.0.0.1`. A name only a test proxy resolves (`media.test`) proves transfers went through
   * it. Added to the generated certificate.
   */
  hostname?: string;
}

/** What the server holds about one blob. */
export interface MediaBlobInfo {
  /** The direct path it answered (with its query). */
  directPath: string;
  /** The upload path's type, e.g. `image`, `md-msg-hist`, `newsletter-image`. */
  mmsType: string;
  /** Blob length in bytes. */
  size: number;
  /** SHA-256 of the blob. */
  sha256: Uint8Array;
  /** The status downloads get after {@link MediaServer.expire}, if expired. */
  expired?: 404 | 410;
}

/** Counters for tests. */
export interface MediaServerStats {
  /** Blobs held. */
  blobs: number;
  /** Bytes held. */
  storedBytes: number;
  /** Uploads accepted. */
  uploads: number;
  /** Body bytes received by accepted and refused uploads. */
  uploadedBytes: number;
  /** Downloads answered 2xx. */
  downloads: number;
  /** Body bytes sent by downloads. */
  downloadedBytes: number;
  /** Requests refused (401, 400, 404, 410, 413, injected failures...). */
  refused: number;
}

interface StoredBlob extends MediaBlobInfo {
  memory?: Uint8Array;
  file?: string;
}

const DEFAULT_MAX_BLOB = 2 * 1024 ** 3;
const CHUNK = 64 * 1024;

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

function token(bytes: Uint8Array): string {
  return bytes.toBase64({ alphabet: "base64url", omitPadding: true });
}

function decodeToken(value: string | null): Uint8Array | undefined {
  if (value === null) return undefined;
  try {
    const bytes = Uint8Array.fromBase64(value.replace(/=+$/, ""), { alphabet: "base64url" });
    return bytes.length === 32 ? bytes : undefined;
  } catch {
    return undefined;
  }
}

function pathnameOf(directPath: string): string {
  return new URL(directPath, "https://media.invalid").pathname;
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  for (let offset = 0; offset < bytes.length;) offset += await file.write(bytes.subarray(offset));
}

/** Parses `bytes=a-b` / `bytes=a-` / `bytes=-n` against `size`; `undefined` means the whole blob. */
function parseRange(header: string | null, size: number): { start: number; end: number } | "bad" | undefined {
  if (header === null) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === "" && match[2] === "")) return "bad";
  let start: number, end: number;
  if (match[1] === "") {
    start = Math.max(0, size - Number(match[2]));
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  return start <= end && start < size ? { start, end } : "bad";
}

/**
 * The media CDN. Start it with {@link MediaServer.start}; stop it with {@link MediaServer.stop} or
 * `await using`.
 *
 * @example
 * ```ts
 * import { MediaServer } from "@wadeno/client/testing";
 * await using media = await MediaServer.start({ hosts: 2 });
 * using client = media.createHttpClient(); // trusts the server's own CA
 * const conn = media.mediaConn(); // { auth, ttl, hosts: [...] } for the media_conn IQ answer
 * conn.hosts.length; // 2
 * ```
 */
export class MediaServer implements AsyncDisposable {
  readonly #tls: TlsCertificate;
  readonly #servers: Deno.HttpServer<Deno.NetAddr>[] = [];
  readonly #hosts: string[] = [];
  readonly #blobs = new Map<string, StoredBlob>();
  readonly #auth = new Map<string, number>();
  readonly #refused = new Map<string, number>();
  readonly #stats: MediaServerStats = {
    blobs: 0,
    storedBytes: 0,
    uploads: 0,
    uploadedBytes: 0,
    downloads: 0,
    downloadedBytes: 0,
    refused: 0,
  };
  readonly #maxBlobBytes: number;
  readonly #maxBlobs: number;
  readonly #memoryThreshold: number;
  readonly #authTtl: number;
  readonly #now: () => number;
  readonly #hostname: string;
  #dir: string | undefined;
  #stopped = false;

  private constructor(tls: TlsCertificate, options: MediaServerOptions) {
    this.#tls = tls;
    this.#maxBlobBytes = options.maxBlobBytes ?? DEFAULT_MAX_BLOB;
    this.#maxBlobs = options.maxBlobs ?? 10_000;
    this.#memoryThreshold = options.memoryThreshold ?? 1024 * 1024;
    this.#authTtl = options.authTtlSeconds ?? 21_600;
    this.#now = options.now ?? Date.now;
    this.#hostname = options.hostname ?? "127.0.0.1";
  }

  /** Opens the listeners on 127.0.0.1, each on a free port. */
  static async start(options: MediaServerOptions = {}): Promise<MediaServer> {
    const dnsNames = options.hostname === undefined ? undefined : [options.hostname];
    const server = new MediaServer(options.tls ?? await generateTlsCertificate({ dnsNames }), options);
    const count = Math.max(1, options.hosts ?? 1);
    for (let i = 0; i < count; i++) {
      const http: Deno.HttpServer<Deno.NetAddr> = Deno.serve({
        hostname: "127.0.0.1",
        port: 0,
        cert: server.#tls.cert,
        key: server.#tls.key,
        onListen: () => {},
        onError: () => new Response("internal error", { status: 500 }),
      }, (request): Promise<Response> => server.#handle(request, http.addr));
      server.#servers.push(http);
      server.#hosts.push(`${server.#hostname}:${http.addr.port}`);
    }
    return server;
  }

  /** The host names clients use (`127.0.0.1:<port>` by default), one per listener, in order. */
  get hosts(): readonly string[] {
    return this.#hosts;
  }

  /** The CA certificate (PEM) clients must trust. */
  get caCert(): string {
    return this.#tls.caCert;
  }

  /** A `Deno.HttpClient` that trusts this server; the caller closes it. */
  createHttpClient(): Deno.HttpClient {
    return Deno.createHttpClient({ caCerts: [this.#tls.caCert] });
  }

  /** Counters since start. */
  get stats(): MediaServerStats {
    return { ...this.#stats };
  }

  /** Issues an upload auth token valid for `ttlSeconds` (the server default if absent; 0 or less: expired). */
  issueAuth(ttlSeconds: number = this.#authTtl): string {
    const now = this.#now();
    for (const [auth, expiry] of this.#auth) if (expiry <= now) this.#auth.delete(auth);
    // URL-safe characters only, so clients that URL-encode it and clients that do not send the same thing.
    const auth = "A" + token(randomBytes(24));
    this.#auth.set(auth, now + ttlSeconds * 1000);
    return auth;
  }

  /** Withdraws an auth token at once. */
  revokeAuth(auth: string): void {
    this.#auth.delete(auth);
  }

  /** A fresh `media_conn` answer (auth issued now) for {@link buildMediaConnNode}. */
  mediaConn(options: { ttl?: number; authTtl?: number; maxBuckets?: number } = {}): MediaConnInfo {
    const authTtl = options.authTtl ?? this.#authTtl;
    return {
      auth: this.issueAuth(authTtl),
      ttl: options.ttl ?? 300,
      authTtl,
      maxBuckets: options.maxBuckets ?? 12,
      hosts: this.#hosts.map((hostname, i) => ({ hostname, type: i === 0 ? "primary" : "fallback" })),
    };
  }

  /** Makes downloads of `directPath` answer `status` (404 or 410) until {@link MediaServer.restore}. */
  expire(directPath: string, status: 404 | 410 = 410): void {
    const blob = this.#blobs.get(pathnameOf(directPath));
    if (blob !== undefined) blob.expired = status;
  }

  /** Serves an expired blob again. */
  restore(directPath: string): void {
    const blob = this.#blobs.get(pathnameOf(directPath));
    if (blob !== undefined) delete blob.expired;
  }

  /** Drops a blob; later downloads get 404. */
  async remove(directPath: string): Promise<boolean> {
    const key = pathnameOf(directPath);
    const blob = this.#blobs.get(key);
    if (blob === undefined) return false;
    this.#blobs.delete(key);
    this.#stats.blobs--;
    this.#stats.storedBytes -= blob.size;
    if (blob.file !== undefined) await Deno.remove(blob.file).catch(() => {});
    return true;
  }

  /**
   * Flips the bits of one byte of a held blob (`offset` from the start, or from the end when negative:
   * `-1` is the last byte of the MAC), as a tampering CDN or a bit flip in transit would. Returns false
   * when no such blob or byte exists. The blob's recorded SHA-256 is left as it was uploaded.
   */
  async corrupt(directPath: string, offset: number, mask = 0xff): Promise<boolean> {
    const blob = this.#blobs.get(pathnameOf(directPath));
    if (blob === undefined) return false;
    const at = offset < 0 ? blob.size + offset : offset;
    if (!Number.isInteger(at) || at < 0 || at >= blob.size) return false;
    if (blob.memory !== undefined) {
      blob.memory[at] ^= mask;
      return true;
    }
    using file = await Deno.open(blob.file!, { read: true, write: true });
    const byte = new Uint8Array(1);
    await file.seek(at, Deno.SeekMode.Start);
    await file.read(byte);
    byte[0] ^= mask;
    await file.seek(at, Deno.SeekMode.Start);
    await writeAll(file, byte);
    return true;
  }

  /** Makes listener `host` answer every request with `status` (a down host); `undefined` heals it. */
  failHost(host: string, status: number | undefined = 503): void {
    if (status === undefined) this.#refused.delete(host);
    else this.#refused.set(host, status);
  }

  /** What is held for `directPath`, or `undefined`. */
  blob(directPath: string): MediaBlobInfo | undefined {
    const blob = this.#blobs.get(pathnameOf(directPath));
    if (blob === undefined) return undefined;
    const { memory: _memory, file: _file, ...info } = blob;
    return { ...info };
  }

  /** A stream of a held blob (for server-side actors such as virtual phones), or `undefined`. */
  async read(directPath: string): Promise<ReadableStream<Uint8Array> | undefined> {
    const blob = this.#blobs.get(pathnameOf(directPath));
    return blob === undefined ? undefined : await this.#open(blob, 0, blob.size - 1);
  }

  /**
   * Stores a blob directly, as if uploaded (for server-side actors: a virtual phone's history blob).
   *
   * @throws {RangeError} past the size or count bound.
   */
  async store(body: Uint8Array | ReadableStream<Uint8Array>, mmsType: string): Promise<MediaBlobInfo> {
    const stream = body instanceof Uint8Array ? ReadableStream.from([body]) : body;
    const result = await this.#receive(stream);
    if (typeof result === "number") throw new RangeError(`blob refused with status ${result}`);
    return this.#keep(result, mmsType);
  }

  /** Closes the listeners and deletes every blob. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await Promise.all(this.#servers.map((s) => s.shutdown()));
    this.#blobs.clear();
    if (this.#dir !== undefined) await Deno.remove(this.#dir, { recursive: true }).catch(() => {});
  }

  /** Same as {@link MediaServer.stop}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  #refuse(status: number, body: unknown = { error: status }): Response {
    this.#stats.refused++;
    return json(status, body);
  }

  async #handle(request: Request, addr: Deno.NetAddr): Promise<Response> {
    const host = `${this.#hostname}:${addr.port}`;
    const injected = this.#refused.get(host);
    if (injected !== undefined) {
      await request.body?.cancel();
      return this.#refuse(injected);
    }
    const url = new URL(request.url);
    if (request.method === "POST") return await this.#upload(request, url, host);
    if (request.method === "GET") return await this.#download(request, url);
    if (request.method === "DELETE") return await this.#delete(url);
    await request.body?.cancel();
    return this.#refuse(405);
  }

  #authorized(url: URL): boolean {
    const auth = url.searchParams.get("auth");
    const expiry = auth === null ? undefined : this.#auth.get(auth);
    return expiry !== undefined && expiry > this.#now();
  }

  async #upload(request: Request, url: URL, host: string): Promise<Response> {
    const parts = url.pathname.split("/").filter((p) => p !== "");
    const expected = decodeToken(url.searchParams.get("token") ?? parts.at(-1) ?? null);
    if (!this.#authorized(url)) {
      await request.body?.cancel();
      return this.#refuse(401, { error: "not-authorized" });
    }
    if (parts.length < 3 || expected === undefined) {
      await request.body?.cancel();
      return this.#refuse(400, { error: "bad token" });
    }
    const mmsType = parts[parts.length - 2];
    if (url.searchParams.get("resume") === "1") {
      await request.body?.cancel();
      const held = [...this.#blobs.values()].find((b) => equalBytes(b.sha256, expected) && !b.expired);
      return held === undefined ? json(200, { resume: 0 }) : json(200, this.#answer(held, host, "complete"));
    }
    if (this.#blobs.size >= this.#maxBlobs) {
      await request.body?.cancel();
      return this.#refuse(507, { error: "storage full" });
    }
    const received = await this.#receive(request.body ?? ReadableStream.from([]));
    if (typeof received === "number") return this.#refuse(received, { error: "too large" });
    if (!equalBytes(received.sha256, expected)) {
      if (received.file !== undefined) await Deno.remove(received.file).catch(() => {});
      return this.#refuse(400, { error: "token does not match the body's SHA-256" });
    }
    const blob = this.#keep(received, mmsType);
    this.#stats.uploads++;
    return json(200, this.#answer(blob, host));
  }

  #answer(blob: MediaBlobInfo, host: string, resume?: string): Record<string, string> {
    const answer: Record<string, string> = {
      url: `https://${host}${blob.directPath}&mms3=true`,
      direct_path: blob.directPath,
    };
    if (blob.mmsType.startsWith("newsletter-")) answer.handle = token(blob.sha256).slice(0, 22);
    if (resume !== undefined) answer.resume = resume;
    return answer;
  }

  /** Streams a body into memory, spilling to a file past the threshold; a number is a refusal status. */
  async #receive(body: ReadableStream<Uint8Array>): Promise<StoredBlob | number> {
    const hash = createSha256();
    const parts: Uint8Array[] = [];
    let size = 0;
    let file: Deno.FsFile | undefined;
    let path: string | undefined;
    const reader = body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.length;
        this.#stats.uploadedBytes += value.length;
        if (size > this.#maxBlobBytes) {
          await reader.cancel();
          file?.close();
          file = undefined;
          if (path !== undefined) await Deno.remove(path).catch(() => {});
          return 413;
        }
        hash.update(value);
        if (file !== undefined) {
          await writeAll(file, value);
        } else if (size > this.#memoryThreshold) {
          this.#dir ??= await Deno.makeTempDir({ prefix: "wadeno-media-server-" });
          path = await Deno.makeTempFile({ dir: this.#dir, suffix: ".enc" });
          file = await Deno.open(path, { write: true });
          for (const part of parts) await writeAll(file, part);
          parts.length = 0;
          await writeAll(file, value);
        } else {
          parts.push(value.slice());
        }
      }
    } catch {
      file?.close();
      if (path !== undefined) await Deno.remove(path).catch(() => {});
      return 400;
    }
    file?.close();
    const blob: StoredBlob = { directPath: "", mmsType: "", size, sha256: hash.digest() };
    if (path !== undefined) blob.file = path;
    else {
      const memory = new Uint8Array(size);
      let offset = 0;
      for (const part of parts) {
        memory.set(part, offset);
        offset += part.length;
      }
      blob.memory = memory;
    }
    return blob;
  }

  #keep(blob: StoredBlob, mmsType: string): MediaBlobInfo {
    const id = randomBytes(8).toHex();
    const oe = Math.floor(this.#now() / 1000 + 30 * 86400).toString(16).toUpperCase();
    const pathname = `/v/t62.7118-24/${BigInt("0x" + id.slice(0, 12))}_${BigInt("0x" + id.slice(12))}_n.enc`;
    blob.directPath = `${pathname}?ccb=11-4&oh=01_${token(blob.sha256).slice(0, 24)}&oe=${oe}&_nc_sid=5e03e0`;
    blob.mmsType = mmsType;
    this.#blobs.set(pathname, blob);
    this.#stats.blobs++;
    this.#stats.storedBytes += blob.size;
    return this.blob(blob.directPath)!;
  }

  async #download(request: Request, url: URL): Promise<Response> {
    const blob = this.#blobs.get(url.pathname);
    if (blob === undefined) return this.#refuse(404, { error: "not found" });
    if (blob.expired !== undefined) return this.#refuse(blob.expired, { error: "gone" });
    const range = parseRange(request.headers.get("range"), blob.size);
    if (range === "bad") {
      this.#stats.refused++;
      return new Response(null, { status: 416, headers: { "content-range": `bytes */${blob.size}` } });
    }
    const { start, end } = range ?? { start: 0, end: blob.size - 1 };
    const body = await this.#open(blob, start, end);
    this.#stats.downloads++;
    const headers: Record<string, string> = {
      "content-type": "application/octet-stream",
      "content-length": String(end - start + 1),
      "accept-ranges": "bytes",
    };
    if (range !== undefined) headers["content-range"] = `bytes ${start}-${end}/${blob.size}`;
    return new Response(body, { status: range === undefined ? 200 : 206, headers });
  }

  /** Bytes `start..end` (inclusive) of a blob as a counted stream. */
  async #open(blob: StoredBlob, start: number, end: number): Promise<ReadableStream<Uint8Array>> {
    const stats = this.#stats;
    if (blob.memory !== undefined) {
      const bytes = blob.memory.subarray(start, end + 1);
      let offset = 0;
      return new ReadableStream({
        pull(controller) {
          if (offset >= bytes.length) return controller.close();
          const chunk = bytes.subarray(offset, Math.min(offset + CHUNK, bytes.length));
          offset += chunk.length;
          stats.downloadedBytes += chunk.length;
          controller.enqueue(chunk);
        },
      });
    }
    const file = await Deno.open(blob.file!, { read: true });
    await file.seek(start, Deno.SeekMode.Start);
    let remaining = end - start + 1;
    return new ReadableStream({
      async pull(controller) {
        if (remaining <= 0) {
          file.close();
          return controller.close();
        }
        const buffer = new Uint8Array(Math.min(CHUNK, remaining));
        const n = await file.read(buffer);
        if (n === null) {
          file.close();
          return controller.error(new Error("blob file ended early"));
        }
        remaining -= n;
        stats.downloadedBytes += n;
        controller.enqueue(n === buffer.length ? buffer : buffer.subarray(0, n));
      },
      cancel() {
        file.close();
      },
    });
  }

  async #delete(url: URL): Promise<Response> {
    if (!this.#authorized(url)) return this.#refuse(401, { error: "not-authorized" });
    const encoded = url.searchParams.get("d_md");
    let directPath: string;
    try {
      directPath = new TextDecoder().decode(Uint8Array.fromBase64(encoded ?? "", { alphabet: "base64url" }));
    } catch {
      return this.#refuse(400, { error: "bad d_md" });
    }
    return await this.remove(directPath) ? json(200, {}) : this.#refuse(404, { error: "not found" });
  }
}
