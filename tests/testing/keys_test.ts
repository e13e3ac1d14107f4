/**
 * FakeWhatsApp's device and key IQs: usync device lists with LIDs, prekey bundles (one-time prekeys
 * consumed, bundle keys equal to what the device uploaded), the low-prekey count notification, and the
 * identity-change notification. Node shapes follow whatsmeow user.go (`parseDeviceList`, usync) and
 * prekeys.go (`fetchPreKeys`, `nodeToPreKeyBundle`), notification.go (`handleEncryptNotification`).
 */

import { assert, assertEquals, assertNotEquals } from "../_assert.ts";
import { childBytes, getChild, getChildren, Jid, type Node } from "../../src/binary/mod.ts";
import type { Client } from "../../src/client/client.ts";
import { generateKeyPair } from "../../src/crypto/mod.ts";
import { readUint, uintBytes } from "../../src/binary/mod.ts";
import {
  deadline,
  deviceIds,
  enc,
  Inbox,
  newId,
  pairedClient,
  participants,
  payload,
  rawQuery,
  sendAndAck,
  startServer,
} from "./helpers.ts";

function usync(client: Client, users: Jid[], withLid = true): Promise<Node> {
  return rawQuery(client, {
    namespace: "usync",
    type: "get",
    content: [{
      tag: "usync",
      attrs: { sid: "sid-1", mode: "query", last: "true", index: "0", context: "message" },
      content: [
        {
          tag: "query",
          attrs: {},
          content: withLid ? [{ tag: "devices", attrs: { version: "2" } }, { tag: "lid", attrs: {} }] : [
            { tag: "devices", attrs: { version: "2" } },
          ],
        },
        { tag: "list", attrs: {}, content: users.map((jid) => ({ tag: "user", attrs: { jid } })) },
      ],
    }],
  });
}

function fetchKeys(client: Client, devices: Jid[]): Promise<Node> {
  return rawQuery(client, {
    namespace: "encrypt",
    type: "get",
    content: [{
      tag: "key",
      attrs: {},
      content: devices.map((jid) => ({ tag: "user", attrs: { jid, reason: "identity" } })),
    }],
  });
}

Deno.test("usync: device lists with key indexes for PN and LID users, lid for PN queries, empty for unknown", async () => {
  await using wa = await startServer();
  const alicePhone = wa.phone("15550005001");
  const bobPhone = wa.phone("15550005002");
  const alice = await pairedClient(wa, alicePhone);
  await using _a = alice.client;
  await alicePhone.client(); // device 0
  await alicePhone.addCompanion(); // device 2
  const bob = await pairedClient(wa, bobPhone);
  await using _b = bob.client;

  const res = await usync(bob.client, [alicePhone.jid, alicePhone.lid, Jid.pn("19990000001")]);
  const sync = getChild(res, "usync")!;
  assertEquals(sync.attrs, { sid: "sid-1", mode: "query", context: "message", index: "0", last: "true" });
  const users = getChildren(getChild(sync, "list")!, "user");
  assertEquals(users.map((u) => u.attrs.jid), [
    alicePhone.jid.toString(),
    alicePhone.lid.toString(),
    "19990000001@s.whatsapp.net",
  ]);
  const [pnUser, lidUser, unknown] = users;
  assertEquals(deviceIds(pnUser), [0, 1, 2]);
  const devices = getChildren(getChild(getChild(pnUser, "devices")!, "device-list")!, "device");
  const keyIndexes = alicePhone.linkedDevices().map((d) => String(d.keyIndex));
  assertEquals(devices.map((d) => d.attrs["key-index"]), [undefined, ...keyIndexes]);
  assert(/^\d+$/.test(getChild(getChild(pnUser, "devices")!, "key-index-list")!.attrs.ts));
  assertEquals(getChild(pnUser, "lid")!.attrs.val, alicePhone.lid.toString());
  assertEquals(deviceIds(lidUser), [0, 1, 2]);
  assertEquals(getChild(lidUser, "lid"), undefined, "a LID needs no lid");
  assertEquals(deviceIds(unknown), []);
  assertEquals(getChild(unknown, "lid"), undefined);

  const noLid = getChildren(
    getChild(getChild(await usync(bob.client, [alicePhone.jid], false), "usync")!, "list")!,
    "user",
  );
  assertEquals(getChild(noLid[0], "lid"), undefined, "no <lid/> asked, none given");
});

Deno.test("prekey bundle: the device's uploaded keys; each fetch consumes one one-time prekey", async () => {
  await using wa = await startServer();
  const alicePhone = wa.phone("15550005011");
  const bobPhone = wa.phone("15550005012");
  const alice = await pairedClient(wa, alicePhone);
  await using _a = alice.client;
  const bob = await pairedClient(wa, bobPhone);
  await using _b = bob.client;
  const server = bobPhone.linkedDevices()[0];
  const before = server.preKeys.size;

  const res = await fetchKeys(alice.client, [bob.jid, bob.lid, bobPhone.jid.withDevice(9)]);
  const users = getChildren(getChild(res, "list")!, "user");
  assertEquals(users.map((u) => u.attrs.jid), [
    bob.jid.toString(),
    bob.lid.toString(),
    bobPhone.jid.withDevice(9).toString(),
  ]);
  const device = bob.client.device;
  const usedIds: number[] = [];
  for (const user of users.slice(0, 2)) {
    assertEquals(readUint(childBytes(user, "registration")!), device.registrationId);
    assertEquals(childBytes(user, "registration")!.length, 4);
    assertEquals(childBytes(user, "type"), new Uint8Array([5]));
    assertEquals(childBytes(user, "identity"), device.identityKey.publicKey);
    const skey = getChild(user, "skey")!;
    assertEquals(childBytes(skey, "id"), uintBytes(device.signedPreKey.keyId, 3));
    assertEquals(childBytes(skey, "value"), device.signedPreKey.keyPair.publicKey);
    assertEquals(childBytes(skey, "signature"), device.signedPreKey.signature);
    const key = getChild(user, "key")!;
    const keyId = readUint(childBytes(key, "id")!);
    assertEquals(childBytes(key, "id")!.length, 3);
    // The one-time prekey is one bob generated and stored, and the server no longer has it.
    const stored = await bob.client.store.loadPreKey(keyId);
    assertEquals(childBytes(key, "value"), stored?.publicKey);
    assertEquals(server.preKeys.has(keyId), false);
    usedIds.push(keyId);
  }
  assertNotEquals(usedIds[0], usedIds[1], "two fetches, two different one-time prekeys");
  assertEquals(server.preKeys.size, before - 2);
  assertEquals(getChild(users[2], "error")!.attrs, { code: "404", text: "item-not-found" });

  // Out of one-time prekeys: the bundle comes without <key>.
  server.preKeys.clear();
  const bare = getChild(getChild(await fetchKeys(alice.client, [bob.jid]), "list")!, "user")!;
  assertEquals(getChild(bare, "key"), undefined);
  assertEquals(childBytes(bare, "identity"), device.identityKey.publicKey);
});

Deno.test("a fetch that leaves a connected device under 5 prekeys sends it a count notification", async () => {
  await using wa = await startServer();
  const alice = await pairedClient(wa, wa.phone("15550005021"));
  await using _a = alice.client;
  const bobPhone = wa.phone("15550005022");
  const bob = await pairedClient(wa, bobPhone);
  await using _b = bob.client;
  const server = bobPhone.linkedDevices()[0];
  for (const id of [...server.preKeys.keys()].slice(5)) server.preKeys.delete(id);
  assertEquals(server.preKeys.size, 5);
  // The client answers the notification with an upload of fresh prekeys: wait for it.
  const uploaded = wa.waitForStanza(
    (n, device) =>
      n.tag === "iq" && n.attrs.xmlns === "encrypt" && n.attrs.type === "set" &&
      device?.equals(bob.jid) === true,
    { signal: deadline() },
  );
  await fetchKeys(alice.client, [bob.jid]);
  const note = await bob.inbox.waitFor("notification:encrypt");
  // A server-only JID decodes with its "@" (src/binary/node.ts): compare as JIDs.
  assert(Jid.parse(note.attrs.from).equals(Jid.server("s.whatsapp.net")), note.attrs.from);
  assertEquals(note.attrs.type, "encrypt");
  assertEquals(getChild(note, "count")!.attrs.value, "4");
  assert(note.attrs.id && /^\d+$/.test(note.attrs.t));
  await uploaded;
});

Deno.test("identity change on upload: contacts' devices get <identity/>, strangers do not", async () => {
  await using wa = await startServer();
  const alicePhone = wa.phone("15550005031");
  const bobPhone = wa.phone("15550005032");
  const carolPhone = wa.phone("15550005033");
  const alice = await pairedClient(wa, alicePhone);
  await using _a = alice.client;
  const alice2 = await pairedClient(wa, alicePhone);
  await using _a2 = alice2.client;
  const bob = await pairedClient(wa, bobPhone);
  await using _b = bob.client;
  const carol = await pairedClient(wa, carolPhone);
  await using _c = carol.client;
  // alice and bob exchanged a message; carol never talked to bob.
  const id = newId();
  await sendAndAck(alice.client, alice.inbox, {
    tag: "message",
    attrs: { id, to: bobPhone.jid, type: "text" },
    content: [participants([[bob.jid, enc("msg", payload())]])],
  });
  await bob.inbox.message(id);
  await alice2.client.disconnect(); // offline: the notification waits in its queue
  await wa.waitForOffline(alice2.jid, { signal: deadline() });

  const fresh = generateKeyPair();
  const device = bob.client.device;
  await rawQuery(bob.client, {
    namespace: "encrypt",
    type: "set",
    content: [
      { tag: "registration", attrs: {}, content: uintBytes(device.registrationId, 4) },
      { tag: "type", attrs: {}, content: new Uint8Array([5]) },
      { tag: "identity", attrs: {}, content: fresh.publicKey },
      {
        tag: "list",
        attrs: {},
        content: [{
          tag: "key",
          attrs: {},
          content: [{ tag: "id", attrs: {}, content: uintBytes(1, 3) }, {
            tag: "value",
            attrs: {},
            content: payload(32),
          }],
        }],
      },
      {
        tag: "skey",
        attrs: {},
        content: [
          { tag: "id", attrs: {}, content: uintBytes(7, 3) },
          { tag: "value", attrs: {}, content: payload(32) },
          { tag: "signature", attrs: {}, content: payload(64) },
        ],
      },
    ],
  });
  assertEquals(bobPhone.linkedDevices()[0].identityKey, fresh.publicKey);

  const note = await alice.inbox.waitFor("notification:encrypt");
  assertEquals(note.attrs.from, bobPhone.jid.toString());
  assertEquals(note.attrs.type, "encrypt");
  assert(getChild(note, "identity") !== undefined);

  const queued = wa.delivery.queued(alice2.jid);
  assertEquals(queued.map((d) => [d.stanza.tag, d.stanza.attrs.type]), [["notification", "encrypt"]]);
  const inbox2 = new Inbox(alice2.client);
  await alice2.client.connect({ signal: deadline() });
  const preview = await inbox2.waitFor("ib:offline_preview");
  assertEquals(preview.attrs.notification, "1");
  assertEquals((await inbox2.waitFor("notification:encrypt")).attrs.offline, "1");

  // Carol never exchanged messages with bob: the first thing she receives is a later probe.
  const probe = newId("P");
  await sendAndAck(alice.client, alice.inbox, {
    tag: "message",
    attrs: { id: probe, to: carolPhone.jid, type: "text" },
    content: [participants([[carol.jid, enc("msg", payload())]])],
  });
  await carol.inbox.message(probe);
  assertEquals(carol.inbox.items.filter((r) => !r.key.startsWith("ib:")).map((r) => r.key), ["message"]);
});
