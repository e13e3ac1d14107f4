/**
 * Prekey bundles: fetching other devices' bundles (`iq xmlns=encrypt type=get <key><user jid/>...`) and
 * reading a bundle from its node shape (also used by retry receipts that carry `<keys>`). Shapes from
 * whatsmeow prekeys.go (fetchPreKeys, nodeToPreKeyBundle).
 *
 * @module
 */

import {
  attrJid,
  childBytes,
  getChild,
  getChildren,
  type Jid,
  type Node,
  readUint,
} from "../../binary/mod.ts";
import type { PreKeyBundle } from "../../signal/mod.ts";
import type { ClientCore } from "../core.ts";

/** A bundle node was malformed or the server refused the device. */
export class BundleError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "BundleError";
  }
}

/**
 * Reads a bundle from a node holding `<registration>`, `<identity>`, `<skey>` and optionally `<key>`,
 * either directly or inside `<keys>` (retry receipts put registration outside and the keys inside).
 */
export function parsePreKeyBundle(node: Node, deviceId: number): PreKeyBundle {
  const error = getChild(node, "error");
  if (error) {
    throw new BundleError(
      `server refused the bundle: ${error.attrs.code ?? "?"} ${error.attrs.text ?? ""}`.trim(),
    );
  }
  const registration = childBytes(node, "registration");
  if (!registration || registration.length !== 4) {
    throw new BundleError("bundle lacks a 4-byte registration id");
  }
  const keys = getChild(node, "keys") ?? node;
  const identity = childBytes(keys, "identity");
  if (!identity || identity.length !== 32) throw new BundleError("bundle lacks a 32-byte identity key");
  const skey = getChild(keys, "skey");
  const skeyId = skey && childBytes(skey, "id");
  const skeyValue = skey && childBytes(skey, "value");
  const skeySig = skey && childBytes(skey, "signature");
  if (!skeyId || !skeyValue || skeyValue.length !== 32 || !skeySig || skeySig.length !== 64) {
    throw new BundleError("bundle lacks a well-formed signed prekey");
  }
  const key = getChild(keys, "key");
  const keyId = key && childBytes(key, "id");
  const keyValue = key && childBytes(key, "value");
  return {
    registrationId: readUint(registration),
    deviceId,
    identityKey: identity.slice(),
    signedPreKey: { keyId: readUint(skeyId), publicKey: skeyValue.slice(), signature: skeySig.slice() },
    preKey: keyId && keyValue?.length === 32
      ? { keyId: readUint(keyId), publicKey: keyValue.slice() }
      : undefined,
  };
}

/** Fetches bundles for devices; a device the server refused maps to a `BundleError`. */
export async function fetchPreKeyBundles(
  core: ClientCore,
  devices: readonly Jid[],
): Promise<Map<string, PreKeyBundle | BundleError>> {
  const out = new Map<string, PreKeyBundle | BundleError>();
  if (!devices.length) return out;
  const res = await core.query({
    namespace: "encrypt",
    type: "get",
    content: [{
      tag: "key",
      attrs: {},
      content: devices.map((jid) => ({ tag: "user", attrs: { jid, reason: "identity" } })),
    }],
  });
  const list = getChild(res, "list");
  for (const user of list ? getChildren(list, "user") : []) {
    let jid: Jid;
    try {
      jid = attrJid(user, "jid");
    } catch {
      continue;
    }
    try {
      out.set(jid.toString(), parsePreKeyBundle(user, jid.device));
    } catch (e) {
      out.set(jid.toString(), e instanceof BundleError ? e : new BundleError(String(e)));
    }
  }
  for (const d of devices) {
    if (!out.has(d.toString())) {
      out.set(d.toString(), new BundleError(`the server returned no bundle for ${d}`));
    }
  }
  return out;
}
