/**
 * Status posts end to end: a text post fanned out to the chosen audience only (sender key to every
 * audience device, LID-addressed, `<meta status_setting>`), views coming back as receipts, revokes,
 * media posts from an uploaded media message, and blocked contacts left out (shapes: whatsmeow send.go
 * `sendGroup`, whatsapp-rust src/send.rs `send_status_message`).
 */

import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { getChild, getChildren, Jid, type Node } from "../../src/binary/mod.ts";
import { InputError } from "../../src/features/errors.ts";
import { ProtocolMessageType } from "../../src/proto/mod.ts";
import { senderKeyName } from "../../src/signal/mod.ts";
import { deadline } from "./helpers.ts";
import { botWithPhones, Collected } from "./people_helpers.ts";

function listedUsers(message: Node): Set<string> {
  const participants = getChild(message, "participants");
  return new Set(getChildren(participants ?? message, "to").map((t) => Jid.parse(t.attrs.jid).user));
}

Deno.test("text status: only the audience gets it, as a status event; views come back as receipts", async () => {
  await using env = await botWithPhones(["15557600001", "15557600002", "15557600003"], "15557600099");
  const { wa, bot, phones: [alice, bob, carol] } = env;
  const ownPhone = await wa.phone("15557600099").client();
  const atAlice = new Collected(alice, "status");
  const atBob = new Collected(bob, "status");
  const atCarol = new Collected(carol, "status");
  const ownMessages = new Collected(ownPhone, "message");
  const receipts = new Collected(bot, "receipt");
  const stanza = wa.waitForStanza((n) => n.tag === "message" && n.attrs.to === "status@broadcast", {
    signal: deadline(),
  });

  const sent = await bot.status.sendText("Out for lunch", {
    audience: [alice.jid!.toNonAd(), "15557600002@s.whatsapp.net"],
    backgroundArgb: 0xff1a73e8,
  });
  const wire = await stanza;
  assertEquals(wire.attrs.addressing_mode, "lid");
  assertEquals(getChild(wire, "meta")?.attrs.status_setting, "contacts");
  assertEquals(getChildren(wire, "enc").map((e) => e.attrs.type), ["skmsg"]);
  // Each audience member (and our own account) is listed by LID where the bot knows it, else by number.
  const listed = listedUsers(wire);
  for (const n of ["15557600001", "15557600002", "15557600099"]) {
    assert(listed.has(wa.phone(n).account.lid) || listed.has(n), `audience devices of ${n} listed`);
  }
  const carolAccount = wa.phone("15557600003").account;
  assert(!listed.has(carolAccount.lid) && !listed.has(carolAccount.phone), "Carol is not in the audience");

  for (const e of [await atAlice.next(), await atBob.next()]) {
    assertEquals(e.info.id, sent.id);
    assertEquals(e.info.source.chat.toString(), "status@broadcast");
    assertEquals(e.poster.user, wa.phone("15557600099").account.lid);
    assertEquals(e.message.extendedTextMessage?.text, "Out for lunch");
    assertEquals(e.message.extendedTextMessage?.backgroundArgb, 0xff1a73e8);
  }
  // Our own phone gets our post too (as our message, not a contact's status).
  const own = await ownMessages.next((e) => e.info.id === sent.id);
  assertEquals(own.info.source.isFromMe, true);
  assertEquals(atCarol.all, []);

  await alice.status.markViewed(atAlice.all[0].poster, [sent.id]);
  const view = await receipts.next((r) => r.messageIds.includes(sent.id));
  assertEquals([view.kind, view.source.chat.toString(), view.source.sender.user], [
    "read",
    "status@broadcast",
    wa.phone("15557600001").account.lid,
  ]);

  const revoke = wa.waitForStanza((n) => n.tag === "message" && n.attrs.to === "status@broadcast", {
    signal: deadline(),
  });
  await bot.status.revoke(sent.id, { audience: [alice.jid!.toNonAd()] });
  assertEquals(getChild(await revoke, "meta"), undefined);
  const revoked = await atAlice.next((e) => e.message.protocolMessage?.type === ProtocolMessageType.REVOKE);
  assertEquals(revoked.message.protocolMessage?.key?.id, sent.id);
});

Deno.test("image and video status from uploaded media messages; blocked contacts are left out; bad input refused", async () => {
  await using env = await botWithPhones(["15557600101", "15557600102"]);
  const { bot, phones: [alice, blocker] } = env;
  await blocker.blocking.block(bot.jid!.toNonAd());
  const atAlice = new Collected(alice, "status");
  const atBlocker = new Collected(blocker, "status");
  const image = {
    url: "https://mmg.example/v/t62.7118-24/1",
    directPath: "/v/t62.7118-24/1",
    mediaKey: new Uint8Array(32).fill(7),
    fileSha256: new Uint8Array(32).fill(1),
    fileEncSha256: new Uint8Array(32).fill(2),
    fileLength: 1234n,
    mimetype: "image/jpeg",
  };
  const sent = await bot.status.sendImage(image, {
    audience: [alice.jid!.toNonAd(), blocker.jid!.toNonAd()],
    caption: "sunset",
    privacy: "allowlist",
  });
  const got = await atAlice.next((e) => e.info.id === sent.id);
  assertEquals(got.message.imageMessage?.caption, "sunset");
  assertEquals(got.message.imageMessage?.mediaKey, image.mediaKey);
  assertEquals(got.info.mediaType, "image");
  // Later posts reach the audience too (the sender key goes to every audience device each time).
  const video = await bot.status.sendVideo({ ...image, mimetype: "video/mp4", seconds: 12 }, {
    audience: [alice.jid!.toNonAd()],
  });
  const clip = await atAlice.next((e) => e.info.id === video.id);
  assertEquals([clip.message.videoMessage?.seconds, clip.info.mediaType], [12, "video"]);
  const again = await bot.status.sendText("second", { audience: [alice.jid!.toNonAd()] });
  await atAlice.next((e) => e.info.id === again.id);
  assertEquals(atBlocker.all, []);

  await assertRejects(() => bot.status.sendText("x", { audience: [] }), InputError, "audience");
  await assertRejects(() => bot.status.sendText("x", { audience: ["120363000000000000@g.us"] }), InputError);
  await assertRejects(
    () => bot.status.sendImage({ mimetype: "image/jpeg" }, { audience: [alice.jid!] }),
    InputError,
  );
});

Deno.test("a viewer that cannot read a post asks again; the poster resends it to that device alone", async () => {
  await using env = await botWithPhones(["15557600201"]);
  const { wa, bot, phones: [alice] } = env;
  const atAlice = new Collected(alice, "status");
  const first = await bot.status.sendText("one", { audience: [alice.jid!.toNonAd()] });
  await atAlice.next((e) => e.info.id === first.id);
  // Alice loses the bot's sender key, and the next post reaches her without its distribution message.
  await alice.store.deleteSenderKey(senderKeyName("status@broadcast", bot.lid!.toSignalAddress()));
  const hold = wa.faults.holdDelivery(alice.jid!);
  const retry = wa.waitForStanza((n) => n.tag === "receipt" && n.attrs.type === "retry", {
    signal: deadline(),
  });
  const resend = wa.waitForStanza((n) => n.tag === "message" && n.attrs.participant !== undefined, {
    signal: deadline(),
  });
  const second = await bot.status.sendText("two", { audience: [alice.jid!.toNonAd()] });
  await hold.whenHeld(1, { signal: deadline() });
  const stanza = hold.held[0].stanza;
  stanza.content = (stanza.content as Node[]).filter((c) => c.tag !== "enc" || c.attrs.type === "skmsg");
  hold.release();
  assertEquals((await retry).attrs.to, "status@broadcast");
  // One pairwise enc (a fresh session from the keys the retry carried), no sender-key message.
  assertEquals(getChildren(await resend, "enc").map((e) => e.attrs.type), ["pkmsg"]);
  const got = await atAlice.next((e) => e.info.id === second.id);
  assertEquals(got.message.extendedTextMessage?.text, "two");
});
