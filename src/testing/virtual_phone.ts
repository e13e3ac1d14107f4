/**
 * A virtual phone: the primary device of a FakeWhatsApp account. It links companions the way a real
 * phone does (scanning the QR code a companion shows, or taking a pair code), signing the companion's
 * identity with the account key, and it can unlink them again. Its own device 0, and extra companions
 * of its account, run as real clients (`client()`, `addCompanion()`) that send and receive end-to-end
 * encrypted messages through the server.
 *
 * @module
 */

import type { Jid } from "../binary/mod.ts";
import type { Client } from "../client/client.ts";
import { type Account, deviceLid, devicePn, type ServerDevice } from "./accounts.ts";
import type { FakeWhatsApp } from "./fake_whatsapp.ts";
import type { PairedDevice, PhonePairOptions } from "./server_pairing.ts";
import { announceDeviceChange } from "./server_devices.ts";
import { startCompanionDevice, startPrimaryDevice } from "./virtual_device.ts";
import {
  type PhoneHistoryOptions,
  type PhoneHistoryReport,
  phoneHistorySent,
  type PhoneHistorySpec,
  sendPhoneHistory,
  setPhoneHistory,
} from "./phone_history.ts";
import { PhoneAppState } from "./phone_app_state.ts";

/** The phone of one account on a {@linkcode FakeWhatsApp}. */
export class VirtualPhone {
  readonly #wa: FakeWhatsApp;
  /** The account this phone owns. */
  readonly account: Account;
  #primary: Promise<Client> | undefined;
  readonly #clients = new Set<Client>();
  readonly #starting = new Set<Promise<unknown>>();
  readonly #appState = new PhoneAppState();

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

  /**
   * The phone's own device 0 as a real, logged-in {@linkcode Client} (built on first call, then cached):
   * its identity key is the account identity, and its login uploaded its prekeys, so other devices can
   * fetch its bundle and message it. The client is disconnected by {@linkcode VirtualPhone.stop} (and
   * `FakeWhatsApp.stop()`).
   *
   * @example
   * ```ts
   * import type { FakeWhatsApp } from "@wadeno/client/testing";
   * // Type-checked, not run: it needs a live client.
   * export async function example(wa: FakeWhatsApp) {
   *   const phone = wa.phone("15551234567");
   *   const primary = await phone.client();
   *   primary.jid?.toString(); // "15551234567@s.whatsapp.net"
   * }
   * ```
   */
  client(): Promise<Client> {
    if (!this.#primary) {
      const started = this.#start(async () => {
        const client = await startPrimaryDevice(
          this.#wa,
          this.account,
          (store) => this.#appState.seed(store),
        );
        // A phone shares its app state keys with every linked device; these were linked while it was off.
        await this.#appState.shareWith(client, this.account, [...this.account.devices.keys()], this.#wa.log);
        return client;
      });
      this.#primary = started;
      started.catch(() => {
        if (this.#primary === started) this.#primary = undefined;
      });
    }
    return this.#primary;
  }

  /**
   * Links one more companion device to this account (the next device id, a fresh identity signed by the
   * account key) and returns it as a real, logged-in {@linkcode Client}. It shows up in
   * {@linkcode VirtualPhone.linkedDevices} and is disconnected by {@linkcode VirtualPhone.stop}.
   */
  addCompanion(): Promise<Client> {
    return this.#start(async () => {
      const client = await startCompanionDevice(this.#wa, this.account);
      if (client.jid) this.companionLinked(client.jid.device);
      return client;
    });
  }

  /**
   * Called once a companion is linked to this account: a running phone client shares its app state keys
   * with it at once (the companion reads them when it logs in); a phone that is off does so when its
   * client starts.
   */
  companionLinked(deviceId: number): void {
    const primary = this.#primary;
    if (!primary) return;
    this.#wa.track(
      primary.then((client) => this.#appState.shareWith(client, this.account, [deviceId], this.#wa.log))
        .catch(() => {}),
    );
  }

  #start(make: () => Promise<Client>): Promise<Client> {
    const started = make().then((client) => {
      this.#clients.add(client);
      return client;
    });
    const tracked = started.catch(() => {}).finally(() => this.#starting.delete(tracked));
    this.#starting.add(tracked);
    return started;
  }

  /**
   * Gives the phone a chat history (chats, messages, push names, LID mappings, groups...). Every companion
   * that logs in from now on gets it once, in several chunks of each kind (see phone_history_plan.ts),
   * the first bootstrap chunk inline and the rest as blobs on `wa.media`; on-demand requests are answered
   * from it.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * import type { VirtualPhone } from "@wadeno/client/testing";
   * // Type-checked, not run: `bot` is a client that is about to link to `phone` (scan its QR code).
   * export async function example(phone: VirtualPhone, friend: VirtualPhone, bot: Client) {
   *   phone.setHistory({
   *     conversations: [{ id: friend.jid.toString(), messages: [{ text: "hi", timestamp: new Date() }] }],
   *     pushNames: [{ id: friend.jid.toString(), name: "Friend" }],
   *   });
   *   await bot.connect();
   *   const report = await phone.historySent(bot.jid!);
   *   console.log(report);
   * }
   * ```
   */
  setHistory(spec: PhoneHistorySpec, options?: PhoneHistoryOptions): void {
    setPhoneHistory(this.account, spec, options);
  }

  /** Sends the history to a companion (`device`, with its device id) now; resolves once the server took it. */
  sendHistory(device: Jid): Promise<PhoneHistoryReport> {
    return sendPhoneHistory(this.#wa, this.account, device);
  }

  /** The history send a companion's login started; resolves once the server took every chunk. */
  historySent(device: Jid): Promise<PhoneHistoryReport> {
    return phoneHistorySent(this.account, device);
  }

  /** Disconnects every client this phone started (device 0 and added companions). */
  async stop(): Promise<void> {
    await Promise.allSettled([...this.#starting]);
    const clients = [...this.#clients];
    this.#clients.clear();
    this.#primary = undefined;
    await Promise.allSettled(clients.map((c) => c.disconnect()));
  }

  /** The companions linked to this account (every device but 0, including `addCompanion` ones). */
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
    this.#appState.forget(deviceId);
    this.account.deviceListTs = Math.floor(Date.now() / 1000);
    announceDeviceChange(this.#wa, this.account, "remove", deviceId);
    if (connected) await this.#wa.sendStreamError(jid, "401", "device_removed");
  }
}
