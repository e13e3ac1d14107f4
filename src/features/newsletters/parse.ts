/**
 * Reading what the server says about newsletters (channels): the JSON metadata MEX answers carry
 * (`{ id, state, thread_metadata, viewer_metadata }`, whatsmeow types/newsletter.go, Baileys Types/Mex.ts),
 * the `<message>` items of history and live updates (`server_id`, `<plaintext>` Message bytes,
 * `<views_count count>`, `<reactions><reaction code count/>`; whatsmeow notification.go
 * parseNewsletterMessages), and the MEX notifications of joins, leaves and mute changes. Input from the
 * network: every list is bounded and every field checked.
 *
 * @module
 */

import { getChild, getChildren, Jid, type Node, optAttrInt } from "../../binary/mod.ts";
import { Message } from "../../proto/mod.ts";
import { NEWSLETTER_NOTIFY_KEYS } from "./query_ids.ts";

/** The most messages read from one answer or update. */
export const MAX_NEWSLETTER_MESSAGES = 1_000;
/** The most reaction codes read per message. */
export const MAX_REACTION_CODES = 100;

/** The viewer's relation to a newsletter. */
export type NewsletterRole = "owner" | "admin" | "subscriber" | "guest";

/** What is known of a newsletter. */
export interface NewsletterMetadata {
  /** Its JID (`…@newsletter`). */
  jid: Jid;
  /** Its name. */
  name: string;
  /** Its description (may be empty). */
  description: string;
  /** The invite code (`https://whatsapp.com/channel/<code>`). */
  inviteCode: string;
  /** When it was created. */
  created?: Date;
  /** How many follow it. */
  subscriberCount: number;
  /** Whether WhatsApp verified it. */
  verified: boolean;
  /** Its state, lower case (`active`, `suspended`, `geosuspended`). */
  state: string;
  /** Its picture, when it has one. */
  picture?: { id?: string; directPath?: string; url?: string };
  /** Our role and mute setting, when the server said (not for lookups by invite). */
  viewer?: { role: NewsletterRole; muted: boolean };
}

/** A newsletter answer that lacks what it must carry. */
export class NewsletterParseError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "NewsletterParseError";
  }
}

function obj(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === "object" && !Array.isArray(value)
    ? value as Record<string, unknown>
    : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function text(value: unknown): string {
  return str(obj(value)?.text) ?? str(value) ?? "";
}

function int(value: unknown): number | undefined {
  const n = typeof value === "number" ? value : typeof value === "string" ? Number(value) : NaN;
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** The role an answer names, lower-cased; `guest` for anything unknown. */
export function parseRole(value: unknown): NewsletterRole {
  const role = str(value)?.toLowerCase();
  return role === "owner" || role === "admin" || role === "subscriber" ? role : "guest";
}

/**
 * Parses newsletter metadata JSON. Throws {@linkcode NewsletterParseError} when it has no valid `id`.
 *
 * @example
 * ```ts
 * import { parseNewsletterMetadata } from "./parse.ts";
 * const m = parseNewsletterMetadata({
 *   id: "120363000000000001@newsletter",
 *   thread_metadata: { name: { text: "News" }, subscribers_count: "12", invite: "AbC", creation_time: "1700000000" },
 *   viewer_metadata: { role: "OWNER", mute: "OFF" },
 * });
 * m.subscriberCount; // 12
 * ```
 */
export function parseNewsletterMetadata(json: unknown): NewsletterMetadata {
  const o = obj(json);
  const id = str(o?.id);
  const jid = id ? Jid.tryParse(id) : undefined;
  if (!o || !jid?.isNewsletter()) {
    throw new NewsletterParseError(
      `newsletter metadata needs an id ending in @newsletter, got ${JSON.stringify(id)}`,
    );
  }
  const thread = obj(o.thread_metadata) ?? {};
  const created = int(thread.creation_time);
  const picture = obj(thread.picture);
  const viewer = obj(o.viewer_metadata);
  const out: NewsletterMetadata = {
    jid,
    name: text(thread.name),
    description: text(thread.description),
    inviteCode: str(thread.invite) ?? "",
    subscriberCount: int(thread.subscribers_count) ?? 0,
    verified: str(thread.verification)?.toLowerCase() === "verified",
    state: str(obj(o.state)?.type)?.toLowerCase() ?? "active",
  };
  if (created) out.created = new Date(created * 1000);
  if (picture && (picture.id || picture.direct_path)) {
    out.picture = { id: str(picture.id), directPath: str(picture.direct_path), url: str(picture.url) };
  }
  if (viewer) out.viewer = { role: parseRole(viewer.role), muted: str(viewer.mute)?.toLowerCase() === "on" };
  return out;
}

/** One newsletter message as history and live updates carry it. */
export interface NewsletterMessage {
  /** The server's id of the message in the newsletter (what reactions and views name). */
  serverId: number;
  /** The message id, when given. */
  id?: string;
  /** The stanza type (`text`, `media`, ...), when given. */
  type?: string;
  /** When it was posted, when given. */
  timestamp?: Date;
  /** Its content (history only; live updates carry counts). */
  message?: Message;
  /** How many saw it, when given. */
  views?: number;
  /** Reaction counts by emoji. */
  reactions: Record<string, number>;
}

/** Parses the `<message>` children of a `<messages>` node; items without a `server_id` are skipped. */
export function parseNewsletterMessages(node: Node | undefined): NewsletterMessage[] {
  if (!node) return [];
  const out: NewsletterMessage[] = [];
  for (const item of getChildren(node, "message").slice(0, MAX_NEWSLETTER_MESSAGES)) {
    const serverId = optAttrInt(item, "server_id");
    if (serverId === undefined) continue;
    const msg: NewsletterMessage = { serverId, reactions: {} };
    const id = item.attrs.id ?? item.attrs.message_id;
    if (id) msg.id = id;
    if (item.attrs.type) msg.type = item.attrs.type;
    const t = optAttrInt(item, "t");
    if (t) msg.timestamp = new Date(t * 1000);
    const plaintext = getChild(item, "plaintext");
    if (plaintext?.content instanceof Uint8Array) {
      try {
        msg.message = Message.decode(plaintext.content);
      } catch {
        // A broken body leaves the counts usable; the caller sees `message` undefined.
      }
    }
    const views = getChild(item, "views_count");
    const viewCount = views ? optAttrInt(views, "count") : undefined;
    if (viewCount !== undefined) msg.views = viewCount;
    const reactions = getChild(item, "reactions");
    for (const r of reactions ? getChildren(reactions, "reaction").slice(0, MAX_REACTION_CODES) : []) {
      const code = r.attrs.code;
      if (code) msg.reactions[code] = optAttrInt(r, "count") ?? 0;
    }
    out.push(msg);
  }
  return out;
}

/** A MEX notification about a newsletter, read. */
export type NewsletterMexUpdate =
  | { kind: "join"; newsletter: NewsletterMetadata }
  | { kind: "leave"; jid: Jid; role: NewsletterRole }
  | { kind: "mute"; jid: Jid; muted: boolean };

/**
 * Reads the newsletter updates of a `<notification type="mex">` (its `<update>` children's JSON
 * `{ data: { xwa2_notify_newsletter_on_join | _on_leave | _on_mute_change: … } }`); other updates and
 * malformed ones are skipped.
 */
export function parseNewsletterMexNotification(node: Node): NewsletterMexUpdate[] {
  const out: NewsletterMexUpdate[] = [];
  for (const update of getChildren(node, "update").slice(0, 50)) {
    if (!(update.content instanceof Uint8Array)) continue;
    let data: Record<string, unknown> | undefined;
    try {
      data = obj(obj(JSON.parse(new TextDecoder().decode(update.content)))?.data);
    } catch {
      continue;
    }
    if (!data) continue;
    try {
      const join = data[NEWSLETTER_NOTIFY_KEYS.join];
      if (join) {
        out.push({ kind: "join", newsletter: parseNewsletterMetadata(join) });
        continue;
      }
      const leave = obj(data[NEWSLETTER_NOTIFY_KEYS.leave]);
      const leaveJid = leave ? Jid.tryParse(str(leave.id) ?? "") : undefined;
      if (leave && leaveJid?.isNewsletter()) {
        out.push({ kind: "leave", jid: leaveJid, role: parseRole(leave.role) });
        continue;
      }
      const mute = obj(data[NEWSLETTER_NOTIFY_KEYS.muteChange]);
      const muteJid = mute ? Jid.tryParse(str(mute.id) ?? "") : undefined;
      if (mute && muteJid?.isNewsletter()) {
        out.push({ kind: "mute", jid: muteJid, muted: str(mute.mute)?.toLowerCase() === "on" });
      }
    } catch {
      // A malformed update is skipped; the others still count.
    }
  }
  return out;
}
