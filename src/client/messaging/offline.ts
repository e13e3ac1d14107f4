/**
 * Offline sync: after login the server replays what arrived while the device was away, between
 * `<ib><offline_preview .../>` and `<ib><offline count=N/>`. Until the end marker the backlog is processed
 * strictly in order (concurrency 1); then `offlineSyncCompleted` fires and processing goes parallel. If
 * the marker never comes, a 60 s fallback (WA Web's OFFLINE_STANZA_TIMEOUT_MS) completes it anyway.
 *
 * @module
 */

import { type Node, optAttrInt } from "../../binary/mod.ts";
import type { ClientCore } from "../core.ts";
import { type ChatQueues, OFFLINE_CONCURRENCY, ONLINE_CONCURRENCY } from "./queues.ts";

/** How long to wait for the end-of-backlog marker. */
export const OFFLINE_SYNC_TIMEOUT_MS = 60_000;

/** Payload of `offlineSyncPreview`: what the server is about to replay. */
export interface OfflineSyncPreviewEvent {
  /** Stanzas in total. */
  total: number;
  /** App-state changes. */
  appDataChanges: number;
  /** Messages. */
  messages: number;
  /** Notifications. */
  notifications: number;
  /** Receipts. */
  receipts: number;
}

/** Payload of `offlineSyncCompleted`. */
export interface OfflineSyncCompletedEvent {
  /** Stanzas the server said it replayed. */
  count: number;
  /** Offline messages processed on this connection. */
  processedMessages: number;
  /** True when the 60 s fallback ended the sync rather than the server's marker. */
  timedOut: boolean;
}

/** The offline-sync state of one connection. */
export class OfflineSync {
  readonly #core: ClientCore;
  readonly #queues: ChatQueues;
  readonly #timeoutMs: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #active = false;
  #processed = 0;

  /** Creates the state machine. */
  constructor(core: ClientCore, queues: ChatQueues, timeoutMs = OFFLINE_SYNC_TIMEOUT_MS) {
    this.#core = core;
    this.#queues = queues;
    this.#timeoutMs = timeoutMs;
  }

  /** True between login and the end of the backlog. */
  get active(): boolean {
    return this.#active;
  }

  /** A new login: process in order until the backlog is done. */
  start(): void {
    this.stop();
    this.#active = true;
    this.#processed = 0;
    this.#queues.setConcurrency(OFFLINE_CONCURRENCY);
    this.#armTimer();
  }

  /** The connection closed: stop the timer; the next login starts over. */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#active = false;
    this.#queues.setConcurrency(OFFLINE_CONCURRENCY);
  }

  #armTimer(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (!this.#active) return;
      this.#core.log.child("Client/OfflineSync").warn(
        `no end-of-backlog marker within ${this.#timeoutMs} ms (${this.#processed} processed); continuing`,
      );
      this.#finish(0, true);
    }, this.#timeoutMs);
  }

  /** `<ib><offline_preview/>`: announce, ask for the backlog, restart the fallback timer. */
  onPreview(node: Node): void {
    const n = (k: string) => optAttrInt(node, k) ?? 0;
    this.#core.emit("offlineSyncPreview", {
      total: n("count"),
      appDataChanges: n("appdata"),
      messages: n("message"),
      notifications: n("notification"),
      receipts: n("receipt"),
    });
    this.#armTimer();
    this.#core.spawn(
      "offline batch request",
      () =>
        this.#core.sendNode({
          tag: "ib",
          attrs: {},
          content: [{ tag: "offline_batch", attrs: { count: "100" } }],
        }),
    );
  }

  /** An offline message finished processing. */
  onMessage(): void {
    this.#processed++;
  }

  /** `<ib><offline count=N/>`: once everything queued so far is processed, complete. */
  onComplete(node: Node): void {
    const count = optAttrInt(node, "count") ?? 0;
    this.#core.spawn("offline sync completion", async () => {
      await this.#queues.idle();
      if (this.#active) this.#finish(count, false);
    });
  }

  #finish(count: number, timedOut: boolean): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#active = false;
    this.#queues.setConcurrency(ONLINE_CONCURRENCY);
    this.#core.emit("offlineSyncCompleted", { count, processedMessages: this.#processed, timedOut });
  }
}
