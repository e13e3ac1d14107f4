/**
 * FakeWhatsApp's `iq xmlns="encrypt"`: the prekey count, upload and key-bundle digest of the asking
 * device, and the prekey bundles of other devices (`<key><user jid reason="identity"/>...</key>`).
 *
 * A bundle fetch consumes one one-time prekey per device (the oldest uploaded); a device without any
 * left still gets a bundle, without `<key>`. An unknown device gets `<user jid><error code="404"
 * text="item-not-found"/></user>`. When a fetch leaves a connected device fewer than
 * {@linkcode LOW_PREKEY_COUNT} one-time prekeys it is sent
 * `<notification from="s.whatsapp.net" type="encrypt" id t><count value=N/></notification>`.
 *
 * An upload with an `<identity>` other than the device's registered one (a reinstall) replaces it and
 * announces `<notification from=USER type="encrypt" id t><identity/></notification>` (USER is the
 * account's phone-number JID) to every device of every account that exchanged messages with this one
 * (`Account.contacts`), queued for devices that are offline. The account's own devices are not told.
 *
 * @module
 */

import { childBytes, getChild, getChildren, Jid, type Node, type NodeInput } from "../binary/mod.ts";
import { sha256 } from "../crypto/mod.ts";
import { type Account, devicePn, type ServerDevice } from "./accounts.ts";
import { equal, type FakeWhatsApp, iqError, iqResult } from "./fake_whatsapp.ts";
import type { ServerConnection } from "./server_connection.ts";
import { parseJidAttr, readUint, uintBytes, unixNow } from "./stanza_util.ts";

/** Below this many one-time prekeys the server tells a connected device to upload more. */
export const LOW_PREKEY_COUNT = 5;

/** The `<registration>`, `<type>`, `<identity>` and `<skey>` children describing a device's keys. */
function identityNodes(device: ServerDevice): NodeInput[] {
  return [
    { tag: "registration", attrs: {}, content: uintBytes(device.registrationId, 4) },
    { tag: "type", attrs: {}, content: new Uint8Array([5]) },
    { tag: "identity", attrs: {}, content: device.identityKey },
    {
      tag: "skey",
      attrs: {},
      content: [
        { tag: "id", attrs: {}, content: uintBytes(device.signedPreKey.keyId, 3) },
        { tag: "value", attrs: {}, content: device.signedPreKey.publicKey },
        { tag: "signature", attrs: {}, content: device.signedPreKey.signature },
      ],
    },
  ];
}

/** Answers an `encrypt` IQ from a logged-in device. */
export function encryptIq(wa: FakeWhatsApp, conn: ServerConnection, node: Node): NodeInput {
  const found = conn.device ? wa.accounts.device(conn.device) : undefined;
  if (!found) return iqError(node, 401, "not-authorized");
  const { account, device } = found;
  if (node.attrs.type === "get" && getChild(node, "count")) {
    return iqResult(node, [{ tag: "count", attrs: { value: String(device.preKeys.size) } }]);
  }
  if (node.attrs.type === "get" && getChild(node, "digest")) return digest(node, device);
  if (node.attrs.type === "get" && getChild(node, "key")) return fetchBundles(wa, node);
  if (node.attrs.type === "set" && getChild(node, "list")) return upload(wa, node, account, device);
  return iqError(node, 501, "feature-not-implemented");
}

function digest(node: Node, device: ServerDevice): NodeInput {
  const ids = [...device.preKeys.keys()];
  const hashInput = [
    device.identityKey,
    device.signedPreKey.publicKey,
    device.signedPreKey.signature,
    ...device.preKeys.values(),
  ];
  const total = new Uint8Array(hashInput.reduce((n, b) => n + b.length, 0));
  hashInput.reduce((off, b) => (total.set(b, off), off + b.length), 0);
  return iqResult(node, [{
    tag: "digest",
    attrs: {},
    content: [
      ...identityNodes(device),
      {
        tag: "list",
        attrs: {},
        content: ids.map((id) => ({ tag: "id", attrs: {}, content: uintBytes(id, 3) })),
      },
      { tag: "hash", attrs: {}, content: sha256(total).subarray(0, 20) },
    ],
  }]);
}

function upload(wa: FakeWhatsApp, node: Node, account: Account, device: ServerDevice): NodeInput {
  const identity = childBytes(node, "identity");
  const registration = childBytes(node, "registration");
  const skey = getChild(node, "skey");
  const skeyValue = skey && childBytes(skey, "value");
  const skeySignature = skey && childBytes(skey, "signature");
  if (
    !identity || identity.length !== 32 || !registration || !skey || skeyValue?.length !== 32 ||
    skeySignature?.length !== 64
  ) {
    return iqError(node, 400, "bad-request");
  }
  const changed = device.identityKey.length > 0 && !equal(device.identityKey, identity);
  device.identityKey = identity.slice();
  device.registrationId = readUint(registration);
  device.signedPreKey = {
    keyId: readUint(childBytes(skey, "id")),
    publicKey: skeyValue.slice(),
    signature: skeySignature.slice(),
  };
  if (changed) {
    // Keys made for the old identity are worthless now.
    device.preKeys.clear();
  }
  for (const key of getChildren(getChild(node, "list")!, "key")) {
    const id = readUint(childBytes(key, "id"));
    const value = childBytes(key, "value");
    if (value?.length === 32) device.preKeys.set(id, value.slice());
  }
  if (changed) announceIdentityChange(wa, account, device);
  return iqResult(node);
}

/** Tells every device of the account's contacts that this account's identity changed. */
export function announceIdentityChange(wa: FakeWhatsApp, account: Account, device: ServerDevice): void {
  wa.log.child("FakeWA/Keys").debug(`identity of ${devicePn(account, device.id)} changed`);
  for (const phone of account.contacts) {
    const contact = wa.accounts.byPhone(phone);
    if (!contact || contact === account) continue;
    for (const id of contact.devices.keys()) {
      wa.delivery.deliver(devicePn(contact, id), {
        tag: "notification",
        attrs: { from: Jid.pn(account.phone), type: "encrypt", id: wa.newId(), t: String(unixNow()) },
        content: [{ tag: "identity", attrs: {} }],
      });
    }
  }
}

function fetchBundles(wa: FakeWhatsApp, node: Node): NodeInput {
  const users: NodeInput[] = [];
  const low: { account: Account; device: ServerDevice }[] = [];
  for (const user of getChildren(getChild(node, "key")!, "user")) {
    const jid = parseJidAttr(user.attrs.jid);
    const found = jid && (jid.isPn() || jid.isLid()) ? wa.accounts.device(jid) : undefined;
    if (!jid || !found) {
      users.push({
        tag: "user",
        attrs: { jid: jid ?? user.attrs.jid },
        content: [{ tag: "error", attrs: { code: "404", text: "item-not-found" } }],
      });
      continue;
    }
    const { device } = found;
    const content = identityNodes(device);
    const next = device.preKeys.entries().next();
    if (!next.done) {
      const [keyId, publicKey] = next.value;
      device.preKeys.delete(keyId);
      content.push({
        tag: "key",
        attrs: {},
        content: [
          { tag: "id", attrs: {}, content: uintBytes(keyId, 3) },
          { tag: "value", attrs: {}, content: publicKey },
        ],
      });
      if (device.preKeys.size < LOW_PREKEY_COUNT) low.push(found);
    }
    users.push({ tag: "user", attrs: { jid }, content });
  }
  for (const { account, device } of low) {
    const conn = wa.connectionOf(devicePn(account, device.id));
    conn?.send({
      tag: "notification",
      attrs: { from: Jid.server("s.whatsapp.net"), type: "encrypt", id: wa.newId(), t: String(unixNow()) },
      content: [{ tag: "count", attrs: { value: String(device.preKeys.size) } }],
    });
  }
  return iqResult(node, [{ tag: "list", attrs: {}, content: users }]);
}
