/**
 * What the groups feature remembers between calls: the metadata cache (the seed's group cache: 1 h, 250
 * entries) with the queries under way, kept current by the `w:gp2` notifications (handled per group in
 * arrival order and emitted as events), and the bookkeeping that rotates our sender key exactly once per
 * removal, whichever of our own IQ answer and its notification comes first.
 *
 * @module
 */

import type { Jid, Node } from "../../binary/mod.ts";
import { LruTtlCache } from "../../store/mod.ts";
import type { FeatureContext } from "../context.ts";
import { applyGroupChange } from "./apply.ts";
import type { GroupChange, GroupEvents, GroupUpdateEvent } from "./events.ts";
import { parseGroupNotification } from "./notifications.ts";
import type { GroupInfo, GroupMember } from "./parse.ts";
import { groupInfoSpec } from "./specs.ts";

/** Who made a change and when: what applying it to the cache needs. */
export type ChangeHeader = Pick<GroupUpdateEvent, "author" | "authorPn" | "timestamp">;

/** The groups feature's state over its context. */
export class GroupState {
  readonly #ctx: FeatureContext<GroupEvents>;
  readonly #cache = new LruTtlCache<string, GroupInfo>({ maxEntries: 250, ttlMs: 3_600_000 });
  readonly #inflight = new Map<string, Promise<GroupInfo>>();
  // Groups whose metadata changed while a query for them was under way: its (older) answer is not cached.
  readonly #stale = new Set<string>();
  // How many times our sender key was rotated per group, and the removals we made and rotated for,
  // whose notifications are still to come (both bounded and short-lived: they only pair an IQ with
  // its notification).
  readonly #rotations = new LruTtlCache<string, number>({ maxEntries: 250, ttlMs: 600_000 });
  readonly #ownRemovals = new LruTtlCache<string, Set<string>>({ maxEntries: 250, ttlMs: 60_000 });
  // Per-group chains of notifications being handled (an entry lives only while one is pending).
  readonly #queues = new Map<string, Promise<void>>();

  /** Creates the state; `onNotification` is to be subscribed to `w:gp2` notifications. */
  constructor(ctx: FeatureContext<GroupEvents>) {
    this.#ctx = ctx;
  }

  /** A group's metadata from the cache when fresh (unless `refresh`), else from one shared query. */
  metadata(group: Jid, options: { signal?: AbortSignal; refresh?: boolean }): Promise<GroupInfo> {
    const key = group.toString();
    if (!options.refresh) {
      const cached = this.#cache.get(key);
      if (cached) return Promise.resolve(cached);
    }
    // Concurrent callers (a burst of sends into one group) share one query.
    let pending = this.#inflight.get(key);
    if (!pending) {
      pending = this.#fetch(group, options.signal).finally(() => {
        this.#inflight.delete(key);
        this.#stale.delete(key);
      });
      this.#inflight.set(key, pending);
    }
    return pending;
  }

  async #fetch(group: Jid, signal?: AbortSignal): Promise<GroupInfo> {
    const info = await this.#ctx.execute(groupInfoSpec(group), { signal });
    if (!this.#stale.has(group.toString())) await this.remember(info);
    return info;
  }

  /** Caches a group's metadata (and learns its members' LID/PN pairs). */
  async remember(info: GroupInfo): Promise<void> {
    await this.#learn(info.participants);
    this.#cache.set(info.jid.toString(), info);
  }

  async #learn(members: readonly GroupMember[]): Promise<void> {
    for (const p of members) {
      if (p.lid && p.phoneNumber) await this.#ctx.learnLidMapping(p.lid, p.phoneNumber, "usync");
    }
  }

  /** Drops a group from the cache (and from a query under way). */
  invalidate(group: Jid): void {
    this.#cache.delete(group.toString());
    this.#settle(group);
  }

  /** The rotation count of a group, to take before a removal IQ and give to {@linkcode removedBySelf}. */
  epoch(group: Jid): number {
    return this.#rotations.get(group.toString()) ?? 0;
  }

  /**
   * We removed `members`: rotate now, so a send right after the call already uses a new key, unless
   * the notification of this very removal came first and did it (the epoch moved); then remember the
   * removal, so its notification does not rotate a second time (one more sender-key fan-out to every
   * member for nothing).
   */
  async removedBySelf(group: Jid, epoch: number, members: readonly GroupMember[]): Promise<void> {
    if (this.epoch(group) !== epoch) return;
    await this.#rotate(group);
    this.#ownRemovals.set(group.toString(), new Set(members.flatMap(addresses)));
  }

  /** The header of a change we made ourselves. */
  selfHeader(): ChangeHeader {
    return { author: this.#ctx.ownJid?.toNonAd(), timestamp: new Date() };
  }

  /** Handles one `w:gp2` notification: applies it and emits its events, in order per group. */
  onNotification(node: Node): Promise<void> {
    const parsed = parseGroupNotification(node);
    if (!parsed) {
      this.#ctx.log.warn(`ignoring a w:gp2 notification from ${node.attrs.from ?? "(nobody)"}: not a group`);
      return Promise.resolve();
    }
    // The router runs handlers concurrently; one group's notifications must apply in arrival order
    // (a <create> and then a rename, replayed together after a login).
    const key = parsed.header.group.toString();
    const previous = this.#queues.get(key) ?? Promise.resolve();
    const mine = previous.then(() => this.#handle(parsed));
    const tail = mine.catch(() => {});
    this.#queues.set(key, tail);
    tail.then(() => {
      if (this.#queues.get(key) === tail) this.#queues.delete(key);
    });
    return mine;
  }

  async #handle(parsed: NonNullable<ReturnType<typeof parseGroupNotification>>): Promise<void> {
    const { header } = parsed;
    if (parsed.joined) {
      this.#settle(header.group);
      await this.remember(parsed.joined.group);
      await this.#ctx.emit("joinedGroup", parsed.joined);
    }
    for (const change of parsed.changes) {
      await this.apply(header.group, change, header, "notification");
      await this.#ctx.emit("groupUpdate", { ...header, change });
    }
  }

  /** Marks an in-flight metadata query of `group` as outdated (its answer predates a change). */
  #settle(group: Jid): void {
    const key = group.toString();
    if (this.#inflight.has(key)) this.#stale.add(key);
  }

  #isSelf(m: GroupMember): boolean {
    const users = [this.#ctx.ownJid?.user, this.#ctx.ownLid?.user].filter((u) => u !== undefined);
    return [m.jid, m.lid, m.phoneNumber].some((j) => j !== undefined && users.includes(j.user));
  }

  async #rotate(group: Jid): Promise<void> {
    await this.#ctx.rotateGroupSenderKey(group);
    const key = group.toString();
    this.#rotations.set(key, (this.#rotations.get(key) ?? 0) + 1);
  }

  /** True (once) when `change` is the notification of a removal we made and already rotated for. */
  #alreadyRotated(group: Jid, change: GroupChange, header: Pick<GroupUpdateEvent, "author">): boolean {
    if (change.type !== "participantsRemoved" || !header.author) return false;
    const author = { jid: header.author, isAdmin: false, isSuperAdmin: false };
    const key = group.toString();
    const removed = this.#ownRemovals.get(key);
    if (!removed || !this.#isSelf(author)) return false;
    if (!change.participants.every((p) => addresses(p).some((a) => removed.has(a)))) return false;
    this.#ownRemovals.delete(key);
    return true;
  }

  /** Applies a change to the cache, and rotates our sender key when someone left or was removed. */
  async apply(
    group: Jid,
    change: GroupChange,
    header: ChangeHeader,
    origin: "self" | "notification" = "self",
  ): Promise<void> {
    const key = group.toString();
    this.#settle(group);
    if (change.type === "participantsAdded") await this.#learn(change.participants);
    if (change.type === "participantsRemoved" || change.type === "deleted") {
      // Whoever is gone must not read what we send next: a new sender key goes to the members left.
      if (origin === "notification" && !this.#alreadyRotated(group, change, header)) {
        await this.#rotate(group);
      }
      if (change.type === "deleted" || change.participants.some((p) => this.#isSelf(p))) {
        this.#cache.delete(key);
        return;
      }
    }
    const cached = this.#cache.get(key);
    if (!cached) return;
    const next = applyGroupChange(cached, change, header);
    if (next) this.#cache.set(key, next);
    else this.#cache.delete(key);
  }
}

/** Every address of a member, as user strings (`user@server`), to match it however it is named. */
function addresses(m: GroupMember): string[] {
  return [m.jid, m.lid, m.phoneNumber].filter((j) => j !== undefined).map((j) => j.toNonAd().toString());
}
