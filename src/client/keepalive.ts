/**
 * Keepalive for one connection: every 15-30 s (random) ping the server with
 * `iq xmlns="w:p" type="get" <ping/>`, unless data arrived recently. An unanswered ping emits
 * `keepAliveTimeout`; when nothing at all has arrived for the dead-socket time, the socket is declared
 * dead and the client reconnects at once (WA Web's deadSocketTimer, reference/seed-inventory-core.md 76-77).
 *
 * @module
 */

import type { ClientCore } from "./core.ts";
import type { Connection } from "./connection.ts";

/** Runs the keepalive loop for `connection` until {@linkcode KeepAlive.stop} or the connection closes. */
export class KeepAlive {
  readonly #core: ClientCore;
  readonly #connection: Connection;
  readonly #random: () => number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  #errors = 0;

  /** Creates the loop (not started). */
  constructor(core: ClientCore, connection: Connection, random: () => number = Math.random) {
    this.#core = core;
    this.#connection = connection;
    this.#random = random;
  }

  /** Schedules the first ping. */
  start(): void {
    this.#schedule();
  }

  /** Stops the loop (clears its timer). */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    if (this.#stopped) return;
    const { keepAliveMinMs, keepAliveMaxMs } = this.#core.timings;
    const interval = keepAliveMinMs + this.#random() * (keepAliveMaxMs - keepAliveMinMs);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#tick().finally(() => this.#schedule());
    }, interval);
  }

  async #tick(): Promise<void> {
    const conn = this.#connection;
    if (this.#stopped || conn.closed) return;
    const { keepAliveMinMs, keepAliveResponseMs, deadSocketMs } = this.#core.timings;
    const log = this.#core.log.child("Client/Keepalive");
    if (Date.now() - conn.lastReceivedAt < keepAliveMinMs && this.#errors === 0) return;
    try {
      await this.#core.query({
        namespace: "w:p",
        type: "get",
        content: [{ tag: "ping", attrs: {} }],
        timeoutMs: keepAliveResponseMs,
      });
      if (this.#errors > 0) {
        this.#errors = 0;
        this.#core.emit("keepAliveRestored", { errorCount: 0 });
      }
    } catch (e) {
      if (this.#stopped || conn.closed) return;
      this.#errors++;
      log.warn(`keepalive ping failed (${this.#errors} in a row)`, { error: e });
      this.#core.emit("keepAliveTimeout", { errorCount: this.#errors });
      const silentFor = Date.now() - conn.lastReceivedAt;
      if (silentFor >= deadSocketMs) {
        log.warn(`no data for ${silentFor} ms after a ping: the socket is dead, reconnecting`);
        this.stop();
        this.#core.endConnection({ action: "reconnect_now", reason: "dead socket (keepalive timeout)" });
      }
    }
  }
}
