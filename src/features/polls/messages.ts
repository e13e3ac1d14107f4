/**
 * Building and reading the messages behind polls and event invitations: a poll (`pollCreationMessage` for
 * several choices, `pollCreationMessageV3` for a single one, as Baileys and whatsapp-rust send them), a
 * vote (`pollUpdateMessage`), an event (`eventMessage`) and a response to one (`encEventResponseMessage`).
 * Polls and events carry a fresh `messageContextInfo.messageSecret`; votes and responses are encrypted
 * with keys derived from it (crypto.ts). Shapes: reference/protocol-facts-features.md 6.1.
 *
 * @module
 */

import type { Message, MessageKey, PollCreationMessage } from "../../proto/mod.ts";
import { InputError } from "../errors.ts";
import { checkMessageKey } from "../message_builders.ts";
import { type EncryptedAddon, generateMessageSecret } from "./crypto.ts";
import type { PollDefinition } from "./tally.ts";

/** The most options WhatsApp lets a poll have. */
export const MAX_POLL_OPTION_COUNT = 12;

/** What a new poll asks. */
export interface PollInput {
  /** The question (1 to 255 characters). */
  name: string;
  /** 2 to 12 distinct, non-empty option names. */
  options: readonly string[];
  /**
   * How many options a voter may choose: 1 for a single-choice poll, 0 (the default) for any number, or a
   * limit up to the number of options.
   */
  selectableCount?: number;
}

function checkText(value: unknown, argument: string, max: number): string {
  if (typeof value !== "string" || value.trim().length === 0 || value.length > max) {
    throw new InputError(
      "invalid_argument",
      argument,
      `expected 1 to ${max} characters, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** Checks a poll given by a caller; throws {@linkcode InputError} naming what is wrong. */
export function checkPollInput(poll: PollInput): PollDefinition {
  if (!poll || typeof poll !== "object") {
    throw new InputError("invalid_argument", "poll", "expected { name, options, selectableCount? }");
  }
  const name = checkText(poll.name, "poll.name", 255);
  if (
    !Array.isArray(poll.options) || poll.options.length < 2 || poll.options.length > MAX_POLL_OPTION_COUNT
  ) {
    throw new InputError(
      "invalid_argument",
      "poll.options",
      `a poll has 2 to ${MAX_POLL_OPTION_COUNT} options, got ${
        Array.isArray(poll.options) ? poll.options.length : "none"
      }`,
    );
  }
  const options = poll.options.map((o, i) => checkText(o, `poll.options[${i}]`, 100));
  if (new Set(options).size !== options.length) {
    throw new InputError("invalid_argument", "poll.options", "option names must be distinct");
  }
  const count = poll.selectableCount ?? 0;
  if (!Number.isInteger(count) || count < 0 || count > options.length) {
    throw new InputError(
      "invalid_argument",
      "poll.selectableCount",
      `expected 0 (any number) to ${options.length}, got ${count}`,
    );
  }
  return { name, options, selectableCount: count };
}

/**
 * A poll message with a fresh secret (returned too: it must be stored to read the votes).
 *
 * @example
 * ```ts
 * import { pollCreationMessage } from "./messages.ts";
 * const { message, secret } = pollCreationMessage({ name: "Lunch?", options: ["Pizza", "Sushi"], selectableCount: 1 });
 * message.pollCreationMessageV3?.options?.length; // 2
 * secret.length; // 32
 * ```
 */
export function pollCreationMessage(
  poll: PollInput,
  secret: Uint8Array = generateMessageSecret(),
): { message: Message; secret: Uint8Array; poll: PollDefinition } {
  const checked = checkPollInput(poll);
  const creation: PollCreationMessage = {
    name: checked.name,
    options: checked.options.map((optionName) => ({ optionName })),
    selectableOptionsCount: checked.selectableCount,
  };
  const message: Message = checked.selectableCount === 1
    ? { pollCreationMessageV3: creation }
    : { pollCreationMessage: creation };
  message.messageContextInfo = { messageSecret: secret };
  return { message, secret, poll: checked };
}

/**
 * The poll a message creates, whichever version of the field carries it; undefined for other messages.
 *
 * @example
 * ```ts
 * import { readPollCreation } from "@wadeno/client";
 * const poll = readPollCreation({
 *   pollCreationMessageV3: { name: "Lunch?", options: [{ optionName: "Pizza" }, { optionName: "Sushi" }] },
 * });
 * poll; // { name: "Lunch?", options: ["Pizza", "Sushi"], selectableCount: 0 }
 * ```
 */
export function readPollCreation(message: Message): PollDefinition | undefined {
  const p = message.pollCreationMessage ?? message.pollCreationMessageV3 ?? message.pollCreationMessageV2 ??
    message.pollCreationMessageV5 ?? message.pollCreationMessageV6;
  if (!p) return undefined;
  const options = (p.options ?? []).map((o) => o.optionName ?? "");
  return { name: p.name ?? "", options, selectableCount: p.selectableOptionsCount ?? 0 };
}

/** A vote on the poll with key `poll` (as the voter sees it), carrying the encrypted selection. */
export function pollVoteMessage(poll: MessageKey, vote: EncryptedAddon, timestamp = new Date()): Message {
  checkMessageKey(poll, "poll");
  return {
    pollUpdateMessage: {
      pollCreationMessageKey: poll,
      vote: { encPayload: vote.encPayload, encIv: vote.encIv },
      senderTimestampMs: BigInt(timestamp.getTime()),
    },
  };
}

/** What a new event invitation says. */
export interface EventInput {
  /** The event's name (1 to 255 characters). */
  name: string;
  /** A description. */
  description?: string;
  /** When it starts. */
  start: Date;
  /** When it ends. */
  end?: Date;
  /** Where it happens. */
  location?: { latitude: number; longitude: number; name?: string; address?: string };
  /** A call link to join it. */
  joinLink?: string;
  /** Whether guests may bring others. */
  extraGuestsAllowed?: boolean;
}

function unixSeconds(date: Date, argument: string): bigint {
  const ms = date instanceof Date ? date.getTime() : NaN;
  if (!Number.isFinite(ms)) throw new InputError("invalid_argument", argument, "expected a valid Date");
  return BigInt(Math.floor(ms / 1000));
}

/**
 * An event invitation with a fresh secret (returned: store it to read the responses).
 *
 * @example
 * ```ts
 * import { eventMessage } from "./messages.ts";
 * const { message } = eventMessage({ name: "Launch", start: new Date("2030-01-01T10:00:00Z") });
 * message.eventMessage?.startTime; // 1893492000n
 * ```
 */
export function eventMessage(
  event: EventInput,
  secret: Uint8Array = generateMessageSecret(),
): { message: Message; secret: Uint8Array } {
  if (!event || typeof event !== "object") {
    throw new InputError("invalid_argument", "event", "expected { name, start, ... }");
  }
  const name = checkText(event.name, "event.name", 255);
  const startTime = unixSeconds(event.start, "event.start");
  const endTime = event.end ? unixSeconds(event.end, "event.end") : undefined;
  if (endTime !== undefined && endTime < startTime) {
    throw new InputError("invalid_argument", "event.end", "the event ends before it starts");
  }
  const loc = event.location;
  return {
    message: {
      eventMessage: {
        name,
        description: event.description,
        startTime,
        endTime,
        joinLink: event.joinLink,
        extraGuestsAllowed: event.extraGuestsAllowed,
        location: loc
          ? {
            degreesLatitude: loc.latitude,
            degreesLongitude: loc.longitude,
            name: loc.name,
            address: loc.address,
          }
          : undefined,
        isCanceled: false,
      },
      messageContextInfo: { messageSecret: secret },
    },
    secret,
  };
}

/** A response to the event with key `event` (as the responder sees it). */
export function eventResponseMessage(event: MessageKey, response: EncryptedAddon): Message {
  checkMessageKey(event, "event");
  return {
    encEventResponseMessage: {
      eventCreationMessageKey: event,
      encPayload: response.encPayload,
      encIv: response.encIv,
    },
  };
}

/**
 * A poll's results as a channel's server counted them (`pollResultSnapshotMessage`), if the message is one.
 *
 * @example
 * ```ts
 * import { readPollResultSnapshot } from "@wadeno/client";
 * const snapshot = readPollResultSnapshot({
 *   pollResultSnapshotMessage: { name: "Lunch?", pollVotes: [{ optionName: "Pizza", optionVoteCount: 3n }] },
 * });
 * snapshot?.options; // [{ name: "Pizza", votes: 3 }]
 * ```
 */
export function readPollResultSnapshot(
  message: Message,
): { name: string; options: { name: string; votes: number }[] } | undefined {
  const s = message.pollResultSnapshotMessage;
  if (!s) return undefined;
  return {
    name: s.name ?? "",
    options: (s.pollVotes ?? []).map((v) => ({
      name: v.optionName ?? "",
      votes: Number(v.optionVoteCount ?? 0n),
    })),
  };
}
