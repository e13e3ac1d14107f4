/**
 * Presence (`client.presence`): our own online/offline state and subscriptions to contacts' presence.
 *
 * - Own state: `<presence type="available|unavailable" name=PUSH_NAME/>`, the push name required;
 *   "available" is preceded by `<ib><unified_session id/></ib>` (whatsmeow presence.go `SendPresence`,
 *   `getUnifiedSessionID`; Baileys `sendPresenceUpdate`). After each login, when a push name is known,
 *   the client announces itself available, as WhatsApp Web does.
 * - Subscriptions: `<presence type="subscribe" to=JID>[<tctoken>bytes</tctoken>]</presence>` and
 *   `type="unsubscribe"`; tracked so they are renewed after a reconnect.
 * - Incoming: `<presence from [type="unavailable"] [last=unix|"deny"]>` becomes the `presence` event
 *   (whatsmeow `handlePresence`).
 *
 * @module
 */

import { Jid, type Node, type NodeInput } from "../binary/mod.ts";
import type { FeatureContext } from "./context.ts";
import { ConnectionError, InputError } from "./errors.ts";
import { toJid } from "./jid_input.ts";
import type { TcTokens } from "./tctoken.ts";

/** Our own presence: online or offline. */
export type PresenceState = "available" | "unavailable";

/** Payload of `presence`: a contact went online or offline. */
export interface PresenceEvent {
  /** The contact (as the server addressed it). */
  from: Jid;
  /** True when the contact is offline. */
  unavailable: boolean;
  /** When the contact was last online, when the server says and the contact shares it. */
  lastSeen?: Date;
  /** True when the contact's privacy settings hide their last-seen time from us (`last="deny"`). */
  lastSeenHidden: boolean;
}

/** The events of the presence feature. */
export interface PresenceEvents {
  /** A subscribed contact's presence changed. */
  presence: PresenceEvent;
}

const WEEK_MS = 7 * 24 * 3_600_000;
const THREE_DAYS_MS = 3 * 24 * 3_600_000;

/** Most presence subscriptions tracked for renewal after a reconnect. */
export const MAX_PRESENCE_SUBSCRIPTIONS = 10_000;

/** The unified-session id: (server time + 3 days) in ms, modulo one week, as a decimal string. */
export function unifiedSessionId(nowMs: number = Date.now(), serverOffsetMs = 0): string {
  return String((nowMs + serverOffsetMs + THREE_DAYS_MS) % WEEK_MS);
}

/**
 * The stanza announcing our presence; throws {@linkcode InputError} when the push name is empty (the
 * server needs it: without it others see "-").
 *
 * @example
 * ```ts
 * import { buildPresence } from "./presence.ts";
 * buildPresence("available", "Bot").attrs; // { type: "available", name: "Bot" }
 * ```
 */
export function buildPresence(
  state: PresenceState,
  pushName: string,
): NodeInput & { attrs: Record<string, string> } {
  if (state !== "available" && state !== "unavailable") {
    throw new InputError("invalid_argument", "state", `expected "available" or "unavailable", got ${state}`);
  }
  if (!pushName) {
    throw new InputError(
      "invalid_argument",
      "pushName",
      "cannot send presence without a push name (set one with client.profile.setPushName)",
    );
  }
  return { tag: "presence", attrs: { type: state, name: pushName.replaceAll("@", "") } };
}

/** `<presence type="subscribe" to>` with our tc token for the contact when we have one. */
export function buildSubscribe(jid: Jid, tcToken?: Uint8Array): NodeInput {
  return {
    tag: "presence",
    attrs: { type: "subscribe", to: jid.toNonAd() },
    content: tcToken ? [{ tag: "tctoken", attrs: {}, content: tcToken }] : undefined,
  };
}

/** Parses an incoming `<presence>`; throws when it lacks a valid `from`. */
export function parsePresence(node: Node): PresenceEvent {
  const from = node.attrs.from ? Jid.tryParse(node.attrs.from) : undefined;
  if (!from) throw new Error(`<presence> lacks a valid from (got ${node.attrs.from})`);
  const last = node.attrs.last;
  const seconds = last && /^\d+$/.test(last) ? Number(last) : undefined;
  return {
    from,
    unavailable: node.attrs.type === "unavailable",
    lastSeen: seconds ? new Date(seconds * 1000) : undefined,
    lastSeenHidden: last === "deny",
  };
}

/** Our presence and subscriptions to others'. */
export class Presence {
  readonly #ctx: FeatureContext<PresenceEvents>;
  readonly #tcTokens: TcTokens;
  readonly #subscriptions = new Map<string, Jid>();
  #state: PresenceState | undefined;

  /** Creates the feature: handles incoming `<presence>` and renews presence after each login. */
  constructor(ctx: FeatureContext<PresenceEvents>, tcTokens: TcTokens) {
    this.#ctx = ctx;
    this.#tcTokens = tcTokens;
    ctx.onStanza({ tag: "presence" }, (node) => this.#onPresence(node));
    ctx.onLogin(() => this.#afterLogin());
  }

  /**
   * The state we last announced on any connection, if any.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export function example(client: Client) {
   *   if (client.presence.state !== "available") console.log("others see us offline");
   * }
   * ```
   */
  get state(): PresenceState | undefined {
    return this.#state;
  }

  /**
   * The contacts we are subscribed to.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export function example(client: Client) {
   *   console.log(client.presence.subscriptions.map((jid) => jid.toString()));
   * }
   * ```
   */
  get subscriptions(): Jid[] {
    return [...this.#subscriptions.values()];
  }

  /**
   * Announces us online or offline (offline does not disconnect). Needs a push name.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export async function example(client: Client) {
   *   await client.presence.set("unavailable"); // stays connected, shows as offline
   * }
   * ```
   */
  async set(state: PresenceState): Promise<void> {
    const node = buildPresence(state, this.#ctx.device.pushName);
    if (state === "available") {
      await this.#ctx.sendNode({
        tag: "ib",
        attrs: {},
        content: [{ tag: "unified_session", attrs: { id: unifiedSessionId() } }],
      });
    }
    await this.#ctx.sendNode(node);
    this.#state = state;
  }

  /**
   * {@linkcode Presence.set} `available`.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export async function example(client: Client) {
   *   await client.profile.setPushName("Bot"); // presence needs a push name
   *   await client.presence.setAvailable();
   * }
   * ```
   */
  setAvailable(): Promise<void> {
    return this.set("available");
  }

  /**
   * {@linkcode Presence.set} `unavailable`.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export async function example(client: Client) {
   *   await client.presence.setUnavailable();
   * }
   * ```
   */
  setUnavailable(): Promise<void> {
    return this.set("unavailable");
  }

  /**
   * Subscribes to a contact's presence (renewed after every reconnect); `presence` events follow. The
   * server may only send presence while we are available ourselves.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export async function example(client: Client) {
   *   client.on("presence", ({ from, unavailable, lastSeen }) => {
   *     console.log(from.toString(), unavailable ? `offline, last seen ${lastSeen}` : "online");
   *   });
   *   await client.presence.subscribe("15551234567@s.whatsapp.net");
   * }
   * ```
   */
  async subscribe(jid: Jid | string): Promise<void> {
    const user = toJid(jid, "jid").toNonAd();
    if (!user.isPn() && !user.isLid()) {
      throw new InputError(
        "invalid_jid",
        "jid",
        `${user} is not a user (expected …@s.whatsapp.net or …@lid)`,
      );
    }
    const key = user.toString();
    if (!this.#subscriptions.has(key) && this.#subscriptions.size >= MAX_PRESENCE_SUBSCRIPTIONS) {
      throw new InputError(
        "invalid_argument",
        "jid",
        `at most ${MAX_PRESENCE_SUBSCRIPTIONS} subscriptions are kept`,
      );
    }
    await this.#ctx.sendNode(buildSubscribe(user, await this.#tcTokens.tokenFor(user)));
    this.#subscriptions.set(key, user);
  }

  /**
   * Stops the subscription to a contact's presence.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export async function example(client: Client) {
   *   await client.presence.unsubscribe("15551234567@s.whatsapp.net");
   * }
   * ```
   */
  async unsubscribe(jid: Jid | string): Promise<void> {
    const user = toJid(jid, "jid").toNonAd();
    this.#subscriptions.delete(user.toString());
    await this.#ctx.sendNode({ tag: "presence", attrs: { type: "unsubscribe", to: user } });
  }

  async #afterLogin(): Promise<void> {
    try {
      // WhatsApp Web announces itself at once; an explicit "unavailable" choice is kept across reconnects.
      if (this.#ctx.device.pushName && this.#state !== "unavailable") await this.set("available");
      for (const user of [...this.#subscriptions.values()]) {
        if (!this.#ctx.isLoggedIn) return;
        await this.#ctx.sendNode(buildSubscribe(user, await this.#tcTokens.tokenFor(user)));
      }
    } catch (e) {
      // The connection went away again: the next login repeats all of this.
      if (e instanceof ConnectionError && e.code === "not_connected") {
        this.#ctx.log.debug("connection closed before presence was renewed");
        return;
      }
      throw e;
    }
  }

  async #onPresence(node: Node): Promise<void> {
    let event: PresenceEvent;
    try {
      event = parsePresence(node);
    } catch (e) {
      this.#ctx.log.warn("dropping a malformed presence", { error: e, attrs: node.attrs });
      return;
    }
    await this.#ctx.emit("presence", event);
  }
}
