import { assert, assertEquals } from "../_assert.ts";
import { placeCall } from "../../src/testing/mod.ts";
import { deadline, newClient, pairByQr, startServer } from "./helpers.ts";

Deno.test("a phone calls the bot: the offer is a call event, the bot rejects it, the phone hears the rejection", async () => {
  await using wa = await startServer();
  const phone = wa.phone("15550500001");
  const primary = await phone.client();
  await using bot = await newClient(wa);
  await pairByQr(bot, wa.phone("15550500099"));

  const offered = bot.waitFor("call", { signal: deadline() });
  const placed = placeCall(wa, { from: "15550500001", to: bot.jid!.toNonAd(), video: true });
  const call = await offered;
  assertEquals(call.kind, "offer");
  assertEquals(call.callId, placed.callId);
  assertEquals(call.creator.toString(), phone.jid.toString());
  assertEquals(call.callerAlt?.toString(), phone.lid.toNonAd().toString());
  assertEquals(call.isVideo, true);
  assertEquals(call.isGroup, false);
  assertEquals(call.offline, false);
  assertEquals(call.pushName, phone.account.pushName);

  const heard = primary.waitFor("callUpdate", { filter: (u) => u.kind === "reject", signal: deadline() });
  await bot.calls.reject(call);
  const outcome = await placed.outcome;
  assertEquals(outcome.kind, "reject");
  assertEquals(outcome.by.toString(), bot.jid!.toString());
  const update = await heard;
  assertEquals(update.callId, placed.callId);
  assertEquals(update.from.toNonAd().toString(), bot.jid!.toNonAd().toString());
});

Deno.test("a group call offer while the bot was offline arrives at its next login, marked offline", async () => {
  await using wa = await startServer();
  await using bot = await newClient(wa);
  await pairByQr(bot, wa.phone("15550500098"));
  const group = wa.createGroup({ creator: bot.jid!, participants: [wa.phone("15550500002").jid.toNonAd()] });
  await bot.disconnect();
  await wa.waitForOffline(bot.jid!);
  const placed = placeCall(wa, { from: "15550500002", to: bot.jid!.toNonAd(), group });
  const offered = bot.waitFor("call", { signal: deadline() });
  await bot.connect({ signal: deadline() });
  const call = await offered;
  assertEquals(call.callId, placed.callId);
  assert(call.isGroup, "a group call");
  assertEquals(call.groupJid?.toString(), group.toString());
  assertEquals(call.isVideo, false);
  assertEquals(call.offline, true);
  await bot.calls.reject(call);
  assertEquals((await placed.outcome).kind, "reject");
});
