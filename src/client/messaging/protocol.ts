/**
 * Dispatch of decrypted protocol messages (`Message.protocolMessage`) by kind, after decryption and
 * before the user's `message` event. Features claim the kinds they implement (history sync notifications,
 * app state key shares, peer data operations, ...). Plumbing kinds are honoured only when they come from
 * one of our own devices (a stranger cannot push history or app state keys) and never reach the user's
 * `message` event; user-visible kinds (revoke, edit, ephemeral setting) are delivered to their claimers
 * and still emitted as messages.
 *
 * @module
 */

import type { ProtocolMessageHandler, ProtocolMessageKind } from "../../features/context.ts";
import type { MessageEvent } from "../../features/message_info.ts";
import type { Logger } from "../../logger.ts";
import { ProtocolMessageType } from "../../proto/mod.ts";

/** Kinds that only our own devices may send and that are never shown to the user as messages. */
export const PLUMBING_KINDS: ReadonlySet<ProtocolMessageKind> = new Set<ProtocolMessageKind>([
  "EPHEMERAL_SYNC_RESPONSE",
  "HISTORY_SYNC_NOTIFICATION",
  "APP_STATE_SYNC_KEY_SHARE",
  "APP_STATE_SYNC_KEY_REQUEST",
  "MSG_FANOUT_BACKFILL_REQUEST",
  "INITIAL_SECURITY_NOTIFICATION_SETTING_SYNC",
  "APP_STATE_FATAL_EXCEPTION_NOTIFICATION",
  "PEER_DATA_OPERATION_REQUEST_MESSAGE",
  "PEER_DATA_OPERATION_REQUEST_RESPONSE_MESSAGE",
  "LID_MIGRATION_MAPPING_SYNC",
  "COEX_STATE_SYNC",
]);

const KIND_BY_NUMBER = new Map<number, ProtocolMessageKind>(
  Object.entries(ProtocolMessageType).map(([name, n]) => [n, name as ProtocolMessageKind]),
);

/** The kind name of a protocol message type number, if known. */
export function protocolKind(type: number | undefined): ProtocolMessageKind | undefined {
  return type === undefined ? undefined : KIND_BY_NUMBER.get(type);
}

/** The registry of protocol message handlers. */
export class ProtocolDispatch {
  readonly #handlers = new Map<ProtocolMessageKind, Set<ProtocolMessageHandler>>();
  readonly #log: Logger;

  /** Creates the registry. */
  constructor(log: Logger) {
    this.#log = log;
  }

  /** Registers a handler for a kind; returns the unsubscribe function. */
  on(kind: ProtocolMessageKind, handler: ProtocolMessageHandler): () => void {
    let set = this.#handlers.get(kind);
    if (!set) this.#handlers.set(kind, set = new Set());
    set.add(handler);
    return () => void set.delete(handler);
  }

  /**
   * Runs the handlers of the event's protocol message, if it has one, and says whether the event is for
   * the user (`true`) or was plumbing (`false`). Handler failures propagate (the caller reports them).
   */
  async dispatch(event: MessageEvent): Promise<boolean> {
    const pm = event.message.protocolMessage;
    if (!pm) return true;
    const kind = protocolKind(pm.type);
    const plumbing = kind !== undefined && PLUMBING_KINDS.has(kind);
    if (plumbing && !event.info.source.isFromMe) {
      this.#log.warn(
        `ignoring a ${kind} protocol message from ${event.info.source.sender}: only our own devices send it`,
      );
      return false;
    }
    const handlers = kind ? this.#handlers.get(kind) : undefined;
    if (handlers?.size) {
      const results = await Promise.allSettled([...handlers].map((h) => h(pm, event)));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (failed) throw failed.reason;
    } else if (plumbing) {
      this.#log.debug(`no handler for a ${kind} protocol message`);
    }
    return !plumbing;
  }
}
