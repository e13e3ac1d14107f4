/**
 * What sending takes and gives back, shared by the client's `sendMessage` and every feature that sends.
 *
 * @module
 */

import type { Jid, NodeInput } from "../binary/mod.ts";
import type { MessageKey } from "../proto/mod.ts";

/** Options for `sendMessage` (and every method that sends a message). */
export interface SendOptions {
  /** Use this message id instead of a generated one. */
  id?: string;
  /** Extra child nodes added to the `<message>` stanza. */
  extraNodes?: NodeInput[];
  /** How long to wait for the server's ack (default: the IQ timeout, 60 s). */
  timeoutMs?: number;
  /** Cancels waiting for the ack (the stanza may already be sent). */
  signal?: AbortSignal;
  /**
   * Who sees a status post (user JIDs): required when sending to `status@broadcast`, ignored otherwise.
   * Prefer `client.status`, which fills it in.
   */
  statusAudience?: readonly Jid[];
}

/** What the server confirmed about a sent message. */
export interface SendResult {
  /** The message id. */
  id: string;
  /** The server's timestamp for it. */
  timestamp: Date;
  /** The chat it went to. */
  chat: Jid;
  /**
   * The sent message's key (`fromMe`), ready for a reaction, an edit, a revoke or a reply:
   * `client.sendReaction(chat, sent.key, "👍")`.
   */
  key: MessageKey;
  /** For a newsletter post: the server's id of it (what reactions and views name). */
  serverId?: number;
}
