/**
 * Virtual devices that are real clients: a virtual phone's primary device (device 0) and any extra
 * linked devices of its account run wadeno's own {@linkcode Client} with a `MemoryStore`, connected over
 * a loopback WebSocket to the FakeWhatsApp they belong to, so they send and receive with real Signal
 * encryption through the same routing as any other client.
 *
 * Device 0's identity key is the account identity (what companions see as the primary's identity); its
 * signed device identity is self-consistent: key index 0, `accountSignatureKey` = its own identity, and
 * the account and device signatures made with that key over the ADV prefixes of pair_crypto.ts. An extra
 * companion gets a fresh identity and a device identity signed by the account key through the same
 * functions real pairing uses (`signCompanion`, `verifyAndSignPairing`, `verifyDeviceSignature`).
 *
 * @module
 */

import { Jid } from "../binary/mod.ts";
import { Client } from "../client/client.ts";
import { signCompanion, verifyAndSignPairing, verifyDeviceSignature } from "../client/pair_crypto.ts";
import { createLogger, type Logger, silentLogger } from "../logger.ts";
import { createDevice, type Device, MemoryStore } from "../store/mod.ts";
import type { Account, ServerDevice } from "./accounts.ts";
import type { FakeWhatsApp } from "./fake_whatsapp.ts";
import { serverRecord } from "./primary_device.ts";

export { primaryDeviceIdentity } from "./primary_device.ts";

/** How long a virtual device may take to connect and log in. */
export const VIRTUAL_CONNECT_TIMEOUT_MS = 30_000;

/** The logger virtual clients use by default: silent unless `WADENO_LOG` is set (and readable). */
export function virtualClientLogger(): Logger {
  try {
    const state = Deno.permissions.querySync({ name: "env", variable: "WADENO_LOG" }).state;
    const spec = state === "granted" ? Deno.env.get("WADENO_LOG") : undefined;
    return spec ? createLogger({ filter: spec }).child("VirtualClient") : silentLogger;
  } catch {
    return silentLogger;
  }
}

/** What a paired device's store holds besides the device: the primary's identity and the LID mapping. */
async function seedStore(store: MemoryStore, account: Account, device: Device): Promise<void> {
  await store.saveDevice(device);
  for (const jid of [Jid.pn(account.phone), Jid.lid(account.lid)]) {
    await store.saveIdentity(jid.toSignalAddress(), account.identity.publicKey.slice());
  }
  const now = Math.floor(Date.now() / 1000);
  await store.putLidMapping({
    lid: account.lid,
    phoneNumber: account.phone,
    createdAt: now,
    updatedAt: now,
    learningSource: "pairing",
  });
  await store.flush();
}

async function startClient(wa: FakeWhatsApp, store: MemoryStore, pushName: string): Promise<Client> {
  const client = await Client.create({
    store,
    url: wa.url,
    trustedRoot: wa.rootPublicKey,
    caCerts: [wa.mediaCaCert],
    logger: wa.clientLogger,
    pushName,
    // Reconnect within milliseconds after a fault dropped the socket, like the test clients do.
    timings: { backoffMs: (attempt) => Math.min(50 * attempt, 1000) },
  });
  try {
    await client.connect({ signal: AbortSignal.timeout(VIRTUAL_CONNECT_TIMEOUT_MS) });
  } catch (e) {
    await client.disconnect();
    throw e;
  }
  return client;
}

/**
 * Creates the account's device 0 (identity = the account identity), registers it with the server and
 * starts its client; resolves once it is logged in (its login uploaded its prekeys). `seed` adds to its
 * store before the client starts (the phone's app state keys).
 */
export async function startPrimaryDevice(
  wa: FakeWhatsApp,
  account: Account,
  seed?: (store: MemoryStore) => Promise<void>,
): Promise<Client> {
  const { device, preKeys } = account.primary;
  device.pushName = account.pushName;
  if (!account.devices.has(0)) {
    // A test removed device 0 to simulate a phone that was never registered: register it again.
    const record: ServerDevice = { id: 0, ...serverRecord(device, 0, "android") };
    for (const k of preKeys) record.preKeys.set(k.keyId, k.publicKey.slice());
    account.devices.set(0, record);
    account.deviceListTs = Math.floor(Date.now() / 1000);
  }
  const store = new MemoryStore();
  await store.storePreKeys(preKeys);
  if (seed) await seed(store);
  await seedStore(store, account, device);
  return await startClient(wa, store, account.pushName);
}

/**
 * Links an extra companion to the account (next device id, fresh identity, a device identity signed by
 * the account key and countersigned by the companion), registers it and starts its client.
 */
export async function startCompanionDevice(wa: FakeWhatsApp, account: Account): Promise<Client> {
  const device = createDevice();
  const keyIndex = account.nextKeyIndex++;
  const container = signCompanion({
    primaryIdentity: account.identity,
    companionIdentityKey: device.identityKey.publicKey,
    advSecret: device.advSecretKey,
    keyIndex,
  });
  const verified = verifyAndSignPairing(container, device.advSecretKey, device.identityKey);
  verifyDeviceSignature(verified.selfSigned, device.identityKey.publicKey, account.identity.publicKey);
  const registered = wa.registerDevice(account, serverRecord(device, keyIndex, "virtual"));
  device.pn = Jid.pn(account.phone, registered.id);
  device.lid = Jid.lid(account.lid, registered.id);
  device.account = verified.account;
  device.platform = "android";
  device.pushName = account.pushName;
  const store = new MemoryStore();
  await seedStore(store, account, device);
  return await startClient(wa, store, account.pushName);
}
