/**
 * The add-on encryption of poll votes and event responses: a message that carries
 * `messageContextInfo.messageSecret` (32 random bytes) lets whoever saw it encrypt a reply that only the
 * chat's members can read and that cannot be forged for another voter.
 *
 * - Key: HKDF-SHA256(ikm = secret, no salt, info = messageId ‖ creatorJid ‖ voterJid ‖ useCase, 32 bytes),
 *   the JIDs as user JIDs without a device, no separators. `useCase` is `"Poll Vote"` or `"Event Response"`.
 * - Cipher: AES-256-GCM with a random 12-byte IV, AAD = messageId ‖ 0x00 ‖ voterJid, tag appended.
 * - Plaintext: `PollVoteMessage{selectedOptions: SHA-256 of each chosen option name}` (an empty list
 *   withdraws the vote) or `EventResponseMessage`.
 *
 * Sources: reference/protocol-facts-features.md 6.1 (whatsmeow msgsecret.go, Baileys process-message.ts
 * `decryptPollVote`, whatsapp-rust wacore/src/poll.rs). Pure: imports neither client nor store.
 *
 * @module
 */

import {
  aesGcmDecrypt,
  aesGcmEncrypt,
  CryptoError,
  hkdf,
  randomBytes,
  sha256,
  utf8,
} from "../../crypto/mod.ts";
import { EventResponseMessage, type Message, PollVoteMessage } from "../../proto/mod.ts";
import { DecryptError, InputError } from "../errors.ts";

/** The length of a message secret. */
export const MESSAGE_SECRET_LENGTH = 32;
/** The IV length of an add-on cipher text. */
export const ADDON_IV_LENGTH = 12;
/** The largest encrypted add-on accepted (a vote for hundreds of options is a few KiB). */
export const MAX_ADDON_PAYLOAD = 64 * 1024;
/** The most options one vote may name (WhatsApp allows 12 per poll; room for larger clients). */
export const MAX_VOTE_OPTIONS = 256;

/** What a key derived from a message secret is for (whatsmeow's MsgSecretType names). */
export type AddonUseCase = "Poll Vote" | "Event Response";

/** Who and what an add-on is about: the original message and the one replying to it. */
export interface AddonContext {
  /** The original message's secret (32 bytes). */
  secret: Uint8Array;
  /** The original message's id. */
  messageId: string;
  /** Who sent the original, as a user JID string without a device (`1555…@s.whatsapp.net` or `…@lid`). */
  creator: string;
  /** Who replies (votes, responds), in the same form. */
  voter: string;
}

/** An encrypted add-on as it travels in `PollEncValue` / `EncEventResponseMessage`. */
export interface EncryptedAddon {
  /** Cipher text with the 16-byte GCM tag appended. */
  encPayload: Uint8Array;
  /** The 12-byte IV. */
  encIv: Uint8Array;
}

/** A fresh message secret. */
export function generateMessageSecret(): Uint8Array {
  return randomBytes(MESSAGE_SECRET_LENGTH);
}

/**
 * The SHA-256 of a poll option's name, the form votes name options in.
 *
 * @example
 * ```ts
 * import { pollOptionHash } from "@wadeno/client";
 * pollOptionHash("Yes").length; // 32
 * ```
 */
export function pollOptionHash(name: string): Uint8Array {
  return sha256(utf8(name));
}

function checkContext(ctx: AddonContext): void {
  if (!(ctx.secret instanceof Uint8Array) || ctx.secret.length !== MESSAGE_SECRET_LENGTH) {
    throw new InputError(
      "invalid_argument",
      "secret",
      `a message secret is ${MESSAGE_SECRET_LENGTH} bytes, got ${ctx.secret?.length ?? typeof ctx.secret}`,
    );
  }
  for (
    const [name, value] of [["messageId", ctx.messageId], ["creator", ctx.creator], ["voter", ctx.voter]]
  ) {
    if (typeof value !== "string" || value.length === 0 || value.length > 256) {
      throw new InputError(
        "invalid_argument",
        name,
        `expected a non-empty string, got ${JSON.stringify(value)}`,
      );
    }
  }
}

/**
 * The 32-byte key for one voter's add-ons to one message.
 *
 * @example
 * ```ts
 * import { addonKey } from "./crypto.ts";
 * const key = addonKey("Poll Vote", {
 *   secret: new Uint8Array(32), messageId: "3EB0AA", creator: "1@s.whatsapp.net", voter: "2@s.whatsapp.net",
 * });
 * key.length; // 32
 * ```
 */
export function addonKey(useCase: AddonUseCase, ctx: AddonContext): Uint8Array {
  checkContext(ctx);
  const info = utf8(ctx.messageId + ctx.creator + ctx.voter + useCase);
  return hkdf(ctx.secret, 32, { info });
}

function addonAad(ctx: AddonContext): Uint8Array {
  return utf8(`${ctx.messageId}\u0000${ctx.voter}`);
}

/** Encrypts an add-on plaintext (`iv` only for tests; normally random). */
export function encryptAddon(
  useCase: AddonUseCase,
  ctx: AddonContext,
  plaintext: Uint8Array,
  iv: Uint8Array = randomBytes(ADDON_IV_LENGTH),
): EncryptedAddon {
  const key = addonKey(useCase, ctx);
  return { encPayload: aesGcmEncrypt(key, iv, plaintext, addonAad(ctx)), encIv: iv };
}

/**
 * Decrypts an add-on. Throws {@linkcode DecryptError} `bad_mac` when the tag does not verify (a wrong
 * secret, a vote made for another voter or message, tampering) and `invalid_message` when the sizes are
 * wrong.
 */
export function decryptAddon(
  useCase: AddonUseCase,
  ctx: AddonContext,
  encrypted: { encPayload?: Uint8Array; encIv?: Uint8Array },
): Uint8Array {
  const { encPayload, encIv } = encrypted;
  if (!encIv || encIv.length !== ADDON_IV_LENGTH) {
    throw new DecryptError(
      "invalid_message",
      `${useCase}: expected a ${ADDON_IV_LENGTH}-byte IV, got ${encIv?.length ?? "none"}`,
    );
  }
  if (!encPayload || encPayload.length < 16 || encPayload.length > MAX_ADDON_PAYLOAD) {
    throw new DecryptError(
      "invalid_message",
      `${useCase}: expected 16 to ${MAX_ADDON_PAYLOAD} bytes of cipher text, got ${
        encPayload?.length ?? "none"
      }`,
    );
  }
  try {
    return aesGcmDecrypt(addonKey(useCase, ctx), encIv, encPayload, addonAad(ctx));
  } catch (e) {
    if (e instanceof CryptoError && e.code === "auth_failed") {
      throw new DecryptError(
        "bad_mac",
        `${useCase} for ${ctx.messageId} from ${ctx.voter} does not verify with the message's secret`,
        { cause: e },
      );
    }
    throw e;
  }
}

/** Encrypts a poll vote for the chosen options' hashes (an empty list withdraws the vote). */
export function encryptPollVote(
  ctx: AddonContext,
  selectedHashes: readonly Uint8Array[],
  iv?: Uint8Array,
): EncryptedAddon {
  if (selectedHashes.length > MAX_VOTE_OPTIONS) {
    throw new InputError("invalid_argument", "options", `at most ${MAX_VOTE_OPTIONS} options per vote`);
  }
  const plaintext = PollVoteMessage.encode({ selectedOptions: [...selectedHashes] });
  return encryptAddon("Poll Vote", ctx, plaintext, iv);
}

/**
 * Decrypts a poll vote into the chosen options' hashes. Throws {@linkcode DecryptError} (`bad_mac`,
 * `invalid_message`, or `bad_plaintext` for a plaintext that is not a vote of 32-byte hashes).
 */
export function decryptPollVote(
  ctx: AddonContext,
  encrypted: { encPayload?: Uint8Array; encIv?: Uint8Array },
): Uint8Array[] {
  const plaintext = decryptAddon("Poll Vote", ctx, encrypted);
  let hashes: Uint8Array[];
  try {
    hashes = PollVoteMessage.decode(plaintext).selectedOptions ?? [];
  } catch (e) {
    throw new DecryptError(
      "bad_plaintext",
      "a poll vote decrypted to something that is not a PollVoteMessage",
      {
        cause: e,
      },
    );
  }
  if (hashes.length > MAX_VOTE_OPTIONS || hashes.some((h) => h.length !== 32)) {
    throw new DecryptError(
      "bad_plaintext",
      `a poll vote must name at most ${MAX_VOTE_OPTIONS} options by 32-byte hashes`,
    );
  }
  return hashes.map((h) => h.slice());
}

/** The answers to an event invitation. */
export type EventResponseKind = "going" | "not_going" | "maybe" | "unknown";

const RESPONSE_NUMBERS: Readonly<Record<EventResponseKind, number>> = {
  unknown: 0,
  going: 1,
  not_going: 2,
  maybe: 3,
};

/** A decrypted event response. */
export interface EventResponse {
  /** The answer. */
  response: EventResponseKind;
  /** When it was given, when the sender said. */
  timestamp?: Date;
  /** How many extra guests come along. */
  extraGuestCount?: number;
}

/** Encrypts an event response. */
export function encryptEventResponse(
  ctx: AddonContext,
  response: EventResponse,
  iv?: Uint8Array,
): EncryptedAddon {
  const number = RESPONSE_NUMBERS[response.response];
  if (number === undefined) {
    throw new InputError("invalid_argument", "response", 'expected "going", "not_going" or "maybe"');
  }
  const plaintext = EventResponseMessage.encode({
    response: number as EventResponseMessage["response"],
    timestampMs: BigInt((response.timestamp ?? new Date()).getTime()),
    extraGuestCount: response.extraGuestCount,
  });
  return encryptAddon("Event Response", ctx, plaintext, iv);
}

/** Decrypts an event response; throws {@linkcode DecryptError} like {@linkcode decryptPollVote}. */
export function decryptEventResponse(
  ctx: AddonContext,
  encrypted: { encPayload?: Uint8Array; encIv?: Uint8Array },
): EventResponse {
  const plaintext = decryptAddon("Event Response", ctx, encrypted);
  let decoded: EventResponseMessage;
  try {
    decoded = EventResponseMessage.decode(plaintext);
  } catch (e) {
    throw new DecryptError("bad_plaintext", "an event response decrypted to something else", { cause: e });
  }
  const kind =
    (Object.keys(RESPONSE_NUMBERS) as EventResponseKind[]).find((k) =>
      RESPONSE_NUMBERS[k] === decoded.response
    ) ?? "unknown";
  const out: EventResponse = { response: kind };
  if (decoded.timestampMs !== undefined) out.timestamp = new Date(Number(decoded.timestampMs));
  if (decoded.extraGuestCount !== undefined) out.extraGuestCount = decoded.extraGuestCount;
  return out;
}

/** The secret a message carries (`messageContextInfo.messageSecret`), when it has a well-formed one. */
export function messageSecretOf(message: Message): Uint8Array | undefined {
  const secret = message.messageContextInfo?.messageSecret;
  return secret && secret.length === MESSAGE_SECRET_LENGTH ? secret : undefined;
}
