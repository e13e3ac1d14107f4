/**
 * The newsletter stanzas that are not MEX: posting (`<message to=NL><plaintext>Message</plaintext>`, not
 * end-to-end encrypted, no padding), reacting (`<message to=NL server_id type="reaction"><reaction
 * code/>`), and the `newsletter` xmlns IQs for history (`<messages type="jid" jid count before/>`),
 * updates (`<message_updates count since after/>`) and live updates (`<live_updates/>`). Shapes:
 * reference/protocol-facts-features.md 6.3 (whatsmeow newsletter.go, send.go sendNewsletter; Baileys
 * Socket/newsletter.ts, messages-send.ts).
 *
 * @module
 */

import { getChild, type Jid, type Node, type NodeInput, optAttrInt } from "../../binary/mod.ts";
import { Message } from "../../proto/mod.ts";
import { InputError } from "../errors.ts";
import { type IqSpec, requireChild, SERVER_JID } from "../iq.ts";
import { type NewsletterMessage, parseNewsletterMessages } from "./parse.ts";

/** Attributes of a newsletter post besides `to` and `id`. */
export interface NewsletterPostAttrs {
  /** The stanza type (`text`, `media`, `poll`, `reaction`, ...). */
  type: string;
  /** The `mediatype` of the plaintext, when the post is media. */
  mediaType?: string;
  /** The `edit` attribute (`1` edit, `3` admin edit, `7`/`8` revoke). */
  edit?: string;
}

/**
 * The stanza that posts `message` to a newsletter: the plain encoded `Message` in `<plaintext>`.
 *
 * @example
 * ```ts
 * import { Jid } from "@wadeno/client";
 * import { newsletterMessageNode } from "./stanzas.ts";
 * const node = newsletterMessageNode(Jid.newsletter("120363000000000001"), "3EB0AA", { conversation: "hi" }, { type: "text" });
 * node.content; // [{ tag: "plaintext", attrs: {}, content: Uint8Array }]
 * ```
 */
export function newsletterMessageNode(
  to: Jid,
  id: string,
  message: Message,
  attrs: NewsletterPostAttrs,
): NodeInput & { attrs: { id: string } } {
  const plaintextAttrs: Record<string, string> = {};
  if (attrs.mediaType) plaintextAttrs.mediatype = attrs.mediaType;
  const stanzaAttrs: Record<string, string | Jid> = { to, id, type: attrs.type };
  if (attrs.edit) stanzaAttrs.edit = attrs.edit;
  return {
    tag: "message",
    attrs: stanzaAttrs as Record<string, string | Jid> & { id: string },
    content: [{ tag: "plaintext", attrs: plaintextAttrs, content: Message.encode(message) }],
  };
}

/** A reaction to the newsletter post `serverId` (`""` removes ours: no code, `edit="7"`). */
export function newsletterReactionNode(
  to: Jid,
  id: string,
  serverId: number,
  emoji: string,
): NodeInput & { attrs: { id: string } } {
  checkServerId(serverId);
  if (typeof emoji !== "string" || emoji.length > 32) {
    throw new InputError("invalid_argument", "emoji", 'expected one emoji (or "" to remove a reaction)');
  }
  const attrs: Record<string, string | Jid> = { to, id, server_id: String(serverId), type: "reaction" };
  if (!emoji) attrs.edit = "7";
  return {
    tag: "message",
    attrs: attrs as Record<string, string | Jid> & { id: string },
    content: [{ tag: "reaction", attrs: emoji ? { code: emoji } : {} }],
  };
}

function checkServerId(serverId: number, argument = "serverId"): number {
  if (!Number.isSafeInteger(serverId) || serverId <= 0) {
    throw new InputError(
      "invalid_argument",
      argument,
      `expected a positive integer server id, got ${serverId}`,
    );
  }
  return serverId;
}

function checkCount(count: number | undefined): string | undefined {
  if (count === undefined) return undefined;
  if (!Number.isInteger(count) || count < 1 || count > 1000) {
    throw new InputError("invalid_argument", "count", `expected 1 to 1000, got ${count}`);
  }
  return String(count);
}

/** The history IQ: up to `count` posts of `newsletter`, older than `before` when given. */
export function newsletterMessagesSpec(
  newsletter: Jid,
  options: { count?: number; before?: number } = {},
): IqSpec<NewsletterMessage[]> {
  const attrs: Record<string, string | Jid | undefined> = {
    type: "jid",
    jid: newsletter,
    count: checkCount(options.count),
    before: options.before === undefined ? undefined : String(checkServerId(options.before, "before")),
  };
  const spec: IqSpec<NewsletterMessage[]> = {
    operation: "newsletter messages",
    about: newsletter,
    build: () => ({
      namespace: "newsletter",
      type: "get",
      to: SERVER_JID,
      content: [{ tag: "messages", attrs }],
    }),
    parse: (res: Node) => parseNewsletterMessages(requireChild(spec, res, "messages")),
  };
  return spec;
}

/** The updates IQ: view and reaction counts of recent posts (`since` a time, `after` a server id). */
export function newsletterUpdatesSpec(
  newsletter: Jid,
  options: { count?: number; since?: Date; after?: number } = {},
): IqSpec<NewsletterMessage[]> {
  const attrs: Record<string, string | undefined> = {
    count: checkCount(options.count),
    since: options.since ? String(Math.floor(options.since.getTime() / 1000)) : undefined,
    after: options.after === undefined ? undefined : String(checkServerId(options.after, "after")),
  };
  const spec: IqSpec<NewsletterMessage[]> = {
    operation: "newsletter updates",
    about: newsletter,
    build: () => ({
      namespace: "newsletter",
      type: "get",
      to: newsletter,
      content: [{ tag: "message_updates", attrs }],
    }),
    parse: (res: Node) => {
      const updates = requireChild(spec, res, "message_updates");
      return parseNewsletterMessages(getChild(updates, "messages"));
    },
  };
  return spec;
}

/** Subscribes to a newsletter's live updates; resolves with how long they last, in milliseconds. */
export function newsletterLiveUpdatesSpec(newsletter: Jid): IqSpec<number> {
  const spec: IqSpec<number> = {
    operation: "newsletter live updates",
    about: newsletter,
    build: () => ({
      namespace: "newsletter",
      type: "set",
      to: newsletter,
      content: [{ tag: "live_updates", attrs: {} }],
    }),
    parse: (res: Node) => (optAttrInt(requireChild(spec, res, "live_updates"), "duration") ?? 0) * 1000,
  };
  return spec;
}
