/**
 * FakeWhatsApp's fault switches: what tests flip to make the server misbehave the ways the real one
 * does (unanswered pings, refused sockets, late, reordered, lost or refused messages).
 *
 * @module
 */

import type { Jid, NodeInput } from "../binary/mod.ts";
import type { DeliveryDrop, DeliveryFilter, DeliveryHold, DeliveryRouter } from "./delivery.ts";

/** Server-wide fault switches for tests (`wa.faults`). */
export interface FakeWhatsAppFaults {
  /** Answer no keepalive pings (`w:p`), so clients detect a dead socket. */
  ignorePings: boolean;
  /** Refuse new WebSocket connections (HTTP 503). */
  refuseConnections: boolean;
  /**
   * When set, every `<message>` a client sends is refused: acked with `error` set to this code and not
   * routed (for the sender's error path). Default `undefined`.
   */
  messageAckError: number | undefined;
  /**
   * When set, the next logins of paired devices are refused with `<failure>` carrying these attributes
   * (for example `{ reason: "402", code: "101", expire: "3600" }` for a temporary ban, `{ reason: "405" }`
   * for an outdated client). `count` limits how many logins are refused (default: all until cleared).
   */
  loginFailure: { attrs: Record<string, string>; count?: number } | undefined;
  /** Leave out the `<ib><offline/>` end-of-backlog marker after login (for the client's fallback timer). */
  omitOfflineMarker: boolean;
  /**
   * Holds every stanza routed to `device` (a PN or LID device JID; all devices when omitted) instead of
   * sending or queueing it, even while the device is connected, until `release()` is called on the
   * returned handle, which delivers them, optionally in reverse or random order. The sender is still
   * acked at once, so a test can wait for the ack (or `whenHeld(n)`) and then release.
   *
   * @example
   * ```ts
   * import type { Client, Jid } from "@wadeno/client";
   * import type { FakeWhatsApp } from "@wadeno/client/testing";
   * export async function example(wa: FakeWhatsApp, sender: Client, receiver: Jid) {
   *   const hold = wa.faults.holdDelivery(receiver);
   *   for (const text of ["one", "two", "three"]) await sender.sendText(receiver.toNonAd(), text); // acked at once
   *   await hold.whenHeld(3, { signal: AbortSignal.timeout(5_000) });
   *   hold.release({ reorder: true }); // delivered newest first
   * }
   * ```
   */
  holdDelivery(device?: Jid): DeliveryHold;
  /**
   * Drops the next routed stanza that matches `filter` (any stanza when omitted): it is neither sent
   * nor queued, as if lost in transit, while the sender is still acked. For retry tests. The handle's
   * `dropped` promise resolves with what was dropped.
   */
  dropNextDelivery(filter?: DeliveryFilter): DeliveryDrop;
  /**
   * Sends any stanza, as it is, to a device's live connection: what a hostile or buggy server could send
   * (a forged message, a pairing IQ on a paired device, a malformed receipt). Resolves false when the
   * device is not connected. The stanza is not tracked for acks or redelivery.
   */
  sendStanza(device: Jid, stanza: NodeInput): Promise<boolean>;
}

/** The fault switches of one server, delegating the delivery faults to its router. */
export class ServerFaults implements FakeWhatsAppFaults {
  /** {@inheritDoc FakeWhatsAppFaults.ignorePings} */
  ignorePings = false;
  /** {@inheritDoc FakeWhatsAppFaults.refuseConnections} */
  refuseConnections = false;
  /** {@inheritDoc FakeWhatsAppFaults.messageAckError} */
  messageAckError: number | undefined = undefined;
  /** {@inheritDoc FakeWhatsAppFaults.loginFailure} */
  loginFailure: { attrs: Record<string, string>; count?: number } | undefined = undefined;
  /** {@inheritDoc FakeWhatsAppFaults.omitOfflineMarker} */
  omitOfflineMarker = false;
  readonly #router: DeliveryRouter;
  readonly #send: (device: Jid, stanza: NodeInput) => Promise<boolean>;

  /** Creates the switches (all off) for a server's delivery router. */
  constructor(router: DeliveryRouter, send: (device: Jid, stanza: NodeInput) => Promise<boolean>) {
    this.#router = router;
    this.#send = send;
  }

  /** {@inheritDoc FakeWhatsAppFaults.sendStanza} */
  sendStanza(device: Jid, stanza: NodeInput): Promise<boolean> {
    return this.#send(device, stanza);
  }

  /** {@inheritDoc FakeWhatsAppFaults.holdDelivery} */
  holdDelivery(device?: Jid): DeliveryHold {
    return this.#router.hold(device);
  }

  /** {@inheritDoc FakeWhatsAppFaults.dropNextDelivery} */
  dropNextDelivery(filter?: DeliveryFilter): DeliveryDrop {
    return this.#router.dropNext(filter);
  }
}
