/**
 * Chat states (`client.chatstate`): typing and recording indicators, in 1:1 chats and groups.
 *
 * Out: `<chatstate to=CHAT>` with `<composing/>` (typing), `<composing media="audio"/>` (recording a
 * voice note) or `<paused/>` (whatsmeow presence.go `SendChatPresence`; reference/seed-inventory-
 * features.md section 8). In: `<chatstate from=CHAT [participant]>` with one such child becomes the
 * `chatPresence` event (whatsmeow `handleChatState`).
 *
 * WhatsApp's own guidance: send at most one every few seconds, `paused` before the message, and let an
 * indicator lapse after 10 to 15 s of silence.
 *
 * @module
 */

import { getChildren, type Jid, type Node, type NodeInput } from "../binary/mod.ts";
import type { FeatureContext } from "./context.ts";
import { InputError } from "./errors.ts";
import { toJid } from "./jid_input.ts";
import { type MessageSource, parseMessageSource } from "./message_info.ts";

/** What we are doing in a chat: typing, recording audio, or neither any more. */
export type ChatStateKind = "composing" | "recording" | "paused";

/** Payload of `chatPresence`: someone is typing or recording in a chat, or stopped. */
export interface ChatPresenceEvent {
  /** The chat and who is typing (in a group, the participant). */
  source: MessageSource;
  /** `composing` (typing or recording) or `paused`. */
  state: "composing" | "paused";
  /** `audio` while recording a voice note, else `text`. */
  media: "text" | "audio";
}

/** The events of the chat-state feature. */
export interface ChatStateEvents {
  /** A contact started or stopped typing (or recording). */
  chatPresence: ChatPresenceEvent;
}

/**
 * The `<chatstate>` stanza for a chat.
 *
 * @example
 * ```ts
 * import { Jid } from "@wadeno/client";
 * import { buildChatState } from "./chatstate.ts";
 * const node = buildChatState(Jid.pn("15551234567"), "recording");
 * node.content; // [{ tag: "composing", attrs: { media: "audio" } }]
 * ```
 */
export function buildChatState(to: Jid, state: ChatStateKind): NodeInput {
  let child: NodeInput;
  switch (state) {
    case "composing":
      child = { tag: "composing", attrs: {} };
      break;
    case "recording":
      child = { tag: "composing", attrs: { media: "audio" } };
      break;
    case "paused":
      child = { tag: "paused", attrs: {} };
      break;
    default:
      throw new InputError(
        "invalid_argument",
        "state",
        `expected "composing", "recording" or "paused", got ${String(state)}`,
      );
  }
  return { tag: "chatstate", attrs: { to: to.toNonAd() }, content: [child] };
}

/** Parses an incoming `<chatstate>`; throws when it is not exactly one known state. */
export function parseChatState(node: Node, own: { pn: Jid; lid?: Jid }): ChatPresenceEvent {
  const source = parseMessageSource(node, own, false);
  const children = getChildren(node);
  if (children.length !== 1) throw new Error(`<chatstate> has ${children.length} children, expected 1`);
  const child = children[0];
  if (child.tag !== "composing" && child.tag !== "paused") {
    throw new Error(`<chatstate> has an unknown state <${child.tag}>`);
  }
  return { source, state: child.tag, media: child.attrs.media === "audio" ? "audio" : "text" };
}

/** Typing and recording indicators. */
export class ChatStates {
  readonly #ctx: FeatureContext<ChatStateEvents>;

  /** Creates the feature and subscribes to incoming `<chatstate>` stanzas. */
  constructor(ctx: FeatureContext<ChatStateEvents>) {
    this.#ctx = ctx;
    ctx.onStanza({ tag: "chatstate" }, (node) => this.#onChatState(node));
  }

  /**
   * Shows a typing (`composing`), recording or no (`paused`) indicator in a chat or group.
   *
   * @example
   * ```ts
   * import type { Client, Jid } from "@wadeno/client";
   * export async function example(client: Client, chat: Jid) {
   *   await client.chatstate.send(chat, "composing");
   *   await client.sendText(chat, "here it is");
   * }
   * ```
   */
  async send(to: Jid | string, state: ChatStateKind): Promise<void> {
    const jid = toJid(to, "to");
    if (!jid.isPn() && !jid.isLid() && !jid.isGroup()) {
      throw new InputError("invalid_jid", "to", `${jid} is not a user or group chat`);
    }
    await this.#ctx.sendNode(buildChatState(jid, state));
  }

  /**
   * {@linkcode ChatStates.send} `composing`.
   *
   * @example
   * ```ts
   * import type { Client, Jid } from "@wadeno/client";
   * export async function example(client: Client, chat: Jid) {
   *   await client.chatstate.composing(chat);
   * }
   * ```
   */
  composing(to: Jid | string): Promise<void> {
    return this.send(to, "composing");
  }

  /**
   * {@linkcode ChatStates.send} `recording`.
   *
   * @example
   * ```ts
   * import type { Client, Jid } from "@wadeno/client";
   * export async function example(client: Client, chat: Jid) {
   *   await client.chatstate.recording(chat); // "recording audio..."
   * }
   * ```
   */
  recording(to: Jid | string): Promise<void> {
    return this.send(to, "recording");
  }

  /**
   * {@linkcode ChatStates.send} `paused`.
   *
   * @example
   * ```ts
   * import type { Client, Jid } from "@wadeno/client";
   * export async function example(client: Client, chat: Jid) {
   *   await client.chatstate.composing(chat);
   *   await client.chatstate.paused(chat); // changed our mind: no indicator
   * }
   * ```
   */
  paused(to: Jid | string): Promise<void> {
    return this.send(to, "paused");
  }

  async #onChatState(node: Node): Promise<void> {
    const pn = this.#ctx.ownJid;
    if (!pn) return;
    let event: ChatPresenceEvent;
    try {
      event = parseChatState(node, { pn, lid: this.#ctx.ownLid });
    } catch (e) {
      this.#ctx.log.warn("dropping a malformed chat state", { error: e, attrs: node.attrs });
      return;
    }
    await this.#ctx.emit("chatPresence", event);
  }
}
