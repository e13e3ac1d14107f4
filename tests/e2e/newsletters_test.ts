import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { Jid } from "../../src/binary/mod.ts";
import { SendError } from "../../src/features/errors.ts";
import { messageText } from "../../src/features/message_builders.ts";
import { MexError } from "../../src/features/mex.ts";
import { Message } from "../../src/proto/mod.ts";
import { newsletterRegistry } from "../../src/testing/mod.ts";
import { deadline, newClient, pairByQr, startServer } from "./helpers.ts";

Deno.test("a newsletter: created by the bot, found by invite, followed, posted to, received, reacted to, fetched", async () => {
  await using wa = await startServer();
  const phone = wa.phone("15550400001");
  const primary = await phone.client();
  const companion = await phone.addCompanion();
  await using bot = await newClient(wa, { pushName: "Bot" });
  await pairByQr(bot, wa.phone("15550400099"));

  const nl = await bot.newsletters.create({ name: "Bot news", description: "What the bot did" });
  assert(nl.jid.isNewsletter(), "a newsletter JID");
  assertEquals(nl.name, "Bot news");
  assertEquals(nl.description, "What the bot did");
  assertEquals(nl.viewer, { role: "owner", muted: false });
  assertEquals(newsletterRegistry(wa).get(nl.jid)?.owner.phone, "15550400099");

  // The phone finds it by its invite link (no viewer part then) and follows; its other device hears of it.
  const byInvite = await primary.newsletters.metadata(`https://whatsapp.com/channel/${nl.inviteCode}`);
  assertEquals(byInvite.jid.toString(), nl.jid.toString());
  assertEquals(byInvite.viewer, undefined);
  const joined = companion.waitFor("newsletterJoin", { signal: deadline() });
  await primary.newsletters.follow(nl.jid);
  assertEquals((await joined).newsletter.jid.toString(), nl.jid.toString());
  const followed = await primary.newsletters.followed();
  assertEquals(followed.map((f) => [f.jid.toString(), f.viewer?.role]), [[nl.jid.toString(), "subscriber"]]);
  assertEquals((await bot.newsletters.metadata(nl.jid)).subscriberCount, 1);

  // The bot posts; both of the follower's devices get it as a message from the newsletter.
  const atPrimary = primary.waitFor("message", {
    filter: (e) => e.info.source.chat.isNewsletter(),
    signal: deadline(),
  });
  const atCompanion = companion.waitFor("message", {
    filter: (e) => e.info.source.chat.isNewsletter(),
    signal: deadline(),
  });
  const sent = await bot.newsletters.send(nl.jid, "hello followers");
  assert(sent.serverId !== undefined && sent.serverId > 0, "the ack names the post's server id");
  for (const e of await Promise.all([atPrimary, atCompanion])) {
    assertEquals(messageText(e.message), "hello followers");
    assertEquals(e.info.serverId, sent.serverId);
    assertEquals(e.info.id, sent.id);
    assertEquals(e.info.source.chat.toString(), nl.jid.toString());
    assertEquals(e.info.source.isFromMe, false);
  }

  // Reactions: the bot asked for live updates and sees the counts.
  const seconds = await bot.newsletters.subscribeLiveUpdates(nl.jid);
  assertEquals(seconds, 300_000);
  const live = bot.waitFor("newsletterLiveUpdate", { signal: deadline() });
  await primary.newsletters.react(nl.jid, sent.serverId!, "👍");
  const update = await live;
  assertEquals(update.jid.toString(), nl.jid.toString());
  assertEquals(update.messages.map((m) => [m.serverId, m.reactions]), [[sent.serverId, { "👍": 1 }]]);

  // History: the post with its body and counts; the updates view has the counts only.
  const history = await primary.newsletters.messages(nl.jid, { count: 10 });
  assertEquals(history.length, 1);
  assertEquals(history[0].message?.conversation, "hello followers");
  assertEquals(history[0].reactions, { "👍": 1 });
  const updates = await bot.newsletters.updates(nl.jid, { count: 5 });
  assertEquals(updates.map((u) => [u.serverId, u.message, u.reactions]), [[sent.serverId, undefined, {
    "👍": 1,
  }]]);

  // client.sendMessage to a newsletter takes the same plaintext path.
  const second = await bot.sendMessage(nl.jid, { conversation: "second" });
  assertEquals(second.serverId, sent.serverId! + 1);

  // Mute, then unfollow: the other device hears of both.
  const muted = companion.waitFor("newsletterMuteChange", { signal: deadline() });
  await primary.newsletters.mute(nl.jid);
  assertEquals((await muted).muted, true);
  assertEquals((await primary.newsletters.metadata(nl.jid)).viewer, { role: "subscriber", muted: true });
  const left = companion.waitFor("newsletterLeave", { signal: deadline() });
  await primary.newsletters.unfollow(nl.jid);
  assertEquals((await left).jid.toString(), nl.jid.toString());
  assertEquals(await primary.newsletters.followed(), []);
});

Deno.test("newsletter refusals: posting without being an admin, unknown newsletters, the owner leaving, stale query ids", async () => {
  await using wa = await startServer();
  const phone = wa.phone("15550400011");
  const primary = await phone.client();
  await using bot = await newClient(wa);
  await pairByQr(bot, wa.phone("15550400098"));
  const nl = await bot.newsletters.create({ name: "Owned" });
  await primary.newsletters.follow(nl.jid);

  const refused = await assertRejects(() => primary.newsletters.send(nl.jid, "let me in"), SendError);
  assertEquals(refused.code, "server_refused");
  assertEquals(refused.status, 403);

  const unknown = await assertRejects(
    () => bot.newsletters.metadata("120363999999999999@newsletter"),
    MexError,
  );
  assertEquals(unknown.status, 404);
  assertEquals(unknown.code, "server");
  assertEquals(unknown.operation, "newsletter metadata");

  const ownerLeaves = await assertRejects(() => bot.newsletters.unfollow(nl.jid), MexError);
  assertEquals(ownerLeaves.status, 403);

  bot.newsletters.queryIds.metadata = "1234";
  const stale = await assertRejects(() => bot.newsletters.metadata(nl.jid), MexError);
  assert(stale.staleQueryId, "an unknown query id is reported as stale");
  assertEquals(stale.queryId, "1234");
  // whatsmeow's id for the same operation works as well as the default.
  bot.newsletters.queryIds.metadata = "25383075034668475";
  assertEquals((await bot.newsletters.metadata(nl.jid)).name, "Owned");

  const raw = await bot.mex.query("1234", {});
  assertEquals(raw.errors[0].extensions?.error_code, 400);
});

Deno.test("a follower that was offline gets the newsletter's posts at its next login", async () => {
  await using wa = await startServer();
  const phone = wa.phone("15550400021");
  const primary = await phone.client();
  await using bot = await newClient(wa);
  await pairByQr(bot, wa.phone("15550400097"));
  const nl = await bot.newsletters.create({ name: "Daily" });
  await primary.newsletters.follow(nl.jid);
  await primary.disconnect();
  await wa.waitForOffline(phone.jid);
  const sent = await bot.newsletters.send(nl.jid, "while you were away");
  const got = primary.waitFor("message", {
    filter: (e) => e.info.serverId === sent.serverId,
    signal: deadline(),
  });
  await primary.connect({ signal: deadline() });
  const e = await got;
  assertEquals(messageText(e.message), "while you were away");
  assertEquals(e.info.offline, true);
});

Deno.test("newsletter stanzas from the network: a redelivered post is handed over once, a broken one is undecryptable without a retry", async () => {
  await using wa = await startServer();
  await using bot = await newClient(wa);
  await pairByQr(bot, wa.phone("15550400096"));
  const nl = Jid.newsletter("120363000000000777");
  const post = (id: string, content: Uint8Array) => ({
    tag: "message",
    attrs: { from: nl, id, server_id: "500", t: String(Math.floor(Date.now() / 1000)), type: "text" },
    content: [{ tag: "plaintext", attrs: {}, content }],
  });
  let delivered = 0;
  bot.on("message", (e) => void (e.info.id === "NL1" && delivered++));
  const acked = (id: string) =>
    wa.waitForStanza((n) => n.tag === "ack" && n.attrs.id === id && n.attrs.class === "message", {
      signal: deadline(),
    });
  const first = acked("NL1");
  wa.delivery.deliver(bot.jid!, post("NL1", Message.encode({ conversation: "once" })));
  await first;
  const again = acked("NL1");
  wa.delivery.deliver(bot.jid!, post("NL1", Message.encode({ conversation: "once" })));
  await again;
  assertEquals(delivered, 1);

  let retried = false;
  const offRetry = wa.onStanza((n) =>
    void (n.tag === "receipt" && n.attrs.type === "retry" && (retried = true))
  );
  const broken = bot.waitFor("undecryptableMessage", {
    filter: (e) => e.info.id === "NL2",
    signal: deadline(),
  });
  const brokenAck = acked("NL2");
  wa.delivery.deliver(bot.jid!, post("NL2", new Uint8Array([0xff, 0xff, 0xff])));
  const e = await broken;
  await brokenAck;
  offRetry();
  assertEquals([e.error.code, e.retryCount], ["bad_plaintext", 0]);
  assert(!retried, "no retry receipt for a newsletter message");
});
