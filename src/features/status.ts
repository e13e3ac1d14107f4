/**
 * Status posts (`client.status`): text, image and video posts to `status@broadcast` for a chosen
 * audience, revoking them, marking contacts' posts as viewed, and the `status` event for posts that
 * arrive.
 *
 * A post is sent like a group message whose members are the audience: one sender-key message (`skmsg`)
 * for everyone, with our sender key distributed 1:1 to every audience device in `<participants>`, and
 * `<meta status_setting="contacts|allowlist|denylist"/>` naming our status privacy (not on revokes or
 * reactions, which the server refuses with 479). Shapes from whatsmeow send.go `sendGroup` /
 * broadcast.go, whatsapp-rust src/send.rs `send_status_message` and wacore/src/send.rs
 * `status_carries_privacy_meta`. Viewing is a read receipt `<receipt to="status@broadcast"
 * participant=POSTER type="read">`; the poster sees it as a `receipt` event in chat `status@broadcast`.
 *
 * Image and video posts take an already uploaded media message (`imageMessage`/`videoMessage` with
 * url, direct path, media key and hashes); uploading is the media feature's.
 *
 * @module
 */

import { Jid, type NodeInput } from "../binary/mod.ts";
import {
  ExtendedTextMessageFontType,
  type ImageMessage,
  type Message,
  ProtocolMessageType,
  type VideoMessage,
} from "../proto/mod.ts";
import type { FeatureContext } from "./context.ts";
import { InputError } from "./errors.ts";
import { toJid } from "./jid_input.ts";
import type { MessageEvent, MessageInfo } from "./message_info.ts";
import { buildReadReceipt } from "./receipts.ts";
import type { SendOptions, SendResult } from "./send_options.ts";

/** Which of our status privacy lists the post follows (sent as `status_setting`). */
export type StatusPrivacySetting = "contacts" | "allowlist" | "denylist";

/** Options for posting a status. */
export interface StatusSendOptions extends Omit<SendOptions, "statusAudience"> {
  /** Who sees the post (user JIDs; phone numbers are turned into LIDs when known). Required. */
  audience: readonly (Jid | string)[];
  /** The privacy list the audience was drawn from (default `contacts`). */
  privacy?: StatusPrivacySetting;
}

/** Options for a text post. */
export interface StatusTextOptions extends StatusSendOptions {
  /** Background colour as 0xAARRGGBB (default 0xFF1E6E4F, WhatsApp green). */
  backgroundArgb?: number;
  /** The font, an `ExtendedTextMessage.FontType` value (default `SYSTEM`, 0). */
  font?: ExtendedTextMessageFontType;
  /** Text colour as 0xAARRGGBB (default white). */
  textArgb?: number;
}

/** Payload of `status`: a contact posted a status (or revoked one: see `message.protocolMessage`). */
export interface StatusEvent {
  /** Who posted it (the sending device). */
  poster: Jid;
  /** The post. */
  message: Message;
  /** Its metadata (`info.source.chat` is `status@broadcast`). */
  info: MessageInfo;
}

/** The events of the status feature. */
export interface StatusEvents {
  /** A contact's status post arrived (it is also a `message` event in chat `status@broadcast`). */
  status: StatusEvent;
}

/**
 * The fonts a text status may use: the values of `ExtendedTextMessage.FontType` (whatsmeow's
 * WAWebProtobufsE2E.proto). The seed's "0-4" covers only part of them; 3 and 4 are not in the schema.
 */
const FONTS: readonly number[] = Object.values(ExtendedTextMessageFontType);

/** Most audience members one post may have (WhatsApp's own limit on broadcast fan-out is far lower). */
export const MAX_STATUS_AUDIENCE = 5_000;

/**
 * The message of a text status.
 *
 * @example
 * ```ts
 * import { textStatusMessage } from "./status.ts";
 * textStatusMessage("Hello", { backgroundArgb: 0xff1a73e8, font: 2 }).extendedTextMessage?.font; // 2
 * ```
 */
export function textStatusMessage(
  text: string,
  options: { backgroundArgb?: number; font?: ExtendedTextMessageFontType; textArgb?: number } = {},
): Message {
  if (typeof text !== "string" || !text.length) {
    throw new InputError("invalid_argument", "text", "a text status needs some text");
  }
  const font = options.font ?? ExtendedTextMessageFontType.SYSTEM;
  if (!FONTS.includes(font)) {
    throw new InputError("invalid_argument", "font", `expected one of ${FONTS.join(", ")}, got ${font}`);
  }
  const argb = (name: string, v: number) => {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
      throw new InputError("invalid_argument", name, `expected a 32-bit ARGB colour, got ${v}`);
    }
    return v;
  };
  return {
    extendedTextMessage: {
      text,
      backgroundArgb: argb("backgroundArgb", options.backgroundArgb ?? 0xff1e6e4f),
      textArgb: argb("textArgb", options.textArgb ?? 0xffffffff),
      font,
    },
  };
}

/** True when a status message carries `<meta status_setting>` (not revokes, not reactions). */
export function carriesStatusSetting(message: Message): boolean {
  if (message.reactionMessage || message.encReactionMessage) return false;
  return message.protocolMessage?.type !== ProtocolMessageType.REVOKE;
}

/** Status posts. */
export class Status {
  readonly #ctx: FeatureContext<StatusEvents>;

  /** Creates the feature. */
  constructor(ctx: FeatureContext<StatusEvents>) {
    this.#ctx = ctx;
  }

  /**
   * Posts a text status to an audience.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export async function example(client: Client) {
   *   await client.status.sendText("Back at 3 pm", {
   *     audience: ["15551234567@s.whatsapp.net"],
   *     backgroundArgb: 0xff1a73e8,
   *   });
   * }
   * ```
   */
  sendText(text: string, options: StatusTextOptions): Promise<SendResult> {
    return this.sendRaw(textStatusMessage(text, options), options);
  }

  /**
   * Posts an image status: `image` is an uploaded `imageMessage` (url, directPath, mediaKey, hashes,
   * mimetype, a JPEG thumbnail); `caption` overrides its caption.
   *
   * @example
   * ```ts
   * import { type Client, mediaMessage } from "@wadeno/client";
   * export async function example(client: Client, audience: string[]) {
   *   const uploaded = await client.media.upload(await Deno.readFile("office.jpg"), "image");
   *   const { imageMessage } = mediaMessage("image", uploaded, { mimetype: "image/jpeg" });
   *   await client.status.sendImage(imageMessage!, { audience, caption: "view from the office" });
   * }
   * ```
   */
  sendImage(image: ImageMessage, options: StatusSendOptions & { caption?: string }): Promise<SendResult> {
    if (!image || typeof image !== "object" || !image.mediaKey || !(image.directPath || image.url)) {
      throw new InputError(
        "invalid_argument",
        "image",
        "expected an uploaded imageMessage (mediaKey and url/directPath)",
      );
    }
    const imageMessage = options.caption === undefined ? image : { ...image, caption: options.caption };
    return this.sendRaw({ imageMessage }, options);
  }

  /**
   * Posts a video status from an uploaded `videoMessage` (see {@linkcode Status.sendImage}).
   *
   * @example
   * ```ts
   * import { type Client, mediaMessage } from "@wadeno/client";
   * export async function example(client: Client, audience: string[]) {
   *   const uploaded = await client.media.upload(await Deno.readFile("clip.mp4"), "video");
   *   const { videoMessage } = mediaMessage("video", uploaded, { mimetype: "video/mp4", seconds: 8 });
   *   await client.status.sendVideo(videoMessage!, { audience, caption: "this morning" });
   * }
   * ```
   */
  sendVideo(video: VideoMessage, options: StatusSendOptions & { caption?: string }): Promise<SendResult> {
    if (!video || typeof video !== "object" || !video.mediaKey || !(video.directPath || video.url)) {
      throw new InputError(
        "invalid_argument",
        "video",
        "expected an uploaded videoMessage (mediaKey and url/directPath)",
      );
    }
    const videoMessage = options.caption === undefined ? video : { ...video, caption: options.caption };
    return this.sendRaw({ videoMessage }, options);
  }

  /**
   * Posts any message as a status.
   *
   * @example
   * ```ts
   * import { type Client, locationMessage } from "@wadeno/client";
   * export async function example(client: Client, audience: string[]) {
   *   await client.status.sendRaw(locationMessage({ latitude: 52.52, longitude: 13.405 }), { audience });
   * }
   * ```
   */
  async sendRaw(message: Message, options: StatusSendOptions): Promise<SendResult> {
    const { audience, privacy, extraNodes, ...rest } = options ?? ({} as StatusSendOptions);
    if (!Array.isArray(audience) || audience.length === 0) {
      throw new InputError(
        "invalid_argument",
        "audience",
        "a status post needs at least one audience member",
      );
    }
    if (audience.length > MAX_STATUS_AUDIENCE) {
      throw new InputError("invalid_argument", "audience", `at most ${MAX_STATUS_AUDIENCE} members`);
    }
    const setting = privacy ?? "contacts";
    if (setting !== "contacts" && setting !== "allowlist" && setting !== "denylist") {
      throw new InputError(
        "invalid_argument",
        "privacy",
        `expected contacts, allowlist or denylist, got ${setting}`,
      );
    }
    const users = audience.map((a) => {
      const jid = toJid(a, "audience").toNonAd();
      if (!jid.isPn() && !jid.isLid()) {
        throw new InputError("invalid_jid", "audience", `${jid} is not a user`);
      }
      return jid;
    });
    const nodes: NodeInput[] = [...(extraNodes ?? [])];
    if (carriesStatusSetting(message)) nodes.push({ tag: "meta", attrs: { status_setting: setting } });
    return await this.#ctx.sendMessage(Jid.statusBroadcast(), message, {
      ...rest,
      extraNodes: nodes,
      statusAudience: users,
    });
  }

  /**
   * Deletes one of our posts for its audience (give the same audience as the post).
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export async function example(client: Client, audience: string[]) {
   *   const sent = await client.status.sendText("oops", { audience });
   *   await client.status.revoke(sent.id, { audience });
   * }
   * ```
   */
  revoke(messageId: string, options: StatusSendOptions): Promise<SendResult> {
    if (typeof messageId !== "string" || !messageId) {
      throw new InputError("invalid_argument", "messageId", "expected the id of the post to revoke");
    }
    return this.sendRaw({
      protocolMessage: {
        type: ProtocolMessageType.REVOKE,
        key: { remoteJid: "status@broadcast", fromMe: true, id: messageId },
      },
    }, options);
  }

  /**
   * Tells a poster we viewed their posts (a read receipt in `status@broadcast`).
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export function example(client: Client) {
   *   client.on("status", ({ poster, info }) => client.status.markViewed(poster, [info.id]));
   * }
   * ```
   */
  async markViewed(poster: Jid | string, messageIds: readonly string[]): Promise<void> {
    const node = buildReadReceipt(Jid.statusBroadcast(), messageIds, { sender: toJid(poster, "poster") });
    if (node) await this.#ctx.sendNode(node);
  }

  /** Hands a received message to the `status` event when it is a contact's post. */
  async noteMessage(event: MessageEvent): Promise<void> {
    const { info, message } = event;
    if (!info.source.chat.isStatusBroadcast() || info.source.isFromMe) return;
    await this.#ctx.emit("status", { poster: info.source.sender, message, info });
  }
}
