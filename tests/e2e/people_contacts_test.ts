/**
 * Contacts end to end: is-on-WhatsApp (many numbers in one usync query, PN and LID answers), user info,
 * LID lookups both ways, business profiles, and the contacts/business notifications (shapes:
 * reference/protocol-facts-features.md 5.2; whatsapp-rust src/handlers/notification.rs).
 */

import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { getChild, Jid } from "../../src/binary/mod.ts";
import { InputError } from "../../src/features/errors.ts";
import { befriend, botWithPhones, Collected } from "./people_helpers.ts";
// After the helpers: they load FakeWhatsApp first, which the server-side modules need initialised.
import {
  announceContactUpdate,
  announceNumberChange,
  requestContactSync,
  setBusinessProfile,
} from "../../src/testing/server_contacts.ts";

Deno.test("isOnWhatsApp: registered and unknown numbers in one query, LIDs learned; empty input asks nothing", async () => {
  await using env = await botWithPhones(["15557200001", "15557200002"]);
  const { wa, bot } = env;
  let queries = 0;
  wa.onStanza((n) => {
    if (n.tag === "iq" && n.attrs.xmlns === "usync" && getChild(getChild(n, "usync")!, "list")) queries++;
  });
  assertEquals(await bot.contacts.isOnWhatsApp([]), []);
  assertEquals(queries, 0);
  const results = await bot.contacts.isOnWhatsApp(["+1 555 720 0001", "15557200002", "+1 (555) 720-0999"]);
  assertEquals(queries, 1);
  assertEquals(results.map((r) => [r.query, r.jid.toString(), r.isRegistered]), [
    ["15557200001", "15557200001@s.whatsapp.net", true],
    ["15557200002", "15557200002@s.whatsapp.net", true],
    ["15557200999", "15557200999@s.whatsapp.net", false],
  ]);
  assertEquals(results[0].lid?.toString(), Jid.lid(wa.phone("15557200001").account.lid).toString());
  assertEquals(results[2].lid, undefined);
  assertEquals((await bot.store.getPnMapping("15557200002"))?.lid, wa.phone("15557200002").account.lid);
  await assertRejects(() => bot.contacts.isOnWhatsApp(["call me"]), InputError, "phone number");
});

Deno.test("isOnWhatsApp for 1,000 numbers is one query and one answer per number", async () => {
  await using env = await botWithPhones([]);
  const { wa, bot } = env;
  const registered = new Set<string>();
  for (let i = 0; i < 20; i++) {
    const n = `1555730${String(i * 50).padStart(4, "0")}`;
    wa.phone(n);
    registered.add(n);
  }
  const numbers = Array.from({ length: 1000 }, (_, i) => `+1555730${String(i).padStart(4, "0")}`);
  let queries = 0;
  wa.onStanza((n) => void (n.tag === "iq" && n.attrs.xmlns === "usync" && queries++));
  const results = await bot.contacts.isOnWhatsApp(numbers);
  assertEquals(queries, 1);
  assertEquals(results.length, 1000);
  assertEquals(results.filter((r) => r.isRegistered).map((r) => r.query).sort(), [...registered].sort());
  assert(results.filter((r) => r.isRegistered).every((r) => r.lid?.isLid()));
});

Deno.test("userInfo: about, picture id, devices, business name, LID; lidForPhoneNumber and back", async () => {
  await using env = await botWithPhones(["15557200101"]);
  const { wa, bot, phones: [phone] } = env;
  const phoneJid = phone.jid!.toNonAd();
  await phone.profile.setAbout("At the beach");
  const pictureId = await phone.profile.setPicture(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]));
  setBusinessProfile(wa, wa.phone("15557200101").account, {
    verifiedName: "Beach Bar",
    description: "Drinks",
  });
  await wa.phone("15557200101").addCompanion();

  const info = (await bot.contacts.userInfo([phoneJid])).get(phoneJid.toString())!;
  assertEquals(info.about, "At the beach");
  assert(info.aboutSetAt instanceof Date);
  assertEquals(info.pictureId, pictureId);
  assertEquals(info.devices.map((d) => d.device), [0, 1]);
  assertEquals([info.isBusiness, info.verifiedName], [true, "Beach Bar"]);
  const lid = Jid.lid(wa.phone("15557200101").account.lid);
  assertEquals(info.lid?.toString(), lid.toString());

  assertEquals((await bot.contacts.lidForPhoneNumber(phoneJid))?.toString(), lid.toString());
  assertEquals((await bot.contacts.phoneNumberForLid(lid))?.toString(), phoneJid.toString());
  assertEquals(await bot.contacts.lidForPhoneNumber("15557200999@s.whatsapp.net"), undefined);
  await assertRejects(() => bot.contacts.phoneNumberForLid(phoneJid), InputError);
  await assertRejects(() => bot.contacts.userInfo(["120363000000000000@g.us"]), InputError);

  const biz = await bot.profile.businessProfile(phoneJid);
  assertEquals([biz?.jid.toString(), biz?.description], [phoneJid.toString(), "Drinks"]);
  assertEquals(await bot.profile.businessProfile(bot.jid!), undefined);
});

Deno.test("contact notifications: updated, number changed (mappings learned), sync requested, business changes", async () => {
  await using env = await botWithPhones(["15557200201"]);
  const { wa, bot } = env;
  const alice = wa.phone("15557200201").account;
  befriend(wa, "15557200201", bot.jid!.user);
  const updated = new Collected(bot, "contactUpdated");
  const changed = new Collected(bot, "contactNumberChanged");
  const sync = new Collected(bot, "contactSyncRequested");
  const business = new Collected(bot, "businessStatusUpdate");

  announceContactUpdate(wa, alice);
  assertEquals((await updated.next()).jid.toString(), "15557200201@s.whatsapp.net");

  const change = {
    oldJid: Jid.pn("15557200201"),
    newJid: Jid.pn("15557200202"),
    oldLid: Jid.lid(alice.lid),
    newLid: Jid.lid("987654321098765"),
  };
  announceNumberChange(wa, alice, change);
  const c = await changed.next();
  assertEquals(
    [c.oldJid, c.newJid, c.oldLid, c.newLid].map(String),
    [change.oldJid, change.newJid, change.oldLid, change.newLid].map(String),
  );
  assertEquals((await bot.store.getLidMapping("987654321098765"))?.phoneNumber, "15557200202");

  const after = new Date(1_700_000_000_000);
  requestContactSync(wa, wa.phone(bot.jid!.user).account, after);
  assertEquals((await sync.next()).after?.getTime(), after.getTime());

  setBusinessProfile(wa, alice, { verifiedName: "Alice Ltd" });
  const named = await business.next();
  assertEquals([named.kind, named.verifiedName, named.jid.user], [
    "verified_name_changed",
    "Alice Ltd",
    "15557200201",
  ]);
  setBusinessProfile(wa, alice, { verifiedName: "Alice Ltd", description: "new" });
  assertEquals((await business.next((e) => e.kind === "profile_updated")).jid.user, "15557200201");
  setBusinessProfile(wa, alice, undefined);
  await business.next((e) => e.kind === "removed_as_business");
});
