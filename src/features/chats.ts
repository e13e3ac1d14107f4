/**
 * Chats (`client.chats`): the settings of a conversation, and the chat actions our devices share through
 * app state sync: archive, pin, mute, star, read/unread, delete, clear, delete a message for me, contact
 * names, labels, and our push name (set through `client.profile.setPushName`). Each action is a mutation
 * sent in an encrypted patch; the phone and our other devices see it, and what they do arrives as events
 * (`archiveUpdate`, `pinUpdate`, `muteUpdate`, `starUpdate`, `markChatAsReadUpdate`, `contactUpdate`, ...,
 * with `fromFullSync`). Our own actions are emitted too, once the server accepted them.
 *
 * The keys come from the phone after pairing; until then an action rejects with `AppStateError`
 * `missing_key` (wait for `appStateSyncComplete`). The disappearing-messages timer is not app state: it
 * is a protocol message in a 1:1 chat and a group setting in a group.
 *
 * @module
 */

import type { Jid } from "../binary/mod.ts";
import {
  type AppStateBlobDownloader,
  AppStateSync,
  type AppStateSyncRequest,
  type CollectionSyncResult,
} from "./app_state/sync.ts";
import { APP_STATE_COLLECTIONS, type KnownChatAction, type MessageRange } from "./app_state/action_types.ts";
import { buildChatAction } from "./app_state/actions.ts";
import { AppStateError } from "./app_state/errors.ts";
import type { AppStateEvents } from "./app_state/events.ts";
import type { FeatureContext } from "./context.ts";
import { disappearingTimerMessage, groupDisappearingSpec } from "./disappearing.ts";
import { InputError } from "./errors.ts";
import { toJid } from "./jid_input.ts";
import type { PushNameWriter } from "./profile.ts";
import type { SendOptions } from "./send_options.ts";

/** The events of the chats feature: app state changes, from any of our devices. */
export type ChatEvents = AppStateEvents;

/** What the chats feature needs besides its context. */
export interface ChatsOptions {
  /** Downloads app state blobs (snapshots, large patches): the media feature's `download`. */
  download: AppStateBlobDownloader;
  /** Registers a writer for new push names (`client.profile.onPushNameSet`). */
  onPushNameSet?: (writer: PushNameWriter) => () => void;
}

/** Options every chat action takes. */
export interface ChatActionOptions {
  /** Cancels waiting for the server. */
  signal?: AbortSignal;
}

/** Options of actions that cover a chat's messages up to a point (archive, read, delete, clear). */
export interface MessageRangeOptions extends ChatActionOptions {
  /** The messages covered; by default everything up to now (`lastMessageTimestamp` = now). */
  messageRange?: MessageRange;
}

/** Options of {@linkcode Chats.mute}. */
export interface MuteOptions extends ChatActionOptions {
  /** When the mute ends (a `Date` or Unix ms, in the future); muted until unmuted by default. */
  until?: Date | number;
}

/** Which message an action is about, besides its chat and id. */
export interface MessageActionOptions extends ChatActionOptions {
  /** Whether we sent it. */
  fromMe: boolean;
  /** Its sender: required for a group message not from us. */
  participant?: Jid | string;
}

/** Options of {@linkcode Chats.deleteMessageForMe}. */
export interface DeleteForMeOptions extends MessageActionOptions {
  /** Delete its media from this device too. */
  deleteMedia?: boolean;
  /** The message's timestamp, Unix seconds. */
  messageTimestamp?: number;
}

/** A contact's names, as saved in the phone's address book. */
export interface ContactDetails {
  /** Full name. */
  fullName?: string;
  /** First name. */
  firstName?: string;
  /** The contact's LID, when known. */
  lidJid?: Jid | string;
  /** The contact's phone-number JID, when known. */
  pnJid?: Jid | string;
  /** Username. */
  username?: string;
  /** Save it in the phone's address book too. */
  saveOnPrimaryAddressbook?: boolean;
}

/** A label's properties. */
export interface LabelDetails {
  /** Its name. */
  name?: string;
  /** Its color index (0-19 in WhatsApp Business). */
  color?: number;
  /** Deletes the label. */
  deleted?: boolean;
  /** The predefined label it is. */
  predefinedId?: number;
  /** Its position in the list. */
  orderIndex?: number;
}

/** Chat settings and chat actions. */
export class Chats {
  readonly #ctx: FeatureContext<ChatEvents>;
  readonly #sync: AppStateSync;

  /** Creates the feature; it handles app state notifications and key shares from the first login. */
  constructor(ctx: FeatureContext<ChatEvents>, options: ChatsOptions) {
    this.#ctx = ctx;
    this.#sync = new AppStateSync(ctx, { download: options.download });
    options.onPushNameSet?.((name) => this.#pushNameChanged(name));
  }

  /**
   * Sets a chat's disappearing-messages timer: 0 (off), 86400 (24 h), 604800 (7 days) or 7776000 (90
   * days). In a group this changes the group setting (admins only when the group is locked).
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * // Type-checked, not run: it needs a live client.
   * export async function example(client: Client) {
   *   await client.chats.setDisappearingTimer("15551234567@s.whatsapp.net", 86_400);
   * }
   * ```
   */
  async setDisappearingTimer(
    chatJid: Jid | string,
    seconds: number,
    options: SendOptions = {},
  ): Promise<void> {
    const chat = toJid(chatJid, "chat").toNonAd();
    if (chat.isGroup()) {
      await this.#ctx.execute(groupDisappearingSpec(chat, seconds), { signal: options.signal });
      return;
    }
    await this.#ctx.sendMessage(chat, disappearingTimerMessage(seconds), options);
  }

  /**
   * Archives a chat (and unpins it, as WhatsApp does).
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * // Type-checked, not run: it needs a live client.
   * export async function example(client: Client) {
   *   await client.chats.archive("15551234567@s.whatsapp.net");
   * }
   * ```
   */
  async archive(chat: Jid | string, options: MessageRangeOptions = {}): Promise<void> {
    const jid = chatArg(chat);
    await this.apply([
      { kind: "archive", chat: jid, archived: true, messageRange: range(options) },
      { kind: "pin", chat: jid, pinned: false },
    ], options);
  }

  /**
   * Unarchives a chat.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * // Type-checked, not run: it needs a live client.
   * export async function example(client: Client) {
   *   await client.chats.unarchive("15551234567@s.whatsapp.net");
   * }
   * ```
   */
  async unarchive(chat: Jid | string, options: MessageRangeOptions = {}): Promise<void> {
    await this.apply([{
      kind: "archive",
      chat: chatArg(chat),
      archived: false,
      messageRange: range(options),
    }], options);
  }

  /**
   * Pins a chat to the top of the list (WhatsApp allows three).
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * // Type-checked, not run: it needs a live client.
   * export async function example(client: Client) {
   *   await client.chats.pin("15551234567@s.whatsapp.net");
   * }
   * ```
   */
  async pin(chat: Jid | string, options: ChatActionOptions = {}): Promise<void> {
    await this.apply([{ kind: "pin", chat: chatArg(chat), pinned: true }], options);
  }

  /**
   * Unpins a chat.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * // Type-checked, not run: it needs a live client.
   * export async function example(client: Client) {
   *   await client.chats.unpin("15551234567@s.whatsapp.net");
   * }
   * ```
   */
  async unpin(chat: Jid | string, options: ChatActionOptions = {}): Promise<void> {
    await this.apply([{ kind: "pin", chat: chatArg(chat), pinned: false }], options);
  }

  /**
   * Mutes a chat until `options.until` (a future `Date` or Unix ms), or until unmuted.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * // Type-checked, not run: it needs a live client.
   * export async function example(client: Client, group: string) {
   *   await client.chats.mute(group, { until: Date.now() + 8 * 3_600_000 }); // 8 hours
   *   await client.chats.mute(group); // until unmuted
   * }
   * ```
   */
  async mute(chat: Jid | string, options: MuteOptions = {}): Promise<void> {
    let end = -1;
    if (options.until !== undefined) {
      end = options.until instanceof Date ? options.until.getTime() : options.until;
      if (!Number.isSafeInteger(end) || end <= Date.now()) {
        throw new InputError(
          "invalid_argument",
          "until",
          `a mute ends in the future, got ${String(options.until)}`,
        );
      }
    }
    await this.apply([{ kind: "mute", chat: chatArg(chat), muted: true, muteEndTimestampMs: end }], options);
  }

  /**
   * Unmutes a chat.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * // Type-checked, not run: it needs a live client.
   * export async function example(client: Client) {
   *   await client.chats.unmute("120363000000000001@g.us");
   * }
   * ```
   */
  async unmute(chat: Jid | string, options: ChatActionOptions = {}): Promise<void> {
    await this.apply([{ kind: "mute", chat: chatArg(chat), muted: false }], options);
  }

  /**
   * Stars a message. `participant` is required for a group message someone else sent.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * // Type-checked, not run: it needs a live client.
   * export async function example(client: Client) {
   *   client.on("message", ({ info }) =>
   *     client.chats.star(info.source.chat, info.id, {
   *       fromMe: info.source.isFromMe,
   *       participant: info.source.isGroup ? info.source.sender : undefined,
   *     }));
   * }
   * ```
   */
  async star(chat: Jid | string, messageId: string, options: MessageActionOptions): Promise<void> {
    await this.apply([{ kind: "star", ...messageArgs(chat, messageId, options), starred: true }], options);
  }

  /**
   * Removes the star from a message (same arguments as {@linkcode Chats.star}).
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * // Type-checked, not run: it needs a live client.
   * export async function example(client: Client, chat: string, messageId: string) {
   *   await client.chats.unstar(chat, messageId, { fromMe: true });
   * }
   * ```
   */
  async unstar(chat: Jid | string, messageId: string, options: MessageActionOptions): Promise<void> {
    await this.apply([{ kind: "star", ...messageArgs(chat, messageId, options), starred: false }], options);
  }

  /**
   * Marks a chat read on every device (`markChatUnread` for the reverse). Read receipts to the sender are
   * `client.markRead`.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * // Type-checked, not run: it needs a live client.
   * export async function example(client: Client) {
   *   await client.chats.markChatRead("15551234567@s.whatsapp.net");
   * }
   * ```
   */
  async markChatRead(chat: Jid | string, options: MessageRangeOptions = {}): Promise<void> {
    await this.apply(
      [{ kind: "mark_read", chat: chatArg(chat), read: true, messageRange: range(options) }],
      options,
    );
  }

  /**
   * Marks a chat unread on every device.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * // Type-checked, not run: it needs a live client.
   * export async function example(client: Client) {
   *   await client.chats.markChatUnread("15551234567@s.whatsapp.net");
   * }
   * ```
   */
  async markChatUnread(chat: Jid | string, options: MessageRangeOptions = {}): Promise<void> {
    await this.apply(
      [{ kind: "mark_read", chat: chatArg(chat), read: false, messageRange: range(options) }],
      options,
    );
  }

  /**
   * Deletes a chat on every device (with its media when `deleteMedia`).
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * // Type-checked, not run: it needs a live client.
   * export async function example(client: Client) {
   *   await client.chats.deleteChat("15551234567@s.whatsapp.net", { deleteMedia: true });
   * }
   * ```
   */
  async deleteChat(
    chat: Jid | string,
    options: MessageRangeOptions & { deleteMedia?: boolean } = {},
  ): Promise<void> {
    await this.apply([{
      kind: "delete_chat",
      chat: chatArg(chat),
      deleteMedia: options.deleteMedia ?? false,
      messageRange: range(options),
    }], options);
  }

  /**
   * Clears a chat's messages on every device (keeping starred ones unless `deleteStarred`).
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * // Type-checked, not run: it needs a live client.
   * export async function example(client: Client) {
   *   await client.chats.clearChat("120363000000000001@g.us", { deleteMedia: true });
   * }
   * ```
   */
  async clearChat(
    chat: Jid | string,
    options: MessageRangeOptions & { deleteStarred?: boolean; deleteMedia?: boolean } = {},
  ): Promise<void> {
    await this.apply([{
      kind: "clear_chat",
      chat: chatArg(chat),
      deleteStarred: options.deleteStarred ?? false,
      deleteMedia: options.deleteMedia ?? false,
      messageRange: range(options),
    }], options);
  }

  /**
   * Deletes one message from our devices only (the others in the chat keep it).
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * // Type-checked, not run: it needs a live client.
   * export async function example(client: Client, chat: string) {
   *   const sent = await client.sendText(chat, "oops, only mine");
   *   await client.chats.deleteMessageForMe(chat, sent.id, { fromMe: true });
   * }
   * ```
   */
  async deleteMessageForMe(
    chat: Jid | string,
    messageId: string,
    options: DeleteForMeOptions,
  ): Promise<void> {
    await this.apply([{
      kind: "delete_message_for_me",
      ...messageArgs(chat, messageId, options),
      deleteMedia: options.deleteMedia ?? false,
      messageTimestamp: options.messageTimestamp,
    }], options);
  }

  /**
   * Saves or renames a contact in the account's contacts.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * // Type-checked, not run: it needs a live client.
   * export async function example(client: Client) {
   *   await client.chats.saveContact("15551234567@s.whatsapp.net", { fullName: "Ada Lovelace", firstName: "Ada" });
   * }
   * ```
   */
  async saveContact(
    jid: Jid | string,
    details: ContactDetails,
    options: ChatActionOptions = {},
  ): Promise<void> {
    await this.apply([{
      kind: "contact",
      jid: toJid(jid, "jid").toNonAd().toString(),
      fullName: details.fullName,
      firstName: details.firstName,
      lidJid: details.lidJid === undefined ? undefined : toJid(details.lidJid, "lidJid").toNonAd().toString(),
      pnJid: details.pnJid === undefined ? undefined : toJid(details.pnJid, "pnJid").toNonAd().toString(),
      username: details.username,
      saveOnPrimaryAddressbook: details.saveOnPrimaryAddressbook,
    }], options);
  }

  /**
   * Deletes a contact from the account's contacts.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * // Type-checked, not run: it needs a live client.
   * export async function example(client: Client) {
   *   await client.chats.removeContact("15551234567@s.whatsapp.net");
   * }
   * ```
   */
  async removeContact(jid: Jid | string, options: ChatActionOptions = {}): Promise<void> {
    await this.apply([{ kind: "remove_contact", jid: toJid(jid, "jid").toNonAd().toString() }], options);
  }

  /**
   * Creates or edits a label (`deleted: true` deletes it); labels are a WhatsApp Business feature.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * // Type-checked, not run: it needs a live client.
   * export async function example(client: Client) {
   *   await client.chats.editLabel("1", { name: "New customer", color: 2 });
   *   await client.chats.labelChat("1", "15551234567@s.whatsapp.net");
   * }
   * ```
   */
  async editLabel(labelId: string, details: LabelDetails, options: ChatActionOptions = {}): Promise<void> {
    await this.apply([{ kind: "label_edit", labelId: labelArg(labelId), ...details }], options);
  }

  /**
   * Puts a label on a chat (`labeled` false takes it off).
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * // Type-checked, not run: it needs a live client.
   * export async function example(client: Client) {
   *   await client.chats.labelChat("1", "15551234567@s.whatsapp.net", false); // take label 1 off
   * }
   * ```
   */
  async labelChat(
    labelId: string,
    chat: Jid | string,
    labeled = true,
    options: ChatActionOptions = {},
  ): Promise<void> {
    await this.apply(
      [{ kind: "label_chat", labelId: labelArg(labelId), chat: chatArg(chat), labeled }],
      options,
    );
  }

  /**
   * Puts a label on a message (`labeled` false takes it off).
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * // Type-checked, not run: it needs a live client.
   * export async function example(client: Client, chat: string, messageId: string) {
   *   await client.chats.labelMessage("1", chat, messageId);
   * }
   * ```
   */
  async labelMessage(
    labelId: string,
    chat: Jid | string,
    messageId: string,
    labeled = true,
    options: ChatActionOptions = {},
  ): Promise<void> {
    await this.apply([{
      kind: "label_message",
      labelId: labelArg(labelId),
      chat: chatArg(chat),
      messageId: messageIdArg(messageId),
      labeled,
    }], options);
  }

  /**
   * Sends typed actions as they are (the methods above are built on it); actions of one collection go in
   * one patch.
   *
   * @throws {InputError} for an action the protocol does not allow (a mute end in the past, a group
   * message without its participant). `AppStateError` `missing_key` before the phone shared a key.
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * // Type-checked, not run: it needs a live client.
   * export async function example(client: Client) {
   *   await client.chats.apply([{ kind: "pin", chat: "15551234567@s.whatsapp.net", pinned: true }]);
   * }
   * ```
   */
  async apply(actions: readonly KnownChatAction[], options: ChatActionOptions = {}): Promise<void> {
    const nowMs = Date.now();
    const mutations = actions.map((action) => {
      try {
        return buildChatAction(action, { nowMs });
      } catch (e) {
        if (e instanceof AppStateError && e.code === "invalid_action") {
          throw new InputError("invalid_argument", "action", e.message, { cause: e });
        }
        throw e;
      }
    });
    await this.#sync.apply(mutations, options);
  }

  /**
   * Fetches app state from the server now (it also happens on its own: at login, when the phone shares
   * keys, and when the server says something changed). `fullSync` forgets the stored state and starts from
   * snapshots. Resolves with each collection's version, or its error.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * // Type-checked, not run: it needs a live client.
   * export async function example(client: Client) {
   *   const results = await client.chats.syncAppState({ collections: ["regular_low"] });
   * }
   * ```
   */
  async syncAppState(options: AppStateSyncRequest = {}): Promise<CollectionSyncResult[]> {
    const known: readonly string[] = APP_STATE_COLLECTIONS;
    const unknown = options.collections?.find((name) => !known.includes(name));
    if (unknown !== undefined) {
      throw new InputError(
        "invalid_argument",
        "collections",
        `expected some of ${known.join(", ")}, got "${unknown}"`,
      );
    }
    return await this.#sync.sync(options);
  }

  // The push name goes to our other devices as the setting_pushName mutation, when there is a key to
  // send it with; without one (not linked to a phone yet) it stays local.
  async #pushNameChanged(name: string): Promise<void> {
    if (!this.#ctx.isLoggedIn || (await this.#sync.keys.latest()) === undefined) {
      this.#ctx.log.debug("push name not synced to our other devices: no app state key or not logged in");
      return;
    }
    await this.apply([{ kind: "push_name", name }]);
  }
}

function chatArg(chat: Jid | string): string {
  return toJid(chat, "chat").toNonAd().toString();
}

function messageIdArg(id: string): string {
  if (typeof id !== "string" || id.length === 0) {
    throw new InputError("invalid_argument", "messageId", "a message id is a non-empty string");
  }
  return id;
}

function labelArg(id: string): string {
  if (typeof id !== "string" || id.length === 0) {
    throw new InputError("invalid_argument", "labelId", "a label id is a non-empty string");
  }
  return id;
}

function messageArgs(
  chat: Jid | string,
  messageId: string,
  options: MessageActionOptions,
): { chat: string; messageId: string; fromMe: boolean; participant?: string } {
  const chatJid = toJid(chat, "chat").toNonAd();
  if (typeof options?.fromMe !== "boolean") {
    throw new InputError("invalid_argument", "fromMe", "say whether we sent the message (true or false)");
  }
  const participant = options.participant === undefined
    ? undefined
    : toJid(options.participant, "participant").toNonAd().toString();
  if (chatJid.isGroup() && !options.fromMe && participant === undefined) {
    throw new InputError(
      "invalid_argument",
      "participant",
      `a group message not from us needs its sender (${chatJid})`,
    );
  }
  return {
    chat: chatJid.toString(),
    messageId: messageIdArg(messageId),
    fromMe: options.fromMe,
    participant,
  };
}

function range(options: MessageRangeOptions): MessageRange {
  return options.messageRange ?? { lastMessageTimestamp: Math.floor(Date.now() / 1000) };
}
