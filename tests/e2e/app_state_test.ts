/**
 * App state sync end to end against FakeWhatsApp: the virtual phone (a real wadeno Client as device 0)
 * shares its sync keys after pairing, both ends perform chat actions through `client.chats`, and the
 * server only stores and hands out encrypted patches and snapshots (reference/protocol-facts-features.md
 * 2.1-2.5). Covers: the phone archives and the bot sees it; the bot pins and the phone sees it; a 409 on
 * a stale version; a tampered patch refused with the state unchanged; a one-off corruption healed from a
 * snapshot; an offline bot catching up from a snapshot; key requests as peer messages.
 */

import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { getChild, getChildByPath, getChildren } from "../../src/binary/mod.ts";
import type { Client } from "../../src/client/client.ts";
import { AppStateError } from "../../src/features/app_state/errors.ts";
import { buildChatAction, encodeSnapshot } from "../../src/features/app_state/mod.ts";
import { InputError } from "../../src/features/errors.ts";
import { SqliteStore } from "../../src/store/mod.ts";
import { appStateServer, type FakeWhatsApp, type VirtualPhone } from "../../src/testing/mod.ts";
import { deadline, newClient, pairByQr, startServer } from "./helpers.ts";
import { Collected } from "./people_helpers.ts";

const CHAT = "15557800001@s.whatsapp.net";

interface Env {
  wa: FakeWhatsApp;
  phone: VirtualPhone;
  primary: Client;
  bot: Client;
  [Symbol.asyncDispose](): Promise<void>;
}

/** A bot paired with a phone whose client runs, once the bot holds the phone's keys. */
async function pairedWithKeys(number: string): Promise<Env> {
  const wa = await startServer();
  const phone = wa.phone(number);
  const bot = await newClient(wa, { pushName: "Bot" });
  const synced = new Collected(bot, "appStateSyncComplete");
  await pairByQr(bot, phone);
  const primary = await phone.client();
  await synced.next((e) => e.collection === "regular_low");
  return {
    wa,
    phone,
    primary,
    bot,
    async [Symbol.asyncDispose]() {
      await bot.disconnect();
      await wa.stop();
    },
  };
}

Deno.test("the phone archives a chat and the bot sees it; the bot pins one and the phone sees it", async () => {
  await using env = await pairedWithKeys("15557800100");
  const { bot, primary } = env;
  const archived = new Collected(bot, "archiveUpdate");
  await primary.chats.archive(CHAT);
  const a = await archived.next();
  assertEquals([a.jid.toString(), a.action.archived, a.fromFullSync], [CHAT, true, false]);

  const pinned = new Collected(primary, "pinUpdate");
  await bot.chats.pin(CHAT);
  const p = await pinned.next((e) => e.action.pinned);
  assertEquals([p.jid.toString(), p.fromFullSync], [CHAT, false]);
});

Deno.test("a stale version is refused with 409: the bot fetches what it missed and sends again", async () => {
  await using env = await pairedWithKeys("15557800200");
  const { wa, bot, primary } = env;
  const dropped = wa.faults.dropNextDelivery({ tag: "notification", type: "server_sync", device: bot.jid! });
  const phonePins = new Collected(primary, "pinUpdate");
  await primary.chats.pin(CHAT);
  await dropped.dropped;
  const server = appStateServer(wa).collection(env.phone.account, "regular_low");
  assertEquals(server.version, 1);
  assertEquals((await bot.store.getAppStateVersion("regular_low")).version, 0);

  const pushes: string[] = [];
  const off = wa.onStanza((node, device) => {
    const collection = getChildByPath(node, "sync", "collection");
    if (device?.equals(bot.jid) && collection && getChild(collection, "patch")) pushes.push(node.attrs.id);
  });
  const botPins = new Collected(bot, "pinUpdate");
  await bot.chats.unpin(CHAT);
  off();
  assertEquals(pushes.length, 2, "the first push was refused as stale, the second accepted");
  // The bot learned the phone's pin while catching up, then its own unpin.
  assertEquals(botPins.all.map((e) => e.action.pinned), [true, false]);
  assertEquals((await bot.store.getAppStateVersion("regular_low")).version, 2);
  assertEquals(server.version, 2);
  await phonePins.next((e) => !e.action.pinned);
});

Deno.test("a tampered stored patch is refused, its snapshot too, and the bot's state stays as it was", async () => {
  await using env = await pairedWithKeys("15557800300");
  const { wa, bot, primary, phone } = env;
  const archived = new Collected(bot, "archiveUpdate");
  await primary.chats.archive(CHAT);
  await archived.next();
  const before = await bot.store.getAppStateVersion("regular_low");

  await bot.disconnect();
  await wa.waitForOffline(bot.jid!, { signal: deadline() });
  await primary.chats.unarchive(CHAT);
  assert(appStateServer(wa).tamperStoredRecord(phone.account, "regular_low"));
  const errors = new Collected(bot, "appStateSyncError");
  await bot.connect({ signal: deadline() });
  const failure = await errors.next((e) => e.collection === "regular_low");
  assert(failure.error instanceof AppStateError);
  assertEquals((failure.error as AppStateError).code, "bad_value_mac");
  assert(appStateServer(wa).collection(phone.account, "regular_low").snapshotBlob, "a snapshot was tried");
  const after = await bot.store.getAppStateVersion("regular_low");
  assertEquals(after, before);
  assertEquals(archived.all.length, 1, "nothing from the tampered patch was applied");
});

Deno.test("a patch corrupted in transit is refused and the collection heals from a snapshot", async () => {
  await using env = await pairedWithKeys("15557800400");
  const { wa, bot, primary, phone } = env;
  const muted = new Collected(bot, "muteUpdate");
  const errors = new Collected(bot, "appStateSyncError");
  appStateServer(wa).alterNextPatch(phone.account, "regular_high", "corrupt");
  await primary.chats.mute(CHAT, { until: Date.now() + 3_600_000 });
  const m = await muted.next();
  assertEquals([m.jid.toString(), m.action.muted, m.fromFullSync], [CHAT, true, true]);
  assert((m.action.muteEndTimestampMs ?? 0) > Date.now());
  const server = appStateServer(wa).collection(phone.account, "regular_high");
  const stored = await bot.store.getAppStateVersion("regular_high");
  assertEquals(stored.version, server.version);
  assertEquals(errors.all.length, 0, "the snapshot retry succeeded: no sync error");
});

Deno.test("a bot that was offline catches up from a snapshot once the patches are compacted", async () => {
  await using env = await pairedWithKeys("15557800500");
  const { wa, bot, primary, phone } = env;
  await bot.disconnect();
  await wa.waitForOffline(bot.jid!, { signal: deadline() });
  const chats = ["15557800501@s.whatsapp.net", "15557800502@s.whatsapp.net", "15557800503@s.whatsapp.net"];
  for (const chat of chats) await primary.chats.archive(chat);
  await primary.chats.unarchive(chats[1]);
  appStateServer(wa).compact(phone.account);

  const archived = new Collected(bot, "archiveUpdate");
  const complete = new Collected(bot, "appStateSyncComplete");
  await bot.connect({ signal: deadline() });
  await complete.next((e) => e.collection === "regular_low" && e.version === 4);
  const byChat = new Map(archived.all.map((e) => [e.jid.toString(), e]));
  assertEquals([...byChat.keys()].sort(), chats);
  assertEquals(chats.map((c) => byChat.get(c)!.action.archived), [true, false, true]);
  assert(archived.all.every((e) => e.fromFullSync));
  assertEquals(archived.all.length, 3, "a snapshot holds each chat's latest state once");
});

Deno.test("a key the bot lacks is asked for with a peer message to the phone, which answers it", async () => {
  await using env = await pairedWithKeys("15557800600");
  const { wa, bot, primary } = env;
  // The phone starts using a new key without sharing it.
  const { generateSyncKey } = await import("../../src/features/app_state/key_share.ts");
  const fresh = generateSyncKey({ nowMs: Date.now() + 1_000 });
  await primary.store.setSyncKey(fresh.keyId, fresh);
  const request = wa.waitForStanza(
    (n, device) => n.tag === "message" && n.attrs.category === "peer" && device?.equals(bot.jid) === true,
    { signal: deadline() },
  );
  const starred = new Collected(bot, "starUpdate");
  await primary.chats.star(CHAT, "3EB0AA", { fromMe: false });
  const peer = await request;
  assertEquals(peer.attrs.to, env.phone.jid.toNonAd().toString());
  assertEquals([peer.attrs.push_priority, peer.attrs.type], ["high_force", "text"]);
  assertEquals(getChild(peer, "participants"), undefined, "one device, no fan-out");
  assertEquals(getChildren(peer, "enc").length, 1);
  assertEquals(getChild(peer, "meta")?.attrs.appdata, "default");
  const s = await starred.next();
  assertEquals([s.messageId, s.fromMe, s.action.starred], ["3EB0AA", false, true]);
  assertEquals((await bot.store.getSyncKey(fresh.keyId))?.keyData, fresh.keyData);
});

Deno.test("before the phone shared a key an action is refused with missing_key", async () => {
  await using wa = await startServer();
  const bot = await newClient(wa);
  try {
    await pairByQr(bot, wa.phone("15557800700"));
    const error = await assertRejects(() => bot.chats.pin(CHAT), AppStateError);
    assertEquals(error.code, "missing_key");
  } finally {
    await bot.disconnect();
  }
});

Deno.test("every chat action the bot takes reaches the phone as its typed event", async () => {
  await using env = await pairedWithKeys("15557800800");
  const { bot, primary } = env;
  const group = "120363000000000001@g.us";
  const alice = "15557800801@s.whatsapp.net";
  const seen = new Collected(primary, "appStateAction");
  const at = <K extends Parameters<Client["on"]>[0]>(name: K) => new Collected(primary, name);
  const mutes = at("muteUpdate");
  const stars = at("starUpdate");
  const reads = at("markChatAsReadUpdate");
  const deletes = at("deleteChatUpdate");
  const clears = at("clearChatUpdate");
  const forMe = at("deleteMessageForMeUpdate");
  const contacts = at("contactUpdate");
  const labels = at("labelEditUpdate");
  const labelled = at("labelAssociationUpdate");
  const pushNames = at("pushNameSettingUpdate");

  await bot.chats.mute(CHAT);
  await bot.chats.unmute(CHAT);
  await bot.chats.star(group, "3EB0BB", { fromMe: false, participant: alice });
  await bot.chats.markChatUnread(CHAT);
  await bot.chats.deleteChat(CHAT, { deleteMedia: true });
  await bot.chats.clearChat(group, { deleteStarred: true });
  await bot.chats.deleteMessageForMe(CHAT, "3EB0CC", { fromMe: true, messageTimestamp: 1_700_000_000 });
  await bot.chats.saveContact(alice, { fullName: "Alice Liddell", firstName: "Alice" });
  await bot.chats.removeContact(alice);
  await bot.chats.editLabel("7", { name: "Leads", color: 3 });
  await bot.chats.labelChat("7", CHAT);
  await bot.chats.labelMessage("7", CHAT, "3EB0DD", false);
  await bot.profile.setPushName("Helpdesk");

  const mute = await mutes.next((e) => e.action.muted);
  assertEquals(mute.action.muteEndTimestampMs, -1, "muted until unmuted");
  await mutes.next((e) => !e.action.muted);
  const star = await stars.next();
  assertEquals([star.chatJid.toString(), star.participantJid?.toString(), star.fromMe], [
    group,
    alice,
    false,
  ]);
  assertEquals((await reads.next()).action.read, false);
  assertEquals((await deletes.next()).action.deleteMedia, true);
  const clear = await clears.next();
  assertEquals([clear.action.deleteStarred, clear.action.deleteMedia], [true, false]);
  const del = await forMe.next();
  assertEquals([del.messageId, del.fromMe, del.action.messageTimestamp], ["3EB0CC", true, 1_700_000_000]);
  const saved = await contacts.next((e) => e.action.kind === "contact");
  assertEquals(saved.action.kind === "contact" && saved.action.fullName, "Alice Liddell");
  await contacts.next((e) => e.action.kind === "remove_contact");
  const label = await labels.next();
  assertEquals([label.labelId, label.action.name, label.action.color], ["7", "Leads", 3]);
  const onChat = await labelled.next((e) => e.messageId === undefined);
  assertEquals([onChat.jid.toString(), onChat.labeled], [CHAT, true]);
  const onMessage = await labelled.next((e) => e.messageId === "3EB0DD");
  assertEquals(onMessage.labeled, false);
  assertEquals((await pushNames.next()).name, "Helpdesk");
  assertEquals(primary.device.pushName, "Helpdesk", "the phone adopts the push name our devices share");
  assert(seen.all.every((e) => !e.fromFullSync));
  assertEquals(seen.all.filter((e) => e.action.kind === "unknown").length, 0);
});

Deno.test("chat actions refuse bad input before anything is sent", async () => {
  await using env = await pairedWithKeys("15557800900");
  const { bot } = env;
  await assertRejects(() => bot.chats.mute(CHAT, { until: Date.now() - 1 }), InputError);
  await assertRejects(() => bot.chats.mute(CHAT, { until: 0 }), InputError);
  await assertRejects(
    () => bot.chats.star("120363000000000001@g.us", "3EB0EE", { fromMe: false }),
    InputError,
  );
  await assertRejects(() => bot.chats.pin("15557800901"), InputError);
  await assertRejects(() => bot.chats.labelChat("", CHAT), InputError);
  assertEquals((await bot.store.getAppStateVersion("regular_low")).version, 0);
  assertEquals((await bot.store.getAppStateVersion("regular_high")).version, 0);
});

Deno.test("a patch whose mutations are in an external blob is downloaded, decrypted and applied", async () => {
  await using env = await pairedWithKeys("15557801000");
  const { wa, bot, primary, phone } = env;
  appStateServer(wa).alterNextPatch(phone.account, "regular_low", "external");
  const uploadsBefore = wa.media.stats.blobs;
  const archived = new Collected(bot, "archiveUpdate");
  const pinned = new Collected(bot, "pinUpdate");
  await primary.chats.archive(CHAT);
  const a = await archived.next();
  assertEquals([a.action.archived, a.fromFullSync], [true, false]);
  assertEquals((await pinned.next()).action.pinned, false, "archiving unpins, in the same patch");
  assertEquals(wa.media.stats.blobs, uploadsBefore + 1, "the mutations went through the media server");
});

Deno.test("a 2,000-record collection loaded on the server reaches the bot as one snapshot", async () => {
  await using env = await pairedWithKeys("15557801100");
  const { wa, bot, primary, phone } = env;
  const keyId = (await primary.store.getLatestSyncKeyId())!;
  const { keyData } = (await primary.store.getSyncKey(keyId))!;
  const records = Array.from(
    { length: 2_000 },
    (_, i) =>
      buildChatAction({
        kind: "mute",
        chat: `1555${String(i).padStart(7, "0")}@s.whatsapp.net`,
        muted: true,
      }),
  );
  const { snapshot } = encodeSnapshot({ collection: "regular_high", version: 77, keyId, keyData, records });
  appStateServer(wa).load(phone.account, "regular_high", snapshot);
  const mutes = new Collected(bot, "muteUpdate");
  const [result] = await bot.chats.syncAppState({ collections: ["regular_high"], fullSync: true });
  assertEquals([result.version, result.fromFullSync, result.error], [77, true, undefined]);
  assertEquals(mutes.all.length, 2_000);
  assert(mutes.all.every((e) => e.fromFullSync && e.action.muted));
});

Deno.test("with SQLite the synced state survives a restart: the next patch applies on top of the stored MACs", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using wa = await startServer();
    const phone = wa.phone("15557801200");
    const path = `${dir}/bot.db`;
    const primary = await phone.client();
    {
      const store = await SqliteStore.open(path);
      const bot = await newClient(wa, { store });
      const synced = new Collected(bot, "appStateSyncComplete");
      await pairByQr(bot, phone);
      await synced.next((e) => e.collection === "regular_high");
      const keyId = (await primary.store.getLatestSyncKeyId())!;
      const { keyData } = (await primary.store.getSyncKey(keyId))!;
      const records = Array.from(
        { length: 500 },
        (_, i) =>
          buildChatAction({
            kind: "mute",
            chat: `1555${String(i).padStart(7, "0")}@s.whatsapp.net`,
            muted: true,
          }),
      );
      const { snapshot } = encodeSnapshot({
        collection: "regular_high",
        version: 30,
        keyId,
        keyData,
        records,
      });
      appStateServer(wa).load(phone.account, "regular_high", snapshot);
      const [result] = await bot.chats.syncAppState({ collections: ["regular_high"], fullSync: true });
      assertEquals(result.version, 30);
      await bot.disconnect();
      await store.close();
    }
    const store = await SqliteStore.open(path);
    try {
      const bot = await newClient(wa, { store });
      assertEquals((await store.getAppStateVersion("regular_high")).version, 30);
      const unmuted = new Collected(bot, "muteUpdate");
      await bot.connect({ signal: deadline() });
      // The phone unmutes chat #7: a patch that replaces a record the bot only knows from its stored MACs.
      await primary.chats.unmute("15550000007@s.whatsapp.net");
      const e = await unmuted.next((x) => !x.action.muted);
      assertEquals([e.jid.toString(), e.fromFullSync], ["15550000007@s.whatsapp.net", false]);
      assertEquals((await store.getAppStateVersion("regular_high")).version, 31);
      await bot.disconnect();
    } finally {
      await store.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a phone that is on shares its keys at pairing; every linked device then sees the others' actions", async () => {
  await using wa = await startServer();
  const phone = wa.phone("15557801300");
  await phone.client();
  const bot = await newClient(wa);
  try {
    const synced = new Collected(bot, "appStateSyncComplete");
    await pairByQr(bot, phone);
    await synced.next((e) => e.collection === "regular_low");
    const laptop = await phone.addCompanion();
    const laptopSynced = new Collected(laptop, "appStateSyncComplete");
    await laptopSynced.next((e) => e.collection === "regular_low");
    const archived = new Collected(laptop, "archiveUpdate");
    await bot.chats.archive(CHAT);
    const a = await archived.next();
    assertEquals([a.jid.toString(), a.action.archived, a.fromFullSync], [CHAT, true, false]);
  } finally {
    await bot.disconnect();
  }
});
