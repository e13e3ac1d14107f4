/**
 * FakeWhatsApp's answers to client IQs: keepalive pings (`w:p`), `passive`, prekeys (`encrypt`: count,
 * upload, key-bundle digest), device removal and pair-code stages (`md`). Anything else gets a 501.
 *
 * @module
 */

import { childBytes, getChild, getChildren, type Node, type NodeInput } from "../binary/mod.ts";
import { sha256 } from "../crypto/mod.ts";
import type { ServerDevice } from "./accounts.ts";
import { type FakeWhatsApp, iqError, iqResult } from "./fake_whatsapp.ts";
import type { ServerConnection } from "./server_connection.ts";

function readUint(bytes: Uint8Array | undefined): number {
  let n = 0;
  for (const b of bytes ?? []) n = n * 256 + b;
  return n;
}

function uintBytes(n: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = size - 1; i >= 0; i--, n = Math.floor(n / 256)) out[i] = n & 0xff;
  return out;
}

/** The logged-in device of a connection, if any. */
function loggedInDevice(wa: FakeWhatsApp, conn: ServerConnection): ServerDevice | undefined {
  return conn.device ? wa.accounts.device(conn.device)?.device : undefined;
}

/** Routes one client IQ to its handler and sends the answer. */
export async function handleServerIq(wa: FakeWhatsApp, conn: ServerConnection, node: Node): Promise<void> {
  const xmlns = node.attrs.xmlns;
  const reply = async (n: NodeInput) => void await conn.send(n);
  switch (xmlns) {
    case "w:p":
      if (!wa.faults.ignorePings) await reply(iqResult(node));
      return;
    case "passive":
      return await reply(iqResult(node));
    case "encrypt":
      return await reply(encryptIq(wa, conn, node));
    case "md":
      return await reply(await wa.pairing.handleMdIq(conn, node));
  }
  wa.log.child("FakeWA/IQ").debug(`no handler for IQ xmlns=${xmlns}`);
  await reply(iqError(node, 501, "feature-not-implemented"));
}

function encryptIq(wa: FakeWhatsApp, conn: ServerConnection, node: Node): NodeInput {
  const device = loggedInDevice(wa, conn);
  if (!device) return iqError(node, 401, "not-authorized");
  if (node.attrs.type === "get" && getChild(node, "count")) {
    return iqResult(node, [{ tag: "count", attrs: { value: String(device.preKeys.size) } }]);
  }
  if (node.attrs.type === "get" && getChild(node, "digest")) {
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
        {
          tag: "list",
          attrs: {},
          content: ids.map((id) => ({ tag: "id", attrs: {}, content: uintBytes(id, 3) })),
        },
        { tag: "hash", attrs: {}, content: sha256(total).subarray(0, 20) },
      ],
    }]);
  }
  if (node.attrs.type === "set" && getChild(node, "list")) {
    const identity = childBytes(node, "identity");
    const registration = childBytes(node, "registration");
    const skey = getChild(node, "skey");
    if (!identity || identity.length !== 32 || !registration || !skey) {
      return iqError(node, 400, "bad-request");
    }
    device.identityKey = identity.slice();
    device.registrationId = readUint(registration);
    device.signedPreKey = {
      keyId: readUint(childBytes(skey, "id")),
      publicKey: childBytes(skey, "value")!.slice(),
      signature: childBytes(skey, "signature")!.slice(),
    };
    for (const key of getChildren(getChild(node, "list")!, "key")) {
      const id = readUint(childBytes(key, "id"));
      const value = childBytes(key, "value");
      if (value?.length === 32) device.preKeys.set(id, value.slice());
    }
    return iqResult(node);
  }
  return iqError(node, 501, "feature-not-implemented");
}
