/**
 * A virtual phone's app state keys: made when its client first starts (a real phone makes them when the
 * account is set up), kept across restarts of that client, and shared with each linked device in an
 * `appStateSyncKeyShare` peer message from device 0, as a real phone does after pairing. The phone's
 * client is a real wadeno `Client`, so it syncs, answers key requests and performs chat actions through
 * the same app state code as the bot; the server only ever sees encrypted patches.
 *
 * @module
 */

import { Jid } from "../binary/mod.ts";
import type { Client } from "../client/client.ts";
import { generateSyncKey, keyShareMessage, type SharedSyncKey } from "../features/app_state/key_share.ts";
import type { Logger } from "../logger.ts";
import type { Backend } from "../store/mod.ts";
import type { Account } from "./accounts.ts";

/** The app state keys of one virtual phone and the devices that got them. */
export class PhoneAppState {
  #keys: SharedSyncKey[] | undefined;
  readonly #sharedWith = new Set<number>();

  /** The phone's keys (made on first use). */
  get keys(): readonly SharedSyncKey[] {
    return this.#keys ??= [generateSyncKey()];
  }

  /** Puts the keys in the phone client's store before the client starts. */
  async seed(store: Backend): Promise<void> {
    for (const k of this.keys) {
      await store.setSyncKey(k.keyId, {
        keyData: k.keyData,
        fingerprint: k.fingerprint,
        timestamp: k.timestamp,
      });
    }
  }

  /**
   * Shares the keys, from the phone's running client, with the given companions that do not have them yet.
   * A device that cannot be reached is logged and tried again next time.
   */
  async shareWith(phone: Client, account: Account, deviceIds: readonly number[], log: Logger): Promise<void> {
    for (const id of deviceIds) {
      if (id === 0 || this.#sharedWith.has(id) || !account.devices.has(id)) continue;
      try {
        await phone.sendMessage(Jid.pn(account.phone, id), keyShareMessage(this.keys));
        this.#sharedWith.add(id);
      } catch (error) {
        log.warn(`could not share app state keys with device ${id} of ${account.phone}`, { error });
      }
    }
  }

  /** Forgets that a device had the keys (it was unlinked). */
  forget(deviceId: number): void {
    this.#sharedWith.delete(deviceId);
  }
}
