/**
 * The sending side of media retry: what a phone needs to upload a blob again when a receiver reports it
 * expired, and the answer it sends back.
 *
 * What is kept: after each upload, the media key, the blob's hash and a way to read the plaintext again,
 * in a bounded cache (newest first; {@link DEFAULT_REUPLOAD_LIMITS}). Bytes are kept by reference (they
 * count against the byte bound; a blob larger than the bound is not kept); a file `{ path }` or a function
 * that returns a fresh source is kept as such and costs nothing, and is read again at re-upload time, where
 * a file that changed is caught by its hash. One-shot streams cannot be read again and are not kept.
 * Re-encrypting with the same key gives the same blob (the IV comes from the key), so the receiver's
 * hashes still match.
 *
 * Which entry a request is about: the one bound to its message id by `send`, else (media uploaded with
 * `upload()` and sent by hand) the one whose key decrypts the request: AES-GCM authenticates it with the
 * message id as AAD, so only the right key opens it.
 *
 * The answer is FakeWhatsApp's convention, since the phone's stanza is not public (the companion
 * libraries only request): `<iq xmlns="w:m" type="set"><mediaretry id=<message id> requester=<device
 * that asked>>` with the request's `<rmr>` and either the encrypted `MediaRetryNotification` in
 * `<encrypt><enc_p/><enc_iv/></encrypt>` or `<error code/>` (2 not found, 3 decryption error, 0 other:
 * protocol-facts-features.md §1.3). The server turns it into the `<notification type="mediaretry">` the
 * requester reads. The real service sends retry requests to the account's phone only, so a companion
 * such as a bot never receives one there.
 *
 * @module
 */

import type { Node, NodeInput } from "../../binary/mod.ts";
import { equalBytes } from "../../crypto/mod.ts";
import type { IqSpec } from "../iq.ts";
import type { MediaSource } from "./media_stream.ts";
import type { MediaKind } from "./media_type.ts";
import { decryptMediaRetryRequest, type MediaRetryCiphertext } from "./retry_crypto.ts";

/** Bounds of the re-upload cache. */
export interface ReuploadLimits {
  /** Most entries kept. */
  maxEntries: number;
  /** Most plaintext bytes kept in memory (bytes sources only). */
  maxBytes: number;
}

/** 32 entries, 32 MiB of in-memory plaintext. */
export const DEFAULT_REUPLOAD_LIMITS: Readonly<ReuploadLimits> = Object.freeze({
  maxEntries: 32,
  maxBytes: 32 * 1024 * 1024,
});

/** What is kept about one upload. */
export interface ReuploadEntry {
  /** The media kind (selects keys and the upload path). */
  kind: MediaKind;
  /** The media key the message carries. */
  mediaKey: Uint8Array;
  /** The blob's SHA-256, which the re-upload must reproduce. */
  fileEncSha256: Uint8Array;
  /** A fresh source of the plaintext. */
  reopen(): MediaSource;
  /** Bytes this entry holds in memory. */
  cost: number;
  /** The message the media was sent in, once known. */
  messageId?: string;
}

/**
 * How a source can be kept for re-upload: a re-opener and its memory cost, or `undefined` for a
 * one-shot stream.
 */
export function reopenerOf(
  source: MediaSource | (() => MediaSource),
): { reopen: () => MediaSource; cost: number } | undefined {
  if (source instanceof Uint8Array) return { reopen: () => source, cost: source.length };
  if (typeof source === "function") return { reopen: source, cost: 0 };
  if (
    typeof source === "object" && source !== null && "path" in source && !(source instanceof ReadableStream)
  ) {
    const file = { path: source.path };
    return { reopen: () => file, cost: 0 };
  }
  return undefined;
}

/** What {@link ReuploadCache.find} concluded. */
export type ReuploadLookup =
  | { kind: "found"; entry: ReuploadEntry }
  | { kind: "decryption_error" }
  | { kind: "not_found" };

/**
 * The bounded cache of re-uploadable media.
 *
 * @example
 * ```ts
 * import { ReuploadCache } from "./reupload.ts";
 * const cache = new ReuploadCache({ maxEntries: 2, maxBytes: 1024 });
 * const bytes = new Uint8Array(10);
 * cache.remember({ kind: "image", mediaKey: new Uint8Array(32), fileEncSha256: new Uint8Array(32), reopen: () => bytes, cost: 10 });
 * cache.size; // 1
 * ```
 */
export class ReuploadCache {
  readonly #limits: ReuploadLimits;
  // Insertion order is age: the first entry is the oldest.
  readonly #entries: ReuploadEntry[] = [];
  #bytes = 0;

  /** Creates an empty cache with these bounds. */
  constructor(limits: ReuploadLimits = DEFAULT_REUPLOAD_LIMITS) {
    this.#limits = limits;
  }

  /** Entries held. */
  get size(): number {
    return this.#entries.length;
  }

  /** In-memory bytes held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Keeps `entry`, evicting the oldest past the bounds; an entry over the byte bound alone is not kept. */
  remember(entry: ReuploadEntry): boolean {
    if (entry.cost > this.#limits.maxBytes || this.#limits.maxEntries < 1) return false;
    this.#entries.push(entry);
    this.#bytes += entry.cost;
    while (this.#entries.length > this.#limits.maxEntries || this.#bytes > this.#limits.maxBytes) {
      this.#bytes -= this.#entries.shift()!.cost;
    }
    return true;
  }

  /** Records that the newest upload of the blob `fileEncSha256` went out as message `messageId`. */
  bind(fileEncSha256: Uint8Array, messageId: string): void {
    for (let i = this.#entries.length - 1; i >= 0; i--) {
      const entry = this.#entries[i];
      if (entry.messageId === undefined && equalBytes(entry.fileEncSha256, fileEncSha256)) {
        entry.messageId = messageId;
        return;
      }
    }
  }

  /** Forgets everything. */
  clear(): void {
    this.#entries.length = 0;
    this.#bytes = 0;
  }

  /**
   * The entry a retry request for `messageId` is about, checked by decrypting the request with its key.
   * A bound entry whose key does not open the request is a `decryption_error`.
   */
  find(messageId: string, request: MediaRetryCiphertext | undefined): ReuploadLookup {
    const opens = (entry: ReuploadEntry) => {
      if (request === undefined) return false;
      try {
        decryptMediaRetryRequest(entry.mediaKey, messageId, request);
        return true;
      } catch {
        return false;
      }
    };
    const bound = this.#entries.filter((e) => e.messageId === messageId);
    for (const entry of bound.reverse()) if (opens(entry)) return { kind: "found", entry };
    if (bound.length > 0) return { kind: "decryption_error" };
    for (let i = this.#entries.length - 1; i >= 0; i--) {
      const entry = this.#entries[i];
      if (entry.messageId === undefined && opens(entry)) return { kind: "found", entry };
    }
    return { kind: "not_found" };
  }
}

/** The phone's answer to one retry request. */
export interface MediaRetryAnswerInput {
  /** The message id. */
  messageId: string;
  /** The device that asked (the request receipt's `from`). */
  requester: string;
  /** The request's `<rmr>`, sent back unchanged. */
  rmr?: Node;
  /** The encrypted `MediaRetryNotification` (success or a result code). */
  encrypted?: MediaRetryCiphertext;
  /** Or a bare error code: 2 not found, 3 decryption error, 0 anything else. */
  errorCode?: 0 | 2 | 3;
}

/**
 * The answer IQ (FakeWhatsApp's convention; see the module comment).
 *
 * @example
 * ```ts
 * import { mediaRetryAnswerSpec } from "./reupload.ts";
 * const iq = mediaRetryAnswerSpec({ messageId: "3EB0AA", requester: "15550001111:3@s.whatsapp.net", errorCode: 2 }).build();
 * iq.namespace; // "w:m"
 * ```
 */
export function mediaRetryAnswerSpec(answer: MediaRetryAnswerInput): IqSpec<void> {
  const content: NodeInput[] = [];
  if (answer.rmr !== undefined) content.push({ tag: "rmr", attrs: { ...answer.rmr.attrs } });
  if (answer.encrypted !== undefined) {
    content.push({
      tag: "encrypt",
      content: [
        { tag: "enc_p", content: answer.encrypted.ciphertext },
        { tag: "enc_iv", content: answer.encrypted.iv },
      ],
    });
  } else {
    content.push({ tag: "error", attrs: { code: String(answer.errorCode ?? 0) } });
  }
  return {
    operation: "media retry answer",
    about: answer.requester,
    build: () => ({
      namespace: "w:m",
      type: "set",
      content: [{
        tag: "mediaretry",
        attrs: { id: answer.messageId, requester: answer.requester },
        content,
      }],
    }),
    parse: () => {},
  };
}
