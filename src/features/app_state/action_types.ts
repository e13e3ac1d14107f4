/**
 * The typed chat and account actions of app state, the collections they live in, and each one's collection
 * and `SyncActionData.version` (whatsmeow `appstate/encode.go` Build*; Baileys `Utils/chat-utils.ts`
 * `chatModificationToAppPatch`; star's collection as in whatsmeow and whatsapp-rust, not Baileys).
 *
 * @module
 */

import type { MessageKey, SyncActionValue } from "../../proto/mod.ts";
import type { MutationInput, MutationOperation } from "./mutation.ts";

/** The app state collections, in whatsmeow's sync order (`appstate/keys.go` `AllPatchNames`). */
export const APP_STATE_COLLECTIONS = [
  "critical_block",
  "critical_unblock_low",
  "regular_high",
  "regular",
  "regular_low",
] as const;

/** One app state collection name. */
export type AppStateCollection = typeof APP_STATE_COLLECTIONS[number];

/** Which messages an archive, read, clear or delete action covers. Timestamps are Unix seconds. */
export interface MessageRange {
  /** The newest message's timestamp. */
  lastMessageTimestamp?: number;
  /** The newest system message's timestamp. */
  lastSystemMessageTimestamp?: number;
  /** The last messages of the chat, with their timestamps. */
  messages?: { key: MessageKey; timestamp?: number }[];
}

/** Fields every action has. */
export interface ActionBase {
  /** When the action was taken, Unix milliseconds (`SyncActionValue.timestamp`). */
  timestampMs?: number;
}

/** Archive or unarchive a chat (`["archive", chat]`, `regular_low`). */
export interface ArchiveChatAction extends ActionBase {
  /** Discriminant. */
  kind: "archive";
  /** The chat JID. */
  chat: string;
  /** `true` to archive, `false` to unarchive. */
  archived: boolean;
  /** The messages the archive covers. */
  messageRange?: MessageRange;
}

/** Pin or unpin a chat (`["pin_v1", chat]`, `regular_low`). */
export interface PinChatAction extends ActionBase {
  /** Discriminant. */
  kind: "pin";
  /** The chat JID. */
  chat: string;
  /** `true` to pin. */
  pinned: boolean;
}

/** Mute or unmute a chat (`["mute", chat]`, `regular_high`). */
export interface MuteChatAction extends ActionBase {
  /** Discriminant. */
  kind: "mute";
  /** The chat JID. */
  chat: string;
  /** `true` to mute. */
  muted: boolean;
  /** When muted: the end of the mute, Unix ms, or -1 for "until unmuted" (the default). Absent when unmuted. */
  muteEndTimestampMs?: number;
}

/** Star or unstar a message (`["star", chat, id, fromMe, participant]`, `regular_high`). */
export interface StarMessageAction extends ActionBase {
  /** Discriminant. */
  kind: "star";
  /** The chat JID. */
  chat: string;
  /** The message id. */
  messageId: string;
  /** Whether we sent the message. */
  fromMe: boolean;
  /** The sender, for a group message not from us (required then). */
  participant?: string;
  /** `true` to star. */
  starred: boolean;
}

/** Mark a chat read or unread (`["markChatAsRead", chat]`, `regular_low`). */
export interface MarkChatReadAction extends ActionBase {
  /** Discriminant. */
  kind: "mark_read";
  /** The chat JID. */
  chat: string;
  /** `true` for read, `false` for unread. */
  read: boolean;
  /** The messages concerned. */
  messageRange?: MessageRange;
}

/** Delete a chat (`["deleteChat", chat, deleteMedia]`, `regular_high`). */
export interface DeleteChatAction extends ActionBase {
  /** Discriminant. */
  kind: "delete_chat";
  /** The chat JID. */
  chat: string;
  /** Whether the chat's media is deleted too. */
  deleteMedia: boolean;
  /** The messages deleted. */
  messageRange?: MessageRange;
}

/** Clear a chat's messages (`["clearChat", chat, deleteStarred, deleteMedia]`, `regular_high`). */
export interface ClearChatAction extends ActionBase {
  /** Discriminant. */
  kind: "clear_chat";
  /** The chat JID. */
  chat: string;
  /** Whether starred messages go too (`"0"` when the user keeps them). */
  deleteStarred: boolean;
  /** Whether media is deleted too. */
  deleteMedia: boolean;
  /** The messages cleared. */
  messageRange?: MessageRange;
}

/** Delete one message for me (`["deleteMessageForMe", chat, id, fromMe, participant]`, `regular_high`). */
export interface DeleteMessageForMeAction extends ActionBase {
  /** Discriminant. */
  kind: "delete_message_for_me";
  /** The chat JID. */
  chat: string;
  /** The message id. */
  messageId: string;
  /** Whether we sent the message. */
  fromMe: boolean;
  /** The sender, for a group message not from us. */
  participant?: string;
  /** Whether the message's media is deleted too. */
  deleteMedia: boolean;
  /** The message's timestamp, Unix seconds. */
  messageTimestamp?: number;
}

/** Save or edit a contact (`["contact", jid]`, `critical_unblock_low`). */
export interface ContactAction extends ActionBase {
  /** Discriminant. */
  kind: "contact";
  /** The contact's JID. */
  jid: string;
  /** Full name. */
  fullName?: string;
  /** First name. */
  firstName?: string;
  /** The contact's LID JID. */
  lidJid?: string;
  /** The contact's phone-number JID. */
  pnJid?: string;
  /** The contact's username. */
  username?: string;
  /** Whether to save it in the primary device's address book. */
  saveOnPrimaryAddressbook?: boolean;
}

/** Delete a contact: a REMOVE of `["contact", jid]` (Baileys). */
export interface RemoveContactAction extends ActionBase {
  /** Discriminant. */
  kind: "remove_contact";
  /** The contact's JID. */
  jid: string;
}

/** Set our push name (`["setting_pushName"]`, `critical_block`). */
export interface PushNameAction extends ActionBase {
  /** Discriminant. */
  kind: "push_name";
  /** The new push name. */
  name: string;
}

/** Create, edit or delete a label (`["label_edit", labelId]`, `regular`). */
export interface LabelEditAction extends ActionBase {
  /** Discriminant. */
  kind: "label_edit";
  /** The label id. */
  labelId: string;
  /** The label's name. */
  name?: string;
  /** The label's color index. */
  color?: number;
  /** The id of a predefined label this one is. */
  predefinedId?: number;
  /** Whether the label is deleted. */
  deleted?: boolean;
  /** The label's position in the list. */
  orderIndex?: number;
}

/** Add or remove a label on a chat (`["label_jid", labelId, chat]`, `regular`). */
export interface LabelChatAction extends ActionBase {
  /** Discriminant. */
  kind: "label_chat";
  /** The label id. */
  labelId: string;
  /** The chat JID. */
  chat: string;
  /** `true` to add the label. */
  labeled: boolean;
}

/** Add or remove a label on a message (`["label_message", labelId, chat, id, "0", "0"]`, `regular`). */
export interface LabelMessageAction extends ActionBase {
  /** Discriminant. */
  kind: "label_message";
  /** The label id. */
  labelId: string;
  /** The chat JID. */
  chat: string;
  /** The message id. */
  messageId: string;
  /** `true` to add the label. */
  labeled: boolean;
}

/** A mutation this module does not interpret, kept as it came. */
export interface UnknownAction extends ActionBase {
  /** Discriminant. */
  kind: "unknown";
  /** SET or REMOVE. */
  operation: MutationOperation;
  /** The raw index. */
  index: string[];
  /** The raw value. */
  value: SyncActionValue | undefined;
  /** `SyncActionData.version`. */
  version: number | undefined;
}

/** An action this module can build. */
export type KnownChatAction =
  | ArchiveChatAction
  | PinChatAction
  | MuteChatAction
  | StarMessageAction
  | MarkChatReadAction
  | DeleteChatAction
  | ClearChatAction
  | DeleteMessageForMeAction
  | ContactAction
  | RemoveContactAction
  | PushNameAction
  | LabelEditAction
  | LabelChatAction
  | LabelMessageAction;

/** Any action `readChatAction` can return. */
export type ChatAction = KnownChatAction | UnknownAction;

/** An outgoing mutation with the collection it belongs to; pass it to `encodePatch`. */
export interface ChatMutation extends MutationInput {
  /** The collection the patch must be for. */
  collection: AppStateCollection;
}

/** Where an action's mutations go and the `SyncActionData.version` they carry. */
export interface ChatActionSpec {
  /** The collection. */
  collection: AppStateCollection;
  /** The action version. */
  version: number;
}

/** Each known action's collection and `SyncActionData.version` (whatsmeow / Baileys numbers). */
export const CHAT_ACTION_SPECS: Readonly<Record<KnownChatAction["kind"], Readonly<ChatActionSpec>>> = {
  archive: { collection: "regular_low", version: 3 },
  pin: { collection: "regular_low", version: 5 },
  mute: { collection: "regular_high", version: 2 },
  star: { collection: "regular_high", version: 2 },
  mark_read: { collection: "regular_low", version: 3 },
  delete_chat: { collection: "regular_high", version: 6 },
  clear_chat: { collection: "regular_high", version: 6 },
  delete_message_for_me: { collection: "regular_high", version: 3 },
  contact: { collection: "critical_unblock_low", version: 2 },
  remove_contact: { collection: "critical_unblock_low", version: 2 },
  push_name: { collection: "critical_block", version: 1 },
  label_edit: { collection: "regular", version: 3 },
  label_chat: { collection: "regular", version: 3 },
  label_message: { collection: "regular", version: 3 },
};
