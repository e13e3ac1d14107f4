/**
 * Privacy settings end to end: defaults, changes (with the copy our other devices get), refusals, and
 * the default disappearing-messages timer with its notifications (shapes: reference/protocol-facts-
 * features.md 5.4; Baileys messages-recv.js `account_sync`).
 */

import { assertEquals, assertRejects } from "../_assert.ts";
import { InputError, IqError } from "../../src/features/errors.ts";
import { befriend, botWithPhones, Collected } from "./people_helpers.ts";

Deno.test("privacy settings: defaults, a change seen on our phone, bad values refused locally and by the server", async () => {
  await using env = await botWithPhones([], "15557500099");
  const { wa, bot } = env;
  const ownPhone = await wa.phone("15557500099").client();
  const copies = new Collected(ownPhone, "privacySettingsUpdate");
  const before = await bot.privacy.get();
  assertEquals([before.lastSeen, before.readReceipts, before.messages, before.other.defense], [
    "all",
    "all",
    "all",
    "off",
  ]);

  await bot.privacy.set("readReceipts", "none");
  await bot.privacy.set("callAdd", "known");
  assertEquals((await bot.privacy.get()).readReceipts, "none");
  assertEquals((await bot.privacy.get({ refresh: true })).callAdd, "known");
  assertEquals((await copies.next((e) => e.changed.callAdd !== undefined)).changed.callAdd, "known");
  assertEquals((await ownPhone.privacy.get()).readReceipts, "none");

  await assertRejects(() => bot.privacy.set("online", "none" as "all"), InputError, "online takes");
  const raw = await assertRejects(
    () =>
      bot.execute({
        operation: "raw privacy",
        build: () => ({
          namespace: "privacy",
          type: "set",
          content: [{
            tag: "privacy",
            attrs: {},
            content: [{ tag: "category", attrs: { name: "last", value: "nobody" } }],
          }],
        }),
        parse: () => undefined,
      }),
    IqError,
  );
  assertEquals(raw.status, 400);
});

Deno.test("default disappearing timer: set, copied to our phone, announced to contacts", async () => {
  await using env = await botWithPhones(["15557500101"], "15557500199");
  const { wa, bot, phones: [alice] } = env;
  befriend(wa, "15557500101", bot.jid!.user);
  const ownPhone = await wa.phone("15557500199").client();
  const atAlice = new Collected(alice, "disappearingModeChanged");
  const atOwn = new Collected(ownPhone, "disappearingModeChanged");
  await bot.privacy.setDefaultDisappearingTimer(604_800);
  const seen = await atAlice.next();
  assertEquals([seen.from.user, seen.duration], [bot.jid!.user, 604_800]);
  assertEquals((await atOwn.next()).duration, 604_800);
  assertEquals(wa.phone("15557500199").account.disappearing.duration, 604_800);
  await bot.privacy.setDefaultDisappearingTimer(0);
  assertEquals((await atAlice.next((e) => e.duration === 0)).from.user, bot.jid!.user);
  await assertRejects(() => bot.privacy.setDefaultDisappearingTimer(3600), InputError);
});
