/**
 * Typed chat and account actions carried by app state mutations, both ways: {@linkcode buildChatAction}
 * turns an action into the index, value, version and collection of an outgoing mutation, and
 * {@linkcode readChatAction} turns a decoded incoming mutation back into an action. Anything this module
 * does not know (another index, a REMOVE of a chat setting, a value without the expected field) comes back as
 * `{ kind: "unknown" }` with its raw index and value, never dropped.
 *
 * Index shapes, collections and version numbers follow whatsmeow (`appstate/encode.go` Build*,
 * `appstate.go` `dispatchAppState`) and Baileys (`Utils/chat-utils.ts` `chatModificationToAppPatch`); where
 * they differ (star's collection) whatsmeow and whatsapp-rust (`src/features/chat_actions.rs`) are followed.
 * JIDs are plain strings here; in an index fromMe is `"1"` or `"0"` and an absent participant is `"0"`.
 *
 * @module
 */

import type { MessageKey, SyncActionMessageRange, SyncActionValue } from "../../proto/mod.ts";
import {
  CHAT_ACTION_SPECS,
  type ChatAction,
  type ChatActionSpec,
  type ChatMutation,
  type KnownChatAction,
  type MessageRange,
  type UnknownAction,
} from "./action_types.ts";
import { AppStateError } from "./errors.ts";
import type { DecodedMutation, MutationOperation } from "./mutation.ts";

/** Options of {@linkcode buildChatAction}. */
export interface BuildChatActionOptions {
  /** "Now", Unix ms: the timestamp when the action has none, and the bound a mute's end must pass. */
  nowMs?: number;
}

/**
 * The mutation (index, value, version, operation) and collection of an action.
 *
 * @throws {AppStateError} `invalid_action` for a mute end that is neither -1 nor after now, a group message
 * not from us without its participant, or a timestamp that is not a safe integer.
 * @example
 * ```ts
 * import { buildChatAction } from "./actions.ts";
 * const m = buildChatAction({ kind: "archive", chat: "1555@s.whatsapp.net", archived: true }, { nowMs: 1700000000000 });
 * m.collection; // "regular_low"
 * m.index; // ["archive", "1555@s.whatsapp.net"]
 * ```
 */
export function buildChatAction(action: KnownChatAction, options: BuildChatActionOptions = {}): ChatMutation {
  const nowMs = options.nowMs ?? Date.now();
  const timestampMs = action.timestampMs ?? nowMs;
  checkInteger(timestampMs, "timestampMs");
  const spec: ChatActionSpec = CHAT_ACTION_SPECS[action.kind];
  const [index, body, operation] = encodeAction(action, nowMs);
  const value: SyncActionValue = { timestamp: BigInt(timestampMs), ...body };
  return { collection: spec.collection, version: spec.version, operation, index, value };
}

/**
 * Reads a decoded mutation as a typed action; a mutation it does not recognize comes back as
 * `{ kind: "unknown", operation, index, value, version }`.
 *
 * @example
 * ```ts
 * import { readChatAction } from "./actions.ts";
 * const a = readChatAction({
 *   operation: "set",
 *   index: ["pin_v1", "1555@s.whatsapp.net"],
 *   value: { timestamp: 5n, pinAction: { pinned: true } },
 *   version: 5,
 * });
 * // { kind: "pin", chat: "1555@s.whatsapp.net", pinned: true, timestampMs: 5 }
 * ```
 */
export function readChatAction(
  mutation: Pick<DecodedMutation, "operation" | "index" | "value" | "version">,
): ChatAction {
  const known = decodeAction(mutation);
  if (known !== undefined) return known;
  const unknown: UnknownAction = {
    kind: "unknown",
    operation: mutation.operation,
    index: [...mutation.index],
    value: mutation.value,
    version: mutation.version,
  };
  return withTimestamp(unknown, mutation.value);
}

type Encoded = [string[], Omit<SyncActionValue, "timestamp">, MutationOperation];

function encodeAction(a: KnownChatAction, nowMs: number): Encoded {
  switch (a.kind) {
    case "archive":
      return [["archive", a.chat], {
        archiveChatAction: { archived: a.archived, messageRange: rangeOut(a.messageRange) },
      }, "set"];
    case "pin":
      return [["pin_v1", a.chat], { pinAction: { pinned: a.pinned } }, "set"];
    case "mute": {
      if (!a.muted) return [["mute", a.chat], { muteAction: { muted: false } }, "set"];
      const end = a.muteEndTimestampMs ?? -1;
      checkInteger(end, "muteEndTimestampMs");
      if (end !== -1 && end <= nowMs) {
        throw new AppStateError(
          "invalid_action",
          `a mute ends in the future (after ${nowMs}) or is -1, got ${end}`,
        );
      }
      return [["mute", a.chat], { muteAction: { muted: true, muteEndTimestamp: BigInt(end) } }, "set"];
    }
    case "star":
      return [messageIndex("star", a), { starAction: { starred: a.starred } }, "set"];
    case "mark_read":
      return [["markChatAsRead", a.chat], {
        markChatAsReadAction: { read: a.read, messageRange: rangeOut(a.messageRange) },
      }, "set"];
    case "delete_chat":
      return [["deleteChat", a.chat, flag(a.deleteMedia)], {
        deleteChatAction: { messageRange: rangeOut(a.messageRange) },
      }, "set"];
    case "clear_chat":
      return [["clearChat", a.chat, flag(a.deleteStarred), flag(a.deleteMedia)], {
        clearChatAction: { messageRange: rangeOut(a.messageRange) },
      }, "set"];
    case "delete_message_for_me":
      return [messageIndex("deleteMessageForMe", a), {
        deleteMessageForMeAction: {
          deleteMedia: a.deleteMedia,
          messageTimestamp: optBig(a.messageTimestamp),
        },
      }, "set"];
    case "contact":
      return [["contact", a.jid], {
        contactAction: {
          fullName: a.fullName,
          firstName: a.firstName,
          lidJid: a.lidJid,
          saveOnPrimaryAddressbook: a.saveOnPrimaryAddressbook,
          pnJid: a.pnJid,
          username: a.username,
        },
      }, "set"];
    case "remove_contact":
      return [["contact", a.jid], { contactAction: {} }, "remove"];
    case "push_name":
      return [["setting_pushName"], { pushNameSetting: { name: a.name } }, "set"];
    case "label_edit":
      return [["label_edit", a.labelId], {
        labelEditAction: {
          name: a.name,
          color: a.color,
          predefinedId: a.predefinedId,
          deleted: a.deleted,
          orderIndex: a.orderIndex,
        },
      }, "set"];
    case "label_chat":
      return [["label_jid", a.labelId, a.chat], { labelAssociationAction: { labeled: a.labeled } }, "set"];
    case "label_message":
      return [["label_message", a.labelId, a.chat, a.messageId, "0", "0"], {
        labelAssociationAction: { labeled: a.labeled },
      }, "set"];
  }
}

function messageIndex(
  name: string,
  a: { chat: string; messageId: string; fromMe: boolean; participant?: string },
): string[] {
  if (a.chat.endsWith("@g.us") && !a.fromMe && a.participant === undefined) {
    throw new AppStateError(
      "invalid_action",
      `a group message not from us needs its participant (${a.chat})`,
    );
  }
  return [name, a.chat, a.messageId, flag(a.fromMe), a.participant ?? "0"];
}

function decodeAction(
  m: Pick<DecodedMutation, "operation" | "index" | "value" | "version">,
): ChatAction | undefined {
  const [name, ...args] = m.index;
  const v = m.value;
  if (v === undefined) return undefined;
  if (m.operation === "remove") {
    if (name === "contact" && args.length === 1) {
      return withTimestamp({ kind: "remove_contact", jid: args[0] }, v);
    }
    return undefined;
  }
  let a: KnownChatAction | undefined;
  switch (name) {
    case "archive":
      if (args.length === 1 && v.archiveChatAction !== undefined) {
        const x = v.archiveChatAction;
        a = {
          kind: "archive",
          chat: args[0],
          archived: x.archived ?? false,
          messageRange: rangeIn(x.messageRange),
        };
      }
      break;
    case "pin_v1":
      if (args.length === 1 && v.pinAction !== undefined) {
        a = { kind: "pin", chat: args[0], pinned: v.pinAction.pinned ?? false };
      }
      break;
    case "mute":
      if (args.length === 1 && v.muteAction !== undefined) {
        const muted = v.muteAction.muted ?? false;
        a = { kind: "mute", chat: args[0], muted };
        if (muted) a.muteEndTimestampMs = optNum(v.muteAction.muteEndTimestamp) ?? -1;
      }
      break;
    case "star":
      if (args.length === 4 && v.starAction !== undefined) {
        a = { kind: "star", ...messageRef(args), starred: v.starAction.starred ?? false };
      }
      break;
    case "markChatAsRead":
      if (args.length === 1 && v.markChatAsReadAction !== undefined) {
        const x = v.markChatAsReadAction;
        a = {
          kind: "mark_read",
          chat: args[0],
          read: x.read ?? false,
          messageRange: rangeIn(x.messageRange),
        };
      }
      break;
    case "deleteChat":
      if (args.length >= 1 && args.length <= 2 && v.deleteChatAction !== undefined) {
        a = {
          kind: "delete_chat",
          chat: args[0],
          deleteMedia: args[1] === "1",
          messageRange: rangeIn(v.deleteChatAction.messageRange),
        };
      }
      break;
    case "clearChat":
      if (args.length >= 1 && args.length <= 3 && v.clearChatAction !== undefined) {
        a = {
          kind: "clear_chat",
          chat: args[0],
          deleteStarred: args[1] === "1",
          deleteMedia: args[2] === "1",
          messageRange: rangeIn(v.clearChatAction.messageRange),
        };
      }
      break;
    case "deleteMessageForMe":
      if (args.length === 4 && v.deleteMessageForMeAction !== undefined) {
        const x = v.deleteMessageForMeAction;
        a = {
          kind: "delete_message_for_me",
          ...messageRef(args),
          deleteMedia: x.deleteMedia ?? false,
          messageTimestamp: optNum(x.messageTimestamp),
        };
      }
      break;
    case "contact":
      if (args.length === 1 && v.contactAction !== undefined) {
        const x = v.contactAction;
        a = {
          kind: "contact",
          jid: args[0],
          fullName: x.fullName,
          firstName: x.firstName,
          lidJid: x.lidJid,
          pnJid: x.pnJid,
          username: x.username,
          saveOnPrimaryAddressbook: x.saveOnPrimaryAddressbook,
        };
      }
      break;
    case "setting_pushName":
      if (args.length === 0 && v.pushNameSetting !== undefined) {
        a = { kind: "push_name", name: v.pushNameSetting.name ?? "" };
      }
      break;
    case "label_edit":
      if (args.length === 1 && v.labelEditAction !== undefined) {
        const x = v.labelEditAction;
        a = {
          kind: "label_edit",
          labelId: args[0],
          name: x.name,
          color: x.color,
          predefinedId: x.predefinedId,
          deleted: x.deleted,
          orderIndex: x.orderIndex,
        };
      }
      break;
    case "label_jid":
      if (args.length === 2 && v.labelAssociationAction !== undefined) {
        a = {
          kind: "label_chat",
          labelId: args[0],
          chat: args[1],
          labeled: v.labelAssociationAction.labeled ?? false,
        };
      }
      break;
    case "label_message":
      if (args.length >= 3 && args.length <= 5 && v.labelAssociationAction !== undefined) {
        a = {
          kind: "label_message",
          labelId: args[0],
          chat: args[1],
          messageId: args[2],
          labeled: v.labelAssociationAction.labeled ?? false,
        };
      }
      break;
  }
  return a === undefined ? undefined : withTimestamp(a, v);
}

function messageRef(
  args: string[],
): { chat: string; messageId: string; fromMe: boolean; participant?: string } {
  const ref: { chat: string; messageId: string; fromMe: boolean; participant?: string } = {
    chat: args[0],
    messageId: args[1],
    fromMe: args[2] === "1",
  };
  if (args[3] !== "0") ref.participant = args[3];
  return ref;
}

function withTimestamp<T extends ChatAction>(a: T, v: SyncActionValue | undefined): T {
  const ts = optNum(v?.timestamp);
  if (ts !== undefined) a.timestampMs = ts;
  return a;
}

function rangeOut(r: MessageRange | undefined): SyncActionMessageRange | undefined {
  if (r === undefined) return undefined;
  return {
    lastMessageTimestamp: optBig(r.lastMessageTimestamp),
    lastSystemMessageTimestamp: optBig(r.lastSystemMessageTimestamp),
    messages: r.messages?.map((m) => ({ key: m.key, timestamp: optBig(m.timestamp) })),
  };
}

function rangeIn(r: SyncActionMessageRange | undefined): MessageRange | undefined {
  if (r === undefined) return undefined;
  const out: MessageRange = {};
  const last = optNum(r.lastMessageTimestamp);
  if (last !== undefined) out.lastMessageTimestamp = last;
  const sys = optNum(r.lastSystemMessageTimestamp);
  if (sys !== undefined) out.lastSystemMessageTimestamp = sys;
  if (r.messages !== undefined && r.messages.length > 0) {
    out.messages = r.messages.map((m) => {
      const msg: { key: MessageKey; timestamp?: number } = { key: m.key ?? {} };
      const ts = optNum(m.timestamp);
      if (ts !== undefined) msg.timestamp = ts;
      return msg;
    });
  }
  return out;
}

function flag(b: boolean): string {
  return b ? "1" : "0";
}

function checkInteger(n: number, what: string): void {
  if (!Number.isSafeInteger(n)) {
    throw new AppStateError("invalid_action", `${what} is a safe integer, got ${n}`);
  }
}

function optBig(n: number | undefined): bigint | undefined {
  if (n === undefined) return undefined;
  checkInteger(n, "a timestamp");
  return BigInt(n);
}

// int64 fields from the network may exceed 2^53; Number() rounds them rather than failing the whole patch.
function optNum(n: bigint | undefined): number | undefined {
  return n === undefined ? undefined : Number(n);
}
