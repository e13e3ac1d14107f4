/**
 * Newsletters, WhatsApp's channels (`client.newsletters`): create one, look one up by JID or invite code,
 * follow, unfollow, mute, list the followed ones (all over MEX), post to an owned one (a plaintext
 * `<message>`: channels are not end-to-end encrypted), react to posts, fetch recent posts, and subscribe
 * to live view and reaction counts.
 *
 * Posts of followed newsletters arrive as ordinary `message` events whose `info.source.chat` is the
 * newsletter and `info.serverId` the post's id. Joins, leaves and mute changes made on another of our
 * devices arrive as `newsletterJoin` / `newsletterLeave` / `newsletterMuteChange`; live counts as
 * `newsletterLiveUpdate`.
 *
 * @module
 */

import { Jid, type Node } from "../../binary/mod.ts";
import { randomBytes } from "../../crypto/mod.ts";
import type { Message } from "../../proto/mod.ts";
import type { FeatureContext } from "../context.ts";
import { InputError } from "../errors.ts";
import { toJid } from "../jid_input.ts";
import { mexData, mexSpec } from "../mex.ts";
import type { SendOptions, SendResult } from "../send_options.ts";
import { AckWaiter } from "../stanza_acks.ts";
import {
  type NewsletterMessage,
  type NewsletterMetadata,
  type NewsletterRole,
  parseNewsletterMessages,
  parseNewsletterMetadata,
  parseNewsletterMexNotification,
} from "./parse.ts";
import {
  DEFAULT_NEWSLETTER_QUERY_IDS,
  NEWSLETTER_DATA_KEYS,
  type NewsletterOperation,
  type NewsletterQueryIds,
} from "./query_ids.ts";
import {
  newsletterLiveUpdatesSpec,
  newsletterMessagesSpec,
  newsletterReactionNode,
  newsletterUpdatesSpec,
} from "./stanzas.ts";

/** The prefix of newsletter invite links. */
export const NEWSLETTER_LINK_PREFIX = "https://whatsapp.com/channel/";

/** Payload of `newsletterJoin`: we follow a newsletter now (from another of our devices). */
export interface NewsletterJoinEvent {
  /** The newsletter. */
  newsletter: NewsletterMetadata;
}

/** Payload of `newsletterLeave`. */
export interface NewsletterLeaveEvent {
  /** The newsletter. */
  jid: Jid;
  /** Our role now (usually `guest`). */
  role: NewsletterRole;
}

/** Payload of `newsletterMuteChange`. */
export interface NewsletterMuteChangeEvent {
  /** The newsletter. */
  jid: Jid;
  /** Whether it is muted now. */
  muted: boolean;
}

/** Payload of `newsletterLiveUpdate`: new view and reaction counts of posts. */
export interface NewsletterLiveUpdateEvent {
  /** The newsletter. */
  jid: Jid;
  /** When the server sent it. */
  timestamp: Date;
  /** The posts whose counts changed. */
  messages: NewsletterMessage[];
}

/** The events of the newsletters feature. */
export interface NewsletterEvents {
  /** We followed a newsletter (seen from another of our devices). */
  newsletterJoin: NewsletterJoinEvent;
  /** We left a newsletter. */
  newsletterLeave: NewsletterLeaveEvent;
  /** A newsletter was muted or unmuted. */
  newsletterMuteChange: NewsletterMuteChangeEvent;
  /** View and reaction counts changed (after `subscribeLiveUpdates`). */
  newsletterLiveUpdate: NewsletterLiveUpdateEvent;
}

/** What a new newsletter is called. */
export interface NewsletterCreateInput {
  /** Its name (1 to 100 characters). */
  name: string;
  /** Its description (up to 2,048 characters). */
  description?: string;
}

function newsletterJid(input: Jid | string, argument = "newsletter"): Jid {
  const jid = toJid(input, argument);
  if (!jid.isNewsletter()) {
    throw new InputError("invalid_jid", argument, `expected a newsletter JID (…@newsletter), got ${jid}`);
  }
  return jid;
}

/** Newsletter (channel) management and posting. */
export class Newsletters {
  readonly #ctx: FeatureContext<NewsletterEvents>;
  readonly #acks: AckWaiter;
  /**
   * The MEX query ids used, by operation. WhatsApp changes them now and then; when a request fails with
   * a `MexError` whose `staleQueryId` is true, set the current id here.
   */
  readonly queryIds: NewsletterQueryIds = { ...DEFAULT_NEWSLETTER_QUERY_IDS };

  /** Creates the feature and subscribes to newsletter and MEX notifications. */
  constructor(ctx: FeatureContext<NewsletterEvents>) {
    this.#ctx = ctx;
    this.#acks = new AckWaiter(ctx, "message");
    ctx.onStanza({ tag: "notification", type: "mex" }, (node) => this.#onMex(node));
    ctx.onStanza({ tag: "notification", type: "newsletter" }, (node) => this.#onNewsletter(node));
  }

  async #mex<T>(
    op: NewsletterOperation,
    variables: Record<string, unknown>,
    about?: Jid | string,
    signal?: AbortSignal,
  ): Promise<T> {
    const queryId = this.queryIds[op];
    const operation = `newsletter ${op}`;
    const spec = { ...mexSpec(queryId, variables, operation), about: about?.toString() };
    const response = await this.#ctx.execute(spec, { signal });
    return mexData<T>(response, {
      queryId,
      operation,
      about: about?.toString(),
      dataKey: NEWSLETTER_DATA_KEYS[op],
    });
  }

  /**
   * Creates a newsletter owned by this account.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export async function example(client: Client) {
   *   const nl = await client.newsletters.create({ name: "Release notes", description: "What shipped" });
   *   await client.newsletters.send(nl.jid, { conversation: "v1.0 is out" });
   * }
   * ```
   */
  async create(
    input: NewsletterCreateInput,
    options: { signal?: AbortSignal } = {},
  ): Promise<NewsletterMetadata> {
    const name = typeof input?.name === "string" ? input.name.trim() : "";
    if (!name || name.length > 100) {
      throw new InputError(
        "invalid_argument",
        "name",
        `expected 1 to 100 characters, got ${JSON.stringify(input?.name)}`,
      );
    }
    if (
      input.description !== undefined &&
      (typeof input.description !== "string" || input.description.length > 2048)
    ) {
      throw new InputError("invalid_argument", "description", "expected at most 2,048 characters");
    }
    const data = await this.#mex<unknown>(
      "create",
      { input: { name, description: input.description ?? null } },
      undefined,
      options.signal,
    );
    return parseNewsletterMetadata(data);
  }

  /**
   * A newsletter's metadata, by JID (`…@newsletter`) or by invite code or link
   * (`https://whatsapp.com/channel/<code>`).
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export async function example(client: Client) {
   *   const nl = await client.newsletters.metadata("https://whatsapp.com/channel/0029VaAbCdEf");
   *   console.log(nl.name, nl.subscriberCount);
   * }
   * ```
   */
  async metadata(key: Jid | string, options: { signal?: AbortSignal } = {}): Promise<NewsletterMetadata> {
    const isJid = key instanceof Jid || (typeof key === "string" && key.includes("@"));
    let input: Record<string, string>;
    if (isJid) {
      input = { key: newsletterJid(key, "key").toString(), type: "JID" };
    } else {
      const code = typeof key === "string" ? key.trim().replace(NEWSLETTER_LINK_PREFIX, "") : "";
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(code)) {
        throw new InputError(
          "invalid_argument",
          "key",
          `expected a newsletter JID, invite code or link, got ${JSON.stringify(key)}`,
        );
      }
      input = { key: code, type: "INVITE" };
    }
    const data = await this.#mex<unknown>(
      "metadata",
      {
        fetch_creation_time: true,
        fetch_full_image: true,
        fetch_viewer_metadata: input.type === "JID",
        input,
      },
      input.key,
      options.signal,
    );
    return parseNewsletterMetadata(data);
  }

  /**
   * Follows a newsletter.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export async function example(client: Client) {
   *   const nl = await client.newsletters.metadata("https://whatsapp.com/channel/0029VaAbCdEf");
   *   await client.newsletters.follow(nl.jid);
   * }
   * ```
   */
  async follow(newsletter: Jid | string, options: { signal?: AbortSignal } = {}): Promise<void> {
    const jid = newsletterJid(newsletter);
    await this.#mex("follow", { newsletter_id: jid.toString() }, jid, options.signal);
  }

  /**
   * Stops following a newsletter.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export async function example(client: Client) {
   *   await client.newsletters.unfollow("120363000000000000@newsletter");
   * }
   * ```
   */
  async unfollow(newsletter: Jid | string, options: { signal?: AbortSignal } = {}): Promise<void> {
    const jid = newsletterJid(newsletter);
    await this.#mex("unfollow", { newsletter_id: jid.toString() }, jid, options.signal);
  }

  /**
   * Mutes (or with `muted` false, unmutes) a followed newsletter.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export async function example(client: Client) {
   *   await client.newsletters.mute("120363000000000000@newsletter");
   *   await client.newsletters.mute("120363000000000000@newsletter", false); // unmuted again
   * }
   * ```
   */
  async mute(newsletter: Jid | string, muted = true, options: { signal?: AbortSignal } = {}): Promise<void> {
    const jid = newsletterJid(newsletter);
    await this.#mex(muted ? "mute" : "unmute", { newsletter_id: jid.toString() }, jid, options.signal);
  }

  /**
   * The newsletters this account follows or owns.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export async function example(client: Client) {
   *   for (const nl of await client.newsletters.followed()) console.log(nl.name, nl.viewer?.role);
   * }
   * ```
   */
  async followed(options: { signal?: AbortSignal } = {}): Promise<NewsletterMetadata[]> {
    const data = await this.#mex<unknown>("subscribed", {}, undefined, options.signal);
    if (!Array.isArray(data)) return [];
    const out: NewsletterMetadata[] = [];
    for (const item of data.slice(0, 10_000)) {
      try {
        out.push(parseNewsletterMetadata(item));
      } catch (e) {
        this.#ctx.log.warn("skipping a malformed followed newsletter", { error: e });
      }
    }
    return out;
  }

  /**
   * Posts to a newsletter this account owns or administers (`client.sendMessage` to a newsletter JID
   * does the same). The result's `serverId` is the post's id in the newsletter.
   *
   * @example
   * ```ts
   * import type { Client, Jid } from "@wadeno/client";
   * export async function example(client: Client, newsletter: Jid) {
   *   const sent = await client.newsletters.send(newsletter, "Hello, followers");
   *   console.log(sent.serverId);
   * }
   * ```
   */
  send(newsletter: Jid | string, message: Message | string, options?: SendOptions): Promise<SendResult> {
    const jid = newsletterJid(newsletter);
    const content = typeof message === "string" ? { conversation: message } : message;
    return this.#ctx.sendMessage(jid, content, options);
  }

  /**
   * Reacts to a post (`serverId` from `info.serverId` or `messages()`); `""` removes our reaction.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export function example(client: Client) {
   *   client.on("message", async ({ info }) => {
   *     if (info.source.chat.isNewsletter() && info.serverId !== undefined) {
   *       await client.newsletters.react(info.source.chat, info.serverId, "👍");
   *     }
   *   });
   * }
   * ```
   */
  async react(
    newsletter: Jid | string,
    serverId: number,
    emoji: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    const jid = newsletterJid(newsletter);
    const id = "3EB0" + randomBytes(9).toHex().toUpperCase();
    await this.#acks.send(newsletterReactionNode(jid, id, serverId, emoji), { signal: options.signal });
  }

  /**
   * Recent posts (newest last), up to `count` (default the server's), older than `before` when given.
   *
   * @example
   * ```ts
   * import type { Client, Jid } from "@wadeno/client";
   * export async function example(client: Client, newsletter: Jid) {
   *   for (const post of await client.newsletters.messages(newsletter, { count: 10 })) {
   *     console.log(post.serverId, post.timestamp, post.views, post.reactions);
   *   }
   * }
   * ```
   */
  messages(
    newsletter: Jid | string,
    options: { count?: number; before?: number; signal?: AbortSignal } = {},
  ): Promise<NewsletterMessage[]> {
    const spec = newsletterMessagesSpec(newsletterJid(newsletter), options);
    return this.#ctx.execute(spec, { signal: options.signal });
  }

  /**
   * View and reaction counts of recent posts.
   *
   * @example
   * ```ts
   * import type { Client, Jid } from "@wadeno/client";
   * export async function example(client: Client, newsletter: Jid) {
   *   const since = new Date(Date.now() - 3_600_000);
   *   for (const post of await client.newsletters.updates(newsletter, { since })) console.log(post.serverId, post.views);
   * }
   * ```
   */
  updates(
    newsletter: Jid | string,
    options: { count?: number; since?: Date; after?: number; signal?: AbortSignal } = {},
  ): Promise<NewsletterMessage[]> {
    return this.#ctx.execute(newsletterUpdatesSpec(newsletterJid(newsletter), options), {
      signal: options.signal,
    });
  }

  /**
   * Asks for live view and reaction counts (`newsletterLiveUpdate` events) for a while; resolves with how
   * long, in milliseconds. Ask again before it runs out to keep them coming.
   *
   * @example
   * ```ts
   * import type { Client, Jid } from "@wadeno/client";
   * export async function example(client: Client, newsletter: Jid) {
   *   client.on("newsletterLiveUpdate", ({ messages }) => {
   *     for (const post of messages) console.log(post.serverId, post.views, post.reactions);
   *   });
   *   const ms = await client.newsletters.subscribeLiveUpdates(newsletter);
   *   console.log(`counts arrive for ${ms / 1000} s; ask again before then`);
   * }
   * ```
   */
  subscribeLiveUpdates(newsletter: Jid | string, options: { signal?: AbortSignal } = {}): Promise<number> {
    return this.#ctx.execute(newsletterLiveUpdatesSpec(newsletterJid(newsletter)), {
      signal: options.signal,
    });
  }

  // ---- notifications --------------------------------------------------------------------------

  async #onMex(node: Node): Promise<void> {
    for (const update of parseNewsletterMexNotification(node)) {
      if (update.kind === "join") await this.#ctx.emit("newsletterJoin", { newsletter: update.newsletter });
      else if (update.kind === "leave") {
        await this.#ctx.emit("newsletterLeave", { jid: update.jid, role: update.role });
      } else await this.#ctx.emit("newsletterMuteChange", { jid: update.jid, muted: update.muted });
    }
  }

  async #onNewsletter(node: Node): Promise<void> {
    const from = node.attrs.from ? Jid.tryParse(node.attrs.from) : undefined;
    if (!from?.isNewsletter()) {
      this.#ctx.log.warn("ignoring a newsletter notification without a newsletter sender", {
        attrs: node.attrs,
      });
      return;
    }
    const live = Array.isArray(node.content) ? node.content.find((c) => c.tag === "live_updates") : undefined;
    const messages = live && Array.isArray(live.content)
      ? parseNewsletterMessages(live.content.find((c) => c.tag === "messages"))
      : [];
    if (!messages.length) return;
    const t = Number(node.attrs.t);
    await this.#ctx.emit("newsletterLiveUpdate", {
      jid: from,
      timestamp: Number.isFinite(t) && t > 0 ? new Date(t * 1000) : new Date(),
      messages,
    });
  }
}
