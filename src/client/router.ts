/**
 * The stanza router: a typed registry of handlers. Every node the server sends goes to the handlers whose
 * filter it matches (`{ tag, type?, xmlns?, child? }`), several per filter, each registration returning its
 * own unsubscribe; nothing silently replaces anything. Login, pairing, prekeys, messaging and every
 * feature register the same way.
 *
 * The router also owns two rules no handler can break:
 * - Acks. A stanza that needs one (`message`, `receipt`, `notification`, `call`) is acknowledged once all
 *   of its handlers settled, whether they succeeded, threw, or there were none; a handler that throws is
 *   logged with its stack and reported as an `error` event.
 * - Bounds. At most `maxInFlight` ackable stanzas are being handled at once (a message counts until its
 *   `message` event was handled). One more is neither handled nor acknowledged, so the server keeps it;
 *   once the backlog drains the router asks for a reconnect, and the server redelivers everything it
 *   kept. Memory stays bounded and nothing is lost.
 *
 * IQ responses settle their requests; server IQs (`get`/`set`) nobody handles are answered with 501.
 *
 * @module
 */

import type { Node } from "../binary/mod.ts";
import type { StanzaFilter, StanzaHandler } from "../features/context.ts";
import type { Logger } from "../logger.ts";
import { ACKED_TAGS, buildAck } from "./ack.ts";
import type { ConnectionOutcome } from "./core.ts";
import type { IqTracker } from "./iq.ts";

/** The default bound on ackable stanzas handled at once. */
export const DEFAULT_MAX_IN_FLIGHT = 1_024;

/** What the router needs from the client. */
export interface RouterHost {
  /** Logger (`Client/Recv`). */
  readonly log: Logger;
  /** IQ request tracker. */
  readonly iq: IqTracker;
  /** Our own JID for message acks. */
  ownJid(): string | undefined;
  /** Sends a node; rejects when not connected. */
  send(node: import("../binary/mod.ts").NodeInput): Promise<void>;
  /** Reports a handler failure (logged with its stack and emitted as `error`). */
  handlerFailed(error: unknown, node: Node): void;
  /** Ends the live connection with this outcome. */
  endConnection(outcome: ConnectionOutcome): void;
  /** The bound on ackable stanzas handled at once. */
  readonly maxInFlight: number;
}

interface Entry {
  filter: StanzaFilter;
  handler: StanzaHandler;
}

/** Routes incoming nodes for one client. */
export class StanzaRouter {
  readonly #host: RouterHost;
  readonly #byTag = new Map<string, Set<Entry>>();
  #inFlight = 0;
  #skipped = 0;
  #idle: Array<() => void> = [];

  /** Creates the router. */
  constructor(host: RouterHost) {
    this.#host = host;
  }

  /** Resolves once no ackable stanza is being handled (each one handled and its ack sent). */
  idle(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#idle.push(resolve);
    return promise;
  }

  /** Ackable stanzas being handled right now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Stanzas left unhandled (and unacknowledged) because the bound was reached, since the last reconnect. */
  get skipped(): number {
    return this.#skipped;
  }

  /**
   * Registers a handler for stanzas matching `filter`; returns the function that removes it (and only
   * it: other handlers of the same filter stay).
   */
  on(filter: StanzaFilter, handler: StanzaHandler): () => void {
    let set = this.#byTag.get(filter.tag);
    if (!set) this.#byTag.set(filter.tag, set = new Set());
    const entry: Entry = { filter: { ...filter }, handler };
    set.add(entry);
    return () => {
      set.delete(entry);
      if (set.size === 0 && this.#byTag.get(filter.tag) === set) this.#byTag.delete(filter.tag);
    };
  }

  /**
   * Removes every handler of a tag (or of one `type` of it). For tests that watch the wire in place of
   * the client's own handling; a client with its handlers removed no longer works as one.
   */
  clear(filter: StanzaFilter): void {
    const set = this.#byTag.get(filter.tag);
    if (!set) return;
    for (const e of [...set]) {
      if (filter.type !== undefined && e.filter.type !== filter.type) continue;
      if (filter.child !== undefined && e.filter.child !== filter.child) continue;
      set.delete(e);
    }
    if (set.size === 0) this.#byTag.delete(filter.tag);
  }

  /** Whether any handler is registered for a tag (and type). */
  has(tag: string, type?: string): boolean {
    for (const e of this.#byTag.get(tag) ?? []) {
      if (e.filter.type === undefined || e.filter.type === type) return true;
    }
    return false;
  }

  /** Routes one node; never throws. */
  route(node: Node): void {
    try {
      this.#route(node);
    } catch (e) {
      this.#host.handlerFailed(e, node);
    }
  }

  #route(node: Node): void {
    const host = this.#host;
    if (node.tag === "iq" && (node.attrs.type === "result" || node.attrs.type === "error")) {
      if (!host.iq.handle(node)) host.log.debug("IQ response for no pending request", { attrs: node.attrs });
      return;
    }
    if (node.tag === "ib") {
      for (const child of Array.isArray(node.content) ? node.content : []) {
        const started = this.#dispatch(child, { tag: "ib", child: child.tag });
        if (started.length === 0) host.log.debug(`unhandled <ib><${child.tag}>`, { attrs: child.attrs });
        else this.#watch(started, child);
      }
      return;
    }
    const ackable = ACKED_TAGS.has(node.tag) && node.attrs.id !== undefined && node.attrs.from !== undefined;
    if (ackable && (this.#skipped > 0 || this.#inFlight >= host.maxInFlight)) {
      // Unacknowledged, the server keeps it and sends it again after the reconnect below. Once one was
      // skipped, every later one is too, so that they come back in the order they were sent.
      if (this.#skipped++ === 0) {
        host.log.warn(
          `more than ${host.maxInFlight} stanzas in flight: leaving the rest to the server until the backlog drains`,
        );
      }
      return;
    }
    const child = Array.isArray(node.content) ? node.content[0]?.tag : undefined;
    const started = this.#dispatch(node, { tag: node.tag, child });
    if (node.tag === "iq") {
      if (started.length === 0) this.#notImplemented(node);
      else this.#watch(started, node);
      return;
    }
    if (!ackable) {
      if (started.length === 0) host.log.debug(`unhandled <${node.tag}>`, { attrs: node.attrs });
      else this.#watch(started, node);
      return;
    }
    if (started.length === 0) host.log.debug(`unhandled <${node.tag}>, acking it`, { attrs: node.attrs });
    this.#inFlight++;
    Promise.allSettled(started).then((results) => {
      for (const r of results) if (r.status === "rejected") host.handlerFailed(r.reason, node);
      return this.#ack(node);
    }).finally(() => {
      this.#inFlight--;
      if (this.#inFlight === 0) { for (const resolve of this.#idle.splice(0)) resolve(); }
      if (this.#inFlight === 0 && this.#skipped > 0) {
        host.log.info(
          `backlog drained; reconnecting so the server redelivers the ${this.#skipped} skipped stanzas`,
        );
        this.#skipped = 0;
        host.endConnection({ action: "reconnect_now", reason: "receive backlog drained after overflow" });
      }
    });
  }

  /** Starts every matching handler (synchronously, in registration order) and returns their promises. */
  #dispatch(node: Node, at: { tag: string; child?: string }): Promise<unknown>[] {
    const set = this.#byTag.get(at.tag);
    if (!set) return [];
    const started: Promise<unknown>[] = [];
    for (const { filter, handler } of [...set]) {
      if (filter.type !== undefined && filter.type !== node.attrs.type) continue;
      if (filter.xmlns !== undefined && filter.xmlns !== node.attrs.xmlns) continue;
      if (filter.child !== undefined && filter.child !== at.child) continue;
      try {
        started.push(Promise.resolve(handler(node)));
      } catch (e) {
        started.push(Promise.reject(e));
      }
    }
    return started;
  }

  #watch(started: Promise<unknown>[], node: Node): void {
    for (const p of started) p.catch((e) => this.#host.handlerFailed(e, node));
  }

  async #ack(node: Node): Promise<void> {
    const ack = buildAck(node, this.#host.ownJid());
    if (!ack) return;
    await this.#host.send(ack).catch((e) =>
      this.#host.log.debug(`could not ack <${node.tag}>`, { error: e })
    );
  }

  #notImplemented(node: Node): void {
    const host = this.#host;
    host.log.debug("unhandled server IQ", { attrs: node.attrs });
    if (node.attrs.type !== "get" && node.attrs.type !== "set") return;
    host.send({
      tag: "iq",
      attrs: { to: node.attrs.from ?? "s.whatsapp.net", id: node.attrs.id ?? "", type: "error" },
      content: [{ tag: "error", attrs: { code: "501", text: "feature-not-implemented" } }],
    }).catch((e) => host.log.debug("could not refuse a server IQ", { error: e }));
  }

  /** A new connection: the skip count starts over (the server redelivers on the new one). */
  connectionOpened(): void {
    this.#skipped = 0;
  }
}
