import { assert, assertEquals } from "../_assert.ts";
import { Jid } from "../../src/binary/mod.ts";
import { randomBytes } from "../../src/crypto/mod.ts";
import type { Client } from "../../src/client/client.ts";
import { clientInternals } from "../../src/client/client.ts";
import type { MessageEvent } from "../../src/features/message_info.ts";
import { SendError } from "../../src/features/errors.ts";
import {
  getEdit,
  getReaction,
  getReplyTo,
  getRevoke,
  messageKey,
  messageText,
  textMessage,
} from "../../src/features/message_builders.ts";
import { RecordStructure } from "../../src/proto/mod.ts";
import { SessionRecord } from "../../src/signal/mod.ts";
import { MemoryStore, SqliteStore } from "../../src/store/mod.ts";
import { deadline, newClient, pairByQr, Recorded, startServer } from "./helpers.ts";

/** Collects `message` events of a client; `next` waits for one that matches. */
class Messages extends Recorded<MessageEvent> {
  constructor(client: Client) {
    super();
    client.on("message", (e) => this.push(e));
  }
  next(match: (e: MessageEvent) => boolean, signal = deadline()): Promise<MessageEvent> {
    return this.waitFor(match, signal, () => `timed out; have ${this.texts().join(", ")}`);
  }
  texts(): string[] {
    return this.all.map((e) => messageText(e.message) ?? "");
  }
}

const text = (t: string) => (e: MessageEvent) => messageText(e.message) === t;

Deno.test("a bot and a phone with two devices exchange text both ways; reply, reaction, edit and revoke arrive as such", async () => {
  await using wa = await startServer();
  const phone = wa.phone("15550100001");
  const primary = await phone.client();
  const companion = await phone.addCompanion();
  await using bot = await newClient(wa, { pushName: "Bot" });
  await pairByQr(bot, wa.phone("15550100099"));
  const atPrimary = new Messages(primary);
  const atCompanion = new Messages(companion);
  const atBot = new Messages(bot);
  const phoneUser = phone.jid.toNonAd();
  const botUser = bot.jid!.toNonAd();

  const ping = await bot.sendText(phoneUser, "ping");
  const [p, c] = await Promise.all([atPrimary.next(text("ping")), atCompanion.next(text("ping"))]);
  for (const e of [p, c]) {
    assertEquals(e.info.id, ping.id);
    assertEquals(e.info.source.sender.toString(), bot.jid!.toString());
    assertEquals(e.info.source.chat.toString(), botUser.toString());
    assertEquals(e.info.pushName, "Bot");
    assertEquals(e.info.source.isFromMe, false);
  }

  // The phone answers with a reply; its other device sees its own message via DeviceSentMessage.
  const pong = await primary.sendMessage(botUser, textMessage("pong", { replyTo: p }));
  const atBotPong = await atBot.next(text("pong"));
  assertEquals(getReplyTo(atBotPong.message)?.id, ping.id);
  assertEquals(getReplyTo(atBotPong.message)?.quoted, { conversation: "ping" });
  const mirrored = await atCompanion.next(text("pong"));
  assertEquals([mirrored.info.source.isFromMe, mirrored.info.source.chat.toString(), mirrored.info.id], [
    true,
    botUser.toString(),
    pong.id,
  ]);

  // Reaction from the phone to the bot's message.
  await primary.sendReaction(botUser, messageKey(p.info), "👍");
  const reaction = await atBot.next((e) => getReaction(e.message) !== undefined);
  assertEquals(getReaction(reaction.message)?.emoji, "👍");
  assertEquals(getReaction(reaction.message)?.key.id, ping.id);
  assertEquals(reaction.info.type, "reaction");

  // The bot edits, then revokes, its message.
  await bot.editMessage(phoneUser, ping.id, "ping (edited)");
  const edit = await atPrimary.next((e) => getEdit(e.message) !== undefined);
  assertEquals(getEdit(edit.message)?.key.id, ping.id);
  assertEquals(messageText(getEdit(edit.message)!.newContent), "ping (edited)");
  assertEquals(edit.info.edit, "edited");
  await bot.revokeMessage(phoneUser, ping.id);
  const revoke = await atPrimary.next((e) => getRevoke(e.message) !== undefined);
  assertEquals([getRevoke(revoke.message)?.id, revoke.info.edit], [ping.id, "revoked"]);

  // Delivery receipts reach the sender.
  const delivered = await bot.waitFor("receipt", {
    signal: deadline(),
    filter: (r) => r.messageIds.includes(pong.id) === false && r.kind === "delivered",
  });
  assertEquals(delivered.source.sender.user, phone.jid.user);
  await wa.stop();
});

Deno.test("a group of 5 members with 2-3 devices each: every device decrypts every message", async () => {
  await using wa = await startServer();
  const phones = Array.from({ length: 5 }, (_, i) => wa.phone(`1555020000${i}`));
  const members: { phone: ReturnType<typeof wa.phone>; devices: Client[] }[] = [];
  for (const [i, phone] of phones.entries()) {
    const devices = [await phone.client(), await phone.addCompanion()];
    if (i % 2 === 0) devices.push(await phone.addCompanion());
    members.push({ phone, devices });
  }
  const group = wa.createGroup({
    creator: phones[0].jid,
    participants: phones.slice(1).map((p) => p.jid.toNonAd()),
    subject: "Five",
  });
  const inboxes = new Map<Client, Messages>();
  for (const m of members) for (const d of m.devices) inboxes.set(d, new Messages(d));
  const allDevices = members.flatMap((m) => m.devices);
  assertEquals(allDevices.length, 13);
  // Every member sends from a different device; everyone else's every device must decrypt it.
  for (const [i, m] of members.entries()) {
    const sender = m.devices[i % m.devices.length];
    const body = `hello from member ${i}`;
    await sender.sendText(group, body);
    await Promise.all(
      allDevices.filter((d) => d !== sender).map((d) =>
        inboxes.get(d)!.next((e) => e.info.source.chat.equals(group) && messageText(e.message) === body)
      ),
    );
  }
  // Nothing arrived twice, and nobody got their own message back.
  for (const [device, inbox] of inboxes) {
    const texts = inbox.all.filter((e) => e.info.source.chat.equals(group)).map((e) =>
      messageText(e.message)
    );
    assertEquals(new Set(texts).size, texts.length, `duplicates at ${device.jid}`);
    assertEquals(texts.length, members.filter((m, i) => m.devices[i % m.devices.length] !== device).length);
  }
});

Deno.test("a bot that was offline gets its queued messages in order, once", async () => {
  await using wa = await startServer();
  const phone = wa.phone("15550300001");
  const primary = await phone.client();
  await using bot = await newClient(wa);
  await pairByQr(bot, wa.phone("15550300099"));
  const inbox = new Messages(bot);
  // The phone's first message also gives the bot its trusted-contact token (a privacy_token
  // notification, in the background): let it land before going offline, so the queue holds messages only.
  const tokenAcked = wa.waitForStanza(
    (n) => n.tag === "ack" && n.attrs.class === "notification" && n.attrs.type === "privacy_token",
    { signal: deadline() },
  );
  await primary.sendText(bot.jid!.toNonAd(), "hello before");
  await inbox.next(text("hello before"));
  await tokenAcked;
  await bot.disconnect();
  await wa.waitForOffline(bot.jid!, { signal: deadline() });
  const sent = [];
  for (let i = 1; i <= 8; i++) sent.push(await primary.sendText(bot.jid!.toNonAd(), `queued ${i}`));
  const completed = bot.waitFor("offlineSyncCompleted", { signal: deadline() });
  const preview = bot.waitFor("offlineSyncPreview", { signal: deadline() });
  await bot.connect({ signal: deadline() });
  assertEquals((await preview).messages, 8);
  const done = await completed;
  assertEquals([done.count, done.processedMessages, done.timedOut], [8, 8, false]);
  const queued = inbox.all.filter((e) => messageText(e.message)?.startsWith("queued"));
  assertEquals(queued.map((e) => messageText(e.message)), sent.map((_, i) => `queued ${i + 1}`));
  assertEquals(queued.map((e) => e.info.id), sent.map((s) => s.id));
  assert(queued.every((e) => e.info.offline));
  // Reconnecting again replays nothing.
  await bot.disconnect();
  const again = bot.waitFor("offlineSyncCompleted", { signal: deadline() });
  await bot.connect({ signal: deadline() });
  assertEquals((await again).count, 0);
  assertEquals(inbox.all.length, 9);
});

Deno.test("a session corrupted on purpose recovers through retry receipts", async () => {
  await using wa = await startServer();
  const phone = wa.phone("15550400001");
  const primary = await phone.client();
  await using bot = await newClient(wa);
  await pairByQr(bot, wa.phone("15550400099"));
  const inbox = new Messages(bot);
  await primary.sendText(bot.jid!.toNonAd(), "first");
  await inbox.next(text("first"));
  // Corrupt the bot's session with the phone's primary device: new random chain and root keys.
  const lid = await clientInternals(bot).store.getPnMapping(phone.jid.user);
  const address = lid ? Jid.lid(lid.lid, 0).toSignalAddress() : phone.jid.toSignalAddress();
  const record = await bot.store.loadSession(address);
  assert(record, `the bot has a session for ${address}`);
  const structure = RecordStructure.decode(record.serialize());
  const state = structure.currentSession!;
  state.rootKey = randomBytes(32);
  for (const chain of state.receiverChains ?? []) if (chain.chainKey) chain.chainKey.key = randomBytes(32);
  await bot.store.storeSession(address, SessionRecord.deserialize(RecordStructure.encode(structure)));

  const undecryptable = bot.waitFor("undecryptableMessage", { signal: deadline() });
  const sent = await primary.sendText(bot.jid!.toNonAd(), "after corruption");
  const failure = await undecryptable;
  assertEquals(failure.info.id, sent.id);
  assert(failure.retryCount >= 1);
  const recovered = await inbox.next(text("after corruption"));
  assertEquals(recovered.info.id, sent.id);
  // Later messages flow on the new session, and nothing was emitted twice.
  await primary.sendText(bot.jid!.toNonAd(), "and then");
  await inbox.next(text("and then"));
  assertEquals(inbox.texts(), ["first", "after corruption", "and then"]);
});

Deno.test("a burst of 1,000 messages from 10 senders arrives complete, in order per chat, once, across a restart", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using wa = await startServer();
    const senders = await Promise.all(
      Array.from({ length: 10 }, (_, i) => wa.phone(`155506000${i}0`).client()),
    );
    const path = `${dir}/bot.db`;
    let store = await SqliteStore.open(path);
    let bot = await newClient(wa, { store });
    await pairByQr(bot, wa.phone("15550600999"));
    const botUser = bot.jid!.toNonAd();
    const received = new Map<string, string[]>();
    let total = 0;
    const restartAt = Promise.withResolvers<void>();
    const allIn = Promise.withResolvers<void>();
    const record = (e: MessageEvent) => {
      const t = messageText(e.message);
      if (!t?.startsWith("burst ")) return;
      const chat = e.info.source.chat.user;
      if (!received.has(chat)) received.set(chat, []);
      received.get(chat)!.push(t);
      total++;
      if (total === 400) restartAt.resolve();
      if (total >= 1000) allIn.resolve();
    };
    bot.on("message", record);
    const sending = Promise.all(senders.map(async (s, i) => {
      for (let n = 0; n < 100; n++) await s.sendText(botUser, `burst ${i} ${n}`);
    }));
    await restartAt.promise;
    await bot.disconnect();
    await store.close();
    store = await SqliteStore.open(path);
    bot = await newClient(wa, { store });
    assert(bot.isPaired);
    bot.on("message", record);
    await bot.connect({ signal: deadline(60_000) });
    await sending;
    await Promise.race([
      allIn.promise,
      new Promise((_, reject) =>
        deadline(60_000).addEventListener("abort", () => reject(new Error(`only ${total} of 1000 arrived`)))
      ),
    ]);
    await bot.waitUntilIdle();
    assertEquals(total, 1000, "every message exactly once");
    for (const [i, s] of senders.entries()) {
      const got = received.get(s.jid!.user) ?? [];
      assertEquals(
        got,
        Array.from({ length: 100 }, (_, n) => `burst ${i} ${n}`),
        `chat ${i} complete and in order`,
      );
    }
    await bot.disconnect();
    await store.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sending to a user the server does not know fails with a SendError, and the bot keeps working", async () => {
  await using wa = await startServer();
  await using bot = await newClient(wa, { store: new MemoryStore() });
  await pairByQr(bot, wa.phone("15550700099"));
  let err: unknown;
  try {
    await bot.sendText(Jid.pn("19990000000"), "nobody");
  } catch (e) {
    err = e;
  }
  assert(err instanceof SendError, String(err));
  assertEquals([err.code, err.status], ["no_devices", 404]);
  const phone = wa.phone("15550700001");
  const primary = await phone.client();
  const inbox = new Messages(primary);
  await bot.sendText(phone.jid.toNonAd(), "somebody");
  await inbox.next(text("somebody"));
});

Deno.test("LID addressing, read receipts, location and contact cards", async () => {
  await using wa = await startServer();
  const phone = wa.phone("15550800001");
  const primary = await phone.client();
  await using bot = await newClient(wa);
  await pairByQr(bot, wa.phone("15550800099"));
  const atPhone = new Messages(primary);
  // Addressed by LID: the phone sees the bot's LID as sender and learns its phone number.
  const viaLid = await bot.sendText(phone.lid.toNonAd(), "via lid");
  const got = await atPhone.next(text("via lid"));
  assertEquals(got.info.id, viaLid.id);
  assertEquals(got.info.source.sender.isLid(), true);
  assertEquals(got.info.source.senderAlt?.user, bot.jid!.user);
  // The phone reads it; the bot gets a read receipt for that id.
  const read = bot.waitFor("receipt", { signal: deadline(), filter: (r) => r.kind === "read" });
  await primary.markRead(got.info.source.chat, [got.info.id]);
  const receipt = await read;
  assertEquals(receipt.messageIds, [viaLid.id]);
  // Location and contact cards arrive as such.
  const { locationMessage, contactMessage, vcard } = await import("../../src/features/message_builders.ts");
  await bot.sendMessage(
    phone.jid.toNonAd(),
    locationMessage({ latitude: 52.37, longitude: 4.89, name: "Dam" }),
  );
  const loc = await atPhone.next((e) => e.message.locationMessage !== undefined);
  assertEquals([
    loc.message.locationMessage?.degreesLatitude,
    loc.message.locationMessage?.name,
    loc.info.type,
  ], [52.37, "Dam", "media"]);
  await bot.sendMessage(
    phone.jid.toNonAd(),
    contactMessage({ displayName: "Ada", vcard: vcard("Ada", "+1 555 0100") }),
  );
  const card = await atPhone.next((e) => e.message.contactMessage !== undefined);
  assert(card.message.contactMessage?.vcard?.includes("waid=15550100"), card.message.contactMessage?.vcard);
});

Deno.test("an identity-change notification clears the sessions; the next message recovers through a retry", async () => {
  await using wa = await startServer();
  const phone = wa.phone("15550810001");
  const primary = await phone.client();
  await using bot = await newClient(wa);
  await pairByQr(bot, wa.phone("15550810099"));
  const inbox = new Messages(bot);
  await primary.sendText(bot.jid!.toNonAd(), "before");
  await inbox.next(text("before"));
  const changed = bot.waitFor("identityChange", { signal: deadline() });
  wa.delivery.deliver(bot.jid!, {
    tag: "notification",
    attrs: {
      from: phone.jid.toNonAd(),
      type: "encrypt",
      id: "IDCHANGE1",
      t: String(Math.floor(Date.now() / 1000)),
    },
    content: [{ tag: "identity", attrs: {} }],
  });
  const event = await changed;
  assertEquals([event.jid.user, event.announced], [phone.jid.user, true]);
  const lid = await bot.store.getPnMapping(phone.jid.user);
  assertEquals(
    await bot.store.loadSession(Jid.lid(lid!.lid, 0).toSignalAddress()),
    undefined,
    "session cleared",
  );
  const failed = bot.waitFor("undecryptableMessage", { signal: deadline() });
  await primary.sendText(bot.jid!.toNonAd(), "after");
  assertEquals((await failed).retryCount, 1);
  await inbox.next(text("after"));
  assertEquals(inbox.texts(), ["before", "after"]);
});

Deno.test("offline sync without an end marker completes by the fallback timer", async () => {
  await using wa = await startServer();
  wa.faults.omitOfflineMarker = true;
  await using bot = await newClient(wa, { timings: { offlineSyncTimeoutMs: 80 } });
  const done = bot.waitFor("offlineSyncCompleted", { signal: deadline() });
  await pairByQr(bot, wa.phone("15550820099"));
  const event = await done;
  assertEquals([event.timedOut, event.count], [true, 0]);
});

Deno.test("expired sent messages are swept at login, with the TTL as cutoff", async () => {
  await using wa = await startServer();
  const store = new MemoryStore();
  const cutoffs = Promise.withResolvers<number>();
  const sweep = store.deleteExpiredSentMessages.bind(store);
  store.deleteExpiredSentMessages = (cutoff) => {
    cutoffs.resolve(cutoff);
    return sweep(cutoff);
  };
  await using bot = await newClient(wa, { store, timings: { sentMessageTtlMs: 300_000 } });
  const before = Math.floor(Date.now() / 1000);
  await pairByQr(bot, wa.phone("15550830099"));
  const cutoff = await cutoffs.promise;
  assert(cutoff >= before - 300 && cutoff <= Math.floor(Date.now() / 1000) - 299, `cutoff ${cutoff}`);
});
