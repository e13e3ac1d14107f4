/**
 * Disappearing messages: the timer of a 1:1 chat is a protocol message sent in the chat
 * (`EPHEMERAL_SETTING`); the timer of a group is a group setting changed by IQ
 * (`w:g2` `<ephemeral expiration=N/>`, or `<not_ephemeral/>` to turn it off). Durations are WhatsApp's:
 * 24 hours, 7 days, 90 days, or off (reference/protocol-facts-features.md 4.1).
 *
 * @module
 */

import type { Jid } from "../binary/mod.ts";
import { type Message, ProtocolMessageType } from "../proto/mod.ts";
import { InputError } from "./errors.ts";
import type { IqSpec } from "./iq.ts";

/** The timers WhatsApp offers, in seconds: off, 24 hours, 7 days, 90 days. */
export const DISAPPEARING_TIMERS: readonly number[] = [0, 86_400, 604_800, 7_776_000];

/** Throws {@linkcode InputError} unless `seconds` is one of {@linkcode DISAPPEARING_TIMERS}. */
export function checkDisappearingTimer(seconds: number): number {
  if (!DISAPPEARING_TIMERS.includes(seconds)) {
    throw new InputError(
      "invalid_argument",
      "seconds",
      `expected one of ${DISAPPEARING_TIMERS.join(", ")} (off, 24 h, 7 d, 90 d), got ${seconds}`,
    );
  }
  return seconds;
}

/**
 * The protocol message that sets (or, with 0, turns off) a 1:1 chat's disappearing-messages timer.
 *
 * @example
 * ```ts
 * import { type Client, disappearingTimerMessage, type Jid } from "@wadeno/client";
 * export async function example(client: Client, chat: Jid) {
 *   // 7 days in this 1:1 chat (what `client.chats.setDisappearingTimer(chat, 604_800)` sends)
 *   await client.sendMessage(chat, disappearingTimerMessage(604_800));
 * }
 * ```
 */
export function disappearingTimerMessage(seconds: number): Message {
  return {
    protocolMessage: {
      type: ProtocolMessageType.EPHEMERAL_SETTING,
      ephemeralExpiration: checkDisappearingTimer(seconds),
      ephemeralSettingTimestamp: BigInt(Math.floor(Date.now() / 1000)),
    },
  };
}

/** The group IQ that sets (or turns off) a group's disappearing-messages timer. */
export function groupDisappearingSpec(group: Jid, seconds: number): IqSpec<void> {
  checkDisappearingTimer(seconds);
  return {
    operation: "set the disappearing-messages timer",
    about: group,
    build: () => ({
      namespace: "w:g2",
      type: "set",
      to: group,
      content: [
        seconds === 0
          ? { tag: "not_ephemeral", attrs: {} }
          : { tag: "ephemeral", attrs: { expiration: String(seconds) } },
      ],
    }),
    parse: () => undefined,
  };
}
