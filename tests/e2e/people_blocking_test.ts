/**
 * Blocking end to end: the LID + PN block IQ, the blocklist, `blocklistUpdate` on our own devices, and a
 * blocked contact whose messages, chat states and presence stop reaching the bot (live and offline)
 * while its sends are still acknowledged (shapes: reference/protocol-facts-features.md 5.4).
 */

import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { getChild, Jid } from "../../src/binary/mod.ts";
import { InputError, IqError } from "../../src/features/errors.ts";
import { messageText } from "../../src/features/message_builders.ts";
import { deadline } from "./helpers.ts";
import { botWithPhones, Collected, withText } from "./people_helpers.ts";

Deno.test("block by phone number: jid=LID pn_jid=PN, the list, isBlocked, events here and on our phone", async () => {
  await using env = await botWithPhones(["15557400001"], "15557400099");
  const { wa, bot, phones: [spammer] } = env;
  const ownPhone = await wa.phone("15557400099").client();
  const spammerPn = spammer.jid!.toNonAd();
  const spammerLid = Jid.lid(wa.phone("15557400001").account.lid);
  const here = new Collected(bot, "blocklistUpdate");
  const there = new Collected(ownPhone, "blocklistUpdate");
  assertEquals((await bot.blocking.blocklist()).entries, []);

  const iq = wa.waitForStanza(
    (n) => n.tag === "iq" && n.attrs.xmlns === "blocklist" && n.attrs.type === "set",
    {
      signal: deadline(),
    },
  );
  const list = await bot.blocking.block(spammerPn);
  const item = getChild(await iq, "item")!;
  assertEquals(item.attrs, { action: "block", jid: spammerLid.toString(), pn_jid: spammerPn.toString() });
  assertEquals(list.entries.map((e) => e.jid.toString()), [spammerLid.toString()]);
  assert(list.dhash.length > 0);
  assertEquals(await bot.blocking.isBlocked(spammerPn.withDevice(3)), true);
  assertEquals(await bot.blocking.isBlocked(spammerLid), true);
  const local = await here.next();
  assertEquals([local.fromServer, local.changes.map((c) => `${c.action}:${c.jid}`)], [false, [
    `block:${spammerLid}`,
  ]]);
  const remote = await there.next();
  assertEquals([remote.fromServer, remote.dhash, remote.changes[0].jid.toString()], [
    true,
    list.dhash,
    spammerLid.toString(),
  ]);

  await bot.blocking.unblock(spammerLid);
  assertEquals((await bot.blocking.blocklist()).entries, []);
  assertEquals(await bot.blocking.isBlocked(spammerPn), false);
  await there.next((e) => e.changes[0]?.action === "unblock");
  await assertRejects(() => bot.blocking.block("120363000000000000@g.us"), InputError);
  assertEquals(
    (await assertRejects(() => bot.blocking.block("15557400777@s.whatsapp.net"), IqError)).status,
    404,
  );
});

Deno.test("a blocked contact's messages stop arriving (live and offline) though its sends are acked; unblock restores", async () => {
  await using env = await botWithPhones(["15557400101"]);
  const { wa, bot, phones: [spammer] } = env;
  const botUser = bot.jid!.toNonAd();
  const inbox = new Collected(bot, "message");
  const typing = new Collected(bot, "chatPresence");
  // Its first message also brings its tc token (a notification): let that land before going offline.
  const token = wa.waitForStanza((n) => n.tag === "ack" && n.attrs.type === "privacy_token", {
    signal: deadline(),
  });
  await spammer.sendText(botUser, "hello");
  await inbox.next(withText("hello"));
  await token;
  await bot.blocking.block(spammer.jid!.toNonAd());

  const sent = await spammer.sendText(botUser, "buy now");
  assert(sent.id && sent.timestamp instanceof Date, "the server acknowledged the blocked contact's message");
  await spammer.chatstate.composing(botUser);
  await bot.disconnect();
  await wa.waitForOffline(bot.jid!, { signal: deadline() });
  await spammer.sendText(botUser, "buy now, offline");
  const synced = bot.waitFor("offlineSyncCompleted", { signal: deadline() });
  await bot.connect({ signal: deadline() });
  assertEquals((await synced).count, 0);

  await bot.blocking.unblock(spammer.jid!.toNonAd());
  await spammer.chatstate.paused(botUser);
  await spammer.sendText(botUser, "sorry");
  await inbox.next(withText("sorry"));
  // Messages of one chat arrive in order: had anything sent while blocked come through, it would be here.
  assertEquals(inbox.all.map((e) => messageText(e.message)), ["hello", "sorry"]);
  await typing.next((e) => e.state === "paused");
  assertEquals(typing.all.map((e) => e.state), ["paused"]);
});

Deno.test("a blocked contact sees none of our presence until the unblock", async () => {
  await using env = await botWithPhones(["15557400201"]);
  const { bot, phones: [other] } = env;
  const theirs = new Collected(other, "presence");
  await bot.blocking.block(other.jid!.toNonAd());
  await other.presence.subscribe(bot.jid!.toNonAd());
  await bot.presence.setUnavailable();
  await bot.blocking.unblock(other.jid!.toNonAd());
  // The first presence the blocked contact ever sees is the one after the unblock.
  const first = await theirs.next();
  assertEquals(first.unavailable, true);
  assertEquals(theirs.all.length, 1);
});
