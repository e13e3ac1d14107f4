/**
 * Virtual devices are real clients: the phone's device 0 (identity = the account identity, a
 * self-consistent ADV identity) and extra companions (signed by the account key) log in over loopback,
 * upload prekeys, show up in usync and linkedDevices, and are stopped with the server. ADV signature
 * layout: reference/protocol-facts.md "pair-success / ADV" (as implemented in src/client/pair_crypto.ts).
 */

import { assert, assertEquals } from "../_assert.ts";
import { Jid } from "../../src/binary/mod.ts";
import {
  ADV_ACCOUNT_SIGNATURE_PREFIX,
  ADV_DEVICE_SIGNATURE_PREFIX,
  verifyDeviceSignature,
} from "../../src/client/pair_crypto.ts";
import { concatBytes, xeddsaVerify } from "../../src/crypto/mod.ts";
import { ADVDeviceIdentity, ADVSignedDeviceIdentity } from "../../src/proto/mod.ts";
import { PRIMARY_PREKEY_COUNT } from "../../src/testing/primary_device.ts";
import {
  deadline,
  enc,
  Inbox,
  newClient,
  newId,
  pairByQr,
  pairedClient,
  participants,
  payload,
  sendAndAck,
  startServer,
} from "./helpers.ts";

Deno.test("every account has device 0 with keys before its client runs; a message sent then is read once it does", async () => {
  await using wa = await startServer();
  const phone = wa.phone("15550006002");
  const device0 = phone.account.devices.get(0);
  assert(device0, "device 0 exists as soon as the account does");
  assertEquals(device0.identityKey, phone.identityKey);
  assertEquals(device0.preKeys.size, PRIMARY_PREKEY_COUNT);
  await using bot = await newClient(wa);
  await pairByQr(bot, wa.phone("15550006003"));
  // The bot fetches device 0's bundle and sends; the phone's client is not running, so it waits offline.
  const sent = await bot.sendText(phone.jid.toNonAd(), "before you woke up");
  // A delivery receipt is sent only once the message decrypted on device 0.
  const delivered = bot.waitFor("receipt", {
    signal: deadline(),
    filter: (r) => r.kind === "delivered" && r.messageIds.includes(sent.id),
  });
  await phone.client();
  assertEquals((await delivered).source.sender.device, 0);
});

Deno.test("phone.client(): device 0 logs in with the account identity and a self-signed device identity", async () => {
  await using wa = await startServer();
  const phone = wa.phone("15550006001");
  const primary = await phone.client();
  assert(primary.isLoggedIn);
  assertEquals(primary.jid?.toString(), "15550006001@s.whatsapp.net");
  assertEquals(primary.lid?.toString(), phone.lid.toString());
  assertEquals(primary.device.identityKey.publicKey, phone.identityKey);
  assertEquals(await phone.client(), primary, "cached");

  const account = primary.device.account!;
  const details = ADVDeviceIdentity.decode(account.details!);
  assertEquals(details.keyIndex ?? 0, 0);
  assertEquals(account.accountSignatureKey, phone.identityKey);
  assert(
    xeddsaVerify(
      phone.identityKey,
      concatBytes(ADV_ACCOUNT_SIGNATURE_PREFIX, account.details!, phone.identityKey),
      account.accountSignature!,
    ),
    "account signature",
  );
  assert(
    xeddsaVerify(
      phone.identityKey,
      concatBytes(ADV_DEVICE_SIGNATURE_PREFIX, account.details!, phone.identityKey, phone.identityKey),
      account.deviceSignature!,
    ),
    "device signature",
  );
  const spk = primary.device.signedPreKey;
  assert(
    xeddsaVerify(phone.identityKey, concatBytes(new Uint8Array([5]), spk.keyPair.publicKey), spk.signature),
    "the signed prekey is signed by the account identity",
  );

  const server = phone.account.devices.get(0)!;
  assertEquals(server.identityKey, phone.identityKey);
  assertEquals(server.registrationId, primary.device.registrationId);
  assertEquals(server.signedPreKey.publicKey, spk.keyPair.publicKey);
  assertEquals(server.preKeys.size, PRIMARY_PREKEY_COUNT, "device 0 had its prekeys before its client ran");
  assertEquals(phone.linkedDevices(), [], "device 0 is not a linked device");
  assertEquals(wa.connectionOf(phone.jid) !== undefined, true);
});

Deno.test("phone.addCompanion(): next device id, account-signed identity, listed in linkedDevices", async () => {
  await using wa = await startServer();
  const phone = wa.phone("15550006011");
  const paired = await pairedClient(wa, phone); // device 1, paired by QR
  await using _p = paired.client;
  const companion = await phone.addCompanion();
  assert(companion.isLoggedIn);
  assertEquals(companion.jid?.toString(), "15550006011:2@s.whatsapp.net");
  assertEquals(companion.lid?.toString(), phone.lid.withDevice(2).toString());
  assertEquals(phone.linkedDevices().map((d) => d.id), [1, 2]);
  const account = companion.device.account!;
  assertEquals(account.accountSignatureKey, phone.identityKey);
  // What the companion would send in pair-device-sign verifies against the account key.
  verifyDeviceSignature(
    ADVSignedDeviceIdentity.encode({ ...account, accountSignatureKey: undefined }),
    companion.device.identityKey.publicKey,
    phone.identityKey,
  );
  assertEquals(ADVDeviceIdentity.decode(account.details!).keyIndex, phone.linkedDevices()[1].keyIndex);
  assertEquals(phone.linkedDevices()[1].preKeys.size, 812);
  assertEquals(await companion.store.loadIdentity(phone.jid.toSignalAddress()), phone.identityKey);
});

Deno.test("virtual devices route like any client; stop() disconnects them", async () => {
  await using wa = await startServer();
  const phone = wa.phone("15550006021");
  const bobPhone = wa.phone("15550006022");
  const primary = await phone.client();
  const inbox = new Inbox(primary);
  const bob = await pairedClient(wa, bobPhone);
  await using _b = bob.client;
  const id = newId();
  const bytes = payload();
  await sendAndAck(bob.client, bob.inbox, {
    tag: "message",
    attrs: { id, to: phone.jid, type: "text" },
    content: [participants([[phone.jid, enc("pkmsg", bytes)]])],
  });
  const got = await inbox.message(id);
  assertEquals(got.attrs.from, bob.jid.toString());
  assertEquals(wa.connectionCount, 2);
  await phone.stop();
  assert(!primary.isConnected);
  await wa.waitForOffline(phone.jid, { signal: deadline() });
  assertEquals(wa.connectionOf(phone.jid), undefined);
});

Deno.test("real Signal messages between a paired client and the phone's device 0 and companion", async () => {
  await using wa = await startServer();
  const phone = wa.phone("15550006031");
  const bobPhone = wa.phone("15550006032");
  const primary = await phone.client();
  const companion = await phone.addCompanion();
  await using bob = await newClient(wa, { pushName: "Bob" });
  await pairByQr(bob, bobPhone);

  const atPrimary = primary.waitFor("message", { signal: deadline() });
  const atCompanion = companion.waitFor("message", { signal: deadline() });
  const sent = await bob.sendText(phone.jid.toNonAd(), "hello phone");
  const [p, c] = await Promise.all([atPrimary, atCompanion]);
  for (const e of [p, c]) {
    assertEquals(e.message.conversation ?? e.message.extendedTextMessage?.text, "hello phone");
    assertEquals(e.info.id, sent.id);
  }

  const reply = bob.waitFor("message", { signal: deadline() });
  await primary.sendText(Jid.pn(bobPhone.jid.user), "hello bob");
  const r = await reply;
  assertEquals(r.message.conversation ?? r.message.extendedTextMessage?.text, "hello bob");

  // A group: one skmsg fanned out to every member device, sender keys distributed through pkmsg/msg.
  const group = wa.createGroup({ creator: bobPhone.jid, participants: [phone.jid], subject: "Both" });
  const inGroup = (client: typeof primary) =>
    client.waitFor("message", { signal: deadline(), filter: (e) => e.info.source.chat.equals(group) });
  const groupAtPrimary = inGroup(primary);
  const groupAtCompanion = inGroup(companion);
  await bob.sendText(group, "hello group");
  for (const e of await Promise.all([groupAtPrimary, groupAtCompanion])) {
    assertEquals(e.message.conversation ?? e.message.extendedTextMessage?.text, "hello group");
  }
});
