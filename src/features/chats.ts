/**
 * Chats (`client.chats`): settings of a conversation. Today: the disappearing-messages timer, for 1:1
 * chats (a protocol message in the chat) and groups (a group setting).
 *
 * @module
 */

import type { Jid } from "../binary/mod.ts";
import type { FeatureContext } from "./context.ts";
import { disappearingTimerMessage, groupDisappearingSpec } from "./disappearing.ts";
import type { SendOptions } from "./send_options.ts";

/** The events of the chats feature. */
export type ChatEvents = Record<never, never>;

/** Chat settings. */
export class Chats {
  readonly #ctx: FeatureContext<ChatEvents>;

  /** Creates the feature. */
  constructor(ctx: FeatureContext<ChatEvents>) {
    this.#ctx = ctx;
  }

  /**
   * Sets a chat's disappearing-messages timer: 0 (off), 86400 (24 h), 604800 (7 days) or 7776000 (90
   * days). In a group this changes the group setting (admins only when the group is locked).
   *
   * @example
   * ```ts ignore
   * await client.chats.setDisappearingTimer("15551234567@s.whatsapp.net", 86_400);
   * ```
   */
  async setDisappearingTimer(chat: Jid, seconds: number, options: SendOptions = {}): Promise<void> {
    if (chat.isGroup()) {
      await this.#ctx.execute(groupDisappearingSpec(chat, seconds), { signal: options.signal });
      return;
    }
    await this.#ctx.sendMessage(chat, disappearingTimerMessage(seconds), options);
  }
}
