/**
 * App state sync end to end: a bot syncs a 10,000-record collection from FakeWhatsApp on loopback (the sync
 * IQ, the snapshot's `md-app-state` blob over HTTPS from the media server, media decryption, full
 * verification, 10,000 MAC rows into the store, 20,000 events), against the baseline of decoding and
 * verifying the same snapshot in memory (`decodeSnapshot`, the pure part that bench/app_state.bench.ts
 * compares with Baileys and with decryption alone).
 *
 * Run: deno bench --allow-read --allow-write --allow-env --allow-net=127.0.0.1 --allow-sys bench/app_state_sync.bench.ts
 */

import { buildChatAction, decodeSnapshot, encodeSnapshot } from "../src/features/app_state/mod.ts";
import { appStateServer, FakeWhatsApp } from "../src/testing/mod.ts";
import { pairedClient } from "./_paired_client.ts";

const RECORDS = 10_000;
const COLLECTION = "regular_high";

const wa = await FakeWhatsApp.start();
const phone = wa.phone("15559980000");
const bot = await pairedClient(wa, phone, { caCerts: [wa.mediaCaCert] });
const keysArrived = bot.waitFor("appStateSyncComplete");
const primary = await phone.client();
await keysArrived;

// The phone's key signs a 10,000-record snapshot the server then holds as the collection's state.
const keyId = (await primary.store.getLatestSyncKeyId())!;
const { keyData } = (await primary.store.getSyncKey(keyId))!;
const records = Array.from({ length: RECORDS }, (_, i) => {
  const chat = `1555${String(i).padStart(7, "0")}@s.whatsapp.net`;
  return i % 2 === 0
    ? buildChatAction({ kind: "mute", chat, muted: true, muteEndTimestampMs: -1 })
    : buildChatAction({
      kind: "star",
      chat,
      messageId: `3EB0${i.toString(16).padStart(16, "0")}`,
      fromMe: true,
      starred: true,
    });
});
const encoded = encodeSnapshot({ collection: COLLECTION, version: 4242, keyId, keyData, records });
appStateServer(wa).load(phone.account, COLLECTION, encoded.snapshot);
const getKey = () => ({ keyData });

Deno.bench(
  "decodeSnapshot alone, 10,000 records in memory",
  { group: "10k snapshot", baseline: true },
  async () => {
    await decodeSnapshot(encoded.bytes, { collection: COLLECTION, getKey });
  },
);
Deno.bench("bot full sync through FakeWhatsApp, 10,000 records stored and emitted", {
  group: "10k snapshot",
}, async () => {
  const [result] = await bot.chats.syncAppState({ collections: [COLLECTION], fullSync: true });
  if (result.version !== 4242 || result.error !== undefined) throw new Error("the sync did not complete");
});

globalThis.addEventListener("unload", () => {
  void Promise.allSettled([bot.disconnect(), wa.stop()]);
});
