/**
 * Device discovery and addressing: which devices a user has (`usync` device queries, cached), what LID
 * belongs to which phone number (learned from usync, stanza attributes and pairing, cached and stored),
 * and which Signal address a device's session lives under. Like WhatsApp Web, sessions are kept under the
 * LID address once the mapping is known; a session made under the phone-number address before that is
 * moved over, so learning a LID never forces a new session.
 *
 * @module
 */

import { getChild, getChildren, Jid } from "../../binary/mod.ts";
import { parseUsyncUser, type UserDevices } from "../../features/usync.ts";
import { DEVICE_LIST_CACHE, LID_PN_CACHE, type LidLearningSource, LruTtlCache } from "../../store/mod.ts";
import type { ClientCore } from "../core.ts";

export { parseUsyncUser, type UserDevices };

/** Device lists and LID/PN mappings for one client. */
export class Devices {
  readonly #core: ClientCore;
  readonly #lists = new LruTtlCache<string, Jid[]>(DEVICE_LIST_CACHE);
  readonly #lidByPn = new LruTtlCache<string, string>(LID_PN_CACHE);
  readonly #pnByLid = new LruTtlCache<string, string>(LID_PN_CACHE);
  // usync queries under way, by user: concurrent lookups of one user share one query.
  readonly #inflight = new Map<string, Promise<Jid[]>>();
  #sid = 0;

  /** Creates the registry. */
  constructor(core: ClientCore) {
    this.#core = core;
  }

  /** Forgets a user's cached device list (after a device notification or an identity change). */
  invalidate(user: Jid): void {
    this.#lists.delete(user.toNonAd().toString());
  }

  /**
   * The devices of `users` (PN or LID user JIDs), from the cache or one `usync` query for the rest.
   * Users the server knows nothing about contribute no devices.
   */
  async getDevices(users: readonly Jid[]): Promise<Jid[]> {
    const out: Jid[] = [];
    const missing: Jid[] = [];
    const waiting: Promise<Jid[]>[] = [];
    const seen = new Set<string>();
    for (const u of users) {
      const user = u.toNonAd();
      const key = user.toString();
      if (seen.has(key)) continue;
      seen.add(key);
      const cached = this.#lists.get(key);
      const inflight = this.#inflight.get(key);
      if (cached) out.push(...cached);
      else if (inflight) waiting.push(inflight);
      else missing.push(user);
    }
    if (missing.length) {
      const query = this.#usync(missing);
      for (const user of missing) {
        const key = user.toString();
        const mine = query.then((lists) => lists.find((l) => l.user.equals(user))?.devices ?? []);
        this.#inflight.set(key, mine);
        mine.catch(() => {}).finally(() => {
          if (this.#inflight.get(key) === mine) this.#inflight.delete(key);
        });
        waiting.push(mine);
      }
    }
    for (const devices of await Promise.all(waiting)) out.push(...devices);
    return out;
  }

  async #usync(users: Jid[]): Promise<UserDevices[]> {
    const res = await this.#core.query({
      namespace: "usync",
      type: "get",
      content: [{
        tag: "usync",
        attrs: {
          sid: `${Date.now()}-${++this.#sid}`,
          mode: "query",
          last: "true",
          index: "0",
          context: "message",
        },
        content: [
          {
            tag: "query",
            attrs: {},
            content: [{ tag: "devices", attrs: { version: "2" } }, { tag: "lid", attrs: {} }],
          },
          { tag: "list", attrs: {}, content: users.map((u) => ({ tag: "user", attrs: { jid: u } })) },
        ],
      }],
    }, {
      operation: "device list",
      about: users.length === 1 ? users[0].toString() : `${users.length} users`,
    });
    const list = getChild(getChild(res, "usync") ?? res, "list");
    const result: UserDevices[] = [];
    for (const userNode of list ? getChildren(list, "user") : []) {
      const parsed = parseUsyncUser(userNode);
      if (!parsed) continue;
      this.#lists.set(parsed.user.toString(), parsed.devices);
      result.push(parsed);
      const lid = getChild(userNode, "lid")?.attrs.val;
      const lidJid = lid ? Jid.tryParse(lid) : undefined;
      if (lidJid?.isLid() && parsed.user.isPn()) await this.learnMapping(lidJid, parsed.user, "usync");
      await this.#core.store.updateDeviceList({
        user: parsed.user.toString(),
        devices: parsed.devices.map((d) => ({ deviceId: d.device })),
        timestamp: Math.floor(Date.now() / 1000),
      }).catch((error) =>
        this.#core.log.child("Client/Devices").warn("could not store a device list", { error })
      );
    }
    return result;
  }

  /** Records that `lid` and `pn` are the same account (users only; devices are ignored). */
  async learnMapping(lid: Jid, pn: Jid, source: LidLearningSource): Promise<void> {
    if (!lid.isLid() || !pn.isPn()) return;
    if (this.#lidByPn.get(pn.user) === lid.user) return;
    this.#lidByPn.set(pn.user, lid.user);
    this.#pnByLid.set(lid.user, pn.user);
    const now = Math.floor(Date.now() / 1000);
    await this.#core.store.putLidMapping({
      lid: lid.user,
      phoneNumber: pn.user,
      createdAt: now,
      updatedAt: now,
      learningSource: source,
    });
  }

  /** The LID user for a phone-number user, if known. */
  async lidFor(pnUser: string): Promise<string | undefined> {
    const cached = this.#lidByPn.get(pnUser);
    if (cached) return cached;
    const entry = await this.#core.store.getPnMapping(pnUser);
    if (entry) {
      this.#lidByPn.set(pnUser, entry.lid);
      this.#pnByLid.set(entry.lid, pnUser);
    }
    return entry?.lid;
  }

  /** The phone-number user for a LID user, if known. */
  async pnFor(lidUser: string): Promise<string | undefined> {
    const cached = this.#pnByLid.get(lidUser);
    if (cached) return cached;
    const entry = await this.#core.store.getLidMapping(lidUser);
    if (entry) {
      this.#pnByLid.set(lidUser, entry.phoneNumber);
      this.#lidByPn.set(entry.phoneNumber, lidUser);
    }
    return entry?.phoneNumber;
  }

  /**
   * The Signal address a device's session lives under: its LID address when the account's LID is known
   * (moving a phone-number session there first), else its own address.
   */
  async sessionAddress(device: Jid): Promise<string> {
    if (!device.isPn()) return device.toSignalAddress();
    const lid = await this.lidFor(device.user);
    if (!lid) return device.toSignalAddress();
    const lidAddress = Jid.lid(lid, device.device).toSignalAddress();
    await this.#migrate(device.toSignalAddress(), lidAddress);
    return lidAddress;
  }

  async #migrate(from: string, to: string): Promise<void> {
    const store = this.#core.store;
    const old = await store.loadSession(from);
    if (!old) return;
    if (!(await store.loadSession(to))) {
      await store.storeSession(to, old);
      const identity = await store.loadIdentity(from);
      if (identity && !(await store.loadIdentity(to))) await store.saveIdentity(to, identity);
    }
    await store.deleteSession(from);
  }
}
