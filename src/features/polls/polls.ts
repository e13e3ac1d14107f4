/**
 * Polls and event invitations (`client.polls`): both carry a message secret, and the replies to them
 * (votes, responses) are encrypted with keys derived from it.
 *
 * - Every message meant for the user that carries `messageContextInfo.messageSecret` has its secret
 *   stored (under its chat and sender, in both addressings when known), durable before the message is
 *   acknowledged; polls and events this client sends store theirs before they leave.
 * - A received vote (`pollUpdateMessage`) is decrypted with the poll's secret, counted in the poll's
 *   tally (each voter's latest vote counts), and emitted as `pollVote` with the chosen option names. A
 *   vote that does not verify (forged, a wrong secret, made for another voter) is refused: logged, not
 *   counted, no `pollVote`. The raw message is still emitted as `message` after `pollVote`, as every
 *   message is, so a listener can tell that the vote arrived.
 * - A received response to an event (`encEventResponseMessage`) becomes an `eventResponse` event.
 *
 * Tallies and option names are kept in memory for the last 1,000 polls; secrets are in the store. After a
 * restart, votes on older polls still decrypt and are reported with their option hashes (names once the
 * poll is {@linkcode Polls.track}ed again).
 *
 * @module
 */

import { Jid } from "../../binary/mod.ts";
import { randomBytes } from "../../crypto/mod.ts";
import type { Message, MessageKey, PollUpdateMessage } from "../../proto/mod.ts";
import { LruTtlCache } from "../../store/mod.ts";
import type { FeatureContext } from "../context.ts";
import { DecryptError, InputError } from "../errors.ts";
import { toJid } from "../jid_input.ts";
import { checkMessageKey, unwrapMessage } from "../message_builders.ts";
import type { MessageEvent, MessageInfo } from "../message_info.ts";
import type { SendOptions, SendResult } from "../send_options.ts";
import {
  type AddonContext,
  decryptEventResponse,
  decryptPollVote,
  encryptEventResponse,
  encryptPollVote,
  type EventResponseKind,
  messageSecretOf,
  pollOptionHash,
} from "./crypto.ts";
import { addressings, canonicalUser, isOwnUser, type OwnUsers } from "./identities.ts";
import {
  type EventInput,
  eventMessage,
  eventResponseMessage,
  pollCreationMessage,
  type PollInput,
  pollVoteMessage,
  readPollCreation,
} from "./messages.ts";
import { type PollDefinition, type PollResults, PollTally } from "./tally.ts";

/** How long stored message secrets are kept (votes on a poll can come weeks later). */
export const MESSAGE_SECRET_TTL_SECONDS = 90 * 24 * 3600;

/** Payload of the `pollVote` event. */
export interface PollVoteEvent {
  /** The poll's key, from this client's side (`fromMe` when we created it). */
  poll: MessageKey;
  /** The chat the poll is in. */
  chat: Jid;
  /** Who voted (a user JID; the phone-number form when known). */
  voter: Jid;
  /** The names of the options the voter now has chosen (empty: the vote was withdrawn). */
  selectedOptions: string[];
  /** The chosen options' SHA-256 hashes as the vote named them. */
  selectedHashes: Uint8Array[];
  /** How many hashes name no option this client knows (all of them when the poll is not tracked). */
  unknownOptions: number;
  /** When the voter voted. */
  timestamp: Date;
  /** The vote message's info. */
  info: MessageInfo;
  /** The poll's results after this vote, when the poll is tracked. */
  results?: PollResults;
}

/** Payload of the `eventResponse` event. */
export interface EventResponseEvent {
  /** The event's key, from this client's side. */
  event: MessageKey;
  /** The chat the event is in. */
  chat: Jid;
  /** Who responded (a user JID; the phone-number form when known). */
  responder: Jid;
  /** The answer. */
  response: EventResponseKind;
  /** Extra guests they bring, when said. */
  extraGuestCount?: number;
  /** When they answered. */
  timestamp: Date;
  /** The response message's info. */
  info: MessageInfo;
}

/** The events of the polls feature. */
export interface PollEvents {
  /** A vote on a poll was decrypted and counted. */
  pollVote: PollVoteEvent;
  /** Someone answered an event invitation. */
  eventResponse: EventResponseEvent;
}

/** What `create` returns: the send result plus the poll as it was sent. */
export interface SentPoll extends SendResult {
  /** The poll (question, options, how many may be chosen). */
  poll: PollDefinition;
}

/** A poll (or event) as this client tracks it: where, who created it, and the tally. */
interface Tracked {
  chat: Jid;
  creator: Jid;
  tally: PollTally;
}

/** Message ids in WhatsApp Web's form, generated here so the secret can be stored before sending. */
function newMessageId(): string {
  return "3EB0" + randomBytes(9).toHex().toUpperCase();
}

/** Polls, votes and event invitations. */
export class Polls {
  readonly #ctx: FeatureContext<PollEvents>;
  readonly #tracked = new LruTtlCache<string, Tracked>({ maxEntries: 1_000, ttlMs: 30 * 24 * 3_600_000 });

  /** Creates the feature and starts observing messages (it must see every message with a secret). */
  constructor(ctx: FeatureContext<PollEvents>) {
    this.#ctx = ctx;
    ctx.onMessage((event) => this.#observe(event));
    ctx.onLogin(async () => {
      const cutoff = Math.floor(Date.now() / 1000) - MESSAGE_SECRET_TTL_SECONDS;
      const n = await ctx.store.deleteExpiredMessageSecrets(cutoff);
      if (n) ctx.log.debug(`deleted ${n} expired message secrets`);
    });
  }

  get #own(): OwnUsers {
    return { pn: this.#ctx.ownJid?.toNonAd(), lid: this.#ctx.ownLid?.toNonAd() };
  }

  /**
   * Sends a poll. `selectableCount` 1 makes a single-choice poll, 0 (default) lets voters choose any
   * number. Votes arrive as `pollVote` events; {@linkcode Polls.results} has the tally.
   *
   * @example
   * ```ts
   * import type { Client, Jid } from "@wadeno/client";
   * export async function example(client: Client, chat: Jid) {
   *   const sent = await client.polls.create(chat, { name: "Lunch?", options: ["Pizza", "Sushi"], selectableCount: 1 });
   *   client.on("pollVote", ({ voter, selectedOptions, results }) => {
   *     console.log(voter.toString(), "chose", selectedOptions, "; so far:", results?.options);
   *   });
   *   console.log("poll sent as", sent.id);
   * }
   * ```
   */
  async create(chat: Jid | string, poll: PollInput, options: SendOptions = {}): Promise<SentPoll> {
    const to = toJid(chat, "chat");
    const built = pollCreationMessage(poll);
    const id = options.id ?? newMessageId();
    const me = this.#requireOwn();
    await this.#storeOwnSecret(to, id, built.secret, me);
    this.#track(to, me.pn!, id, built.poll);
    const sent = await this.#ctx.sendMessage(to, built.message, {
      ...options,
      id,
      extraNodes: [...(options.extraNodes ?? []), { tag: "meta", attrs: { polltype: "creation" } }],
    });
    return { ...sent, poll: built.poll };
  }

  /**
   * Votes on a poll: `poll` is its key (`messageKey(info)` of the poll's `message` event, or `sent.key`),
   * `optionNames` the names chosen (an empty list withdraws the vote). Needs the poll's secret, which the
   * client stored when the poll arrived. Throws {@linkcode InputError} for options the poll does not have
   * or too many for it.
   *
   * @example
   * ```ts
   * import { type Client, messageKey, readPollCreation } from "@wadeno/client";
   * export function example(client: Client) {
   *   client.on("message", async ({ info, message }) => {
   *     const poll = readPollCreation(message);
   *     if (poll?.options.includes("Pizza")) await client.polls.vote(info.source.chat, messageKey(info), ["Pizza"]);
   *   });
   * }
   * ```
   */
  async vote(
    chat: Jid | string,
    poll: MessageKey,
    optionNames: readonly string[],
    options: SendOptions = {},
  ): Promise<SendResult> {
    const to = toJid(chat, "chat");
    checkMessageKey(poll, "poll");
    const me = this.#requireOwn();
    const creator = this.#creatorOf(poll, to, me);
    const tracked = await this.#find(to, creator, poll.id!);
    const names = [...new Set(optionNames)];
    if (tracked) {
      const missing = names.filter((n) => !tracked.tally.poll.options.includes(n));
      if (missing.length) {
        throw new InputError(
          "invalid_argument",
          "optionNames",
          `the poll has no option ${JSON.stringify(missing)}`,
        );
      }
      const limit = tracked.tally.poll.selectableCount;
      if (limit > 0 && names.length > limit) {
        throw new InputError("invalid_argument", "optionNames", `the poll allows ${limit} option(s)`);
      }
    }
    const secret = await this.#findSecret(to, creator, poll.id!);
    if (!secret) {
      throw new InputError(
        "invalid_argument",
        "poll",
        `no secret is stored for poll ${poll.id} in ${to}: the poll never reached this client`,
      );
    }
    const voter = creator.isLid() && me.lid ? me.lid : me.pn!;
    const hashes = names.map(pollOptionHash);
    const ctx: AddonContext = {
      secret,
      messageId: poll.id!,
      creator: creator.toString(),
      voter: voter.toString(),
    };
    const now = new Date();
    const message = pollVoteMessage(poll, encryptPollVote(ctx, hashes), now);
    const sent = await this.#ctx.sendMessage(to, message, {
      ...options,
      extraNodes: [...(options.extraNodes ?? []), { tag: "meta", attrs: { polltype: "vote" } }],
    });
    tracked?.tally.apply((await canonicalUser(this.#ctx.store, voter, me)).toString(), hashes, now.getTime());
    return sent;
  }

  /**
   * A tracked poll's results, or undefined when this client does not know the poll.
   *
   * @example
   * ```ts
   * import type { Client, Jid } from "@wadeno/client";
   * export async function example(client: Client, chat: Jid) {
   *   const sent = await client.polls.create(chat, { name: "Lunch?", options: ["Pizza", "Sushi"] });
   *   // ... later:
   *   const results = await client.polls.results(chat, sent.key);
   *   for (const o of results?.options ?? []) console.log(o.name, o.votes);
   * }
   * ```
   */
  async results(chat: Jid | string, poll: MessageKey): Promise<PollResults | undefined> {
    const to = toJid(chat, "chat");
    checkMessageKey(poll, "poll");
    const tracked = await this.#find(to, this.#creatorOf(poll, to, this.#requireOwn()), poll.id!);
    return tracked?.tally.results();
  }

  /**
   * Starts tracking a poll this client did not see arrive in this run (from history sync or the
   * caller's own records): its votes are then counted and named. Stores its secret when the message has
   * one. Returns false when `message` is not a poll.
   *
   * @example
   * ```ts
   * import type { Client, Jid, Message, MessageKey } from "@wadeno/client";
   * // A poll kept from an earlier run (its key and message, with its secret, from the caller's records).
   * export async function example(client: Client, chat: Jid, key: MessageKey, message: Message) {
   *   if (await client.polls.track(chat, key, message)) console.log("its votes are counted from now on");
   * }
   * ```
   */
  async track(chat: Jid | string, poll: MessageKey, message: Message): Promise<boolean> {
    const to = toJid(chat, "chat");
    checkMessageKey(poll, "poll");
    const definition = readPollCreation(unwrapMessage(message));
    if (!definition) return false;
    const creator = this.#creatorOf(poll, to, this.#requireOwn());
    const secret = messageSecretOf(message) ?? messageSecretOf(unwrapMessage(message));
    if (secret) await this.#storeSecret(to, creator, poll.id!, secret);
    this.#track(to, creator, poll.id!, definition);
    return true;
  }

  /**
   * Sends an event invitation; answers arrive as `eventResponse` events.
   *
   * @example
   * ```ts
   * import type { Client, Jid } from "@wadeno/client";
   * export async function example(client: Client, group: Jid) {
   *   await client.polls.createEvent(group, { name: "Launch party", start: new Date("2030-05-01T18:00:00Z") });
   *   client.on("eventResponse", ({ responder, response }) => console.log(responder.toString(), response));
   * }
   * ```
   */
  async createEvent(chat: Jid | string, event: EventInput, options: SendOptions = {}): Promise<SendResult> {
    const to = toJid(chat, "chat");
    const built = eventMessage(event);
    const id = options.id ?? newMessageId();
    await this.#storeOwnSecret(to, id, built.secret, this.#requireOwn());
    return await this.#ctx.sendMessage(to, built.message, {
      ...options,
      id,
      extraNodes: [...(options.extraNodes ?? []), { tag: "meta", attrs: { event_type: "creation" } }],
    });
  }

  /**
   * Answers an event invitation (`event` is its key) with `going`, `not_going` or `maybe`.
   *
   * @example
   * ```ts
   * import { type Client, messageKey } from "@wadeno/client";
   * export function example(client: Client) {
   *   client.on("message", async ({ info, message }) => {
   *     if (message.eventMessage) await client.polls.respondToEvent(info.source.chat, messageKey(info), "going");
   *   });
   * }
   * ```
   */
  async respondToEvent(
    chat: Jid | string,
    event: MessageKey,
    response: Exclude<EventResponseKind, "unknown">,
    options: SendOptions & { extraGuestCount?: number } = {},
  ): Promise<SendResult> {
    const to = toJid(chat, "chat");
    checkMessageKey(event, "event");
    const me = this.#requireOwn();
    const creator = this.#creatorOf(event, to, me);
    const secret = await this.#findSecret(to, creator, event.id!);
    if (!secret) {
      throw new InputError("invalid_argument", "event", `no secret is stored for event ${event.id} in ${to}`);
    }
    const responder = creator.isLid() && me.lid ? me.lid : me.pn!;
    const enc = encryptEventResponse(
      { secret, messageId: event.id!, creator: creator.toString(), voter: responder.toString() },
      { response, extraGuestCount: options.extraGuestCount },
    );
    return await this.#ctx.sendMessage(to, eventResponseMessage(event, enc), options);
  }

  // ---- receiving ------------------------------------------------------------------------------

  async #observe({ message, info }: MessageEvent): Promise<void> {
    const inner = unwrapMessage(message);
    const secret = messageSecretOf(message) ?? messageSecretOf(inner);
    const sender = info.source.sender.toNonAd();
    if (secret) {
      const senders = [sender];
      if (info.source.senderAlt) senders.push(info.source.senderAlt.toNonAd());
      for (const s of senders) await this.#storeSecret(info.source.chat, s, info.id, secret);
    }
    const poll = readPollCreation(inner);
    if (poll) this.#track(info.source.chat, sender, info.id, poll);
    if (inner.pollUpdateMessage) await this.#onVote(inner.pollUpdateMessage, info);
    const response = inner.encEventResponseMessage;
    if (response?.eventCreationMessageKey) {
      const target = response.eventCreationMessageKey;
      const found = await this.#decryptFromVoter(info, target, (ctx) => decryptEventResponse(ctx, response));
      if (!found) return;
      await this.#ctx.emit("eventResponse", {
        event: found.key,
        chat: info.source.chat,
        responder: found.voter,
        response: found.value.response,
        extraGuestCount: found.value.extraGuestCount,
        timestamp: found.value.timestamp ?? info.timestamp,
        info,
      });
    }
  }

  async #onVote(update: PollUpdateMessage, info: MessageInfo): Promise<void> {
    const target = update.pollCreationMessageKey;
    if (!target?.id || !update.vote) return;
    const found = await this.#decryptFromVoter(info, target, (ctx) => decryptPollVote(ctx, update.vote!));
    if (!found) return;
    const hashes = found.value;
    const timestamp = update.senderTimestampMs !== undefined
      ? new Date(Number(update.senderTimestampMs))
      : info.timestamp;
    const tracked = await this.#find(info.source.chat, found.creator, target.id);
    let selectedOptions: string[] = [];
    let unknownOptions = hashes.length;
    if (tracked) {
      const outcome = tracked.tally.apply(found.voter.toString(), hashes, timestamp.getTime());
      if (outcome.kind === "refused") {
        this.#ctx.log.warn(`refusing a vote of ${found.voter} on ${target.id}: ${outcome.reason}`);
        return;
      }
      if (outcome.kind === "stale") {
        this.#ctx.log.debug(`ignoring an older vote of ${found.voter} on ${target.id}`);
        return;
      }
      selectedOptions = outcome.selected;
      unknownOptions = outcome.unknownOptions;
    }
    await this.#ctx.emit("pollVote", {
      poll: found.key,
      chat: info.source.chat,
      voter: found.voter,
      selectedOptions,
      selectedHashes: hashes,
      unknownOptions,
      timestamp,
      info,
      results: tracked?.tally.results(),
    });
  }

  /**
   * Finds the secret of the message `target` names (as the replying device saw it) and decrypts the
   * reply with it, trying the creator's and the voter's addressings; undefined (logged) when nothing
   * verifies.
   */
  async #decryptFromVoter<T>(
    info: MessageInfo,
    target: MessageKey,
    decrypt: (ctx: AddonContext) => T,
  ): Promise<{ value: T; creator: Jid; voter: Jid; key: MessageKey } | undefined> {
    const own = this.#own;
    const chat = info.source.chat;
    const voter = info.source.sender.toNonAd();
    const id = target.id;
    if (!id) return undefined;
    // The key is written from the voter's side: fromMe means the voter created the message.
    let creator: Jid | undefined;
    if (target.fromMe) creator = voter;
    else if (target.participant) creator = Jid.tryParse(target.participant)?.toNonAd();
    else creator = Jid.tryParse(target.remoteJid ?? "")?.toNonAd();
    if (!creator) {
      this.#ctx.log.warn(`ignoring a reply in ${info.id}: its target key names no creator`);
      return undefined;
    }
    const store = this.#ctx.store;
    const creators = await addressings(store, creator, own);
    const voters = await addressings(store, voter, own);
    if (info.source.senderAlt && !voters.some((v) => v.equals(info.source.senderAlt!.toNonAd()))) {
      voters.push(info.source.senderAlt.toNonAd());
    }
    let secret: Uint8Array | undefined;
    for (const c of creators) {
      secret = await this.#findSecretExact(chat, c, id);
      if (secret) break;
    }
    if (!secret) {
      this.#ctx.log.warn(`cannot read ${info.id} from ${voter}: no secret is stored for ${id} in ${chat}`);
      return undefined;
    }
    let lastError: unknown;
    for (const c of creators) {
      for (const v of voters.slice(0, 3)) {
        try {
          const value = decrypt({ secret, messageId: id, creator: c.toString(), voter: v.toString() });
          const canonicalVoter = await canonicalUser(store, voter, own);
          const creatorIsMe = isOwnUser(c, own);
          const key: MessageKey = { remoteJid: chat.toString(), fromMe: creatorIsMe, id };
          if (chat.isGroup() && !creatorIsMe) key.participant = c.toString();
          return { value, creator: c, voter: canonicalVoter, key };
        } catch (e) {
          if (!(e instanceof DecryptError)) throw e;
          lastError = e;
        }
      }
    }
    this.#ctx.log.warn(`refusing ${info.id} from ${voter}: ${(lastError as Error)?.message}`);
    return undefined;
  }

  // ---- bookkeeping ----------------------------------------------------------------------------

  #requireOwn(): OwnUsers {
    const own = this.#own;
    if (!own.pn) throw new InputError("invalid_argument", "client", "the client is not paired yet");
    return own;
  }

  /** The creator of the message a key (from our side) names. */
  #creatorOf(key: MessageKey, chat: Jid, own: OwnUsers): Jid {
    if (key.fromMe) return chat.isLid() && own.lid ? own.lid : own.pn!;
    const participant = key.participant ? Jid.tryParse(key.participant) : undefined;
    if (participant) return participant.toNonAd();
    return (Jid.tryParse(key.remoteJid ?? "") ?? chat).toNonAd();
  }

  async #storeSecret(chat: Jid, sender: Jid, id: string, secret: Uint8Array): Promise<void> {
    await this.#ctx.store.putMessageSecret(chat.toString(), sender.toNonAd().toString(), id, secret.slice());
  }

  /** Our own message's secret, under both our addressings (a LID group names us by LID). */
  async #storeOwnSecret(chat: Jid, id: string, secret: Uint8Array, me: OwnUsers): Promise<void> {
    for (const user of [me.pn, me.lid]) if (user) await this.#storeSecret(chat, user, id, secret);
  }

  async #findSecretExact(chat: Jid, creator: Jid, id: string): Promise<Uint8Array | undefined> {
    for (const c of await addressings(this.#ctx.store, chat, this.#own)) {
      const secret = await this.#ctx.store.getMessageSecret(c.toString(), creator.toString(), id);
      if (secret) return secret;
    }
    return undefined;
  }

  async #findSecret(chat: Jid, creator: Jid, id: string): Promise<Uint8Array | undefined> {
    for (const c of await addressings(this.#ctx.store, creator, this.#own)) {
      const secret = await this.#findSecretExact(chat, c, id);
      if (secret) return secret;
    }
    return undefined;
  }

  #track(chat: Jid, creator: Jid, id: string, poll: PollDefinition): void {
    const key = `${chat.toNonAd()}|${id}`;
    const existing = this.#tracked.get(key);
    // A second copy of a poll (a redelivery) keeps its tally; a different poll with the same id does not
    // take over one we already count.
    if (existing) return;
    this.#tracked.set(key, { chat, creator: creator.toNonAd(), tally: new PollTally(poll) });
  }

  async #find(chat: Jid, creator: Jid, id: string): Promise<Tracked | undefined> {
    const creators = await addressings(this.#ctx.store, creator, this.#own);
    for (const c of await addressings(this.#ctx.store, chat, this.#own)) {
      const t = this.#tracked.get(`${c}|${id}`);
      if (t && creators.some((x) => x.equals(t.creator))) return t;
    }
    return undefined;
  }
}
