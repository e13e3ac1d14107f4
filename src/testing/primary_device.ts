/**
 * Every FakeWhatsApp account has its phone, device 0, from the moment the account exists, as on the real
 * service: a registered device with an identity (the account identity), a signed prekey and one-time
 * prekeys that others can fetch and message, whether or not a test ever starts the phone's client. The
 * private half is kept here, so that when `VirtualPhone.client()` starts device 0 it decrypts whatever was
 * sent to it before.
 *
 * @module
 */

import { Jid } from "../binary/mod.ts";
import { ADV_ACCOUNT_SIGNATURE_PREFIX, ADV_DEVICE_SIGNATURE_PREFIX } from "../client/pair_crypto.ts";
import { concatBytes, type KeyPair, xeddsaSign } from "../crypto/mod.ts";
import { ADVDeviceIdentity, ADVEncryptionType, type ADVSignedDeviceIdentity } from "../proto/mod.ts";
import { generatePreKeys, generateSignedPreKey, type PreKeyRecord } from "../signal/mod.ts";
import { createDevice, type Device } from "../store/mod.ts";
import type { ServerDevice } from "./accounts.ts";

/** One-time prekeys device 0 holds on the server before its client ever ran. */
export const PRIMARY_PREKEY_COUNT = 10;

/** Device 0's private state, kept until its client starts. */
export interface PrimaryKeys {
  /** The device (keys, JIDs, signed identity). */
  device: Device;
  /** Its one-time prekeys (the server holds their public halves). */
  preKeys: PreKeyRecord[];
}

/** The self-signed device identity of a primary device (key index 0, signed by its own identity). */
export function primaryDeviceIdentity(
  identity: KeyPair,
  timestamp: number = Math.floor(Date.now() / 1000),
): ADVSignedDeviceIdentity {
  const details = ADVDeviceIdentity.encode({
    rawId: 1,
    timestamp: BigInt(timestamp),
    keyIndex: 0,
    accountType: ADVEncryptionType.E2EE,
    deviceType: ADVEncryptionType.E2EE,
  });
  const pub = identity.publicKey;
  return {
    details,
    accountSignatureKey: pub.slice(),
    accountSignature: xeddsaSign(
      identity.privateKey,
      concatBytes(ADV_ACCOUNT_SIGNATURE_PREFIX, details, pub),
    ),
    deviceSignature: xeddsaSign(
      identity.privateKey,
      concatBytes(ADV_DEVICE_SIGNATURE_PREFIX, details, pub, pub),
    ),
  };
}

/** What the server keeps of a device's keys (copies, so later changes to the device do not leak in). */
export function serverRecord(device: Device, keyIndex: number, platform: string): Omit<ServerDevice, "id"> {
  return {
    noiseKey: device.noiseKey.publicKey.slice(),
    identityKey: device.identityKey.publicKey.slice(),
    registrationId: device.registrationId,
    signedPreKey: {
      keyId: device.signedPreKey.keyId,
      publicKey: device.signedPreKey.keyPair.publicKey.slice(),
      signature: device.signedPreKey.signature.slice(),
    },
    preKeys: new Map(),
    keyIndex,
    platform,
  };
}

/** Makes an account's device 0 and the server's record of it (with its one-time prekeys). */
export function makePrimary(
  phone: string,
  lid: string,
  identity: KeyPair,
  pushName: string,
): { keys: PrimaryKeys; record: ServerDevice } {
  const device = createDevice();
  device.identityKey = { publicKey: identity.publicKey.slice(), privateKey: identity.privateKey.slice() };
  const signed = generateSignedPreKey(device.identityKey, device.signedPreKey.keyId);
  device.signedPreKey = { keyId: signed.keyId, keyPair: signed.keyPair, signature: signed.signature };
  device.pn = Jid.pn(phone, 0);
  device.lid = Jid.lid(lid, 0);
  device.pushName = pushName;
  device.platform = "android";
  device.account = primaryDeviceIdentity(device.identityKey);
  const preKeys = generatePreKeys(device.nextPreKeyId, PRIMARY_PREKEY_COUNT);
  device.nextPreKeyId += PRIMARY_PREKEY_COUNT;
  const record: ServerDevice = { id: 0, ...serverRecord(device, 0, "android") };
  for (const k of preKeys) record.preKeys.set(k.keyId, k.publicKey.slice());
  return { keys: { device, preKeys }, record };
}
