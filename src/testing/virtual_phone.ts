/**
 * A virtual phone: the primary device of a FakeWhatsApp account. It links companions the way a real
 * phone does (scanning the QR code a companion shows, or taking a pair code), signing the companion's
 * identity with the account key, and it can unlink them again.
 *
 * @module
 */

import type { Jid } from "../binary/mod.ts";
import { type Account, deviceLid, devicePn, type ServerDevice } from "./accounts.ts";
import type { FakeWhatsApp } from "./fake_whatsapp.ts";
import type { PairedDevice, PhonePairOptions } from "./server_pairing.ts";

/** The phone of one account on a {@linkcode FakeWhatsApp}. */
export class VirtualPhone {
  readonly #wa: FakeWhatsApp;
  /** The account this phone owns. */
  readonly account: Account;

  /** Use `FakeWhatsApp.phone(number)`. */
  constructor(wa: FakeWhatsApp, account: Account) {
    this.#wa = wa;
    this.account = account;
  }

  /** The account's phone-number JID (device 0). */
  get jid(): Jid {
    return devicePn(this.account, 0);
  }

  /** The account's LID (device 0). */
  get lid(): Jid {
    return deviceLid(this.account, 0);
  }

  /** The account identity public key (what companions see as the primary's identity). */
  get identityKey(): Uint8Array {
    return this.account.identity.publicKey;
  }

  /**
   * Scans a companion's QR code (the string from its `pairingQrCode` event) and links it. Resolves once
   * the companion countersigned (before it reconnects and logs in); rejects with a `PairError` when the
   * companion refuses or the code is unknown.
   */
  scanQr(qr: string, options?: PhonePairOptions): Promise<PairedDevice> {
    return this.#wa.track(this.#wa.pairing.scanQr(this.account, qr, options));
  }

  /** Types a pair code shown by a companion (after it called `pairWithCode` with this phone's number). */
  enterPairCode(code: string, options?: PhonePairOptions): Promise<PairedDevice> {
    return this.#wa.track(this.#wa.pairing.enterPairCode(this.account, code, options));
  }

  /** The companions linked to this account. */
  linkedDevices(): ServerDevice[] {
    return [...this.account.devices.values()].filter((d) => d.id !== 0);
  }

  /**
   * Unlinks a companion, as "Log out" in the phone's Linked devices list does: the device is forgotten
   * and, when connected, receives `<stream:error code="401"><conflict type="device_removed"/>`.
   */
  async unlink(deviceId: number): Promise<void> {
    const jid = devicePn(this.account, deviceId);
    const connected = this.#wa.connectionOf(jid) !== undefined;
    this.account.devices.delete(deviceId);
    if (connected) await this.#wa.sendStreamError(jid, "401", "device_removed");
  }
}
