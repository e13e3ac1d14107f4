/**
 * Replies to interactive messages as a bot receives them: a tapped button (`buttonsResponseMessage`), a
 * row chosen from a list (`listResponseMessage`), a template button (`templateButtonReplyMessage`) or a
 * native-flow answer (`interactiveResponseMessage`, JSON parameters), read into one shape; and builders of
 * the same replies (for a client answering a business, or tests). Field numbers: Baileys WAProto.proto.
 *
 * @module
 */

import {
  ButtonsResponseMessageType,
  type ContextInfo,
  ListResponseMessageListType,
  type Message,
} from "../proto/mod.ts";
import { InputError } from "./errors.ts";
import { unwrapMessage } from "./message_builders.ts";

/** Which kind of interactive message was answered. */
export type ButtonReplyKind = "buttons" | "list" | "template" | "interactive";

/** A reply to an interactive message. */
export interface ButtonReply {
  /** Which kind of message it answers. */
  kind: ButtonReplyKind;
  /** The chosen button's or row's id (for `interactive`, the flow's name). */
  id: string;
  /** What the user saw and tapped (a button's text, a row's title), when given. */
  text?: string;
  /** For templates: the button's index. */
  index?: number;
  /** For lists: the row's description. */
  description?: string;
  /** For native flows: the parsed `paramsJson` (undefined when it is not JSON). */
  params?: unknown;
  /** The message answered (its id is `stanzaId`), from the reply's context. */
  inReplyTo?: { id: string; participant?: string };
}

function replyTo(ctx: ContextInfo | undefined): ButtonReply["inReplyTo"] {
  if (!ctx?.stanzaId) return undefined;
  return ctx.participant ? { id: ctx.stanzaId, participant: ctx.participant } : { id: ctx.stanzaId };
}

/** Parses JSON of at most 64 KiB; undefined otherwise. */
function parseParams(json: string | undefined): unknown {
  if (!json || json.length > 64 * 1024) return undefined;
  try {
    return JSON.parse(json);
  } catch {
    return undefined;
  }
}

/**
 * The button, list row or flow answer a message carries, if any.
 *
 * @example
 * ```ts
 * import { getButtonReply } from "@wadeno/client";
 * getButtonReply({ buttonsResponseMessage: { selectedButtonId: "yes", selectedDisplayText: "Yes" } });
 * // { kind: "buttons", id: "yes", text: "Yes" }
 * ```
 */
export function getButtonReply(message: Message): ButtonReply | undefined {
  const m = unwrapMessage(message);
  let out: ButtonReply | undefined;
  let ctx: ContextInfo | undefined;
  if (m.buttonsResponseMessage) {
    const b = m.buttonsResponseMessage;
    out = { kind: "buttons", id: b.selectedButtonId ?? "" };
    if (b.selectedDisplayText) out.text = b.selectedDisplayText;
    ctx = b.contextInfo;
  } else if (m.listResponseMessage) {
    const l = m.listResponseMessage;
    out = { kind: "list", id: l.singleSelectReply?.selectedRowId ?? "" };
    if (l.title) out.text = l.title;
    if (l.description) out.description = l.description;
    ctx = l.contextInfo;
  } else if (m.templateButtonReplyMessage) {
    const t = m.templateButtonReplyMessage;
    out = { kind: "template", id: t.selectedId ?? "" };
    if (t.selectedDisplayText) out.text = t.selectedDisplayText;
    if (t.selectedIndex !== undefined) out.index = t.selectedIndex;
    ctx = t.contextInfo;
  } else if (m.interactiveResponseMessage) {
    const i = m.interactiveResponseMessage;
    out = { kind: "interactive", id: i.nativeFlowResponseMessage?.name ?? "" };
    if (i.body?.text) out.text = i.body.text;
    const params = parseParams(i.nativeFlowResponseMessage?.paramsJson);
    if (params !== undefined) out.params = params;
    ctx = i.contextInfo;
  }
  if (!out) return undefined;
  const to = replyTo(ctx);
  if (to) out.inReplyTo = to;
  return out;
}

/** What {@linkcode buttonReplyMessage} builds. */
export interface ButtonReplyInput {
  /** Which kind of message it answers. */
  kind: ButtonReplyKind;
  /** The button's or row's id (the flow's name for `interactive`). */
  id: string;
  /** The text shown (the button's label, the row's title). */
  text?: string;
  /** For templates: the button's index. */
  index?: number;
  /** For native flows: the parameters, sent as JSON. */
  params?: unknown;
  /** The id of the message answered (and its sender in groups). */
  inReplyTo?: { id: string; participant?: string };
}

/**
 * A reply to an interactive message.
 *
 * @example
 * ```ts
 * import { buttonReplyMessage } from "@wadeno/client";
 * buttonReplyMessage({ kind: "list", id: "row-2", text: "Tuesday" }).listResponseMessage?.singleSelectReply; // { selectedRowId: "row-2" }
 * ```
 */
export function buttonReplyMessage(input: ButtonReplyInput): Message {
  if (!input || typeof input.id !== "string" || input.id.length === 0 || input.id.length > 256) {
    throw new InputError(
      "invalid_argument",
      "id",
      "expected the chosen button's or row's id (1 to 256 characters)",
    );
  }
  const contextInfo: ContextInfo | undefined = input.inReplyTo
    ? { stanzaId: input.inReplyTo.id, participant: input.inReplyTo.participant }
    : undefined;
  switch (input.kind) {
    case "buttons":
      return {
        buttonsResponseMessage: {
          selectedButtonId: input.id,
          selectedDisplayText: input.text,
          type: ButtonsResponseMessageType.DISPLAY_TEXT,
          contextInfo,
        },
      };
    case "list":
      return {
        listResponseMessage: {
          title: input.text,
          listType: ListResponseMessageListType.SINGLE_SELECT,
          singleSelectReply: { selectedRowId: input.id },
          contextInfo,
        },
      };
    case "template":
      return {
        templateButtonReplyMessage: {
          selectedId: input.id,
          selectedDisplayText: input.text,
          selectedIndex: input.index,
          contextInfo,
        },
      };
    case "interactive":
      return {
        interactiveResponseMessage: {
          body: input.text ? { text: input.text } : undefined,
          nativeFlowResponseMessage: {
            name: input.id,
            paramsJson: JSON.stringify(input.params ?? {}),
            version: 3,
          },
          contextInfo,
        },
      };
    default:
      throw new InputError(
        "invalid_argument",
        "kind",
        `expected "buttons", "list", "template" or "interactive", got ${JSON.stringify(input.kind)}`,
      );
  }
}
