// copyStore: SQLite → PostgreSQL → SQLite, every account and table, checked through the stores' own API
// (so the copy is not only equal row for row, which copyStore verifies itself, but usable: it decodes,
// its tie-breaks and inbox order hold), plus the refusals (a leased account, an existing account).
import { assert, assertEquals } from "../_assert.ts";
import { Jid } from "../../src/binary/mod.ts";
import { generatePreKeys, generateSignedPreKey } from "../../src/signal/mod.ts";
import { generateKeyPair } from "../../src/crypto/mod.ts";
import { type Backend, createDevice, encodeDevice, PostgresStore, SqliteStore } from "../../src/store/mod.ts";
import { copyStore } from "../../src/store/copy.ts";
import { expectStoreError } from "./contract.ts";
import { fill, makeSenderKey, makeSessions, ManualClock, peer } from "./fixtures.ts";
import { usePostgres } from "./_postgres_server.ts";

const server = usePostgres();

/** Writes one of everything (and the cases where order decides) to an account. */
async function populate(store: Backend, seed: number): Promise<void> {
  const device = createDevice();
  device.pn = Jid.parse(`1555000${seed}:3@s.whatsapp.net`);
  device.pushName = `bot ${seed}`;
  await store.saveDevice(device);
  await store.storeSessions(await makeSessions(3));
  await store.saveIdentity("a.0", generateKeyPair().publicKey);
  await store.storePreKeys(generatePreKeys(1, 20));
  await store.storeSignedPreKey(generateSignedPreKey(generateKeyPair(), 1, 1234));
  await store.storeSenderKey("g@g.us::a", await makeSenderKey("g@g.us::a"));
  // Two sync keys with equal timestamps: the one stored last is the latest.
  await store.setSyncKey(fill(6, 2), { keyData: fill(32, 2), fingerprint: fill(4, 2), timestamp: 50 });
  await store.setSyncKey(fill(6, 1), { keyData: fill(32, 1), fingerprint: fill(4, 1), timestamp: 50 });
  await store.setAppStateVersion("regular", { version: 3, hash: fill(128, seed) });
  await store.putMutationMacs("regular", 3, [{ indexMac: fill(32, 1), valueMac: fill(32, 2) }]);
  await store.addSkdmRecipients("g@g.us", ["1:1@s.whatsapp.net", "2:0@s.whatsapp.net"]);
  // Two LIDs for one number with equal createdAt: the last write wins the number.
  await store.putLidMapping({
    lid: "9",
    phoneNumber: "1555",
    createdAt: 7,
    updatedAt: 7,
    learningSource: "usync",
  });
  await store.putLidMapping({
    lid: "8",
    phoneNumber: "1555",
    createdAt: 7,
    updatedAt: 8,
    learningSource: "pairing",
  });
  await store.updateDeviceList({
    user: "1@s.whatsapp.net",
    devices: [{ deviceId: 0 }, { deviceId: 2, keyIndex: 1 }],
    timestamp: 9,
  });
  await store.saveBaseKey("a.0", "M1", fill(33, 3));
  await store.markForgetSenderKey("g@g.us", "x@s.whatsapp.net");
  await store.putTcToken("1@lid", { token: fill(8, 4), tokenTimestamp: 11, senderTimestamp: 12 });
  await store.storeSentMessage("c@s.whatsapp.net", "S1", fill(40, 5));
  await store.putMessageSecret("c@s.whatsapp.net", "d@s.whatsapp.net", "P1", fill(32, 6));
  await store.commitIncoming({ key: "k2", chat: "c", payload: fill(5, 7) }, {});
  await store.commitIncoming({ key: "k1", chat: "c", payload: fill(5, 8) }, {});
  await store.flush();
}

/** Everything `populate` wrote, read back through the Backend API, as comparable plain data. */
async function snapshot(store: Backend): Promise<unknown> {
  const sessions = await store.loadSessions([0, 1, 2].map(peer));
  return {
    device: encodeDevice((await store.loadDevice())!).toHex(),
    sessions: [...sessions].map(([a, r]) => [a, r.serialize().toHex()]).sort(),
    identity: (await store.loadIdentity("a.0"))?.toHex(),
    preKeys: (await Promise.all([1, 10, 20].map((id) => store.loadPreKey(id)))).map((k) =>
      k?.serialize().toHex()
    ),
    signedPreKey: (await store.loadSignedPreKey(1))?.timestamp,
    senderKey: (await store.loadSenderKey("g@g.us::a"))?.serialize().toHex(),
    latestSyncKey: (await store.getLatestSyncKeyId())?.toHex(),
    version: await store.getAppStateVersion("regular"),
    mac: (await store.getMutationMac("regular", fill(32, 1)))?.toHex(),
    skdm: await store.getSkdmRecipients("g@g.us"),
    pn: (await store.getPnMapping("1555"))?.lid,
    lids: await store.getAllLidMappings(),
    devices: await store.getDevices("1@s.whatsapp.net"),
    baseKey: await store.hasSameBaseKey("a.0", "M1", fill(33, 3)),
    tc: await store.getTcToken("1@lid"),
    sent: (await store.getSentMessage("c@s.whatsapp.net", "S1"))?.toHex(),
    secret: (await store.getMessageSecret("c@s.whatsapp.net", "d@s.whatsapp.net", "P1"))?.toHex(),
    inbox: (await store.pendingIncoming()).map((e) => [e.key, e.payload.toHex(), e.receivedAt]),
  };
}

Deno.test("copyStore: SQLite to PostgreSQL and back, every account, verified and usable", async () => {
  const dir = await Deno.makeTempDir({ prefix: "wadeno-copy-" });
  const clock = new ManualClock();
  try {
    const url = await server.freshDatabase();
    const first = await SqliteStore.open(`${dir}/a.db`, { clock: clock.read });
    const second = await first.openDevice(await first.createDeviceId());
    await populate(first, 1);
    await populate(second, 2);
    const expected = [await snapshot(first), await snapshot(second)];
    const ids = [first.deviceId, second.deviceId];
    await first.close();
    await second.close();

    const report = await copyStore({ sqlite: `${dir}/a.db` }, { postgres: url });
    assertEquals(report.deviceIds, ids);
    assertEquals(report.rows.device, 2);
    assertEquals(report.rows.sessions, 6);
    assertEquals(report.rows.prekeys, 40);
    for (const [i, id] of ids.entries()) {
      const store = await PostgresStore.open(url, { deviceId: id });
      try {
        assertEquals(await snapshot(store), expected[i], `device ${id} in PostgreSQL`);
      } finally {
        await store.close();
      }
    }
    assertEquals((await PostgresStore.listDevices(url)).map((d) => d.pushName), ["bot 1", "bot 2"]);

    const back = await copyStore({ postgres: url }, { sqlite: `${dir}/b.db` });
    assertEquals(back.rows, report.rows);
    for (const [i, id] of ids.entries()) {
      const store = await SqliteStore.open(`${dir}/b.db`, { deviceId: id });
      try {
        assertEquals(await snapshot(store), expected[i], `device ${id} back in SQLite`);
      } finally {
        await store.close();
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("copyStore: refuses a leased account and an existing one; replace overwrites", async () => {
  const dir = await Deno.makeTempDir({ prefix: "wadeno-copy-" });
  try {
    const url = await server.freshDatabase();
    const sqlite = await SqliteStore.open(`${dir}/a.db`);
    await populate(sqlite, 3);
    await sqlite.close();
    const running = await PostgresStore.open(url, { deviceId: 1 });
    await expectStoreError(
      copyStore({ sqlite: `${dir}/a.db` }, { postgres: url }, { replace: true }),
      "leased",
    );
    await running.close();
    await expectStoreError(
      copyStore({ sqlite: `${dir}/a.db` }, { postgres: url }),
      "invalid_input",
      "device",
    );
    const report = await copyStore({ sqlite: `${dir}/a.db` }, { postgres: url }, { replace: true });
    assertEquals(report.deviceIds, [1]);
    const store = await PostgresStore.open(url);
    assert((await store.loadDevice())?.pushName === "bot 3");
    await store.close();
    await expectStoreError(
      copyStore({ sqlite: `${dir}/a.db` }, { postgres: url }, { deviceIds: [7] }),
      "invalid_input",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
