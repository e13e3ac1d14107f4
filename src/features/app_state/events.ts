/**
 * The events app state sync emits, one per applied mutation, and the pure mapping from a decoded action
 * to them. Names and fields follow the seed's Event list (`PinUpdate { jid, timestamp, action,
 * from_full_sync }`, `StarUpdate { chat_jid, participant_jid, message_id, from_me, ... }`) in camelCase;
 * `action` is the typed action of `actions.ts`. Every mutation, known or not, is also an `appStateAction`.
 *
 * `fromFullSync` is true for mutations that came in a snapshot (the first sync of a collection, or a
 * resync after a failure): they describe existing state, not something that just happened.
 *
 * @module
 */

import { Jid } from "../../binary/mod.ts";
import type {
  ArchiveChatAction,
  ChatAction,
  ClearChatAction,
  ContactAction,
  DeleteChatAction,
  DeleteMessageForMeAction,
  LabelChatAction,
  LabelEditAction,
  LabelMessageAction,
  MarkChatReadAction,
  MuteChatAction,
  PinChatAction,
  RemoveContactAction,
  StarMessageAction,
} from "./action_types.ts";

/** A chat setting changed (archive, pin, mute, read, delete, clear). */
export interface ChatSettingEvent<A> {
  /** The chat. */
  jid: Jid;
  /** When the change was made (`SyncActionValue.timestamp`; the epoch when the sender gave none). */
  timestamp: Date;
  /** The change. */
  action: A;
  /** True when it came in a snapshot (existing state) rather than a new patch. */
  fromFullSync: boolean;
}

/** A message setting changed (star, delete for me). */
export interface MessageSettingEvent<A> {
  /** The chat the message is in. */
  chatJid: Jid;
  /** The sender, for a group message not from us. */
  participantJid?: Jid;
  /** The message id. */
  messageId: string;
  /** Whether we sent the message. */
  fromMe: boolean;
  /** When the change was made. */
  timestamp: Date;
  /** The change. */
  action: A;
  /** True when it came in a snapshot. */
  fromFullSync: boolean;
}

/** Payload of `archiveUpdate`. */
export type ArchiveUpdateEvent = ChatSettingEvent<ArchiveChatAction>;
/** Payload of `pinUpdate`. */
export type PinUpdateEvent = ChatSettingEvent<PinChatAction>;
/** Payload of `muteUpdate`. */
export type MuteUpdateEvent = ChatSettingEvent<MuteChatAction>;
/** Payload of `markChatAsReadUpdate`. */
export type MarkChatAsReadUpdateEvent = ChatSettingEvent<MarkChatReadAction>;
/** Payload of `deleteChatUpdate`. */
export type DeleteChatUpdateEvent = ChatSettingEvent<DeleteChatAction>;
/** Payload of `clearChatUpdate`. */
export type ClearChatUpdateEvent = ChatSettingEvent<ClearChatAction>;
/** Payload of `starUpdate`. */
export type StarUpdateEvent = MessageSettingEvent<StarMessageAction>;
/** Payload of `deleteMessageForMeUpdate`. */
export type DeleteMessageForMeUpdateEvent = MessageSettingEvent<DeleteMessageForMeAction>;

/** Payload of `contactUpdate`: a contact was saved, renamed (`contact`) or deleted (`remove_contact`). */
export interface ContactUpdateEvent {
  /** The contact. */
  jid: Jid;
  /** When the change was made. */
  timestamp: Date;
  /** The change: the contact's names, or its removal. */
  action: ContactAction | RemoveContactAction;
  /** True when it came in a snapshot. */
  fromFullSync: boolean;
}

/** Payload of `pushNameSettingUpdate`: our push name as our devices share it (`setting_pushName`). */
export interface PushNameSettingEvent {
  /** The name. */
  name: string;
  /** When it was set. */
  timestamp: Date;
  /** True when it came in a snapshot. */
  fromFullSync: boolean;
}

/** Payload of `labelEditUpdate`: a label was created, renamed, recolored or deleted. */
export interface LabelEditEvent {
  /** The label id. */
  labelId: string;
  /** When the change was made. */
  timestamp: Date;
  /** The change. */
  action: LabelEditAction;
  /** True when it came in a snapshot. */
  fromFullSync: boolean;
}

/** Payload of `labelAssociationUpdate`: a label was put on or taken off a chat or a message. */
export interface LabelAssociationEvent {
  /** The label id. */
  labelId: string;
  /** The chat. */
  jid: Jid;
  /** The message, for a message label. */
  messageId?: string;
  /** Whether the label is now on. */
  labeled: boolean;
  /** When the change was made. */
  timestamp: Date;
  /** The change. */
  action: LabelChatAction | LabelMessageAction;
  /** True when it came in a snapshot. */
  fromFullSync: boolean;
}

/** Payload of `appStateAction`: any applied mutation, typed when known (`kind: "unknown"` otherwise). */
export interface AppStateActionEvent {
  /** The collection it came in. */
  collection: string;
  /** The action. */
  action: ChatAction;
  /** When the change was made. */
  timestamp: Date;
  /** True when it came in a snapshot. */
  fromFullSync: boolean;
}

/** Payload of `appStateSyncComplete`: a collection is up to date with the server. */
export interface AppStateSyncCompleteEvent {
  /** The collection. */
  collection: string;
  /** Its version now. */
  version: number;
  /** True when this sync applied a snapshot. */
  fromFullSync: boolean;
}

/**
 * Payload of `appStateSyncError`: a collection could not be brought up to date. Its stored state is
 * unchanged (nothing unverified is applied); the next `server_sync` or sync tries again.
 */
export interface AppStateSyncErrorEvent {
  /** The collection. */
  collection: string;
  /** Why: an `AppStateError` (`bad_value_mac`, `lthash_mismatch`, `missing_key`...) or a transfer error. */
  error: unknown;
}

/** The events of app state sync (part of `client.chats`). */
export interface AppStateEvents {
  /** A chat was archived or unarchived. */
  archiveUpdate: ArchiveUpdateEvent;
  /** A chat was pinned or unpinned. */
  pinUpdate: PinUpdateEvent;
  /** A chat was muted or unmuted. */
  muteUpdate: MuteUpdateEvent;
  /** A chat was marked read or unread. */
  markChatAsReadUpdate: MarkChatAsReadUpdateEvent;
  /** A chat was deleted. */
  deleteChatUpdate: DeleteChatUpdateEvent;
  /** A chat's messages were cleared. */
  clearChatUpdate: ClearChatUpdateEvent;
  /** A message was starred or unstarred. */
  starUpdate: StarUpdateEvent;
  /** A message was deleted for us. */
  deleteMessageForMeUpdate: DeleteMessageForMeUpdateEvent;
  /** A contact was saved, renamed or deleted. */
  contactUpdate: ContactUpdateEvent;
  /** Our push name setting changed. */
  pushNameSettingUpdate: PushNameSettingEvent;
  /** A label was edited. */
  labelEditUpdate: LabelEditEvent;
  /** A label was put on or taken off a chat or message. */
  labelAssociationUpdate: LabelAssociationEvent;
  /** Any applied mutation (also the ones above), typed when known. */
  appStateAction: AppStateActionEvent;
  /** A collection finished syncing. */
  appStateSyncComplete: AppStateSyncCompleteEvent;
  /** A collection could not be synced. */
  appStateSyncError: AppStateSyncErrorEvent;
}

/** One event to emit. */
export type AppStateEventOf = {
  [K in keyof AppStateEvents]: { name: K; data: AppStateEvents[K] };
}[keyof AppStateEvents];

/**
 * The events one applied action produces: `appStateAction` always, then the typed event when the action
 * is known and its JIDs parse.
 *
 * @example
 * ```ts
 * import { actionEvents } from "./events.ts";
 * const events = actionEvents({ kind: "pin", chat: "1555@s.whatsapp.net", pinned: true, timestampMs: 5 }, "regular_low", false);
 * events.map((e) => e.name); // ["appStateAction", "pinUpdate"]
 * ```
 */
export function actionEvents(
  action: ChatAction,
  collection: string,
  fromFullSync: boolean,
): AppStateEventOf[] {
  const timestamp = new Date(action.timestampMs ?? 0);
  const out: AppStateEventOf[] = [{
    name: "appStateAction",
    data: { collection, action, timestamp, fromFullSync },
  }];
  const typed = typedEvent(action, timestamp, fromFullSync);
  if (typed !== undefined) out.push(typed);
  return out;
}

function typedEvent(a: ChatAction, timestamp: Date, fromFullSync: boolean): AppStateEventOf | undefined {
  const base = { timestamp, fromFullSync };
  switch (a.kind) {
    case "archive":
      return chat("archiveUpdate", a, base);
    case "pin":
      return chat("pinUpdate", a, base);
    case "mute":
      return chat("muteUpdate", a, base);
    case "mark_read":
      return chat("markChatAsReadUpdate", a, base);
    case "delete_chat":
      return chat("deleteChatUpdate", a, base);
    case "clear_chat":
      return chat("clearChatUpdate", a, base);
    case "star":
    case "delete_message_for_me": {
      const chatJid = Jid.tryParse(a.chat);
      const participantJid = a.participant === undefined ? undefined : Jid.tryParse(a.participant);
      if (chatJid === undefined || (a.participant !== undefined && participantJid === undefined)) {
        return undefined;
      }
      const data = { chatJid, participantJid, messageId: a.messageId, fromMe: a.fromMe, ...base };
      return a.kind === "star"
        ? { name: "starUpdate", data: { ...data, action: a } }
        : { name: "deleteMessageForMeUpdate", data: { ...data, action: a } };
    }
    case "contact":
    case "remove_contact": {
      const jid = Jid.tryParse(a.jid);
      return jid === undefined ? undefined : { name: "contactUpdate", data: { jid, action: a, ...base } };
    }
    case "push_name":
      return { name: "pushNameSettingUpdate", data: { name: a.name, ...base } };
    case "label_edit":
      return { name: "labelEditUpdate", data: { labelId: a.labelId, action: a, ...base } };
    case "label_chat":
    case "label_message": {
      const jid = Jid.tryParse(a.chat);
      if (jid === undefined) return undefined;
      const messageId = a.kind === "label_message" ? a.messageId : undefined;
      return {
        name: "labelAssociationUpdate",
        data: { labelId: a.labelId, jid, messageId, labeled: a.labeled, action: a, ...base },
      };
    }
    case "unknown":
      return undefined;
  }
}

type ChatEventName =
  | "archiveUpdate"
  | "pinUpdate"
  | "muteUpdate"
  | "markChatAsReadUpdate"
  | "deleteChatUpdate"
  | "clearChatUpdate";

function chat<K extends ChatEventName>(
  name: K,
  action: AppStateEvents[K]["action"],
  base: { timestamp: Date; fromFullSync: boolean },
): AppStateEventOf | undefined {
  const jid = Jid.tryParse(action.chat);
  if (jid === undefined) return undefined;
  return { name, data: { jid, action, ...base } } as AppStateEventOf;
}
