/**
 * Blocking (`client.blocking`): block and unblock contacts, read the blocklist, and the
 * `blocklistUpdate` event.
 *
 * The current form addresses contacts by LID: block is `iq(blocklist,set) <item action="block"
 * jid=LID pn_jid=PN/>` (servers refuse a PN-only block), unblock `<item action="unblock" jid=LID/>`; the
 * answer is the updated `<list dhash><item jid/>…</list>`. The list is `iq(blocklist,get)` → `<list
 * dhash>` (or bare `<item>`s). Changes made on another device arrive as `<notification
 * type="account_sync"><blocklist action dhash prev_dhash><item jid action/>…</blocklist>`. Shapes from
 * reference/protocol-facts-features.md 5.4 (whatsmeow user.go `GetBlocklist`/`UpdateBlocklist`,
 * notification.go `handleBlocklist`; Baileys `updateBlockStatus`).
 *
 * @module
 */

import { getChild, getChildren, Jid, type Node } from "../binary/mod.ts";
import { lidLookupSpec } from "./contacts.ts";
import type { FeatureContext } from "./context.ts";
import { InputError } from "./errors.ts";
import type { IqSpec } from "./iq.ts";
import { toJid } from "./jid_input.ts";
import { lenientInt } from "./lenient_attrs.ts";

/** One blocked contact. */
export interface BlocklistEntry {
  /** The contact (a LID in the current form; older lists hold phone numbers). */
  jid: Jid;
  /** The contact's phone number, when the list names it. */
  phoneNumber?: Jid;
  /** When it was blocked, when the server says. */
  blockedAt?: Date;
}

/** The blocklist. */
export interface Blocklist {
  /** The server's hash of the list. */
  dhash: string;
  /** The blocked contacts. */
  entries: BlocklistEntry[];
}

/** Payload of `blocklistUpdate`. */
export interface BlocklistUpdateEvent {
  /** `modify` for changes, or the notification's own action. */
  action: string;
  /** The list's hash after the change. */
  dhash: string;
  /** The list's hash before it, when given. */
  prevDhash?: string;
  /** What changed. */
  changes: { jid: Jid; action: "block" | "unblock" }[];
  /** True when another of our devices made the change (the server told us). */
  fromServer: boolean;
}

/** The events of the blocking feature. */
export interface BlockingEvents {
  /** The blocklist changed. */
  blocklistUpdate: BlocklistUpdateEvent;
}

/** Reads a `<list dhash><item jid [pn_jid] [t]/>…</list>` (or a node holding bare `<item>`s). */
export function parseBlocklist(node: Node): Blocklist {
  const list = getChild(node, "list") ?? node;
  const entries: BlocklistEntry[] = [];
  for (const item of getChildren(list, "item")) {
    const jid = item.attrs.jid ? Jid.tryParse(item.attrs.jid)?.toNonAd() : undefined;
    if (!jid) continue;
    const pn = item.attrs.pn_jid ? Jid.tryParse(item.attrs.pn_jid)?.toNonAd() : undefined;
    const t = lenientInt(item, "t");
    entries.push({ jid, phoneNumber: pn, blockedAt: t ? new Date(t * 1000) : undefined });
  }
  return { dhash: list.attrs.dhash ?? "", entries };
}

/** The blocklist query: `iq(blocklist,get)` with no children. */
export function blocklistSpec(): IqSpec<Blocklist> {
  return {
    operation: "blocklist",
    build: () => ({ namespace: "blocklist", type: "get" }),
    parse: parseBlocklist,
  };
}

/**
 * Blocks or unblocks a contact by LID (`pn_jid` with its phone number for a block, required by the
 * server when known). Resolves with the updated list.
 *
 * @example
 * ```ts
 * import { Jid } from "@wadeno/client";
 * import { updateBlocklistSpec } from "./blocking.ts";
 * const spec = updateBlocklistSpec("block", Jid.lid("100000000000001"), Jid.pn("15551234567"));
 * spec.build().content; // [{ tag: "item", attrs: { action: "block", jid: …@lid, pn_jid: …@s.whatsapp.net } }]
 * ```
 */
export function updateBlocklistSpec(
  action: "block" | "unblock",
  jid: Jid,
  phoneNumber?: Jid,
): IqSpec<Blocklist> {
  if (action !== "block" && action !== "unblock") {
    throw new InputError("invalid_argument", "action", `expected "block" or "unblock", got ${action}`);
  }
  return {
    operation: action,
    about: jid,
    build: () => ({
      namespace: "blocklist",
      type: "set",
      content: [{
        tag: "item",
        attrs: {
          action,
          jid: jid.toNonAd(),
          pn_jid: action === "block" && phoneNumber && jid.isLid() ? phoneNumber.toNonAd() : undefined,
        },
      }],
    }),
    parse: parseBlocklist,
  };
}

/** Parses the `<blocklist>` child of an `account_sync` notification. */
export function parseBlocklistNotification(node: Node): BlocklistUpdateEvent {
  const changes: BlocklistUpdateEvent["changes"] = [];
  for (const item of getChildren(node, "item")) {
    const jid = item.attrs.jid ? Jid.tryParse(item.attrs.jid)?.toNonAd() : undefined;
    const action = item.attrs.action;
    if (!jid || (action !== "block" && action !== "unblock")) continue;
    changes.push({ jid, action });
  }
  return {
    action: node.attrs.action ?? "modify",
    dhash: node.attrs.dhash ?? "",
    prevDhash: node.attrs.prev_dhash,
    changes,
    fromServer: true,
  };
}

/** Blocking contacts. */
export class Blocking {
  readonly #ctx: FeatureContext<BlockingEvents>;
  #cached: Blocklist | undefined;

  /** Creates the feature and subscribes to blocklist changes from our other devices. */
  constructor(ctx: FeatureContext<BlockingEvents>) {
    this.#ctx = ctx;
    ctx.onStanza({ tag: "notification", type: "account_sync" }, async (node) => {
      const blocklist = getChild(node, "blocklist");
      if (!blocklist) return;
      const event = parseBlocklistNotification(blocklist);
      this.#cached = undefined;
      await ctx.emit("blocklistUpdate", event);
    });
  }

  /**
   * Blocks a contact (PN or LID): they can no longer message us or see our presence, about text or
   * picture. A phone number is turned into its LID first (from the store, else asked of the server).
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export async function example(client: Client) {
   *   const list = await client.blocking.block("15551234567@s.whatsapp.net");
   *   console.log(list.entries.length, "blocked");
   * }
   * ```
   */
  async block(jid: Jid | string, options: { signal?: AbortSignal } = {}): Promise<Blocklist> {
    return await this.#update("block", jid, options.signal);
  }

  /**
   * Unblocks a contact (PN or LID).
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export async function example(client: Client) {
   *   await client.blocking.unblock("15551234567@s.whatsapp.net");
   * }
   * ```
   */
  async unblock(jid: Jid | string, options: { signal?: AbortSignal } = {}): Promise<Blocklist> {
    return await this.#update("unblock", jid, options.signal);
  }

  /**
   * The blocklist, from the server (and kept until it changes).
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export async function example(client: Client) {
   *   for (const { jid } of (await client.blocking.blocklist()).entries) console.log(jid.toString());
   * }
   * ```
   */
  async blocklist(options: { signal?: AbortSignal; refresh?: boolean } = {}): Promise<Blocklist> {
    if (this.#cached && !options.refresh) return this.#cached;
    const list = await this.#ctx.execute(blocklistSpec(), options);
    await this.#learn(list);
    this.#cached = list;
    return list;
  }

  /**
   * Whether a contact (PN or LID, any device) is blocked; compares accounts, not devices.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export function example(client: Client) {
   *   client.on("message", async ({ info }) => {
   *     if (await client.blocking.isBlocked(info.source.sender)) return;
   *     // ... handle the message
   *   });
   * }
   * ```
   */
  async isBlocked(jid: Jid | string): Promise<boolean> {
    const user = toJid(jid, "jid").toNonAd();
    const list = await this.blocklist();
    const alt = await this.#alternate(user);
    return list.entries.some((e) =>
      [e.jid, e.phoneNumber].some((j) => j && (j.equals(user) || (alt !== undefined && j.equals(alt))))
    );
  }

  async #update(action: "block" | "unblock", input: Jid | string, signal?: AbortSignal): Promise<Blocklist> {
    const user = toJid(input, "jid").toNonAd();
    if (!user.isPn() && !user.isLid()) {
      throw new InputError(
        "invalid_jid",
        "jid",
        `${user} is not a user (expected …@s.whatsapp.net or …@lid)`,
      );
    }
    let lid = user.isLid() ? user : await this.#alternate(user);
    let pn = user.isPn() ? user : await this.#alternate(user);
    if (!lid && user.isPn()) {
      lid = await this.#lookupLid(user, signal);
      pn = user;
    }
    const before = this.#cached?.dhash;
    const list = await this.#ctx.execute(updateBlocklistSpec(action, lid ?? user, pn), { signal });
    await this.#learn(list);
    this.#cached = list;
    await this.#ctx.emit("blocklistUpdate", {
      action: "modify",
      dhash: list.dhash,
      prevDhash: before,
      changes: [{ jid: lid ?? user, action }],
      fromServer: false,
    });
    return list;
  }

  async #alternate(user: Jid): Promise<Jid | undefined> {
    if (user.isPn()) {
      const entry = await this.#ctx.store.getPnMapping(user.user);
      return entry ? Jid.lid(entry.lid) : undefined;
    }
    if (user.isLid()) {
      const entry = await this.#ctx.store.getLidMapping(user.user);
      return entry ? Jid.pn(entry.phoneNumber) : undefined;
    }
    return undefined;
  }

  async #lookupLid(pn: Jid, signal?: AbortSignal): Promise<Jid | undefined> {
    const lid = (await this.#ctx.execute(lidLookupSpec([pn]), { signal })).get(pn.toString());
    if (lid) await this.#ctx.learnLidMapping(lid, pn, "usync");
    return lid;
  }

  async #learn(list: Blocklist): Promise<void> {
    for (const e of list.entries) {
      if (e.jid.isLid() && e.phoneNumber?.isPn()) {
        await this.#ctx.learnLidMapping(e.jid, e.phoneNumber, "blocklist_active");
      }
    }
  }
}
