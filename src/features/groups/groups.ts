/**
 * Groups (`client.groups`): group metadata, cached for an hour (the seed's group cache: 1 h, 250 entries)
 * so that sending into a group does not ask the server every time. LID/PN pairs in an answer are learned.
 *
 * @module
 */

import type { Jid, Node } from "../../binary/mod.ts";
import { LruTtlCache } from "../../store/mod.ts";
import type { FeatureContext } from "../context.ts";
import { type IqSpec, requireChild } from "../iq.ts";
import { type GroupInfo, parseGroupNode } from "./parse.ts";

/** The group metadata query (`iq xmlns="w:g2" type="get" to=GROUP <query request="interactive"/>`). */
export function groupInfoSpec(group: Jid): IqSpec<GroupInfo> {
  const spec: IqSpec<GroupInfo> = {
    operation: "group info",
    about: group,
    build: () => ({
      namespace: "w:g2",
      type: "get",
      to: group,
      content: [{ tag: "query", attrs: { request: "interactive" } }],
    }),
    parse: (res: Node) => parseGroupNode(requireChild(spec, res, "group")),
  };
  return spec;
}

/** The events of the groups feature (group notifications come with the group management work). */
export type GroupEvents = Record<never, never>;

/** Group metadata and administration. */
export class Groups {
  readonly #ctx: FeatureContext<GroupEvents>;
  readonly #cache = new LruTtlCache<string, GroupInfo>({ maxEntries: 250, ttlMs: 3_600_000 });
  readonly #inflight = new Map<string, Promise<GroupInfo>>();

  /** Creates the feature. */
  constructor(ctx: FeatureContext<GroupEvents>) {
    this.#ctx = ctx;
  }

  /**
   * A group's metadata (participants, subject, addressing mode), from the cache when fresh.
   *
   * @example
   * ```ts ignore
   * const info = await client.groups.metadata("120363000000000000@g.us");
   * console.log(info.subject, info.participants.length);
   * ```
   */
  metadata(group: Jid, options: { signal?: AbortSignal; refresh?: boolean } = {}): Promise<GroupInfo> {
    const key = group.toString();
    if (!options.refresh) {
      const cached = this.#cache.get(key);
      if (cached) return Promise.resolve(cached);
    }
    // Concurrent callers (a burst of sends into one group) share one query.
    let pending = this.#inflight.get(key);
    if (!pending) {
      pending = this.#fetch(group, options.signal).finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, pending);
    }
    return pending;
  }

  async #fetch(group: Jid, signal?: AbortSignal): Promise<GroupInfo> {
    const info = await this.#ctx.execute(groupInfoSpec(group), { signal });
    for (const p of info.participants) {
      if (p.lid && p.phoneNumber) await this.#ctx.learnLidMapping(p.lid, p.phoneNumber, "usync");
    }
    this.#cache.set(group.toString(), info);
    return info;
  }

  /** Drops a group from the cache (its membership changed). */
  invalidate(group: Jid): void {
    this.#cache.delete(group.toString());
  }
}
