/**
 * Device list changes, announced as the real server does: when a device is linked to an account or
 * removed from it, `<notification type="devices" from=USER>` with `<add>` or `<remove>` holding
 * `<device jid key-index?/>` and `<key-index-list ts/>` goes to the account's own other devices and to
 * every device of the accounts it exchanged messages with (shape from whatsmeow `handleDeviceNotification`).
 * Clients drop their cached device list and fetch it again before the next send.
 *
 * @module
 */

import { Jid } from "../binary/mod.ts";
import { type Account, devicePn } from "./accounts.ts";
import type { FakeWhatsApp } from "./fake_whatsapp.ts";

/** Announces that `deviceId` was added to or removed from `account`. */
export function announceDeviceChange(
  wa: FakeWhatsApp,
  account: Account,
  action: "add" | "remove",
  deviceId: number,
  keyIndex?: number,
): void {
  const content = [{
    tag: action,
    attrs: {},
    content: [
      {
        tag: "device",
        attrs: { jid: devicePn(account, deviceId), "key-index": keyIndex ? String(keyIndex) : undefined },
      },
      { tag: "key-index-list", attrs: { ts: String(account.deviceListTs) } },
    ],
  }];
  const stanza = { attrs: { from: Jid.pn(account.phone), type: "devices" }, content };
  wa.notifyAccount(account, stanza, devicePn(account, deviceId));
  for (const phone of account.contacts) {
    const contact = wa.accounts.byPhone(phone);
    if (contact && contact !== account) wa.notifyAccount(contact, stanza);
  }
}
