// What a hostile server or a confused one can send a logged-in bot, and what it must not achieve: forged
// keys, planted mappings, pairing stanzas, unknown errors, messages that vanish, sends that never settle.
// Each test sends the stanza through FakeWhatsApp's `faults.sendStanza` on the bot's live connection.
import { assert, assertEquals, assertInstanceOf } from "../_assert.ts";
import { Jid, type NodeInput } from "../../src/binary/mod.ts";
import { clientInternals } from "../../src/client/client.ts";
import { DecryptError, SendError } from "../../src/features/errors.ts";
import { Message } from "../../src/proto/mod.ts";
import {
  encryptMessage,
  generateIdentityKeyPair,
  generateRegistrationId,
  MemorySignalStore,
  padMessage,
  type PreKeyBundle,
  processPreKeyBundle,
} from "../../src/signal/mod.ts";
import { encodePreKeySignalMessage, parsePreKeySignalMessage } from "../../src/signal/messages.ts";
import type { FakeWhatsApp } from "../../src/testing/mod.ts";
import { deadline, newClient, pairByQr, startServer } from "./helpers.ts";

/** A Signal session a stranger (not the account the stanza claims) sets up to `target` from the server's bundle. */
async function strangerSession(wa: FakeWhatsApp, target: Jid) {
  const found = wa.accounts.device(target)!;
  const [keyId, publicKey] = found.device.preKeys.entries().next().value!;
  found.device.preKeys.delete(keyId);
  const bundle: PreKeyBundle = {
    registrationId: found.device.registrationId,
    deviceId: target.device,
    identityKey: found.device.identityKey,
    signedPreKey: { ...found.device.signedPreKey },
    preKey: { keyId, publicKey },
  };
  const ctx = {
    store: new MemorySignalStore(),
    identity: { identityKeyPair: generateIdentityKeyPair(), registrationId: generateRegistrationId() },
  };
  await processPreKeyBundle(ctx, "victim.0", bundle);
  return {
    /** A pkmsg for `text`, with its MAC broken when `tamper` is set. */
    async pkmsg(text: string, tamper: boolean): Promise<Uint8Array> {
      const { ciphertext } = await encryptMessage(
        ctx,
        "victim.0",
        padMessage(Message.encode({ conversation: text })),
      );
      if (!tamper) return ciphertext;
      const p = parsePreKeySignalMessage(ciphertext);
      const inner = p.message.serialized.slice();
      inner[inner.length - 1] ^= 0xff;
      return encodePreKeySignalMessage(
        p.registrationId,
        p.preKeyId,
        p.signedPreKeyId,
        p.baseKey,
        p.identityKey,
        inner,
      );
    },
  };
}

function messageStanza(
  from: Jid,
  id: string,
  encs: Array<{ type: string; bytes: Uint8Array }>,
  extra: Record<string, string> = {},
): NodeInput {
  return {
    tag: "message",
    attrs: { from, id, t: String(Math.floor(Date.now() / 1000)), type: "text", ...extra },
    content: encs.map((e) => ({ tag: "enc", attrs: { v: "2", type: e.type }, content: e.bytes })),
  };
}

Deno.test("a pkmsg naming a new identity key with a bad MAC changes no session, no identity, fires no identityChange", async () => {
  await using wa = await startServer();
  const phone = wa.phone("15551000001");
  const primary = await phone.client();
  await using bot = await newClient(wa);
  await pairByQr(bot, wa.phone("15551000099"));
  const first = bot.waitFor("message", { signal: deadline() });
  await primary.sendText(bot.jid!.toNonAd(), "hello");
  await first;
  const store = clientInternals(bot).store;
  const address = Jid.lid(phone.lid.user, 0).toSignalAddress();
  const identityBefore = await store.loadIdentity(address);
  const sessionBefore = (await store.loadSession(address))?.serialize();
  assert(identityBefore && sessionBefore, "the bot has a session with the phone");

  let identityChanges = 0;
  bot.on("identityChange", () => void identityChanges++);
  const stranger = await strangerSession(wa, bot.jid!);
  const failed = bot.waitFor("undecryptableMessage", {
    signal: deadline(),
    filter: (e) => e.info.id === "FORGED1",
  });
  await wa.faults.sendStanza(
    bot.jid!,
    messageStanza(phone.jid, "FORGED1", [{ type: "pkmsg", bytes: await stranger.pkmsg("forged", true) }]),
  );
  const event = await failed;
  assertInstanceOf(event.error, DecryptError);
  assertEquals(event.error.code, "bad_mac");
  await bot.waitUntilIdle();
  assertEquals(await store.loadIdentity(address), identityBefore, "the forged identity key was not stored");
  assertEquals((await store.loadSession(address))?.serialize(), sessionBefore, "the session is untouched");
  assertEquals(identityChanges, 0);
  // The real contact's next message still decrypts with the untouched session.
  const next = bot.waitFor("message", {
    signal: deadline(),
    filter: (e) => e.message.conversation === "still here",
  });
  await primary.sendText(bot.jid!.toNonAd(), "still here");
  await next;
});

Deno.test("an undecryptable stanza does not plant a LID mapping; a verified message teaches it", async () => {
  await using wa = await startServer();
  await using bot = await newClient(wa);
  await pairByQr(bot, wa.phone("15551000199"));
  const store = clientInternals(bot).store;
  const stranger = await strangerSession(wa, bot.jid!);
  // Claims that +15551000101 is LID 777777: the ciphertext does not verify.
  const claimed = Jid.pn("15551000101", 0);
  const failed = bot.waitFor("undecryptableMessage", { signal: deadline() });
  await wa.faults.sendStanza(
    bot.jid!,
    messageStanza(claimed, "PLANT1", [{ type: "pkmsg", bytes: await stranger.pkmsg("x", true) }], {
      sender_lid: "777777@lid",
    }),
  );
  await failed;
  await bot.waitUntilIdle();
  assertEquals(await store.getPnMapping("15551000101"), undefined, "no mapping from an unverified stanza");
  // A real message from a phone whose stanza carries its LID is verified, and its mapping learned.
  const phone = wa.phone("15551000102");
  const primary = await phone.client();
  const got = bot.waitFor("message", { signal: deadline() });
  await primary.sendText(bot.jid!.toNonAd(), "verified");
  await got;
  await bot.waitUntilIdle();
  assertEquals((await store.getPnMapping(phone.jid.user))?.lid, phone.lid.user);
});

Deno.test("pairing stanzas and a <failure> on a logged-in connection are refused; the bot keeps working", async () => {
  await using wa = await startServer();
  const phone = wa.phone("15551000201");
  const primary = await phone.client();
  await using bot = await newClient(wa);
  await pairByQr(bot, wa.phone("15551000299"));
  let qrs = 0;
  bot.on("pairingQrCode", () => void qrs++);
  let stops = 0;
  bot.on("disconnected", (e) => void (e.willReconnect ? 0 : stops++));
  const refusal = (id: string) =>
    wa.waitForStanza((n) => n.tag === "iq" && n.attrs.id === id && n.attrs.type === "error", {
      signal: deadline(),
    });
  const refusedDevice = refusal("PD1");
  await wa.faults.sendStanza(bot.jid!, {
    tag: "iq",
    attrs: { from: "s.whatsapp.net", id: "PD1", type: "set", xmlns: "md" },
    content: [{ tag: "pair-device", attrs: {}, content: [{ tag: "ref", attrs: {}, content: "ref-1" }] }],
  });
  await refusedDevice;
  const refusedSuccess = refusal("PS1");
  await wa.faults.sendStanza(bot.jid!, {
    tag: "iq",
    attrs: { from: "s.whatsapp.net", id: "PS1", type: "set", xmlns: "md" },
    content: [{
      tag: "pair-success",
      attrs: {},
      content: [{ tag: "device", attrs: { jid: "19999999999:9@s.whatsapp.net" } }],
    }],
  });
  await refusedSuccess;
  await wa.faults.sendStanza(bot.jid!, { tag: "failure", attrs: { reason: "401" } });
  const got = bot.waitFor("message", { signal: deadline() });
  await primary.sendText(bot.jid!.toNonAd(), "after the noise");
  assertEquals((await got).message.conversation, "after the noise");
  assertEquals([qrs, stops, bot.isLoggedIn, bot.jid?.user], [0, 0, true, "15551000299"]);
});

Deno.test("a 1:1 message whose only enc cannot be read here becomes an undecryptableMessage event, and is acked", async () => {
  await using wa = await startServer();
  const phone = wa.phone("15551000301");
  await using bot = await newClient(wa);
  await pairByQr(bot, wa.phone("15551000399"));
  for (const [id, type] of [["SK1", "skmsg"], ["FR1", "frskmsg"], ["MS1", "msmsg"]]) {
    const event = bot.waitFor("undecryptableMessage", {
      signal: deadline(),
      filter: (e) => e.info.id === id,
    });
    const acked = wa.waitForStanza((n) => n.tag === "ack" && n.attrs.id === id, { signal: deadline() });
    await wa.faults.sendStanza(bot.jid!, messageStanza(phone.jid, id, [{ type, bytes: new Uint8Array(40) }]));
    const e = await event;
    assertEquals(e.error.code, "unsupported_type", `${type}: ${e.error.message}`);
    assert(e.error.message.includes(type), e.error.message);
    await acked;
  }
});

Deno.test("malformed retry receipts and receipts are acked anyway", async () => {
  await using wa = await startServer();
  await using bot = await newClient(wa);
  await pairByQr(bot, wa.phone("15551000499"));
  const receipts: NodeInput[] = [
    {
      tag: "receipt",
      attrs: { from: "15551000401@s.whatsapp.net", id: "R1", type: "retry", participant: "not a jid" },
    },
    {
      tag: "receipt",
      attrs: { from: "15551000401@s.whatsapp.net", id: "R2", type: "retry", recipient: "???" },
      content: [{ tag: "retry", attrs: { count: "x", id: "R2" } }],
    },
    { tag: "receipt", attrs: { from: "no@such@jid", id: "R3", type: "read" } },
    { tag: "receipt", attrs: { from: "15551000401@s.whatsapp.net", id: "R4", type: "retry" } },
  ];
  for (const receipt of receipts) {
    const id = String(receipt.attrs!.id);
    const acked = wa.waitForStanza(
      (n) => n.tag === "ack" && n.attrs.id === id && n.attrs.class === "receipt",
      {
        signal: deadline(),
      },
    );
    await wa.faults.sendStanza(bot.jid!, receipt);
    await acked;
  }
  assert(bot.isLoggedIn);
});

Deno.test("two concurrent sends with the same id both settle", async () => {
  await using wa = await startServer();
  const phone = wa.phone("15551000501");
  await phone.client();
  await using bot = await newClient(wa);
  await pairByQr(bot, wa.phone("15551000599"));
  const to = phone.jid.toNonAd();
  const results = await Promise.allSettled([
    bot.sendText(to, "one", { id: "SAMEID0001", timeoutMs: 5_000 }),
    bot.sendText(to, "two", { id: "SAMEID0001", timeoutMs: 5_000 }),
  ]);
  assertEquals(results.map((r) => r.status), ["fulfilled", "fulfilled"]);
  for (const r of results) if (r.status === "fulfilled") assertEquals(r.value.id, "SAMEID0001");
});

Deno.test("retry receipts to strangers are budgeted per sender and in total; each message still becomes an event", async () => {
  await using wa = await startServer();
  await using bot = await newClient(wa);
  await pairByQr(bot, wa.phone("15551000699"));
  const store = clientInternals(bot).store;
  const retries: string[] = [];
  const keyed: string[] = [];
  const off = wa.onStanza((n) => {
    if (n.tag !== "receipt" || n.attrs.type !== "retry") return;
    retries.push(n.attrs.id);
    if (Array.isArray(n.content) && n.content.some((c) => c.tag === "keys")) keyed.push(n.attrs.id);
  });
  const nextPreKeyBefore = bot.device.nextPreKeyId;
  let events = 0;
  bot.on("undecryptableMessage", () => void events++);
  // 150 strangers, each sending garbage that looks like a msg (no session: each would cost fresh keys).
  for (let i = 0; i < 150; i++) {
    await wa.faults.sendStanza(
      bot.jid!,
      messageStanza(Jid.pn(`1666000${String(i).padStart(4, "0")}`, 0), `STR${i}`, [{
        type: "msg",
        bytes: new Uint8Array(60).fill(i),
      }]),
    );
  }
  // And one stranger sending 30 messages.
  for (let i = 0; i < 30; i++) {
    await wa.faults.sendStanza(
      bot.jid!,
      messageStanza(Jid.pn("16660009999", 0), `ONE${i}`, [{ type: "msg", bytes: new Uint8Array(60) }]),
    );
  }
  const done = deadline();
  while (events < 180 && !done.aborted) {
    await bot.waitFor("undecryptableMessage", { signal: done }).catch(() => {});
  }
  await bot.waitUntilIdle();
  off();
  assertEquals(events, 180, "every message is an event");
  assert(retries.length <= 100, `at most 100 retry receipts a minute, got ${retries.length}`);
  assert(keyed.length <= 20, `at most 20 with fresh keys, got ${keyed.length}`);
  assert(retries.filter((id) => id.startsWith("ONE")).length <= 10, "at most 10 for one sender");
  assertEquals(
    bot.device.nextPreKeyId - nextPreKeyBefore,
    keyed.length,
    "one prekey per keyed retry, no more",
  );
  assert((await store.loadPreKey(nextPreKeyBefore + 25)) === undefined, "no prekey rows beyond the budget");
});

Deno.test("sending to broadcast lists and bare numbers says what is wrong; @c.us is normalised", async () => {
  await using wa = await startServer();
  await using bot = await newClient(wa);
  await pairByQr(bot, wa.phone("15551000799"));
  const list = await bot.sendText("1700000000@broadcast", "hi").catch((e) => e);
  assertInstanceOf(list, SendError);
  assertEquals(list.code, "not_supported");
  const bare = await bot.sendText("15551234567", "hi").catch((e) => e);
  assertEquals(bare.code, "invalid_jid");
  assert(bare.message.includes("15551234567@s.whatsapp.net"), bare.message);
  // @c.us is the same user as @s.whatsapp.net.
  const phone = wa.phone("15551000701");
  await phone.client();
  const sent = await bot.sendText("15551000701@c.us", "legacy form");
  assertEquals(sent.chat.toString(), "15551000701@s.whatsapp.net");
  assertEquals(sent.key, { remoteJid: "15551000701@s.whatsapp.net", fromMe: true, id: sent.id });
});

Deno.test("past the in-flight bound, stanzas are left to the server and come back after a reconnect: none lost, in order", async () => {
  await using wa = await startServer();
  const phone = wa.phone("15551000801");
  const primary = await phone.client();
  await using bot = await newClient(wa, { timings: { maxInFlightStanzas: 3 } });
  await pairByQr(bot, wa.phone("15551000899"));
  const gate = Promise.withResolvers<void>();
  const got: string[] = [];
  const all = Promise.withResolvers<void>();
  bot.on("message", async ({ message }) => {
    await gate.promise; // a slow handler: the first messages hold every in-flight slot
    got.push(message.conversation ?? "");
    if (got.length === 20) all.resolve();
  });
  const overflowed = bot.waitFor("disconnected", {
    signal: deadline(),
    filter: (e) => e.reason.includes("overflow") && e.willReconnect,
  });
  const sent: string[] = [];
  for (let i = 0; i < 20; i++) {
    sent.push(`slow ${i}`);
    await primary.sendText(bot.jid!.toNonAd(), `slow ${i}`);
  }
  gate.resolve();
  await overflowed;
  await Promise.race([
    all.promise,
    new Promise((_, reject) =>
      deadline().addEventListener("abort", () => reject(new Error(`got ${got.length}`)))
    ),
  ]);
  await bot.waitUntilIdle();
  assertEquals(got, sent, "every message once, in order");
});
