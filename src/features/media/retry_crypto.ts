/**
 * Media retry ("rmr"): asking the sender's phone to re-upload media whose blob expired, and reading its
 * answer. Pure: builds and reads stanzas and payloads; sending them is the caller's.
 *
 * Facts (protocol-facts-features.md §1.3; whatsmeow `mediaretry.go`, Baileys `Utils/messages-media.ts`
 * `encryptMediaRetryRequest`/`decryptMediaRetryData`, whatsapp-rust `wacore/src/media_retry.rs`):
 * - key = HKDF-SHA256(the message's mediaKey, no salt, "WhatsApp Media Retry Notification", 32), both ways;
 * - AES-256-GCM, random 12-byte IV, AAD = UTF-8 of the message id, 16-byte tag appended;
 * - request plaintext `ServerErrorReceipt{stanzaId}`; answer `MediaRetryNotification{stanzaId, directPath,
 *   result, messageSecret}`, result 0 general error, 1 success, 2 not found, 3 decryption error;
 * - request stanza `<receipt id to=<own PN> type="server-error"><encrypt><enc_p/><enc_iv/></encrypt>
 *   <rmr jid from_me [participant]/></receipt>`; answer `<notification type="mediaretry" id>` with
 *   `<rmr/>` and either `<encrypt>` or `<error code>` (2 not found, 3 decryption error, else general).
 *
 * @module
 */

import { type AttrValue, childBytes, getChild, type Node, type NodeInput } from "../../binary/mod.ts";
import { aesGcmDecrypt, aesGcmEncrypt, hkdf, randomBytes, utf8 } from "../../crypto/mod.ts";
import {
  MediaRetryNotification,
  MediaRetryNotificationResultType,
  ServerErrorReceipt,
} from "../../proto/mod.ts";
import { MediaError } from "./errors.ts";

/** HKDF info of the retry key. */
export const MEDIA_RETRY_INFO = "WhatsApp Media Retry Notification";

const IV_LENGTH = 12;

/** An AES-GCM payload as it travels in `<enc_p>` and `<enc_iv>`. */
export interface MediaRetryCiphertext {
  /** Ciphertext ‖ 16-byte tag (`<enc_p>`). */
  ciphertext: Uint8Array;
  /** 12-byte IV (`<enc_iv>`). */
  iv: Uint8Array;
}

/**
 * The 32-byte retry key derived from a message's media key.
 *
 * @throws {MediaError} `bad_key` for a media key that is not 32 bytes.
 */
export function mediaRetryKey(mediaKey: Uint8Array): Uint8Array {
  if (!(mediaKey instanceof Uint8Array) || mediaKey.length !== 32) {
    throw new MediaError(
      "bad_key",
      `a media key must be 32 bytes, got ${mediaKey?.length ?? typeof mediaKey}`,
    );
  }
  return hkdf(mediaKey, 32, { info: MEDIA_RETRY_INFO });
}

function seal(
  mediaKey: Uint8Array,
  messageId: string,
  plaintext: Uint8Array,
  iv?: Uint8Array,
): MediaRetryCiphertext {
  const nonce = iv ?? randomBytes(IV_LENGTH);
  return { ciphertext: aesGcmEncrypt(mediaRetryKey(mediaKey), nonce, plaintext, utf8(messageId)), iv: nonce };
}

function open(
  mediaKey: Uint8Array,
  messageId: string,
  payload: MediaRetryCiphertext,
  what: string,
): Uint8Array {
  const key = mediaRetryKey(mediaKey);
  if (payload.iv.length !== IV_LENGTH) {
    throw new MediaError("bad_retry", `${what}: expected a ${IV_LENGTH}-byte IV, got ${payload.iv.length}`);
  }
  try {
    return aesGcmDecrypt(key, payload.iv, payload.ciphertext, utf8(messageId));
  } catch (cause) {
    throw new MediaError("bad_retry", `${what} does not decrypt with this media key and message id`, {
      cause,
    });
  }
}

function decode<T>(codec: { decode(bytes: Uint8Array): T }, bytes: Uint8Array, what: string): T {
  try {
    return codec.decode(bytes);
  } catch (cause) {
    throw new MediaError("bad_retry", `${what} is not a valid protobuf`, { cause });
  }
}

function checkStanzaId(got: string | undefined, messageId: string, what: string): void {
  if (got !== messageId) {
    throw new MediaError("bad_retry", `${what} is for message ${JSON.stringify(got)}, expected ${messageId}`);
  }
}

/**
 * Encrypts the request payload (`ServerErrorReceipt{stanzaId}`) for message `messageId`.
 *
 * @param iv a fixed IV for tests; random by default
 * @example
 * ```ts
 * import { encryptMediaRetryRequest } from "./retry_crypto.ts";
 * const { ciphertext, iv } = encryptMediaRetryRequest(new Uint8Array(32), "3EB0ABCDEF");
 * ```
 */
export function encryptMediaRetryRequest(
  mediaKey: Uint8Array,
  messageId: string,
  iv?: Uint8Array,
): MediaRetryCiphertext {
  return seal(mediaKey, messageId, ServerErrorReceipt.encode({ stanzaId: messageId }), iv);
}

/**
 * The phone's side: decrypts a request and checks it names `messageId`.
 *
 * @throws {MediaError} `bad_retry` when it does not decrypt, decode, or match; `bad_key`.
 */
export function decryptMediaRetryRequest(
  mediaKey: Uint8Array,
  messageId: string,
  payload: MediaRetryCiphertext,
): void {
  const receipt = decode(
    ServerErrorReceipt,
    open(mediaKey, messageId, payload, "media retry request"),
    "request",
  );
  checkStanzaId(receipt.stanzaId, messageId, "the media retry request");
}

/** Why the phone could not re-upload. */
export type MediaRetryErrorCode = "not_found" | "decryption_error" | "general_error";

/** The outcome of a media retry. */
export type MediaRetryResult =
  | {
    /** The phone re-uploaded the media. */
    kind: "success";
    /** Download from here now. */
    directPath: string;
    /** The message secret, when the phone sent it. */
    messageSecret?: Uint8Array;
  }
  | {
    /** The phone could not re-upload. */
    kind: "error";
    /** Why, from the result field or the `<error code>`. */
    code: MediaRetryErrorCode;
    /** The raw result or error code. */
    raw: number;
  };

function errorFromResult(raw: number): MediaRetryResult {
  const code: MediaRetryErrorCode = raw === MediaRetryNotificationResultType.NOT_FOUND
    ? "not_found"
    : raw === MediaRetryNotificationResultType.DECRYPTION_ERROR
    ? "decryption_error"
    : "general_error";
  return { kind: "error", code, raw };
}

/** What the phone answers; `result` defaults to success when `directPath` is set. */
export interface MediaRetryAnswer {
  /** The new direct path (success). */
  directPath?: string;
  /** Result code; `MediaRetryNotificationResultType`. */
  result?: MediaRetryNotificationResultType;
  /** Optional message secret. */
  messageSecret?: Uint8Array;
}

/**
 * The phone's side: encrypts a `MediaRetryNotification` answer for message `messageId`.
 *
 * @param iv a fixed IV for tests; random by default
 */
export function encryptMediaRetryNotification(
  mediaKey: Uint8Array,
  messageId: string,
  answer: MediaRetryAnswer,
  iv?: Uint8Array,
): MediaRetryCiphertext {
  const result = answer.result ??
    (answer.directPath !== undefined
      ? MediaRetryNotificationResultType.SUCCESS
      : MediaRetryNotificationResultType.GENERAL_ERROR);
  const plaintext = MediaRetryNotification.encode({
    stanzaId: messageId,
    directPath: answer.directPath,
    result,
    messageSecret: answer.messageSecret,
  });
  return seal(mediaKey, messageId, plaintext, iv);
}

/**
 * Decrypts the phone's answer into a typed result. A success without a direct path is an error
 * (`general_error`), since there is nothing to download.
 *
 * @throws {MediaError} `bad_retry` when the payload does not decrypt (wrong key, tampered), does not
 *   decode, or names another message; `bad_key`.
 * @example
 * ```ts
 * import { decryptMediaRetryNotification, encryptMediaRetryNotification } from "./retry_crypto.ts";
 * const key = new Uint8Array(32);
 * const sealed = encryptMediaRetryNotification(key, "ABC", { directPath: "/v/t62/1.enc" });
 * decryptMediaRetryNotification(key, "ABC", sealed); // { kind: "success", directPath: "/v/t62/1.enc" }
 * ```
 */
export function decryptMediaRetryNotification(
  mediaKey: Uint8Array,
  messageId: string,
  payload: MediaRetryCiphertext,
): MediaRetryResult {
  const plaintext = open(mediaKey, messageId, payload, "media retry notification");
  const notification = decode(MediaRetryNotification, plaintext, "media retry notification");
  checkStanzaId(notification.stanzaId, messageId, "the media retry notification");
  const raw = notification.result ?? MediaRetryNotificationResultType.GENERAL_ERROR;
  if (raw !== MediaRetryNotificationResultType.SUCCESS) return errorFromResult(raw);
  if (notification.directPath === undefined || notification.directPath.length === 0) {
    return { kind: "error", code: "general_error", raw };
  }
  const success: MediaRetryResult = { kind: "success", directPath: notification.directPath };
  if (notification.messageSecret !== undefined) success.messageSecret = notification.messageSecret;
  return success;
}

/** Which message the retry is about, as `<rmr>` names it. */
export interface MediaRetryTarget {
  /** The message id. */
  messageId: string;
  /** The chat the message is in (`rmr jid`). */
  chat: AttrValue;
  /** Whether we sent the message. */
  fromMe: boolean;
  /** The sender in a group. */
  participant?: AttrValue;
}

/**
 * The request stanza: `<receipt type="server-error">` to our own phone number, with the encrypted payload
 * and the `<rmr>` target.
 *
 * @param ownPn our phone-number JID without device (the receipt's `to`)
 * @example
 * ```ts
 * import { buildMediaRetryReceipt } from "./retry_crypto.ts";
 * const receipt = buildMediaRetryReceipt(new Uint8Array(32), "15550001111@s.whatsapp.net", {
 *   messageId: "3EB0ABCDEF", chat: "15552223333@s.whatsapp.net", fromMe: false,
 * });
 * ```
 */
export function buildMediaRetryReceipt(
  mediaKey: Uint8Array,
  ownPn: AttrValue,
  target: MediaRetryTarget,
  iv?: Uint8Array,
): NodeInput {
  const { ciphertext, iv: nonce } = encryptMediaRetryRequest(mediaKey, target.messageId, iv);
  return {
    tag: "receipt",
    attrs: { id: target.messageId, to: ownPn, type: "server-error" },
    content: [
      {
        tag: "encrypt",
        content: [{ tag: "enc_p", content: ciphertext }, { tag: "enc_iv", content: nonce }],
      },
      {
        tag: "rmr",
        attrs: { jid: target.chat, from_me: String(target.fromMe), participant: target.participant },
      },
    ],
  };
}

/** A `<notification type="mediaretry">`, read but not yet decrypted. */
export interface MediaRetryNotice {
  /** The message id. */
  messageId: string;
  /** `<rmr>`'s attributes. */
  chat?: string;
  /** `<rmr from_me>`. */
  fromMe: boolean;
  /** `<rmr participant>`. */
  participant?: string;
  /** The encrypted answer, when the notification carries one. */
  encrypted?: MediaRetryCiphertext;
  /** The answer when the notification carries `<error code>` instead. */
  error?: MediaRetryResult;
}

/**
 * Reads a media retry notification node. Decrypt `encrypted` with {@link decryptMediaRetryNotification}.
 *
 * @throws {MediaError} `bad_retry` for a node that is not one, or has neither payload nor error.
 */
export function parseMediaRetryNotification(node: Node): MediaRetryNotice {
  const id = node.attrs.id;
  if (node.tag !== "notification" || node.attrs.type !== "mediaretry" || !id) {
    throw new MediaError(
      "bad_retry",
      `expected <notification type="mediaretry" id=...>, got <${node.tag} type=${node.attrs.type}>`,
    );
  }
  const rmr = getChild(node, "rmr");
  const notice: MediaRetryNotice = { messageId: id, fromMe: rmr?.attrs.from_me === "true" };
  if (rmr?.attrs.jid) notice.chat = rmr.attrs.jid;
  if (rmr?.attrs.participant) notice.participant = rmr.attrs.participant;
  const error = getChild(node, "error");
  if (error !== undefined) {
    const raw = Number(error.attrs.code);
    notice.error = errorFromResult(Number.isInteger(raw) ? raw : 0);
    return notice;
  }
  const encrypt = getChild(node, "encrypt");
  const ciphertext = encrypt && childBytes(encrypt, "enc_p");
  const iv = encrypt && childBytes(encrypt, "enc_iv");
  if (ciphertext === undefined || iv === undefined) {
    throw new MediaError(
      "bad_retry",
      "the media retry notification has neither <encrypt> with enc_p/enc_iv nor <error>",
    );
  }
  notice.encrypted = { ciphertext, iv };
  return notice;
}
