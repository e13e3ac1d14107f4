/**
 * Presence and chat states end to end between a bot and virtual phones: the presence WhatsApp Web sends
 * after login, subscriptions (renewed after a reconnect), last seen hidden by privacy, typing and
 * recording in 1:1 chats and groups (stanza shapes: reference/protocol-facts-features.md 5.1).
 */

import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { getChild, Jid } from "../../src/binary/mod.ts";
import { InputError } from "../../src/features/errors.ts";
import { deadline, newClient, pairByQr, startServer } from "./helpers.ts";
import { botWithPhones, Collected } from "./people_helpers.ts";

Deno.test("after login the bot sends <ib><unified_session/></ib> then <presence type=available name>", async () => {
  await using wa = await startServer();
  const seen: string[] = [];
  wa.onStanza((n) => {
    if (n.tag === "ib" && getChild(n, "unified_session")) {
      seen.push(`ib:${getChild(n, "unified_session")!.attrs.id}`);
    }
    if (n.tag === "presence") seen.push(`presence:${n.attrs.type}:${n.attrs.name}`);
  });
  const presence = wa.waitForStanza((n) => n.tag === "presence", { signal: deadline() });
  await using bot = await newClient(wa, { pushName: "Bot" });
  await pairByQr(bot, wa.phone("15557100099"));
  await presence;
  assertEquals(seen.length, 2);
  assert(/^ib:\d+$/.test(seen[0]), seen[0]);
  assertEquals(seen[1], "presence:available:Bot");
  assertEquals(wa.phone("15557100099").account.online, true);
  assertEquals(bot.presence.state, "available");
});

Deno.test("presence without a push name is refused with InputError", async () => {
  await using wa = await startServer();
  await using bot = await newClient(wa);
  await pairByQr(bot, wa.phone("15557100199"));
  await assertRejects(() => bot.presence.setAvailable(), InputError, "push name");
});

Deno.test("subscribe: current presence at once, online/offline with last seen, renewed after a reconnect", async () => {
  await using env = await botWithPhones(["15557100201"]);
  const { wa, bot, phones: [phone] } = env;
  const phoneJid = wa.phone("15557100201").jid.toNonAd();
  const events = new Collected(bot, "presence");
  await phone.presence.setAvailable();
  await bot.presence.subscribe(phoneJid);
  const online = await events.next((e) => !e.unavailable);
  assertEquals(online.from.toString(), phoneJid.toString());
  assertEquals(bot.presence.subscriptions.map(String), [phoneJid.toString()]);

  const before = Math.floor(Date.now() / 1000);
  await phone.presence.setUnavailable();
  const offline = await events.next((e) => e.unavailable);
  assert(offline.lastSeen && offline.lastSeen.getTime() / 1000 >= before, String(offline.lastSeen));
  assertEquals(offline.lastSeenHidden, false);

  // After a reconnect the subscription is renewed without being asked again.
  const resubscribed = wa.waitForStanza((n) => n.tag === "presence" && n.attrs.type === "subscribe", {
    signal: deadline(),
  });
  wa.dropConnections(bot.jid!);
  await resubscribed;
  const count = events.all.length;
  await phone.presence.setAvailable();
  await events.next((e) => !e.unavailable && events.all.indexOf(e) >= count);

  await bot.presence.unsubscribe(phoneJid);
  assertEquals(bot.presence.subscriptions, []);
});

Deno.test('a privacy setting that hides last seen: last="deny", and online hidden with match_last_seen', async () => {
  await using env = await botWithPhones(["15557100301"]);
  const { bot, phones: [phone] } = env;
  const events = new Collected(bot, "presence");
  await phone.privacy.set("lastSeen", "none");
  await phone.privacy.set("online", "match_last_seen");
  await phone.presence.setAvailable();
  await bot.presence.subscribe(phone.jid!.toNonAd());
  const first = await events.next();
  // Online is hidden too (it follows last seen), so the bot sees an offline contact without a time.
  assertEquals([first.unavailable, first.lastSeenHidden, first.lastSeen], [true, true, undefined]);

  await phone.privacy.set("lastSeen", "all");
  const shown = await events.next((e) => !e.unavailable);
  assertEquals(shown.lastSeenHidden, false);
});

Deno.test("chat states: composing, recording and paused between devices, 1:1 and in a group", async () => {
  await using env = await botWithPhones(["15557100401", "15557100402"]);
  const { wa, bot, phones: [alice, bob] } = env;
  const atBot = new Collected(bot, "chatPresence");
  await alice.chatstate.composing(bot.jid!.toNonAd());
  const typing = await atBot.next();
  assertEquals([typing.state, typing.media, typing.source.isGroup], ["composing", "text", false]);
  assertEquals(typing.source.chat.toString(), alice.jid!.toNonAd().toString());
  await alice.chatstate.recording(bot.jid!.toNonAd());
  assertEquals((await atBot.next((e) => e.media === "audio")).state, "composing");
  await alice.chatstate.paused(bot.jid!.toNonAd());
  await atBot.next((e) => e.state === "paused");

  const group = wa.createGroup({
    creator: bot.jid!,
    participants: [alice.jid!.toNonAd(), bob.jid!.toNonAd()],
  });
  const atAlice = new Collected(alice, "chatPresence");
  const atBob = new Collected(bob, "chatPresence");
  await bot.chatstate.send(group, "composing");
  for (const e of [await atAlice.next(), await atBob.next()]) {
    assertEquals(e.source.chat.toString(), group.toString());
    assertEquals(e.source.isGroup, true);
    assertEquals(e.source.sender.user, bot.jid!.user);
  }
  await assertRejects(() => bot.chatstate.send("status@broadcast", "composing"), InputError);
  await assertRejects(() => bot.chatstate.send(Jid.pn("15557100401"), "typing" as "composing"), InputError);
});
