// The store contract: one suite every Backend must pass (MemoryStore and SqliteStore run it from
// contract_test.ts). Semantics come from the reference store traits (reference/seed/20_api_store.md,
// 29_concepts_storage.md) as restated in src/store/backend.ts.
import { assert, assertEquals, assertInstanceOf, assertRejects } from "../_assert.ts";
import { Jid } from "../../src/binary/mod.ts";
import { generateKeyPair } from "../../src/crypto/mod.ts";
import {
  generatePreKeys,
  generateSignedPreKey,
  PreKeyRecord,
  type SessionRecord,
} from "../../src/signal/mod.ts";
import {
  type Backend,
  createDevice,
  type Device,
  encodeDevice,
  type LidPnMappingEntry,
  StoreError,
  type StoreErrorKind,
} from "../../src/store/mod.ts";
import { fill, makeSenderKey, makeSessions, ManualClock, peer } from "./fixtures.ts";

/** A backend under test, with the multi-account helper both implementations have. */
export type TestBackend = Backend & { openDevice(deviceId: number): Promise<TestBackend> };

/** One fresh store for one test. */
export interface Harness {
  store: TestBackend;
  /** Closes the store and opens the same data again (persistent backends only). */
  reopen?: () => Promise<TestBackend>;
  /** Closes everything and removes temporary files. */
  dispose(): Promise<void>;
}

export type Factory = (clock: ManualClock) => Promise<Harness>;

export async function expectStoreError(
  p: Promise<unknown>,
  kind: StoreErrorKind,
  table?: string,
): Promise<StoreError> {
  const e = await assertRejects(() => p, StoreError);
  assertEquals(e.kind, kind, `error kind (${e.message})`);
  if (table !== undefined) assertEquals(e.table, table, `error table (${e.message})`);
  return e;
}

const sameBytes = (a: { serialize(): Uint8Array } | undefined, b: { serialize(): Uint8Array }) =>
  a !== undefined && a.serialize().toHex() === b.serialize().toHex();

function pairedDevice(): Device {
  const d = createDevice();
  d.pn = Jid.parse("15551234567:12@s.whatsapp.net");
  d.lid = Jid.parse("100000012345678:12@lid");
  d.account = {
    details: fill(40, 1),
    accountSignatureKey: fill(32, 2),
    accountSignature: fill(64, 3),
    deviceSignature: fill(64, 4),
  };
  d.pushName = "Store Test";
  d.platform = "android";
  d.businessName = "Acme";
  d.nextPreKeyId = 813;
  d.appVersion = { primary: 2, secondary: 3000, tertiary: 1023456789, lastFetchedMs: 1_700_000_000_000 };
  d.deviceProps = { os: "wadeno", requireFullSync: true };
  d.edgeRoutingInfo = fill(12, 5);
  d.propsHash = "abc123";
  return d;
}

export function storeContract(name: string, factory: Factory): void {
  const test = (title: string, fn: (h: Harness, clock: ManualClock) => Promise<void>) =>
    Deno.test(`${name}: ${title}`, async () => {
      const clock = new ManualClock();
      const h = await factory(clock);
      try {
        await fn(h, clock);
      } finally {
        await h.dispose();
      }
    });

  test("device: absent, saved, loaded as a copy, bad device rejected without change", async ({ store }) => {
    assertEquals(await store.loadDevice(), undefined);
    assertEquals(await store.deviceExists(), false);
    const device = pairedDevice();
    await store.saveDevice(device);
    assert(await store.deviceExists());
    const loaded = await store.loadDevice();
    assert(loaded !== undefined);
    assertEquals(encodeDevice(loaded).toHex(), encodeDevice(device).toHex());
    assertInstanceOf(loaded.pn, Jid);
    assertEquals(loaded.lid?.toString(), "100000012345678:12@lid");
    // Neither the caller's object nor a loaded copy aliases what the store keeps.
    device.pushName = "changed after save";
    device.identityKey.privateKey[0] ^= 1;
    loaded.advSecretKey[0] ^= 1;
    const again = await store.loadDevice();
    assertEquals(again?.pushName, "Store Test");
    assertEquals(encodeDevice(again!).toHex(), encodeDevice(await store.loadDevice() as Device).toHex());
    assert(again!.identityKey.privateKey[0] !== device.identityKey.privateKey[0]);

    const bad = createDevice();
    bad.registrationId = 0;
    await expectStoreError(store.saveDevice(bad), "invalid_input", "device");
    const shortKey = createDevice();
    shortKey.noiseKey = { publicKey: new Uint8Array(31), privateKey: new Uint8Array(32) };
    await expectStoreError(store.saveDevice(shortKey), "invalid_input", "device");
    assertEquals((await store.loadDevice())?.pushName, "Store Test");
  });

  test("device ids: list, create, isolated accounts, deleteDevice wipes one account", async ({ store }) => {
    const sessions = await makeSessions(1);
    const [address, record] = [...sessions][0];
    assert((await store.listDeviceIds()).includes(store.deviceId));
    const other = await store.createDeviceId();
    assert(other !== store.deviceId);
    assertEquals((await store.listDeviceIds()).includes(other), true);
    const second = await store.openDevice(other);
    try {
      assertEquals(second.deviceId, other);
      await store.storeSession(address, record);
      await store.saveDevice(createDevice());
      await store.putLidMapping({
        lid: "1",
        phoneNumber: "2",
        createdAt: 1,
        updatedAt: 1,
        learningSource: "usync",
      });
      await store.flush();
      assertEquals(await second.loadSession(address), undefined);
      assertEquals(await second.deviceExists(), false);
      assertEquals(await second.getLidMapping("1"), undefined);
      await second.storeSession(address, record);
      await second.flush();

      await store.deleteDevice();
      assertEquals(await store.deviceExists(), false);
      assertEquals(await store.loadSession(address), undefined);
      assertEquals(await store.getLidMapping("1"), undefined);
      assert(sameBytes(await second.loadSession(address), record), "other account untouched");
      // Still usable, same id.
      await store.storeSession(address, record);
      assert(sameBytes(await store.loadSession(address), record));
      assert((await store.listDeviceIds()).includes(store.deviceId));
    } finally {
      await second.close();
    }
  });

  test("identities: save, load, batch load, delete, copies, 32 bytes only", async ({ store }) => {
    const k1 = generateKeyPair().publicKey, k2 = generateKeyPair().publicKey;
    await store.saveIdentity("a.0", k1);
    await store.saveIdentity("b.0", k2);
    assertEquals(await store.loadIdentity("a.0"), k1);
    const many = await store.loadIdentities(["a.0", "missing.0", "b.0"]);
    assertEquals([...many.keys()].sort(), ["a.0", "b.0"]);
    assertEquals(many.get("b.0"), k2);
    (await store.loadIdentity("a.0"))![0] ^= 0xff;
    assertEquals(await store.loadIdentity("a.0"), k1, "returned bytes are a copy");
    await store.deleteIdentity("a.0");
    assertEquals(await store.loadIdentity("a.0"), undefined);
    await expectStoreError(store.saveIdentity("c.0", new Uint8Array(33)), "invalid_input", "identities");
    await expectStoreError(store.saveIdentity("", k1), "invalid_input", "identities");
    assertEquals(await store.loadIdentity("c.0"), undefined);
  });

  test("sessions: store, load, batch load and store, delete, bad input changes nothing", async ({ store }) => {
    const sessions = [...await makeSessions(3)];
    const [[a0, r0], [a1, r1], [a2, r2]] = sessions;
    assertEquals(await store.loadSession(a0), undefined);
    await store.storeSession(a0, r0);
    assert(sameBytes(await store.loadSession(a0), r0));
    await store.storeSessions([[a1, r1], [a2, r2]]);
    const loaded = await store.loadSessions([a0, a1, a2, "nobody.0"]);
    assertEquals([...loaded.keys()].sort(), [a0, a1, a2].sort());
    assert(sameBytes(loaded.get(a2), r2));
    // Replacing a session: reads see the newest record.
    await store.storeSession(a0, r1);
    assert(sameBytes(await store.loadSession(a0), r1));
    await store.deleteSession(a1);
    await store.deleteSession("never-stored.0");
    assertEquals(await store.loadSession(a1), undefined);
    assertEquals((await store.loadSessions([a1])).size, 0);

    // A batch with one bad entry stores none of it.
    await expectStoreError(
      store.storeSessions([[a1, r1], ["", r2]]),
      "invalid_input",
      "sessions",
    );
    await expectStoreError(
      store.storeSessions([[a1, r1], [a2, "not a record" as unknown as SessionRecord]]),
      "invalid_input",
      "sessions",
    );
    assertEquals(await store.loadSession(a1), undefined);
    await expectStoreError(store.storeSession("x".repeat(1025), r0), "invalid_input", "sessions");
    await expectStoreError(store.loadSessions("abc" as unknown as string[]), "invalid_input", "sessions");
  });

  test("prekeys: a batch of 812, load, remove, bad ids rejected", async ({ store }) => {
    const keys = generatePreKeys(1, 812);
    await store.storePreKeys(keys);
    for (const id of [1, 400, 812]) {
      const k = await store.loadPreKey(id);
      assertInstanceOf(k, PreKeyRecord);
      assertEquals(k.keyPair.privateKey, keys[id - 1].keyPair.privateKey);
    }
    assertEquals(await store.loadPreKey(813), undefined);
    await store.removePreKey(400);
    assertEquals(await store.loadPreKey(400), undefined);
    assert((await store.loadPreKey(401)) !== undefined);
    await expectStoreError(store.loadPreKey(-1), "invalid_input", "prekeys");
    await expectStoreError(store.removePreKey(1.5), "invalid_input", "prekeys");
    const more = generatePreKeys(900, 2);
    await expectStoreError(
      store.storePreKeys([more[0], { keyId: 901 } as unknown as PreKeyRecord]),
      "invalid_input",
      "prekeys",
    );
    assertEquals(await store.loadPreKey(900), undefined, "bad batch stored nothing");
  });

  test("signed prekeys and sender keys: store, load, replace, delete", async ({ store }) => {
    const identity = generateKeyPair();
    const spk1 = generateSignedPreKey(identity, 1, 1000), spk1b = generateSignedPreKey(identity, 1, 2000);
    await store.storeSignedPreKey(spk1);
    assertEquals((await store.loadSignedPreKey(1))?.timestamp, 1000);
    await store.storeSignedPreKey(spk1b);
    assertEquals((await store.loadSignedPreKey(1))?.timestamp, 2000);
    assertEquals(await store.loadSignedPreKey(2), undefined);

    const name = "120363000000000000@g.us::15551234567:2@c.us.0";
    const sk = await makeSenderKey(name);
    assertEquals(await store.loadSenderKey(name), undefined);
    await store.storeSenderKey(name, sk);
    assert(sameBytes(await store.loadSenderKey(name), sk));
    await store.deleteSenderKey(name);
    assertEquals(await store.loadSenderKey(name), undefined);
    await expectStoreError(store.storeSenderKey(name, {} as never), "invalid_input", "sender_keys");
  });

  test("app state: sync keys and the latest one", async ({ store }) => {
    const id1 = fill(6, 1), id2 = fill(6, 2), id3 = fill(6, 3);
    assertEquals(await store.getLatestSyncKeyId(), undefined);
    await store.setSyncKey(id1, { keyData: fill(32, 10), fingerprint: fill(8, 11), timestamp: 2000 });
    await store.setSyncKey(id2, { keyData: fill(32, 20), fingerprint: fill(8, 21), timestamp: 1000 });
    assertEquals(await store.getLatestSyncKeyId(), id1, "greatest timestamp");
    await store.setSyncKey(id3, { keyData: fill(32, 30), fingerprint: new Uint8Array(0), timestamp: 2000 });
    assertEquals(await store.getLatestSyncKeyId(), id3, "a tie goes to the key stored last");
    assertEquals(await store.getSyncKey(id2), {
      keyData: fill(32, 20),
      fingerprint: fill(8, 21),
      timestamp: 1000,
    });
    assertEquals(await store.getSyncKey(fill(6, 9)), undefined);
    await expectStoreError(
      store.setSyncKey(new Uint8Array(0), { keyData: fill(32, 1), fingerprint: fill(1, 1), timestamp: 1 }),
      "invalid_input",
    );
    await expectStoreError(
      store.setSyncKey(id1, { keyData: fill(32, 1), fingerprint: fill(1, 1), timestamp: -5 }),
      "invalid_input",
      "app_state_sync_keys",
    );
    assertEquals((await store.getSyncKey(id1))?.timestamp, 2000);
  });

  test("app state: versions, LTHash, mutation MACs in batches", async ({ store }) => {
    assertEquals(await store.getAppStateVersion("regular"), { version: 0, hash: new Uint8Array(128) });
    await store.setAppStateVersion("regular", { version: 7, hash: fill(128, 7) });
    assertEquals(await store.getAppStateVersion("regular"), { version: 7, hash: fill(128, 7) });
    await expectStoreError(
      store.setAppStateVersion("regular", { version: 8, hash: fill(127, 8) }),
      "invalid_input",
      "app_state_versions",
    );
    assertEquals((await store.getAppStateVersion("regular")).version, 7);

    const i1 = fill(32, 1), i2 = fill(32, 2), v1 = fill(32, 101), v2 = fill(32, 102), v1b = fill(32, 111);
    await store.putMutationMacs("regular", 7, [{ indexMac: i1, valueMac: v1 }, {
      indexMac: i2,
      valueMac: v2,
    }]);
    await store.putMutationMacs("regular", 8, [{ indexMac: i1, valueMac: v1b }]);
    assertEquals(await store.getMutationMac("regular", i1), v1b, "highest version wins");
    assertEquals(await store.getMutationMac("regular", i2), v2);
    assertEquals(await store.getMutationMac("regular_high", i2), undefined, "collections are separate");
    await store.deleteMutationMacs("regular", [i1]);
    assertEquals(await store.getMutationMac("regular", i1), undefined, "every version deleted");
    assertEquals(await store.getMutationMac("regular", i2), v2);
    // A batch with one bad MAC stores none.
    await expectStoreError(
      store.putMutationMacs("regular", 9, [{ indexMac: i1, valueMac: v1 }, {
        indexMac: fill(31, 0),
        valueMac: v1,
      }]),
      "invalid_input",
      "app_state_mutation_macs",
    );
    assertEquals(await store.getMutationMac("regular", i1), undefined);
    await store.deleteAppStateVersion("regular");
    assertEquals((await store.getAppStateVersion("regular")).version, 0);
    assertEquals(await store.getMutationMac("regular", i2), undefined, "MACs go with the version");
  });

  test("SKDM recipients: insert-or-ignore, per group, cleared on rotation", async ({ store }) => {
    const g = "120363000000000001@g.us";
    await store.addSkdmRecipients(g, ["2:1@s.whatsapp.net", "1:0@s.whatsapp.net"]);
    await store.addSkdmRecipients(g, ["1:0@s.whatsapp.net", "3@lid"]);
    await store.addSkdmRecipients("other@g.us", ["9@s.whatsapp.net"]);
    assertEquals(await store.getSkdmRecipients(g), ["1:0@s.whatsapp.net", "2:1@s.whatsapp.net", "3@lid"]);
    await store.clearSkdmRecipients(g);
    assertEquals(await store.getSkdmRecipients(g), []);
    assertEquals(await store.getSkdmRecipients("other@g.us"), ["9@s.whatsapp.net"]);
    await expectStoreError(store.addSkdmRecipients(g, ["ok@s.whatsapp.net", ""]), "invalid_input");
    assertEquals(await store.getSkdmRecipients(g), []);
  });

  test("LID↔PN: newest createdAt wins the phone number, ties go to the last write", async ({ store }) => {
    const e = (lid: string, pn: string, createdAt: number, src = "usync"): LidPnMappingEntry => ({
      lid,
      phoneNumber: pn,
      createdAt,
      updatedAt: createdAt + 1,
      learningSource: src,
    });
    await store.putLidMapping(e("100", "1555", 1000));
    assertEquals(await store.getLidMapping("100"), e("100", "1555", 1000));
    assertEquals((await store.getPnMapping("1555"))?.lid, "100");
    // An older mapping for the same number is stored (by LID) but does not win the number.
    await store.putLidMapping(e("200", "1555", 500));
    assertEquals((await store.getLidMapping("200"))?.phoneNumber, "1555");
    assertEquals((await store.getPnMapping("1555"))?.lid, "100");
    // Equal createdAt: the update wins (>=).
    await store.putLidMapping(e("300", "1555", 1000, "peer_pn_message"));
    assertEquals((await store.getPnMapping("1555"))?.lid, "300");
    // Newer wins.
    await store.putLidMapping(e("400", "1555", 2000));
    assertEquals((await store.getPnMapping("1555"))?.lid, "400");
    // Re-pointing LID 400 to another number: 1555 falls back to its next newest.
    await store.putLidMapping(e("400", "1666", 2500));
    assertEquals((await store.getPnMapping("1666"))?.lid, "400");
    assertEquals((await store.getPnMapping("1555"))?.lid, "300");
    assertEquals(await store.getPnMapping("1777"), undefined);
    assertEquals(await store.getLidMapping("999"), undefined);
    const all = await store.getAllLidMappings();
    assertEquals(all.map((m) => m.lid), ["100", "200", "300", "400"]);
    // Copies out.
    all[0].phoneNumber = "mutated";
    assertEquals((await store.getLidMapping("100"))?.phoneNumber, "1555");
    await expectStoreError(store.putLidMapping(e("", "1", 1)), "invalid_input", "lid_pn_mappings");
    await expectStoreError(store.putLidMapping(e("500", "1888", -1)), "invalid_input", "lid_pn_mappings");
    assertEquals(await store.getPnMapping("1888"), undefined);
  });

  test("base keys: same, different, missing, deleted", async ({ store }) => {
    const key = fill(33, 5);
    await store.saveBaseKey("a.0", "MSG1", key);
    assert(await store.hasSameBaseKey("a.0", "MSG1", fill(33, 5)));
    assert(!(await store.hasSameBaseKey("a.0", "MSG1", fill(33, 6))));
    assert(!(await store.hasSameBaseKey("a.0", "MSG2", key)));
    await store.deleteBaseKey("a.0", "MSG1");
    assert(!(await store.hasSameBaseKey("a.0", "MSG1", key)));
    await expectStoreError(store.saveBaseKey("a.0", "", key), "invalid_input", "base_keys");
  });

  test("device lists: update, replace, copies, delete, bad entries rejected", async ({ store }) => {
    const user = "15551234567@s.whatsapp.net";
    assertEquals(await store.getDevices(user), undefined);
    await store.updateDeviceList({
      user,
      devices: [{ deviceId: 0 }, { deviceId: 12, keyIndex: 3 }],
      timestamp: 1_700_000_000,
      phash: "2:abcdef",
    });
    const got = await store.getDevices(user);
    assertEquals(got, {
      user,
      devices: [{ deviceId: 0 }, { deviceId: 12, keyIndex: 3 }],
      timestamp: 1_700_000_000,
      phash: "2:abcdef",
    });
    got!.devices.push({ deviceId: 99 });
    assertEquals((await store.getDevices(user))?.devices.length, 2, "returned record is a copy");
    await store.updateDeviceList({ user, devices: [{ deviceId: 0 }], timestamp: 1_700_000_100 });
    assertEquals(await store.getDevices(user), {
      user,
      devices: [{ deviceId: 0 }],
      timestamp: 1_700_000_100,
    });
    await expectStoreError(
      store.updateDeviceList({ user, devices: [{ deviceId: -1 }], timestamp: 1 }),
      "invalid_input",
      "device_lists",
    );
    assertEquals((await store.getDevices(user))?.timestamp, 1_700_000_100);
    await store.deleteDeviceList(user);
    assertEquals(await store.getDevices(user), undefined);
  });

  test("sender-key forget marks: deduplicated, consumed once", async ({ store }) => {
    const g = "120363000000000002@g.us";
    await store.markForgetSenderKey(g, "b@s.whatsapp.net");
    await store.markForgetSenderKey(g, "a@s.whatsapp.net");
    await store.markForgetSenderKey(g, "b@s.whatsapp.net");
    await store.markForgetSenderKey("other@g.us", "c@s.whatsapp.net");
    assertEquals(await store.consumeForgetMarks(g), ["a@s.whatsapp.net", "b@s.whatsapp.net"]);
    assertEquals(await store.consumeForgetMarks(g), [], "consumed marks are gone");
    assertEquals(await store.consumeForgetMarks("other@g.us"), ["c@s.whatsapp.net"]);
  });

  test("tc tokens: put, get, list, delete, expire by cutoff with a count", async ({ store }) => {
    await store.putTcToken("1@lid", { token: fill(16, 1), tokenTimestamp: 100 });
    await store.putTcToken("2@lid", { token: fill(16, 2), tokenTimestamp: 200, senderTimestamp: 250 });
    await store.putTcToken("3@lid", { token: fill(16, 3), tokenTimestamp: 300 });
    assertEquals(await store.getTcToken("2@lid"), {
      token: fill(16, 2),
      tokenTimestamp: 200,
      senderTimestamp: 250,
    });
    assertEquals(await store.getTcToken("1@lid"), { token: fill(16, 1), tokenTimestamp: 100 });
    assertEquals(await store.getAllTcTokenJids(), ["1@lid", "2@lid", "3@lid"]);
    assertEquals(await store.deleteExpiredTcTokens(201), 2);
    assertEquals(await store.getAllTcTokenJids(), ["3@lid"]);
    assertEquals(await store.deleteExpiredTcTokens(0), 0);
    await store.deleteTcToken("3@lid");
    assertEquals(await store.getTcToken("3@lid"), undefined);
    await expectStoreError(
      store.putTcToken("4@lid", { token: new Uint8Array(0), tokenTimestamp: 1 }),
      "invalid_input",
    );
    await expectStoreError(store.deleteExpiredTcTokens(Number.NaN), "invalid_input", "tc_tokens");
    assertEquals(await store.getAllTcTokenJids(), []);
  });

  test("sent messages: atomic take, TTL expiry by the injected clock", async ({ store }, clock) => {
    const chat = "15551234567@s.whatsapp.net";
    await store.storeSentMessage(chat, "A", fill(100, 1));
    await store.storeSentMessage(chat, "B", fill(100, 2));
    await store.storeSentMessage("120363000000000003@g.us", "A", fill(100, 3));
    clock.advance(600_000); // ten minutes later
    assertEquals(await store.takeSentMessage(chat, "A"), fill(100, 1));
    assertEquals(await store.takeSentMessage(chat, "A"), undefined, "a taken message is gone");
    await store.storeSentMessage(chat, "A", fill(100, 4)); // re-added (status broadcast retries): stamped now
    await store.storeSentMessage(chat, "C", fill(10, 5));
    const cutoff = Math.floor(clock.now / 1000) - 300; // five minutes before now
    assertEquals(await store.deleteExpiredSentMessages(cutoff), 2, "B and the group's A are older");
    assertEquals(await store.takeSentMessage(chat, "B"), undefined);
    assertEquals(await store.takeSentMessage(chat, "A"), fill(100, 4));
    assertEquals(await store.takeSentMessage(chat, "C"), fill(10, 5));
    await expectStoreError(
      store.storeSentMessage(chat, "D", new Uint8Array(0)),
      "invalid_input",
      "sent_messages",
    );
    await expectStoreError(store.deleteExpiredSentMessages(1.5), "invalid_input", "sent_messages");
    assertEquals(await store.takeSentMessage(chat, "D"), undefined);
  });

  test("concurrent takes of one sent message: exactly one gets it", async ({ store }) => {
    await store.storeSentMessage("c@s.whatsapp.net", "X", fill(8, 1));
    const results = await Promise.all(
      Array.from({ length: 5 }, () => store.takeSentMessage("c@s.whatsapp.net", "X")),
    );
    assertEquals(results.filter((r) => r !== undefined).length, 1);
  });

  test("after close every call rejects with closed; close is idempotent", async ({ store }) => {
    await store.storeSession(peer(0), [...await makeSessions(1)][0][1]);
    await store.close();
    await store.close();
    await expectStoreError(store.loadSession(peer(0)), "closed");
    await expectStoreError(store.storeSentMessage("a", "b", fill(1, 1)), "closed");
    await expectStoreError(store.flush(), "closed");
    await expectStoreError(store.loadDevice(), "closed");
  });

  test("flushed state survives reopening", async (h) => {
    if (h.reopen === undefined) return; // in-memory: nothing to reopen
    const sessions = [...await makeSessions(2)];
    const device = pairedDevice();
    await h.store.saveDevice(device);
    await h.store.storeSessions(sessions);
    await h.store.storePreKeys(generatePreKeys(1, 5));
    await h.store.putLidMapping({
      lid: "7",
      phoneNumber: "8",
      createdAt: 1,
      updatedAt: 2,
      learningSource: "pairing",
    });
    await h.store.flush();
    const store = await h.reopen();
    assertEquals(encodeDevice((await store.loadDevice())!).toHex(), encodeDevice(device).toHex());
    for (const [a, r] of sessions) assert(sameBytes(await store.loadSession(a), r));
    assert((await store.loadPreKey(5)) !== undefined);
    assertEquals((await store.getLidMapping("7"))?.learningSource, "pairing");
  });

  test("sent messages: read without removing, so every retrying device finds it", async ({ store }) => {
    const chat = "15551234567@s.whatsapp.net";
    await store.storeSentMessage(chat, "R", fill(20, 7));
    assertEquals(await store.getSentMessage(chat, "R"), fill(20, 7));
    assertEquals(await store.getSentMessage(chat, "R"), fill(20, 7), "still there after a read");
    const copy = (await store.getSentMessage(chat, "R"))!;
    copy[0] ^= 0xff;
    assertEquals(await store.getSentMessage(chat, "R"), fill(20, 7), "the returned bytes are a copy");
    assertEquals(await store.getSentMessage(chat, "nope"), undefined);
    await expectStoreError(store.getSentMessage("", "R"), "invalid_input", "sent_messages");
  });

  test("message secrets: stored per chat, sender and id, expired by the clock", async ({ store }, clock) => {
    const chat = "120363000000000001@g.us";
    await store.putMessageSecret(chat, "15550001@s.whatsapp.net", "P1", fill(32, 1));
    await store.putMessageSecret(chat, "15550002@s.whatsapp.net", "P1", fill(32, 2));
    clock.advance(10_000);
    await store.putMessageSecret(chat, "15550001@s.whatsapp.net", "P2", fill(32, 3));
    assertEquals(await store.getMessageSecret(chat, "15550001@s.whatsapp.net", "P1"), fill(32, 1));
    assertEquals(await store.getMessageSecret(chat, "15550002@s.whatsapp.net", "P1"), fill(32, 2));
    assertEquals(await store.getMessageSecret(chat, "15550003@s.whatsapp.net", "P1"), undefined);
    await expectStoreError(
      store.putMessageSecret(chat, "15550001@s.whatsapp.net", "P3", fill(31, 1)),
      "invalid_input",
      "message_secrets",
    );
    assertEquals(await store.deleteExpiredMessageSecrets(Math.floor(clock.now / 1000) - 5), 2);
    assertEquals(await store.getMessageSecret(chat, "15550001@s.whatsapp.net", "P1"), undefined);
    assertEquals(await store.getMessageSecret(chat, "15550001@s.whatsapp.net", "P2"), fill(32, 3));
  });

  test("inbox: commits apply their Signal writes, pending entries come back oldest first", async ({ store }) => {
    const sessions = [...await makeSessions(3)];
    const senderKey = await makeSenderKey("g@g.us::a");
    await store.storePreKeys(generatePreKeys(40, 3));
    await store.storeSession(sessions[2][0], sessions[2][1]);
    await store.commitIncoming(
      { key: "c1|s1|M1", chat: "c1", payload: fill(50, 1) },
      {
        sessions: [[sessions[0][0], sessions[0][1]], [sessions[2][0], null]],
        identities: [[sessions[0][0], fill(32, 9)]],
        removedPreKeys: [41],
        senderKeys: [["g@g.us::a", senderKey]],
      },
    );
    await store.commitIncoming({ key: "c2|s2|M2", chat: "c2", payload: fill(10, 2) }, {});
    await store.commitIncoming({ key: "c1|s1|M3", chat: "c1", payload: fill(10, 3) }, {
      sessions: [[sessions[1][0], sessions[1][1]]],
    });
    assert(sameBytes(await store.loadSession(sessions[0][0]), sessions[0][1]));
    assert(sameBytes(await store.loadSession(sessions[1][0]), sessions[1][1]));
    assertEquals(await store.loadSession(sessions[2][0]), undefined, "a null session deletes it");
    assertEquals(await store.loadIdentity(sessions[0][0]), fill(32, 9));
    assertEquals(await store.loadPreKey(41), undefined);
    assert((await store.loadPreKey(40)) !== undefined);
    assert(sameBytes(await store.loadSenderKey("g@g.us::a"), senderKey));
    const pending = await store.pendingIncoming();
    assertEquals(pending.map((e) => e.key), ["c1|s1|M1", "c2|s2|M2", "c1|s1|M3"]);
    assertEquals(pending[0].payload, fill(50, 1));
    assertEquals(pending[0].chat, "c1");
    assert(Number.isInteger(pending[0].receivedAt));
    await store.completeIncoming("c2|s2|M2");
    await store.completeIncoming("never-committed");
    assertEquals((await store.pendingIncoming()).map((e) => e.key), ["c1|s1|M1", "c1|s1|M3"]);
    await store.commitIncoming({ key: "c1|s1|M1", chat: "c1", payload: fill(5, 4) }, {});
    const again = await store.pendingIncoming();
    assertEquals(again.map((e) => e.key), ["c1|s1|M3", "c1|s1|M1"], "a recommit moves to the end");
    assertEquals(again[1].payload, fill(5, 4));
  });

  test("inbox: a bad commit changes nothing", async ({ store }) => {
    const [[address, record]] = [...await makeSessions(1)];
    const before = await store.pendingIncoming();
    await expectStoreError(
      store.commitIncoming({ key: "k", chat: "c", payload: fill(3, 1) }, {
        sessions: [[address, record]],
        identities: [[address, fill(31, 1)]],
      }),
      "invalid_input",
      "identities",
    );
    await expectStoreError(
      store.commitIncoming({ key: "", chat: "c", payload: fill(3, 1) }, { sessions: [[address, record]] }),
      "invalid_input",
      "incoming_messages",
    );
    await expectStoreError(
      store.commitIncoming(
        { key: "k", chat: "c", payload: fill(3, 1) },
        { sessions: [[address, "not a record" as unknown as SessionRecord]] },
      ),
      "invalid_input",
      "sessions",
    );
    assertEquals(await store.loadSession(address), undefined, "no session was stored");
    assertEquals(await store.pendingIncoming(), before);
  });

  test("inbox: committed entries and their Signal state survive reopening together", async (h) => {
    if (h.reopen === undefined) return; // in-memory: nothing to reopen
    const [[address, record]] = [...await makeSessions(1)];
    await h.store.commitIncoming({ key: "A", chat: "c", payload: fill(8, 1) }, {
      sessions: [[address, record]],
    });
    await h.store.commitIncoming({ key: "B", chat: "c", payload: fill(8, 2) }, {});
    await h.store.completeIncoming("B");
    await h.store.flush();
    let store = await h.reopen();
    assert(sameBytes(await store.loadSession(address), record));
    assertEquals((await store.pendingIncoming()).map((e) => e.key), ["A"]);
    await store.commitIncoming({ key: "C", chat: "c", payload: fill(8, 3) }, {});
    await store.completeIncoming("A");
    await store.flush();
    store = await h.reopen();
    assertEquals((await store.pendingIncoming()).map((e) => [e.key, e.payload]), [["C", fill(8, 3)]]);
  });
}
