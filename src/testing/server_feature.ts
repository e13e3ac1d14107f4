/**
 * How a feature's server side plugs into FakeWhatsApp: a {@linkcode ServerFeature} answers IQs of its
 * namespaces, handles the client stanzas of its tags (`presence`, `chatstate`, `call`, ...), and may act
 * when a device logs in. Each feature's server side is one file in `src/testing/` listed in
 * `server_features.ts`; FakeWhatsApp consults them after its core handlers (prekeys, usync, pairing).
 *
 * @module
 */

import type { Jid, Node, NodeInput } from "../binary/mod.ts";
import type { FakeWhatsApp } from "./fake_whatsapp.ts";
import type { ServerConnection } from "./server_connection.ts";

/** Answers one client IQ: the node to send back (`iqResult`/`iqError`), or nothing to stay silent. */
export type ServerIqHandler = (
  wa: FakeWhatsApp,
  conn: ServerConnection,
  node: Node,
) => NodeInput | undefined | Promise<NodeInput | undefined>;

/** Handles one client stanza that is not an IQ. */
export type ServerStanzaHandler = (
  wa: FakeWhatsApp,
  conn: ServerConnection,
  node: Node,
) => void | Promise<void>;

/** A feature's server side. */
export interface ServerFeature {
  /** A name for logs. */
  readonly name: string;
  /** IQ handlers by `xmlns`. */
  readonly iq?: Readonly<Record<string, ServerIqHandler>>;
  /** Handlers of client stanzas by tag. */
  readonly stanzas?: Readonly<Record<string, ServerStanzaHandler>>;
  /** Called after a device logged in and its offline queue was flushed. */
  onLogin?(wa: FakeWhatsApp, conn: ServerConnection, device: Jid): void | Promise<void>;
}
