/**
 * Profile end to end: push names (own, from other devices, contacts'), about texts, profile pictures
 * (get preview/full, set, remove, for users and groups, served by FakeWhatsApp), privacy-gated pictures
 * and tc tokens (shapes: reference/protocol-facts-features.md 5.3-5.5).
 */

import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { getChild, Jid } from "../../src/binary/mod.ts";
import { InputError, IqError } from "../../src/features/errors.ts";
import { deadline } from "./helpers.ts";
import { befriend, botWithPhones, Collected, withText } from "./people_helpers.ts";

const JPEG_A = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, 74, 70, 73, 70, 1]);
const JPEG_B = new Uint8Array([0xff, 0xd8, 0xff, 0xe1, 9, 9, 9]);

Deno.test("push names: setPushName announces it, our phone learns it, contacts see it on the next message", async () => {
  await using env = await botWithPhones(["15557300001"], "15557300099");
  const { wa, bot, phones: [alice] } = env;
  const ownPhone = await wa.phone("15557300099").client();
  const atBot = new Collected(bot, "selfPushNameUpdated");
  const atOwnPhone = new Collected(ownPhone, "selfPushNameUpdated");
  const atAlice = new Collected(alice, "pushNameUpdate");
  const aliceMessages = new Collected(alice, "message");

  await bot.sendText(alice.jid!.toNonAd(), "first");
  const first = await atAlice.next();
  assertEquals([first.oldPushName, first.newPushName, first.jid.user], ["", "Bot", bot.jid!.user]);

  const written: string[] = [];
  bot.profile.onPushNameSet((name) => void written.push(name));
  const announced = wa.waitForStanza((n) => n.tag === "presence" && n.attrs.name === "Support", {
    signal: deadline(),
  });
  await bot.profile.setPushName("  Support ");
  await announced;
  assertEquals(await atBot.next(), { fromServer: false, oldName: "Bot", newName: "Support" });
  assertEquals(written, ["Support"]);
  assertEquals(bot.profile.pushName, "Support");
  assertEquals((await atOwnPhone.next()).fromServer, true);
  assertEquals(ownPhone.device.pushName, "Support");

  await bot.sendText(alice.jid!.toNonAd(), "second");
  await aliceMessages.next(withText("second"));
  const renamed = await atAlice.next((e) => e.newPushName === "Support");
  assertEquals(renamed.oldPushName, "Bot");
  await assertRejects(() => bot.profile.setPushName("   "), InputError);
});

Deno.test("about: set, read, notified to contacts (live and after an offline spell); hidden by privacy", async () => {
  await using env = await botWithPhones(["15557300101"]);
  const { wa, bot, phones: [alice] } = env;
  befriend(wa, "15557300101", bot.jid!.user);
  const updates = new Collected(bot, "userAboutUpdate");
  await alice.profile.setAbout("Hiking 🏔");
  const update = await updates.next();
  assertEquals([update.jid.user, update.about], ["15557300101", "Hiking 🏔"]);
  assertEquals((await bot.profile.about(alice.jid!)).text, "Hiking 🏔");
  // Offline: the change waits in the bot's queue for its next login.
  await bot.disconnect();
  await wa.waitForOffline(bot.jid!, { signal: deadline() });
  await alice.profile.setAbout("Back home");
  await bot.connect({ signal: deadline() });
  const queued = await updates.next((e) => e.about === "Back home");
  assertEquals(queued.jid.user, "15557300101");
  await alice.privacy.set("about", "none");
  assertEquals(await bot.profile.about(alice.jid!), { hidden: true });
  await assertRejects(() => alice.profile.setAbout("x".repeat(140)), InputError);
});

Deno.test("pictures: set, preview and full served over HTTP, notified, removed; groups by admins only", async () => {
  await using env = await botWithPhones(["15557300201", "15557300202"]);
  const { wa, bot, phones: [alice, bob] } = env;
  befriend(wa, "15557300201", bot.jid!.user);
  const updates = new Collected(bot, "pictureUpdate");
  const id = await alice.profile.setPicture(JPEG_A);
  const update = await updates.next();
  assertEquals([update.jid.user, update.pictureId, update.removed], ["15557300201", id, false]);

  const preview = await bot.profile.picture(alice.jid!, { preview: true });
  const full = await bot.profile.picture(alice.jid!);
  assertEquals([preview?.id, preview?.type, full?.type], [id, "preview", "image"]);
  const bytes = new Uint8Array(await (await fetch(full!.url)).arrayBuffer());
  assertEquals(bytes, JPEG_A);
  assertEquals(await bot.profile.picture(alice.jid!, { existingId: id }), undefined);
  assertEquals(await bot.profile.picture(bob.jid!), undefined);

  await alice.profile.removePicture();
  assertEquals((await updates.next((e) => e.removed)).jid.user, "15557300201");
  assertEquals(await bot.profile.picture(alice.jid!), undefined);

  const group = wa.createGroup({
    creator: bot.jid!,
    participants: [alice.jid!.toNonAd(), bob.jid!.toNonAd()],
  });
  const atAlice = new Collected(alice, "pictureUpdate");
  const groupId = await bot.profile.setPicture(JPEG_B, { group });
  const g = await atAlice.next((e) => e.jid.isGroup());
  assertEquals([g.pictureId, g.author?.user], [groupId, bot.jid!.user]);
  assertEquals((await alice.profile.picture(group))?.id, groupId);
  const refused = await assertRejects(() => bob.profile.setPicture(JPEG_A, { group }), IqError);
  assertEquals(refused.status, 403);
  await assertRejects(() => bot.profile.setPicture(new Uint8Array([1, 2, 3, 4])), InputError, "JPEG");
});

Deno.test("a picture hidden from non-contacts: 401 for strangers, shown with the owner's tc token", async () => {
  await using env = await botWithPhones(["15557300301", "15557300302"]);
  const { wa, bot, phones: [carol, dave] } = env;
  await carol.profile.setPicture(JPEG_A);
  await carol.privacy.set("profilePhoto", "contacts");
  const hidden = await assertRejects(() => bot.profile.picture(carol.jid!), IqError);
  assertEquals(hidden.status, 401);

  // Carol trusts the bot: the server hands the bot her token, which its requests then carry.
  const carolLid = Jid.lid(wa.phone("15557300301").account.lid);
  const tokenArrived = wa.waitForStanza(
    (n) => n.tag === "ack" && n.attrs.class === "notification" && n.attrs.type === "privacy_token",
    { signal: deadline() },
  );
  await carol.tcTokens.issue([bot.lid!.toNonAd()]);
  await tokenArrived;
  const stored = await bot.tcTokens.get(carolLid);
  assert(stored && stored.token.length > 0, "the bot stored Carol's token");
  assertEquals(await bot.tcTokens.allJids(), [carolLid.toString()]);
  const sent = wa.waitForStanza((n) => n.tag === "iq" && n.attrs.xmlns === "w:profile:picture", {
    signal: deadline(),
  });
  assert(await bot.profile.picture(carol.jid!));
  assertEquals(getChild(getChild(await sent, "picture")!, "tctoken")?.content, stored.token);
  // Dave holds no token: still hidden.
  assertEquals((await assertRejects(() => dave.profile.picture(carol.jid!), IqError)).status, 401);
});

Deno.test("tc tokens: 1:1 messages carry the recipient's token; ours is issued once per bucket", async () => {
  await using env = await botWithPhones(["15557300401"]);
  const { wa, bot, phones: [alice] } = env;
  const issues: string[] = [];
  wa.onStanza((n, device) => {
    const tokens = n.tag === "iq" && n.attrs.xmlns === "privacy" && getChild(n, "tokens");
    if (tokens) issues.push(`${device?.user}:${getChild(tokens, "token")?.attrs.jid}`);
  });
  const atAlice = new Collected(alice, "message");
  const firstIssue = wa.waitForStanza((n) => n.tag === "ack" && n.attrs.type === "privacy_token", {
    signal: deadline(),
  });
  await bot.sendText(alice.jid!.toNonAd(), "one");
  await firstIssue;
  await bot.sendText(alice.jid!.toNonAd(), "two");
  await atAlice.next(withText("two"));
  assertEquals(issues, [`${bot.jid!.user}:${Jid.lid(wa.phone("15557300401").account.lid)}`]);
  // Alice now holds the bot's token, and her messages to the bot carry it.
  const botToken = await alice.tcTokens.get(bot.lid!.toNonAd());
  assert(botToken, "Alice stored the bot's token");
  const message = wa.waitForStanza((n) => n.tag === "message" && n.attrs.to?.startsWith(bot.jid!.user), {
    signal: deadline(),
  });
  await alice.sendText(bot.jid!.toNonAd(), "hi");
  assertEquals(getChild(await message, "tctoken")?.content, botToken.token);
  assertEquals(await bot.tcTokens.pruneExpired(), 0);
});
