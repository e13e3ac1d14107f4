/**
 * What the client's internal modules (login, pairing, keepalive, prekeys, messaging) see of the
 * client: sending, querying, events, the device and the store. It keeps `client.ts` a thin public
 * face and lets each concern live in its own file.
 *
 * @module
 */

import type { Jid, Node, NodeInput } from "../binary/mod.ts";
import type { StanzaFilter, StanzaHandler } from "../features/context.ts";
import type { InfoQuery, IqSpec } from "../features/iq.ts";
import type { Logger } from "../logger.ts";
import type { Backend, Device } from "../store/mod.ts";
import type { ClientEvents } from "./events.ts";
import type { IqLabel } from "./iq.ts";
import type { WaVersion } from "./payload.ts";

/** How a connection ended, from the client's point of view: what to do next. */
export type ConnectionOutcome =
  | { action: "reconnect_now"; reason: string }
  | { action: "backoff"; reason: string; extraSteps?: number }
  | { action: "stop"; reason: string; error?: Error };

/** Timing knobs; defaults follow the seed and WA Web. Tests shrink them. */
export interface ClientTimings {
  /** Transport open deadline (20 s). */
  connectTimeoutMs: number;
  /** Noise handshake deadline (20 s). */
  handshakeTimeoutMs: number;
  /** Default IQ timeout (60 s). */
  iqTimeoutMs: number;
  /** Keepalive interval range (15-30 s). */
  keepAliveMinMs: number;
  /** Upper end of the keepalive interval. */
  keepAliveMaxMs: number;
  /** How long a ping may go unanswered (20 s). */
  keepAliveResponseMs: number;
  /** No data for this long after a send means the socket is dead (20 s). */
  deadSocketMs: number;
  /** First QR code lifetime (60 s). */
  qrFirstMs: number;
  /** Later QR code lifetimes (20 s). */
  qrNextMs: number;
  /** How long an offline backlog may take before it is declared done (60 s). */
  offlineSyncTimeoutMs: number;
  /** How long sent messages are kept for retry receipts (300 s, the seed's sent_message_ttl_secs). */
  sentMessageTtlMs: number;
  /** How often expired sent messages are swept while connected (5 min). */
  maintenanceIntervalMs: number;
  /** Backoff for the n-th consecutive failure; default Fibonacci seconds with jitter, capped at 900 s. */
  backoffMs: (attempt: number) => number;
  /**
   * Ackable stanzas handled at once (1,024). Past it, stanzas are left to the server, which redelivers
   * them after the client reconnects once the backlog drained: bounded memory, nothing lost.
   */
  maxInFlightStanzas: number;
  /** Connection attempts in a row whose handshake fails for a non-network reason before giving up (5). */
  maxHandshakeFailures: number;
}

/** The client as its internal modules see it. */
export interface ClientCore {
  /** Root logger; modules take children (`Client/Pair`, ...). */
  readonly log: Logger;
  /** The store. */
  readonly store: Backend;
  /** Timing knobs. */
  readonly timings: ClientTimings;
  /** The announced WhatsApp Web version. */
  readonly version: WaVersion;
  /** The device state (mutate through {@linkcode ClientCore.updateDevice}). */
  readonly device: Device;
  /** Applies a change to the device and persists it durably. */
  updateDevice(change: (device: Device) => void): Promise<void>;
  /** Replaces the device (after logout) and persists it. */
  resetDevice(): Promise<void>;
  /** Emits an event (listeners run; a returned promise is observed, not awaited). */
  emit<K extends keyof ClientEvents>(name: K, data: ClientEvents[K]): void;
  /** Emits an event and resolves once its listeners and `events()` consumers handled it. */
  emitAndWait<K extends keyof ClientEvents>(name: K, data: ClientEvents[K]): Promise<void>;
  /** Sends a node on the live connection; rejects with `ConnectionError` `not_connected` when there is none. */
  sendNode(node: NodeInput): Promise<void>;
  /** Sends an IQ and waits for its result. */
  query(query: InfoQuery, label?: IqLabel): Promise<Node>;
  /** Runs an IQ spec. */
  execute<T>(spec: IqSpec<T>, options?: { signal?: AbortSignal }): Promise<T>;
  /** Registers a stanza handler; returns the unsubscribe function. */
  on(filter: StanzaFilter, handler: StanzaHandler): () => void;
  /** Ends the live connection with this outcome (the run loop acts on it). */
  endConnection(outcome: ConnectionOutcome): void;
  /** Runs background work, logging (never dropping) its failure. */
  spawn(what: string, work: () => Promise<unknown>): void;
  /** Our own JID (PN with device), once paired. */
  readonly ownJid: Jid | undefined;
  /** True between `<success>` and the end of the connection. */
  readonly isLoggedIn: boolean;
  /** Milliseconds to add to the local clock to get server time. */
  serverTimeOffsetMs: number;
}
