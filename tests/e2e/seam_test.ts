// The client's seam and its concurrency rules, end to end: handler failures become `error` events,
// prekey ids are never handed out twice, retries from several devices are all answered, concurrent device
// lookups share one query, a lid-addressed group send never targets this device, and device list changes
// reach the sender.
import { assert, assertEquals } from "../_assert.ts";
import { getChild, getChildren, type Node } from "../../src/binary/mod.ts";
import { clientInternals } from "../../src/client/client.ts";
import { reservePreKeys } from "../../src/client/prekeys.ts";
import { deadline, newClient, pairByQr, startServer } from "./helpers.ts";

Deno.test("a listener that throws is reported as an error event with its stack; the client carries on", async () => {
  await using wa = await startServer();
  const phone = wa.phone("15553000001");
  const primary = await phone.client();
  await using bot = await newClient(wa);
  await pairByQr(bot, wa.phone("15553000099"));
  bot.on("message", (e) => {
    if (e.message.conversation === "boom") throw new Error("listener bug");
  });
  const reported = bot.waitFor("error", { signal: deadline() });
  await primary.sendText(bot.jid!.toNonAd(), "boom");
  const { error, context } = await reported;
  assert(
    error instanceof Error && error.message === "listener bug" && error.stack?.includes("seam_test"),
    String(error),
  );
  assert(context.includes("message"), context);
  const next = bot.waitFor("message", {
    signal: deadline(),
    filter: (e) => e.message.conversation === "fine",
  });
  await primary.sendText(bot.jid!.toNonAd(), "fine");
  await next;
});

Deno.test("concurrent prekey reservations never share an id", async () => {
  await using wa = await startServer();
  await using bot = await newClient(wa);
  await pairByQr(bot, wa.phone("15553000199"));
  const core = clientInternals(bot).core;
  const first = bot.device.nextPreKeyId;
  const batches = await Promise.all([
    reservePreKeys(core, 50),
    reservePreKeys(core, 1),
    reservePreKeys(core, 30),
  ]);
  const ids = batches.flat().map((k) => k.keyId);
  assertEquals(new Set(ids).size, ids.length, "no id twice");
  assertEquals(ids.toSorted((a, b) => a - b), Array.from({ length: 81 }, (_, i) => first + i));
  assertEquals(bot.device.nextPreKeyId, first + 81);
  for (const k of batches.flat()) assertEquals((await bot.store.loadPreKey(k.keyId))?.publicKey, k.publicKey);
});

Deno.test("retry receipts from two devices for one message are both answered", async () => {
  await using wa = await startServer();
  const phone = wa.phone("15553000201");
  await phone.client();
  const companion = await phone.addCompanion();
  await using bot = await newClient(wa);
  await pairByQr(bot, wa.phone("15553000299"));
  const sent = await bot.sendText(phone.jid.toNonAd(), "say again?");
  const resent: Node[] = [];
  const both = Promise.withResolvers<void>();
  const off = wa.onStanza((n, device) => {
    if (
      n.tag === "message" && n.attrs.id === sent.id && device?.user === bot.jid!.user &&
      n.attrs.device_fanout === "false"
    ) {
      resent.push(n);
      if (resent.length === 2) both.resolve();
    }
  });
  for (const device of [phone.jid, companion.jid!]) {
    await wa.faults.sendStanza(bot.jid!, {
      tag: "receipt",
      attrs: { from: device, id: sent.id, type: "retry", t: String(Math.floor(Date.now() / 1000)) },
      content: [
        {
          tag: "retry",
          attrs: { count: "1", id: sent.id, t: String(Math.floor(Date.now() / 1000)), v: "1" },
        },
        { tag: "registration", attrs: {}, content: new Uint8Array([0, 0, 0, 1]) },
      ],
    });
  }
  await Promise.race([
    both.promise,
    new Promise((_, r) =>
      deadline().addEventListener("abort", () => r(new Error(`${resent.length} resent`)))
    ),
  ]);
  off();
  assertEquals(
    resent.map((n) => n.attrs.to).sort(),
    [phone.jid.toString(), companion.jid!.toString()].sort(),
  );
});

Deno.test("concurrent device lookups of one user share one usync query", async () => {
  await using wa = await startServer();
  const phone = wa.phone("15553000301");
  await using bot = await newClient(wa);
  await pairByQr(bot, wa.phone("15553000399"));
  let queries = 0;
  const off = wa.onStanza((n) => {
    if (n.tag === "iq" && n.attrs.xmlns === "usync") queries++;
  });
  const devices = clientInternals(bot).messaging.devices;
  const results = await Promise.all(
    Array.from({ length: 5 }, () => devices.getDevices([phone.jid.toNonAd()])),
  );
  off();
  assertEquals(queries, 1);
  for (const r of results) assertEquals(r.map(String), [phone.jid.toString()]);
});

Deno.test("a send into a lid-addressed group never targets this device, in either addressing", async () => {
  await using wa = await startServer();
  const alice = wa.phone("15553000401");
  await alice.client();
  await using bot = await newClient(wa);
  const botPhone = wa.phone("15553000499");
  await pairByQr(bot, botPhone);
  const group = wa.createGroup({ creator: alice.jid, participants: [botPhone.jid], addressingMode: "lid" });
  const targets: string[] = [];
  const fetched: string[] = [];
  const off = wa.onStanza((n, device) => {
    if (device?.user !== bot.jid!.user || device.device !== bot.jid!.device) return;
    if (n.tag === "message") {
      for (const to of getChildren(getChild(n, "participants") ?? n, "to")) targets.push(to.attrs.jid);
    }
    if (n.tag === "iq" && n.attrs.xmlns === "encrypt") {
      const key = getChild(n, "key");
      for (const user of key ? getChildren(key, "user") : []) fetched.push(user.attrs.jid);
    }
  });
  await bot.sendText(group, "hello group");
  off();
  const mine = [bot.jid!.toString(), bot.lid!.toString()];
  assert(targets.length > 0, "the message went to someone");
  for (const t of [...targets, ...fetched]) assert(!mine.includes(t), `${t} is this device`);
});

Deno.test("a device linked later is announced; the next message reaches it", async () => {
  await using wa = await startServer();
  const phone = wa.phone("15553000501");
  await phone.client();
  await using bot = await newClient(wa);
  await pairByQr(bot, wa.phone("15553000599"));
  await bot.sendText(phone.jid.toNonAd(), "before"); // the bot knows the phone's single device now
  const announced = wa.waitForStanza(
    (n, d) =>
      n.tag === "ack" && n.attrs.class === "notification" && n.attrs.type === "devices" &&
      d?.user === bot.jid!.user,
    { signal: deadline() },
  );
  const companion = await phone.addCompanion();
  await announced;
  const got = companion.waitFor("message", {
    signal: deadline(),
    filter: (e) => e.message.conversation === "after",
  });
  await bot.sendText(phone.jid.toNonAd(), "after");
  await got;
});

Deno.test("the start-up IQs a real client sends get answers, not 501", async () => {
  await using wa = await startServer();
  await using bot = await newClient(wa);
  await pairByQr(bot, wa.phone("15553000699"));
  const rt = clientInternals(bot);
  const abt = await rt.query({
    namespace: "abt",
    type: "get",
    content: [{ tag: "props", attrs: { protocol: "1" } }],
  });
  assert(getChildren(getChild(abt, "props")!, "prop").length > 0);
  const blocklist = await rt.query({ namespace: "blocklist", type: "get" });
  assert(getChild(blocklist, "list"));
  const privacy = await rt.query({
    namespace: "privacy",
    type: "get",
    content: [{ tag: "privacy", attrs: {} }],
  });
  assert(getChildren(getChild(privacy, "privacy")!, "category").length >= 8);
});
