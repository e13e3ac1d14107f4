/**
 * Profile (`client.profile`): our push name, about text and profile picture, other users' and groups'
 * pictures and about texts, business profiles, and the events that say they changed:
 *
 * - `pictureUpdate` from `<notification type="picture">` (and `<account_sync><picture/>` for our own);
 * - `userAboutUpdate` from `<notification type="status">`;
 * - `pushNameUpdate` when a contact's messages carry a new push name (`notify`), as whatsmeow's
 *   `updatePushName` does (this client remembers the last 10,000 names it saw, in memory);
 * - `selfPushNameUpdated` when we set our push name, or another of our devices did
 *   (`<notification type="account_sync" pushname=NAME>`, whatsapp-rust handlers/notification.rs).
 *
 * The push-name setter also hands the new name to registered writers (`onPushNameSet`), so that the
 * app-state mutation that carries it to our other devices can be added by the app-state feature.
 *
 * @module
 */

import { getChild, type Jid, type Node } from "../binary/mod.ts";
import { LruTtlCache } from "../store/mod.ts";
import type { FeatureContext } from "./context.ts";
import { InputError, IqError } from "./errors.ts";
import { toJid } from "./jid_input.ts";
import type { MessageEvent } from "./message_info.ts";
import type { Presence } from "./presence.ts";
import {
  aboutSpec,
  type BusinessProfile,
  businessProfileSpec,
  parseAboutNotification,
  parsePictureNotification,
  type PictureUpdateEvent,
  type ProfilePicture,
  profilePictureSpec,
  removeProfilePictureSpec,
  setAboutSpec,
  setProfilePictureSpec,
  type UserAboutUpdateEvent,
} from "./profile_specs.ts";
import type { TcTokens } from "./tctoken.ts";
import type { UsyncAbout } from "./usync.ts";

/** Payload of `pushNameUpdate`: a contact's push name changed (seen on one of their messages). */
export interface PushNameUpdateEvent {
  /** The contact (user JID, no device). */
  jid: Jid;
  /** The contact in the other addressing (LID or PN), when known. */
  jidAlt?: Jid;
  /** The message that carried the new name. */
  message: MessageEvent["info"];
  /** The name seen before (empty the first time this client sees the contact). */
  oldPushName: string;
  /** The new name. */
  newPushName: string;
}

/** Payload of `selfPushNameUpdated`: our own push name changed. */
export interface SelfPushNameUpdatedEvent {
  /** True when another of our devices changed it (the server told us); false for `setPushName`. */
  fromServer: boolean;
  /** The previous name. */
  oldName: string;
  /** The new name. */
  newName: string;
}

/** The events of the profile feature. */
export interface ProfileEvents {
  /** A user's or group's profile picture changed. */
  pictureUpdate: PictureUpdateEvent;
  /** A contact's about text changed. */
  userAboutUpdate: UserAboutUpdateEvent;
  /** A contact's push name changed. */
  pushNameUpdate: PushNameUpdateEvent;
  /** Our own push name changed. */
  selfPushNameUpdated: SelfPushNameUpdatedEvent;
}

/** Writes a new push name somewhere else too (the app-state `setting_pushName` mutation, for one). */
export type PushNameWriter = (name: string) => void | Promise<void>;

/** Most characters a push name may have (WhatsApp's limit). */
export const MAX_PUSH_NAME_LENGTH = 25;

/** Our profile and other users' public profile data. */
export class Profile {
  readonly #ctx: FeatureContext<ProfileEvents>;
  readonly #tcTokens: TcTokens;
  readonly #presence: Presence;
  readonly #writers = new Set<PushNameWriter>();
  readonly #names = new LruTtlCache<string, string>({ maxEntries: 10_000, ttlMs: 7 * 24 * 3_600_000 });

  /** Creates the feature and subscribes to picture, about and account_sync notifications. */
  constructor(ctx: FeatureContext<ProfileEvents>, tcTokens: TcTokens, presence: Presence) {
    this.#ctx = ctx;
    this.#tcTokens = tcTokens;
    this.#presence = presence;
    ctx.onStanza({ tag: "notification", type: "picture" }, (node) => this.#onPicture(node));
    ctx.onStanza({ tag: "notification", type: "status" }, (node) => this.#onAbout(node));
    ctx.onStanza({ tag: "notification", type: "account_sync" }, (node) => this.#onAccountSync(node));
  }

  /**
   * Our push name (the name contacts see before they save ours).
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export async function example(client: Client) {
   *   if (!client.profile.pushName) await client.profile.setPushName("Support Bot");
   * }
   * ```
   */
  get pushName(): string {
    return this.#ctx.device.pushName;
  }

  /**
   * Sets our push name: stores it, announces it with our presence, emits `selfPushNameUpdated`, and
   * hands it to the registered writers (app state). Empty names are refused.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export async function example(client: Client) {
   *   await client.profile.setPushName("Support Bot");
   * }
   * ```
   */
  async setPushName(name: string): Promise<void> {
    const trimmed = typeof name === "string" ? name.trim() : "";
    if (!trimmed) throw new InputError("invalid_argument", "name", "a push name cannot be empty");
    if ([...trimmed].length > MAX_PUSH_NAME_LENGTH) {
      throw new InputError("invalid_argument", "name", `at most ${MAX_PUSH_NAME_LENGTH} characters`);
    }
    const oldName = this.#ctx.device.pushName;
    if (oldName === trimmed) return;
    await this.#ctx.updateDevice((d) => void (d.pushName = trimmed));
    if (this.#ctx.isLoggedIn) await this.#presence.set(this.#presence.state ?? "available");
    await this.#ctx.emit("selfPushNameUpdated", { fromServer: false, oldName, newName: trimmed });
    for (const write of [...this.#writers]) await write(trimmed);
  }

  /**
   * Registers a writer called with every new push name we set; returns the unregister function.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export function example(client: Client) {
   *   const stop = client.profile.onPushNameSet((name) => console.log("now called", name));
   *   stop(); // no longer told
   * }
   * ```
   */
  onPushNameSet(writer: PushNameWriter): () => void {
    this.#writers.add(writer);
    return () => void this.#writers.delete(writer);
  }

  /**
   * Sets our about text (up to 139 characters).
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export async function example(client: Client) {
   *   await client.profile.setAbout("Answers within minutes");
   * }
   * ```
   */
  async setAbout(text: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.#ctx.execute(setAboutSpec(text), options);
  }

  /**
   * A user's about text (`text` undefined when never set, `hidden` when their privacy settings hide it).
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export async function example(client: Client) {
   *   const { text, hidden } = await client.profile.about("15551234567@s.whatsapp.net");
   *   console.log(hidden ? "hidden from us" : text ?? "never set");
   * }
   * ```
   */
  async about(jid: Jid | string, options: { signal?: AbortSignal } = {}): Promise<UsyncAbout> {
    const user = toJid(jid, "jid").toNonAd();
    return await this.#ctx.execute(aboutSpec(user, await this.#tokenFor(user)), options);
  }

  /**
   * A user's or group's profile picture (preview or full), or `undefined` when there is none. A
   * picture hidden by the owner's privacy settings rejects with `IqError` status 401.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export async function example(client: Client) {
   *   const pic = await client.profile.picture("15551234567@s.whatsapp.net", { preview: true });
   *   if (pic) console.log(pic.id, pic.url);
   * }
   * ```
   */
  async picture(
    jid: Jid | string,
    options: { preview?: boolean; existingId?: string; signal?: AbortSignal } = {},
  ): Promise<ProfilePicture | undefined> {
    const target = toJid(jid, "jid").toNonAd();
    const spec = profilePictureSpec(target, {
      preview: options.preview,
      existingId: options.existingId,
      tcToken: await this.#tokenFor(target),
    });
    try {
      return await this.#ctx.execute(spec, { signal: options.signal });
    } catch (e) {
      if (e instanceof IqError && e.code === "server" && (e.status === 404 || e.status === 204)) {
        return undefined;
      }
      throw e;
    }
  }

  /**
   * Sets our profile picture (a JPEG, typically 640x640), or a group's with `group` (admins). Resolves
   * with the new picture id.
   *
   * @example
   * ```ts
   * import type { Client, Jid } from "@wadeno/client";
   * export async function example(client: Client, group: Jid) {
   *   const id = await client.profile.setPicture(await Deno.readFile("avatar.jpg"));
   *   await client.profile.setPicture(await Deno.readFile("team.jpg"), { group }); // a group's, as its admin
   * }
   * ```
   */
  async setPicture(
    jpeg: Uint8Array,
    options: { group?: Jid | string; signal?: AbortSignal } = {},
  ): Promise<string> {
    const group = options.group === undefined ? undefined : this.#groupArg(options.group);
    return await this.#ctx.execute(setProfilePictureSpec(jpeg, group), { signal: options.signal });
  }

  /**
   * Removes our profile picture, or a group's with `group`.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export async function example(client: Client) {
   *   await client.profile.removePicture();
   * }
   * ```
   */
  async removePicture(options: { group?: Jid | string; signal?: AbortSignal } = {}): Promise<void> {
    const group = options.group === undefined ? undefined : this.#groupArg(options.group);
    await this.#ctx.execute(removeProfilePictureSpec(group), { signal: options.signal });
  }

  /**
   * A business account's profile (address, description, hours...), or `undefined` for an account
   * that is not a business.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export async function example(client: Client) {
   *   const biz = await client.profile.businessProfile("15551234567@s.whatsapp.net");
   *   if (biz) console.log(biz.description, biz.websites, biz.categories.map((c) => c.name));
   * }
   * ```
   */
  async businessProfile(
    jid: Jid | string,
    options: { signal?: AbortSignal } = {},
  ): Promise<BusinessProfile | undefined> {
    return await this.#ctx.execute(businessProfileSpec(toJid(jid, "jid").toNonAd()), options);
  }

  /** Watches a received message's push name (`notify`); emits `pushNameUpdate` when it changed. */
  async notePushName(event: MessageEvent): Promise<void> {
    const { info } = event;
    const name = info.pushName;
    if (!name || name === "-" || info.source.isFromMe || info.source.chat.isNewsletter()) return;
    const user = info.source.sender.toNonAd();
    const key = user.toString();
    const old = this.#names.get(key) ?? "";
    if (old === name) return;
    this.#names.set(key, name);
    const jidAlt = info.source.senderAlt?.toNonAd();
    if (jidAlt) this.#names.set(jidAlt.toString(), name);
    await this.#ctx.emit("pushNameUpdate", {
      jid: user,
      jidAlt,
      message: info,
      oldPushName: old,
      newPushName: name,
    });
  }

  #groupArg(group: Jid | string): Jid {
    const jid = toJid(group, "group");
    if (!jid.isGroup()) throw new InputError("invalid_jid", "group", `${jid} is not a group (…@g.us)`);
    return jid;
  }

  /** Our tc token for a user; none for groups or ourselves (the server ignores one sent for our own JID). */
  async #tokenFor(jid: Jid): Promise<Uint8Array | undefined> {
    const own = this.#ctx.ownJid?.user;
    if (jid.user === own || jid.user === this.#ctx.ownLid?.user) return undefined;
    return await this.#tcTokens.tokenFor(jid);
  }

  async #onPicture(node: Node): Promise<void> {
    for (const event of parsePictureNotification(node)) await this.#ctx.emit("pictureUpdate", event);
  }

  async #onAbout(node: Node): Promise<void> {
    const event = parseAboutNotification(node);
    if (event) await this.#ctx.emit("userAboutUpdate", event);
    else this.#ctx.log.debug("ignoring a status notification without <set>", { attrs: node.attrs });
  }

  async #onAccountSync(node: Node): Promise<void> {
    const pushName = node.attrs.pushname;
    if (pushName && pushName !== this.#ctx.device.pushName) {
      const oldName = this.#ctx.device.pushName;
      await this.#ctx.updateDevice((d) => void (d.pushName = pushName));
      await this.#ctx.emit("selfPushNameUpdated", { fromServer: true, oldName, newName: pushName });
      // WhatsApp Web announces itself as soon as it learns its first push name.
      if (!oldName && this.#ctx.isLoggedIn) {
        this.#ctx.spawn("announce presence after the push name arrived", () => this.#presence.setAvailable());
      }
    }
    if (getChild(node, "picture") && this.#ctx.ownJid) {
      const t = Number(node.attrs.t);
      await this.#ctx.emit("pictureUpdate", {
        jid: this.#ctx.ownJid.toNonAd(),
        timestamp: Number.isSafeInteger(t) && t > 0 ? new Date(t * 1000) : new Date(),
        removed: false,
      });
    }
  }
}
