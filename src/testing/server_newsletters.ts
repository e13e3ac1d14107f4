/**
 * FakeWhatsApp's newsletters (channels): each has an owner (and admins), followers with a mute setting,
 * and its posts (the last 500) with reactions and views. Served as the real service does
 * (reference/protocol-facts-features.md 6.2, 6.3):
 *
 * - MEX operations (every known query id, see query_ids.ts): create, metadata by JID or invite code,
 *   follow, unfollow, mute, unmute, update, the followed list. Failures are GraphQL errors: 404 unknown
 *   newsletter, 403 not allowed (only admins update; the owner cannot unfollow), 400 bad variables. A
 *   follow, unfollow or mute change is pushed to the account's other devices as
 *   `<notification type="mex"><update op_name>{"data":{"xwa2_notify_newsletter_on_…":…}}</update>`.
 * - Posts: `<message to=NL id type><plaintext>…</plaintext></message>` from an admin gets the next
 *   `server_id`, is acked with it (`<ack class="message" id from=NL t server_id>`), and is fanned out as
 *   `<message from=NL id server_id t type><plaintext>…` to every device of every follower and admin but
 *   the sender (offline devices at their next login). From anyone else: ack error 403; unknown
 *   newsletter 404; no plaintext 400.
 * - Reactions: `<message to=NL server_id type="reaction"><reaction code/>` from a follower or admin
 *   (unknown post 404); the new counts go to every device subscribed to live updates as
 *   `<notification type="newsletter" from=NL><live_updates><messages><message server_id><reactions>…`.
 * - `newsletter` IQs: `<messages type="jid" jid count before>` (history), `<message_updates count since
 *   after>` (counts), `<live_updates/>` (a 300 s subscription of the asking device).
 *
 * @module
 */

import { getChild, Jid, type Node, type NodeInput } from "../binary/mod.ts";
import { randomBytes } from "../crypto/mod.ts";
import { KNOWN_NEWSLETTER_QUERY_IDS, type NewsletterOperation } from "../features/newsletters/query_ids.ts";
import { type Account, devicePn } from "./accounts.ts";
import { type FakeWhatsApp, iqError, iqResult } from "./fake_whatsapp.ts";
import type { ServerConnection } from "./server_connection.ts";
import type { ServerFeature } from "./server_feature.ts";
import { mexFailure, type MexServerAnswer, type MexServerHandler } from "./server_mex.ts";
import { cloneNode, parseJidAttr, unixNow } from "./stanza_util.ts";

/** How many posts a newsletter keeps. */
export const MAX_POSTS = 500;
/** How long a live-updates subscription lasts, in seconds. */
export const LIVE_UPDATES_SECONDS = 300;

/** One post of a newsletter. */
export interface ServerPost {
  /** Its id in the newsletter. */
  serverId: number;
  /** The sender's message id. */
  id: string;
  /** The stanza type. */
  type: string;
  /** When it was posted (Unix seconds). */
  t: number;
  /** The encoded Message. */
  plaintext: Uint8Array;
  /** The `mediatype` of the plaintext, if any. */
  mediaType?: string;
  /** Reactions by account phone number. */
  reactions: Map<string, string>;
  /** Views. */
  views: number;
}

/** A newsletter on the server. */
export interface ServerNewsletter {
  /** Its JID. */
  jid: Jid;
  /** Its name. */
  name: string;
  /** Its description. */
  description: string;
  /** Its invite code. */
  invite: string;
  /** Creation time (Unix seconds). */
  created: number;
  /** The owner. */
  owner: Account;
  /** Admins other than the owner. */
  admins: Set<Account>;
  /** Followers by phone number, with their mute setting. */
  followers: Map<string, { account: Account; muted: boolean }>;
  /** Posts, oldest first. */
  posts: ServerPost[];
  /** The next post's server id. */
  nextServerId: number;
  /** Devices (PN device JID strings) subscribed to live updates, with the expiry (ms). */
  live: Map<string, number>;
}

/** The newsletters of one FakeWhatsApp. */
export class NewsletterRegistry {
  readonly #byJid = new Map<string, ServerNewsletter>();
  readonly #byInvite = new Map<string, ServerNewsletter>();

  /** Creates a newsletter owned by `owner`. */
  create(owner: Account, name: string, description = ""): ServerNewsletter {
    const id = `120363${(100_000_000_000 + Math.floor(Math.random() * 899_999_999_999)).toString()}`;
    const nl: ServerNewsletter = {
      jid: Jid.newsletter(id),
      name,
      description,
      invite: randomBytes(16).toBase64({ alphabet: "base64url", omitPadding: true }).slice(0, 22),
      created: unixNow(),
      owner,
      admins: new Set(),
      followers: new Map(),
      posts: [],
      nextServerId: 100,
      live: new Map(),
    };
    this.#byJid.set(nl.jid.toString(), nl);
    this.#byInvite.set(nl.invite, nl);
    return nl;
  }

  /** A newsletter by JID. */
  get(jid: Jid | string): ServerNewsletter | undefined {
    return this.#byJid.get(jid.toString());
  }

  /** A newsletter by invite code. */
  byInvite(code: string): ServerNewsletter | undefined {
    return this.#byInvite.get(code);
  }

  /** Every newsletter. */
  all(): IterableIterator<ServerNewsletter> {
    return this.#byJid.values();
  }
}

const REGISTRIES = new WeakMap<FakeWhatsApp, NewsletterRegistry>();

/** The newsletters of a server (created on first use). */
export function newsletterRegistry(wa: FakeWhatsApp): NewsletterRegistry {
  let registry = REGISTRIES.get(wa);
  if (!registry) REGISTRIES.set(wa, registry = new NewsletterRegistry());
  return registry;
}

function isAdmin(nl: ServerNewsletter, account: Account): boolean {
  return nl.owner === account || nl.admins.has(account);
}

function roleOf(nl: ServerNewsletter, account: Account): string {
  if (nl.owner === account) return "OWNER";
  if (nl.admins.has(account)) return "ADMIN";
  return nl.followers.has(account.phone) ? "SUBSCRIBER" : "GUEST";
}

/** The metadata JSON (whatsmeow types/newsletter.go NewsletterMetadata), with the viewer's part if asked. */
export function metadataJson(nl: ServerNewsletter, viewer?: Account): Record<string, unknown> {
  const textField = (text: string, kind: string) => ({
    id: `${nl.jid.user}_${kind}`,
    text,
    update_time: String(nl.created * 1_000_000),
  });
  const out: Record<string, unknown> = {
    id: nl.jid.toString(),
    state: { type: "ACTIVE" },
    thread_metadata: {
      creation_time: String(nl.created),
      invite: nl.invite,
      name: textField(nl.name, "name"),
      description: textField(nl.description, "description"),
      subscribers_count: String(nl.followers.size),
      verification: "UNVERIFIED",
      picture: null,
      preview: null,
      settings: { reaction_codes: { value: "ALL" } },
    },
  };
  if (viewer) {
    out.viewer_metadata = {
      mute: nl.followers.get(viewer.phone)?.muted ? "ON" : "OFF",
      role: roleOf(nl, viewer),
    };
  }
  return out;
}

function requireNewsletter(wa: FakeWhatsApp, value: unknown): ServerNewsletter | MexServerAnswer {
  const jid = typeof value === "string" ? Jid.tryParse(value) : undefined;
  if (!jid?.isNewsletter()) {
    return mexFailure(400, `newsletter_id must be a newsletter JID, got ${JSON.stringify(value)}`);
  }
  return newsletterRegistry(wa).get(jid) ?? mexFailure(404, `newsletter ${jid} not found`);
}

function isAnswer(x: ServerNewsletter | MexServerAnswer): x is MexServerAnswer {
  return !("jid" in x);
}

/** Tells the account's other devices about a change through a MEX notification. */
function notifyMex(
  wa: FakeWhatsApp,
  account: Account,
  conn: ServerConnection,
  opName: string,
  data: object,
): void {
  const body = new TextEncoder().encode(JSON.stringify({ data }));
  wa.notifyAccount(account, {
    attrs: { type: "mex" },
    content: [{ tag: "update", attrs: { op_name: opName }, content: body }],
  }, conn.device);
}

const handlers: Record<NewsletterOperation, MexServerHandler> = {
  create: (wa, _conn, account, v) => {
    const input = (v.input ?? v.newsletter_input) as Record<string, unknown> | undefined;
    const name = typeof input?.name === "string" ? input.name.trim() : "";
    if (!name || name.length > 100) return mexFailure(400, "the name must be 1 to 100 characters");
    const description = typeof input?.description === "string" ? input.description : "";
    const nl = newsletterRegistry(wa).create(account, name, description);
    return { data: { xwa2_newsletter_create: metadataJson(nl, account) } };
  },
  metadata: (wa, _conn, account, v) => {
    const input = v.input as Record<string, unknown> | undefined;
    const key = typeof input?.key === "string" ? input.key : "";
    const registry = newsletterRegistry(wa);
    const nl = input?.type === "INVITE"
      ? registry.byInvite(key)
      : input?.type === "JID"
      ? registry.get(key)
      : undefined;
    if (!input || (input.type !== "INVITE" && input.type !== "JID")) {
      return mexFailure(400, 'input.type must be "JID" or "INVITE"');
    }
    if (!nl) return mexFailure(404, `newsletter ${key} not found`);
    return { data: { xwa2_newsletter: metadataJson(nl, v.fetch_viewer_metadata ? account : undefined) } };
  },
  follow: (wa, conn, account, v) => {
    const nl = requireNewsletter(wa, v.newsletter_id);
    if (isAnswer(nl)) return nl;
    if (!isAdmin(nl, account) && !nl.followers.has(account.phone)) {
      nl.followers.set(account.phone, { account, muted: false });
      notifyMex(wa, account, conn, "NotificationNewsletterJoin", {
        xwa2_notify_newsletter_on_join: metadataJson(nl, account),
      });
    }
    return { data: { xwa2_newsletter_join_v2: { id: nl.jid.toString() } } };
  },
  unfollow: (wa, conn, account, v) => {
    const nl = requireNewsletter(wa, v.newsletter_id);
    if (isAnswer(nl)) return nl;
    if (nl.owner === account) return mexFailure(403, "the owner cannot leave its newsletter");
    if (nl.followers.delete(account.phone)) {
      notifyMex(wa, account, conn, "NotificationNewsletterLeave", {
        xwa2_notify_newsletter_on_leave: { id: nl.jid.toString(), role: "GUEST" },
      });
    }
    return { data: { xwa2_newsletter_leave_v2: { id: nl.jid.toString() } } };
  },
  mute: (wa, conn, account, v) => setMute(wa, conn, account, v, true),
  unmute: (wa, conn, account, v) => setMute(wa, conn, account, v, false),
  update: (wa, _conn, account, v) => {
    const nl = requireNewsletter(wa, v.newsletter_id);
    if (isAnswer(nl)) return nl;
    if (!isAdmin(nl, account)) return mexFailure(403, "only admins update a newsletter");
    const updates = (v.updates ?? {}) as Record<string, unknown>;
    if (typeof updates.name === "string" && updates.name.trim()) nl.name = updates.name.trim();
    if (typeof updates.description === "string") nl.description = updates.description;
    return { data: { xwa2_newsletter_update: metadataJson(nl, account) } };
  },
  subscribed: (wa, _conn, account) => {
    const list = [...newsletterRegistry(wa).all()].filter((nl) =>
      isAdmin(nl, account) || nl.followers.has(account.phone)
    );
    return { data: { xwa2_newsletter_subscribed: list.map((nl) => metadataJson(nl, account)) } };
  },
};

function setMute(
  wa: FakeWhatsApp,
  conn: ServerConnection,
  account: Account,
  v: Record<string, unknown>,
  muted: boolean,
): MexServerAnswer {
  const nl = requireNewsletter(wa, v.newsletter_id);
  if (isAnswer(nl)) return nl;
  const follower = nl.followers.get(account.phone);
  if (!follower) return mexFailure(403, "only followers mute a newsletter");
  if (follower.muted !== muted) {
    follower.muted = muted;
    notifyMex(wa, account, conn, "NotificationNewsletterMuteChange", {
      xwa2_notify_newsletter_on_mute_change: { id: nl.jid.toString(), mute: muted ? "ON" : "OFF" },
    });
  }
  const key = muted ? "xwa2_newsletter_mute_v2" : "xwa2_newsletter_unmute_v2";
  return { data: { [key]: { id: nl.jid.toString(), mute: muted ? "ON" : "OFF" } } };
}

/** The newsletter MEX operations, by every known query id. */
export const NEWSLETTER_MEX_OPERATIONS: ReadonlyArray<readonly [string, MexServerHandler]> = Object.entries(
  KNOWN_NEWSLETTER_QUERY_IDS,
).flatMap(([op, ids]) => ids.map((id) => [id, handlers[op as NewsletterOperation]] as const));

// ---- posts and reactions ------------------------------------------------------------------------

function postNode(post: ServerPost, withBody: boolean): NodeInput {
  const content: NodeInput[] = [];
  if (withBody) {
    content.push({
      tag: "plaintext",
      attrs: post.mediaType ? { mediatype: post.mediaType } : {},
      content: post.plaintext.slice(),
    });
  }
  content.push({ tag: "views_count", attrs: { count: String(post.views) } });
  const counts = new Map<string, number>();
  for (const code of post.reactions.values()) counts.set(code, (counts.get(code) ?? 0) + 1);
  content.push({
    tag: "reactions",
    attrs: {},
    content: [...counts].map(([code, count]) => ({ tag: "reaction", attrs: { code, count: String(count) } })),
  });
  return {
    tag: "message",
    attrs: { server_id: String(post.serverId), id: post.id, type: post.type, t: String(post.t) },
    content,
  };
}

/** Every account that receives a newsletter's posts: followers and admins. */
function audience(nl: ServerNewsletter): Account[] {
  const out = new Set<Account>([nl.owner, ...nl.admins]);
  for (const { account } of nl.followers.values()) out.add(account);
  return [...out];
}

/**
 * Handles a client's `<message>` to a newsletter (FakeWhatsApp's message routing hands these here): a
 * post or a reaction, acked as described in the module notes.
 */
export function handleNewsletterMessage(wa: FakeWhatsApp, conn: ServerConnection, node: Node): void {
  const id = node.attrs.id;
  const to = parseJidAttr(node.attrs.to);
  const ack = (attrs: Record<string, string | undefined>) =>
    void conn.send({ tag: "ack", attrs: { class: "message", id, from: to ?? node.attrs.to, ...attrs } });
  const sender = conn.device ? wa.accounts.device(conn.device) : undefined;
  if (!sender) return ack({ error: "401" });
  if (!id || !to?.isNewsletter()) return ack({ error: "400" });
  const nl = newsletterRegistry(wa).get(to);
  if (!nl) return ack({ error: "404" });
  const account = sender.account;
  const t = unixNow();
  if (node.attrs.type === "reaction") {
    const serverId = Number(node.attrs.server_id);
    const post = nl.posts.find((p) => p.serverId === serverId);
    if (!isAdmin(nl, account) && !nl.followers.has(account.phone)) return ack({ error: "403" });
    if (!post) return ack({ error: "404" });
    const code = getChild(node, "reaction")?.attrs.code;
    if (code && node.attrs.edit !== "7") post.reactions.set(account.phone, code);
    else post.reactions.delete(account.phone);
    ack({ t: String(t) });
    pushLiveUpdate(wa, nl, post);
    return;
  }
  if (!isAdmin(nl, account)) return ack({ error: "403" });
  const plaintext = getChild(node, "plaintext");
  if (!(plaintext?.content instanceof Uint8Array)) return ack({ error: "400" });
  const post: ServerPost = {
    serverId: nl.nextServerId++,
    id,
    type: node.attrs.type ?? "text",
    t,
    plaintext: plaintext.content.slice(),
    mediaType: plaintext.attrs.mediatype,
    reactions: new Map(),
    views: 0,
  };
  nl.posts.push(post);
  if (nl.posts.length > MAX_POSTS) nl.posts.splice(0, nl.posts.length - MAX_POSTS);
  ack({ t: String(t), server_id: String(post.serverId) });
  const senderPn = devicePn(account, sender.device.id).toString();
  for (const member of audience(nl)) {
    for (const device of member.devices.values()) {
      const target = devicePn(member, device.id);
      if (target.toString() === senderPn) continue;
      const attrs: Record<string, string | Jid> = {
        from: nl.jid,
        id: post.id,
        server_id: String(post.serverId),
        t: String(t),
        type: post.type,
      };
      if (node.attrs.edit) attrs.edit = node.attrs.edit;
      wa.delivery.deliver(target, { tag: "message", attrs, content: [cloneNode(plaintext)] });
    }
  }
}

function pushLiveUpdate(wa: FakeWhatsApp, nl: ServerNewsletter, post: ServerPost): void {
  const now = Date.now();
  for (const [device, expiry] of [...nl.live]) {
    if (expiry < now) {
      nl.live.delete(device);
      continue;
    }
    const jid = Jid.parse(device);
    if (!wa.connectionOf(jid)) continue;
    wa.delivery.deliver(jid, {
      tag: "notification",
      attrs: { from: nl.jid, type: "newsletter", id: wa.newId(), t: String(unixNow()) },
      content: [{
        tag: "live_updates",
        attrs: {},
        content: [{ tag: "messages", attrs: {}, content: [postNode(post, false)] }],
      }],
    });
  }
}

// ---- the newsletter xmlns -----------------------------------------------------------------------

function countAttr(node: Node, fallback: number): number {
  const n = Number(node.attrs.count);
  return Number.isInteger(n) && n > 0 ? Math.min(n, 1000) : fallback;
}

function newsletterIq(wa: FakeWhatsApp, conn: ServerConnection, node: Node): NodeInput {
  const account = conn.device && wa.accounts.byJid(conn.device);
  if (!account) return iqError(node, 401, "not-authorized");
  const registry = newsletterRegistry(wa);
  const history = getChild(node, "messages");
  if (node.attrs.type === "get" && history) {
    const nl = history.attrs.jid ? registry.get(history.attrs.jid) : undefined;
    if (!nl) return iqError(node, 404, "item-not-found");
    const before = Number(history.attrs.before);
    const older = Number.isFinite(before) && before > 0
      ? nl.posts.filter((p) => p.serverId < before)
      : nl.posts;
    const posts = older.slice(-countAttr(history, 50));
    return iqResult(node, [{
      tag: "messages",
      attrs: { jid: nl.jid, t: String(unixNow()) },
      content: posts.map((p) => postNode(p, true)),
    }]);
  }
  const nl = node.attrs.to ? registry.get(node.attrs.to) : undefined;
  const updates = getChild(node, "message_updates");
  if (node.attrs.type === "get" && updates) {
    if (!nl) return iqError(node, 404, "item-not-found");
    const since = Number(updates.attrs.since);
    const after = Number(updates.attrs.after);
    const posts = nl.posts
      .filter((p) => !(since > 0) || p.t >= since)
      .filter((p) => !(after > 0) || p.serverId > after)
      .slice(-countAttr(updates, 100));
    return iqResult(node, [{
      tag: "message_updates",
      attrs: {},
      content: [{ tag: "messages", attrs: {}, content: posts.map((p) => postNode(p, false)) }],
    }]);
  }
  if (node.attrs.type === "set" && getChild(node, "live_updates")) {
    if (!nl) return iqError(node, 404, "item-not-found");
    nl.live.set(conn.device!.toString(), Date.now() + LIVE_UPDATES_SECONDS * 1000);
    return iqResult(node, [{ tag: "live_updates", attrs: { duration: String(LIVE_UPDATES_SECONDS) } }]);
  }
  return iqError(node, 400, "bad-request");
}

/** The newsletters' server side (the `newsletter` xmlns; posts come through message routing). */
export const newsletterFeature: ServerFeature = {
  name: "newsletters",
  iq: { newsletter: newsletterIq },
};
