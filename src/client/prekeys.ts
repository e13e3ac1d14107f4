/**
 * Prekey upkeep: ask the server how many one-time prekeys it holds and upload a fresh batch when it
 * has fewer than {@linkcode MIN_PREKEY_COUNT}. Keys are stored (durably) and the id counter advanced
 * before the upload, so an id is never reused even if the upload fails halfway.
 *
 * Stanzas from reference/protocol-facts.md ("Prekeys"): count is `iq xmlns=encrypt type=get <count/>`
 * answered by `<count value=N>`; upload is `iq xmlns=encrypt type=set` with `<registration>` (4 bytes),
 * `<type>` (0x05), `<identity>`, `<list>` of `<key><id/><value/></key>` (3-byte ids) and `<skey>`.
 *
 * @module
 */

import { getChild, type NodeInput, optAttrInt, uintBytes } from "../binary/mod.ts";
import { DJB_KEY_TYPE } from "../crypto/mod.ts";
import { generatePreKeys, type PreKeyRecord, SignedPreKeyRecord } from "../signal/mod.ts";
import type { Device } from "../store/mod.ts";
import type { ClientCore } from "./core.ts";

/** Below this many prekeys on the server, the client uploads more. */
export const MIN_PREKEY_COUNT = 5;
/** How many prekeys one upload carries (WA Web's UPLOAD_KEYS_COUNT). */
export const UPLOAD_PREKEY_COUNT = 812;

/** `<key><id/><value/></key>` (or `<skey>` with a signature) for one prekey. */
export function preKeyNode(keyId: number, publicKey: Uint8Array, signature?: Uint8Array): NodeInput {
  const content: NodeInput[] = [
    { tag: "id", attrs: {}, content: uintBytes(keyId, 3) },
    { tag: "value", attrs: {}, content: publicKey },
  ];
  if (signature) content.push({ tag: "signature", attrs: {}, content: signature });
  return { tag: signature ? "skey" : "key", attrs: {}, content };
}

/** The children of the upload IQ. */
export function preKeyUploadContent(device: Device, preKeys: readonly PreKeyRecord[]): NodeInput[] {
  return [
    { tag: "registration", attrs: {}, content: uintBytes(device.registrationId, 4) },
    { tag: "type", attrs: {}, content: new Uint8Array([DJB_KEY_TYPE]) },
    { tag: "identity", attrs: {}, content: device.identityKey.publicKey },
    { tag: "list", attrs: {}, content: preKeys.map((k) => preKeyNode(k.keyId, k.publicKey)) },
    preKeyNode(
      device.signedPreKey.keyId,
      device.signedPreKey.keyPair.publicKey,
      device.signedPreKey.signature,
    ),
  ];
}

/** Asks the server how many of our prekeys it holds. */
export async function getServerPreKeyCount(core: ClientCore): Promise<number> {
  const res = await core.query(
    { namespace: "encrypt", type: "get", content: [{ tag: "count", attrs: {} }] },
    { operation: "prekey count" },
  );
  const count = getChild(res, "count");
  const value = count ? optAttrInt(count, "value") : undefined;
  if (value === undefined) throw new Error("prekey count response has no <count value>");
  return value;
}

/**
 * Generates `count` new prekeys under ids no other caller can get, stores them and makes both durable.
 * The ids are reserved before the first `await` (the device's counter advances in the same step), so
 * overlapping callers (an upload and a retry receipt's fresh key) never hand out one id twice.
 */
export async function reservePreKeys(core: ClientCore, count: number): Promise<PreKeyRecord[]> {
  const preKeys = generatePreKeys(core.device.nextPreKeyId, count);
  const next = preKeys.length ? (preKeys[preKeys.length - 1].keyId % 0xffffff) + 1 : core.device.nextPreKeyId;
  // updateDevice applies the change synchronously, before it awaits the save.
  const saved = core.updateDevice((d) => {
    d.nextPreKeyId = next;
  });
  await core.store.storePreKeys(preKeys);
  await saved;
  await core.store.flush();
  return preKeys;
}

/** Generates, stores and uploads `count` new prekeys. */
export async function uploadPreKeys(core: ClientCore, count = UPLOAD_PREKEY_COUNT): Promise<void> {
  const preKeys = await reservePreKeys(core, count);
  await core.query(
    { namespace: "encrypt", type: "set", content: preKeyUploadContent(core.device, preKeys) },
    { operation: "prekey upload" },
  );
  core.log.child("Client/PreKeys").info(`uploaded ${preKeys.length} prekeys`, { first: preKeys[0]?.keyId });
}

/** Uploads a batch when the server holds fewer than {@linkcode MIN_PREKEY_COUNT}; returns the server count. */
export async function ensurePreKeys(core: ClientCore): Promise<number> {
  const count = await getServerPreKeyCount(core);
  if (count < MIN_PREKEY_COUNT) await uploadPreKeys(core);
  return count;
}

/** Makes sure the device's signed prekey is in the Signal store (incoming prekey messages need it). */
export async function ensureSignedPreKeyStored(core: ClientCore): Promise<void> {
  const spk = core.device.signedPreKey;
  if (await core.store.loadSignedPreKey(spk.keyId)) return;
  await core.store.storeSignedPreKey(
    new SignedPreKeyRecord(spk.keyId, spk.keyPair, spk.signature, Date.now()),
  );
}
