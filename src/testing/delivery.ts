/**
 * How FakeWhatsApp hands a routed stanza (`<message>`, `<receipt>`, `<notification>`) to a device: at once
 * when the device is logged in and its offline backlog has been flushed, otherwise into that device's
 * offline queue, in order. At the next login the queue is flushed after `<success>` as
 * `<ib><offline_preview .../></ib>`, every queued stanza with `offline="1"`, then `<ib><offline count/></ib>`.
 *
 * Delivery is at least once, as on the real server: a stanza that the client acknowledges (`message`,
 * `receipt`, `notification`, `call`) stays in flight on its connection until the matching `<ack>`
 * arrives; whatever is still unacknowledged when the connection closes goes back to the front of the
 * device's queue, in order, and is redelivered at the next login. Clients therefore see a redelivery
 * after a crash between processing and acking, and must (and wadeno does) handle it as a duplicate.
 *
 * The fault hooks live here too: held deliveries (`holdDelivery`) and dropped ones (`dropNextDelivery`).
 *
 * @module
 */

import type { AttrValue, Jid, NodeInput, NodeInputContent } from "../binary/mod.ts";
import type { FakeWhatsApp } from "./fake_whatsapp.ts";
import type { ServerConnection } from "./server_connection.ts";

/** A stanza the server routes to a device; `attrs` is a plain record so `offline="1"` can be added. */
export interface RoutedStanza {
  /** `message`, `receipt` or `notification`. */
  tag: string;
  /** Attributes (JID values as `Jid` objects). */
  attrs: Record<string, AttrValue>;
  /** Children or bytes. */
  content?: NodeInputContent;
}

/** One stanza on its way to one device. */
export interface Delivery {
  /** The target device, as its phone-number JID with the device id. */
  readonly device: Jid;
  /** The stanza as it will be sent (without the `offline` marker). */
  readonly stanza: RoutedStanza;
}

/**
 * Which deliveries a fault applies to: a predicate, or fields that must all match (`device` is compared
 * as the same device whether given as a PN or a LID JID; `type` is the stanza's `type` attribute).
 */
export type DeliveryFilter =
  | ((delivery: Delivery) => boolean)
  | { tag?: string; id?: string; type?: string; device?: Jid };

/** Options for {@linkcode DeliveryHold.release}. */
export interface ReleaseOptions {
  /**
   * Deliver the held stanzas out of order: `true` or `"reverse"` reverses them (deterministic, for
   * asserting on order), `"shuffle"` permutes them randomly. Default: the order they were held in.
   */
  reorder?: boolean | "reverse" | "shuffle";
}

/** A running `holdDelivery` fault. */
export interface DeliveryHold {
  /** How many stanzas are held right now. */
  readonly size: number;
  /** The held deliveries, in the order they were held. */
  readonly held: readonly Delivery[];
  /** Resolves once at least `count` stanzas are held; rejects with the signal's reason. */
  whenHeld(count: number, options?: { signal?: AbortSignal }): Promise<void>;
  /**
   * Ends the hold and delivers what it held (live, or into the offline queue when the device is not
   * connected), optionally reordered. Returns how many stanzas were released.
   */
  release(options?: ReleaseOptions): number;
}

/** A pending `dropNextDelivery` fault. */
export interface DeliveryDrop {
  /** Resolves with the delivery that was dropped. */
  readonly dropped: Promise<Delivery>;
  /** True once a delivery was dropped. */
  readonly done: boolean;
  /** Stops waiting for a match (the `dropped` promise then never settles). */
  cancel(): void;
}

interface HoldState {
  key: string | undefined;
  items: Delivery[];
  waiters: Set<() => void>;
}

interface DropState {
  filter: DeliveryFilter;
  resolve(delivery: Delivery): void;
  done: boolean;
}

/** Stanzas a client acknowledges with `<ack class=tag>`; only these are kept until acked. */
const ACKED_TAGS: ReadonlySet<string> = new Set(["message", "receipt", "notification", "call"]);

/** Counts what an offline flush carries, for `<offline_preview>`. */
function previewCounts(
  queue: readonly Delivery[],
): { message: number; receipt: number; notification: number } {
  const counts = { message: 0, receipt: 0, notification: 0 };
  for (const d of queue) {
    if (d.stanza.tag === "message") counts.message++;
    else if (d.stanza.tag === "receipt") counts.receipt++;
    else if (d.stanza.tag === "notification") counts.notification++;
  }
  return counts;
}

function withOffline(stanza: RoutedStanza): NodeInput {
  return { tag: stanza.tag, attrs: { ...stanza.attrs, offline: "1" }, content: stanza.content };
}

/** Per-device offline queues, live delivery, and the hold/drop faults. */
export class DeliveryRouter {
  readonly #wa: FakeWhatsApp;
  readonly #queues = new Map<string, Delivery[]>();
  readonly #ready = new WeakSet<ServerConnection>();
  readonly #holds = new Set<HoldState>();
  readonly #drops = new Set<DropState>();
  // Stanzas written to a connection that the client has not acknowledged yet. Like the real server,
  // FakeWhatsApp forgets a stanza only once it is acked; whatever is unacked when the connection
  // closes goes back to the front of the device's queue and is redelivered at the next login.
  readonly #inflight = new Map<ServerConnection, Delivery[]>();
  /** How many stanzas were delivered live, queued, held and dropped (for tests and debugging). */
  readonly stats = { live: 0, queued: 0, held: 0, dropped: 0, flushed: 0 };

  /** Creates the router of one server. */
  constructor(wa: FakeWhatsApp) {
    this.#wa = wa;
  }

  #key(device: Jid): string {
    return (this.#wa.accounts.pnDevice(device) ?? device).toString();
  }

  /** Routes a stanza to a device (given by its PN or LID device JID). */
  deliver(device: Jid, stanza: RoutedStanza): void {
    const pn = this.#wa.accounts.pnDevice(device) ?? device;
    const delivery: Delivery = { device: pn, stanza };
    for (const drop of this.#drops) {
      if (this.#matches(drop.filter, delivery)) {
        this.#drops.delete(drop);
        drop.done = true;
        this.stats.dropped++;
        this.#wa.log.child("FakeWA/Deliver").debug(`dropped <${stanza.tag} id=${stanza.attrs.id}> to ${pn}`);
        drop.resolve(delivery);
        return;
      }
    }
    const key = pn.toString();
    for (const hold of this.#holds) {
      if (hold.key === undefined || hold.key === key) {
        hold.items.push(delivery);
        this.stats.held++;
        for (const wake of hold.waiters) wake();
        return;
      }
    }
    this.#send(delivery);
  }

  #send(delivery: Delivery): void {
    const conn = this.#wa.connectionOf(delivery.device);
    if (!conn || !this.#ready.has(conn)) {
      this.#enqueue(delivery);
      return;
    }
    this.stats.live++;
    this.#trackInflight(conn, delivery);
    conn.send(delivery.stanza).then((sent) => {
      if (sent) return;
      this.#wa.log.child("FakeWA/Deliver").debug(
        `connection of ${delivery.device} closed while sending <${delivery.stanza.tag}>, queued it`,
      );
      if (this.#untrack(conn, delivery)) this.#enqueue(delivery);
    });
  }

  #trackInflight(conn: ServerConnection, delivery: Delivery): void {
    if (!ACKED_TAGS.has(delivery.stanza.tag)) return;
    let list = this.#inflight.get(conn);
    if (!list) this.#inflight.set(conn, list = []);
    list.push(delivery);
  }

  #untrack(conn: ServerConnection, delivery: Delivery): boolean {
    const list = this.#inflight.get(conn);
    const i = list?.indexOf(delivery) ?? -1;
    if (i < 0) return !ACKED_TAGS.has(delivery.stanza.tag);
    list!.splice(i, 1);
    return true;
  }

  /** A client acknowledged a stanza (`<ack class id to>`): it is delivered for good. */
  acked(conn: ServerConnection, ack: { attrs: Record<string, string> }): void {
    const list = this.#inflight.get(conn);
    if (!list) return;
    const { class: tag, id, to } = ack.attrs;
    const matches = (d: Delivery) => d.stanza.tag === tag && String(d.stanza.attrs.id) === id;
    let i = list.findIndex((d) => matches(d) && String(d.stanza.attrs.from) === to);
    if (i < 0) i = list.findIndex(matches);
    if (i >= 0) list.splice(i, 1);
  }

  /** Stanzas sent on a connection and not acknowledged yet. */
  unacked(conn: ServerConnection): Delivery[] {
    return [...(this.#inflight.get(conn) ?? [])];
  }

  /** A connection closed: what it never acknowledged is queued again, in its original order, first. */
  connectionClosed(conn: ServerConnection): void {
    const list = this.#inflight.get(conn);
    this.#inflight.delete(conn);
    if (!list?.length) return;
    const key = list[0].device.toString();
    this.#queues.set(key, [...list, ...(this.#queues.get(key) ?? [])]);
    this.stats.queued += list.length;
    this.#wa.log.child("FakeWA/Deliver").debug(
      `${list.length} unacked stanzas for ${key} queued for redelivery`,
    );
  }

  #enqueue(delivery: Delivery): void {
    const key = delivery.device.toString();
    let queue = this.#queues.get(key);
    if (!queue) this.#queues.set(key, queue = []);
    queue.push(delivery);
    this.stats.queued++;
  }

  /** The stanzas queued for a device that is offline (a copy), oldest first. */
  queued(device: Jid): Delivery[] {
    return [...(this.#queues.get(this.#key(device)) ?? [])];
  }

  /**
   * Sends a freshly logged-in device its offline backlog (preview, stanzas with `offline="1"`, the
   * `<offline>` marker), then switches the connection to live delivery.
   */
  async flushOffline(conn: ServerConnection, device: Jid): Promise<void> {
    const key = this.#key(device);
    const initial = this.#queues.get(key) ?? [];
    if (initial.length) {
      const counts = previewCounts(initial);
      const previewSent = await conn.send({
        tag: "ib",
        attrs: {},
        content: [{
          tag: "offline_preview",
          attrs: {
            count: String(initial.length),
            message: String(counts.message),
            receipt: String(counts.receipt),
            notification: String(counts.notification),
            appdata: "0",
          },
        }],
      });
      if (!previewSent) return;
    }
    let sent = 0;
    for (;;) {
      const queue = this.#queues.get(key);
      if (!queue?.length) break;
      // Take the batch out first, so a concurrent flush (a replacing login) can never send it twice.
      const batch = queue.splice(0);
      for (const d of batch) this.#trackInflight(conn, d);
      const results = await Promise.all(batch.map((d) => conn.send(withOffline(d.stanza))));
      const failed = batch.filter((d, i) => !results[i] && this.#untrack(conn, d));
      sent += batch.length - failed.length;
      this.stats.flushed += batch.length - failed.length;
      if (failed.length) {
        const rest = this.#queues.get(key) ?? [];
        this.#queues.set(key, [...failed, ...rest]);
        return;
      }
    }
    this.#queues.delete(key);
    // Start the marker and go live in the same tick: sends keep call order, so nothing routed from
    // now on can overtake the marker or fall into the queue after the flush finished.
    if (this.#wa.faults.omitOfflineMarker) {
      if (!conn.isClosed) this.#ready.add(conn);
      return;
    }
    const marker = conn.send({
      tag: "ib",
      attrs: {},
      content: [{ tag: "offline", attrs: { count: String(sent) } }],
    });
    if (!conn.isClosed) this.#ready.add(conn);
    await marker;
  }

  /** Starts holding deliveries to one device (or to all devices). */
  hold(device?: Jid): DeliveryHold {
    const state: HoldState = { key: device ? this.#key(device) : undefined, items: [], waiters: new Set() };
    this.#holds.add(state);
    const released = { value: false };
    return {
      get size() {
        return state.items.length;
      },
      get held() {
        return [...state.items];
      },
      whenHeld: (count, options = {}) => {
        const { signal } = options;
        if (state.items.length >= count) return Promise.resolve();
        if (signal?.aborted) return Promise.reject(signal.reason);
        const { promise, resolve, reject } = Promise.withResolvers<void>();
        const onAbort = () => {
          state.waiters.delete(check);
          reject(signal!.reason);
        };
        const check = () => {
          if (state.items.length < count) return;
          state.waiters.delete(check);
          signal?.removeEventListener("abort", onAbort);
          resolve();
        };
        state.waiters.add(check);
        signal?.addEventListener("abort", onAbort, { once: true });
        return promise;
      },
      release: (options = {}) => {
        if (released.value) return 0;
        released.value = true;
        this.#holds.delete(state);
        const items = state.items.splice(0);
        const reorder = options.reorder;
        if (reorder === true || reorder === "reverse") items.reverse();
        else if (reorder === "shuffle") {
          for (let i = items.length - 1; i > 0; i--) {
            const j = Math.floor(Math.random() * (i + 1));
            [items[i], items[j]] = [items[j], items[i]];
          }
        }
        for (const d of items) this.#send(d);
        return items.length;
      },
    };
  }

  /** Drops the next delivery that matches. */
  dropNext(filter: DeliveryFilter = () => true): DeliveryDrop {
    const { promise, resolve } = Promise.withResolvers<Delivery>();
    const state: DropState = { filter, resolve, done: false };
    this.#drops.add(state);
    return {
      dropped: promise,
      get done() {
        return state.done;
      },
      cancel: () => void this.#drops.delete(state),
    };
  }

  #matches(filter: DeliveryFilter, d: Delivery): boolean {
    if (typeof filter === "function") return filter(d);
    if (filter.tag !== undefined && filter.tag !== d.stanza.tag) return false;
    if (filter.id !== undefined && filter.id !== String(d.stanza.attrs.id)) return false;
    if (filter.type !== undefined && filter.type !== String(d.stanza.attrs.type ?? "")) return false;
    if (filter.device !== undefined && this.#key(filter.device) !== d.device.toString()) return false;
    return true;
  }

  /** Forgets every hold and pending drop (server stopping). */
  stop(): void {
    this.#holds.clear();
    this.#drops.clear();
  }
}
