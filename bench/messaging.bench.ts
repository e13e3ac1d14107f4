/**
 * Messaging through FakeWhatsApp on loopback, each against the Signal-only cost of the same work:
 *
 * - 1:1 latency: `sendText` on one client until the `message` event on the other (encrypt, marshal, Noise,
 *   WebSocket, server routing, Noise, unmarshal, decrypt, flush, ack), against one Signal encrypt + decrypt.
 * - 1:1 throughput: 100 messages pipelined from one sender, until all 100 arrived (messages per second =
 *   100 x iter/s), against 100 Signal encrypt + decrypt pairs.
 * - Group send to 256 members with 3 devices each (768 devices): the sender key message plus a sender-key
 *   distribution message for every device over existing sessions, marshalled, sent and acked, against
 *   the same Signal operations alone.
 *
 * Run: deno bench --allow-read --allow-write --allow-env --allow-net=127.0.0.1 --allow-sys bench/messaging.bench.ts
 */

import { Jid } from "../src/binary/mod.ts";
import { generateKeyPair } from "../src/crypto/mod.ts";
import { Message } from "../src/proto/mod.ts";
import {
  createSenderKeyDistributionMessage,
  decryptMessage,
  encryptMessage,
  encryptMessages,
  generatePreKeys,
  generateRegistrationId,
  generateSignedPreKey,
  groupEncrypt,
  makePreKeyBundle,
  MemorySignalStore,
  padMessage,
  type PreKeyBundle,
  processPreKeyBundle,
  senderKeyName,
  type SignalContext,
} from "../src/signal/mod.ts";
import { FakeWhatsApp } from "../src/testing/mod.ts";
import { pairedClient } from "./_paired_client.ts";

const wa = await FakeWhatsApp.start();
const bot = await pairedClient(wa, "15559990000");
const friend = await wa.phone("15559990001").client();
const botUser = bot.jid!.toNonAd();
await friend.sendText(botUser, "warm-up");
await bot.waitFor("message");

function arrived(count: number): Promise<void> {
  let n = 0;
  const { promise, resolve } = Promise.withResolvers<void>();
  const off = bot.on("message", () => {
    if (++n === count) {
      off();
      resolve();
    }
  });
  return promise;
}

// ---- Signal-only 1:1 baseline -------------------------------------------------------------------

function party(): SignalContext {
  return {
    store: new MemorySignalStore(),
    identity: { identityKeyPair: generateKeyPair(), registrationId: generateRegistrationId() },
  };
}
const alice = party(), bob = party();
const bobSpk = generateSignedPreKey(bob.identity.identityKeyPair, 1);
await bob.store.storeSignedPreKey(bobSpk);
const [bobPk] = generatePreKeys(1, 1);
await bob.store.storePreKeys([bobPk]);
await processPreKeyBundle(alice, "bob.0", makePreKeyBundle(bob.identity, bobSpk, bobPk));
const first = await encryptMessage(alice, "bob.0", padMessage(Message.encode({ conversation: "hi" })));
await decryptMessage(bob, "alice.0", first.type, first.ciphertext);
const plaintext = Message.encode({ conversation: "hello, this is a benchmark message" });
async function signalRoundTrip(): Promise<void> {
  const m = await encryptMessage(alice, "bob.0", padMessage(plaintext));
  await decryptMessage(bob, "alice.0", m.type, m.ciphertext);
}

Deno.bench(
  "Signal only: encrypt + decrypt one message",
  { group: "1:1 latency", baseline: true },
  async () => {
    await signalRoundTrip();
  },
);
Deno.bench("through FakeWhatsApp: sendText -> message event", { group: "1:1 latency" }, async () => {
  const got = arrived(1);
  await friend.sendText(botUser, "hello, this is a benchmark message");
  await got;
});

Deno.bench("Signal only: 100 encrypt + decrypt", { group: "1:1 x100", baseline: true }, async () => {
  for (let i = 0; i < 100; i++) await signalRoundTrip();
});
Deno.bench("through FakeWhatsApp: 100 messages pipelined", { group: "1:1 x100" }, async () => {
  const got = arrived(100);
  const sends = [];
  for (let i = 0; i < 100; i++) sends.push(friend.sendText(botUser, `burst ${i}`));
  await Promise.all(sends);
  await got;
});

// ---- group send to 256 members x 3 devices ----------------------------------------------------

const MEMBERS = 256, DEVICES = 3;
const members: Jid[] = [];
const bundles: [Jid, PreKeyBundle][] = [];
for (let m = 0; m < MEMBERS; m++) {
  const phone = `1555800${String(m).padStart(4, "0")}`;
  const account = wa.accounts.getOrCreate(phone);
  members.push(Jid.pn(phone));
  for (let d = 0; d < DEVICES; d++) {
    const identity = d === 0 ? account.identity : generateKeyPair();
    const registrationId = generateRegistrationId();
    const spk = generateSignedPreKey(identity, 1);
    const preKeys = generatePreKeys(1, 2);
    const device = {
      id: d,
      identityKey: identity.publicKey,
      registrationId,
      signedPreKey: { keyId: 1, publicKey: spk.keyPair.publicKey, signature: spk.signature },
      preKeys: new Map(preKeys.map((k) => [k.keyId, k.publicKey])),
      keyIndex: d,
      platform: "bench",
    };
    account.devices.set(d, device);
    bundles.push([
      Jid.pn(phone, d),
      makePreKeyBundle({ identityKeyPair: identity, registrationId }, spk, preKeys[1], d),
    ]);
  }
  account.nextDeviceId = DEVICES;
}
const group = wa.createGroup({ creator: bot.jid!, participants: members, subject: "bench" });
// First send: sessions with all 768 devices (X3DH), not measured.
await bot.sendText(group, "setup");

// The Signal-only baseline: the same sessions in a separate in-memory store.
const sender = party();
for (const [jid, bundle] of bundles) await processPreKeyBundle(sender, jid.toSignalAddress(), bundle);
const addresses = bundles.map(([jid]) => jid.toSignalAddress());
const groupPlaintext = Message.encode({ conversation: "hello group" });

Deno.bench("Signal only: skmsg + SKDM for 768 devices (existing sessions)", {
  group: "group send 256x3",
  baseline: true,
}, async () => {
  const name = senderKeyName(group.toString(), "me.0");
  const skdm = await createSenderKeyDistributionMessage(sender, name);
  await groupEncrypt(sender, name, padMessage(groupPlaintext));
  const skdmMessage = padMessage(Message.encode({
    senderKeyDistributionMessage: { groupId: group.toString(), axolotlSenderKeyDistributionMessage: skdm },
  }));
  await encryptMessages(sender, addresses.map((a) => [a, skdmMessage] as const));
});
Deno.bench("through FakeWhatsApp: sendText to the group (SKDM to 768 devices), until acked", {
  group: "group send 256x3",
}, async () => {
  // Forget who has our sender key, so every send distributes it to all 768 devices again.
  await bot.store.clearSkdmRecipients(group.toString());
  await bot.sendText(group, "hello group");
});

globalThis.addEventListener("unload", () => {
  void Promise.allSettled([bot.disconnect(), wa.stop()]);
});
