// A stored value that does not decode is reported as StoreError kind "corrupt" naming the table and key,
// never replaced by a default; the other rows stay readable and the bad row can be overwritten.
import { DatabaseSync, type SQLInputValue } from "node:sqlite";
import { assertEquals } from "../_assert.ts";
import { generatePreKeys } from "../../src/signal/mod.ts";
import { createDevice, SqliteStore, type StoreError } from "../../src/store/mod.ts";
import { expectStoreError } from "./contract.ts";
import { fill, makeSenderKey, makeSessions } from "./fixtures.ts";

interface Case {
  name: string;
  /** SQL run on a raw connection to damage one row. */
  damage: string;
  params?: SQLInputValue[];
  /** The read that must fail. */
  read: (s: SqliteStore) => Promise<unknown>;
  table: string;
  key: string;
}

const GROUP = "120363000000000000@g.us::15551234567:2@c.us.0";

Deno.test("corrupted rows give StoreError corrupt with table and key", async () => {
  const dir = await Deno.makeTempDir({ prefix: "wadeno-corrupt-" });
  const path = `${dir}/store.db`;
  try {
    const sessions = [...await makeSessions(2)];
    const [[a0, r0], [a1, r1]] = sessions;
    let store = await SqliteStore.open(path, { flushDelayMs: Infinity });
    await store.saveDevice(createDevice());
    await store.storeSessions(sessions);
    await store.saveIdentity(a0, fill(32, 1));
    await store.storePreKeys(generatePreKeys(1, 3));
    await store.storeSenderKey(GROUP, await makeSenderKey(GROUP));
    await store.updateDeviceList({ user: "1@s.whatsapp.net", devices: [{ deviceId: 0 }], timestamp: 1 });
    await store.setAppStateVersion("regular", { version: 1, hash: fill(128, 1) });
    await store.putTcToken("1@lid", { token: fill(4, 1), tokenTimestamp: 1 });
    await store.storeSentMessage("c@s.whatsapp.net", "M", fill(4, 1));
    await store.close();

    const garbage = Uint8Array.fromHex("deadbeef00ff");
    const cases: Case[] = [
      {
        name: "session blob",
        damage: "UPDATE sessions SET record = ? WHERE address = ?",
        params: [garbage, a0],
        read: (s) => s.loadSession(a0),
        table: "sessions",
        key: a0,
      },
      {
        name: "session batch read",
        damage: "",
        read: (s) => s.loadSessions([a1, a0]),
        table: "sessions",
        key: a0,
      },
      {
        name: "device blob",
        damage: "UPDATE device SET data = ? WHERE device_id = 1",
        params: [garbage],
        read: (s) => s.loadDevice(),
        table: "device",
        key: "1",
      },
      {
        name: "identity of the wrong length",
        damage: "UPDATE identities SET key = ? WHERE address = ?",
        params: [fill(31, 1), a0],
        read: (s) => s.loadIdentity(a0),
        table: "identities",
        key: a0,
      },
      {
        name: "prekey blob",
        damage: "UPDATE prekeys SET record = ? WHERE prekey_id = 2",
        params: [garbage],
        read: (s) => s.loadPreKey(2),
        table: "prekeys",
        key: "2",
      },
      {
        name: "sender key blob",
        damage: "UPDATE sender_keys SET record = ?",
        params: [fill(40, 200)],
        read: (s) => s.loadSenderKey(GROUP),
        table: "sender_keys",
        key: GROUP,
      },
      {
        name: "device list JSON",
        damage: "UPDATE device_lists SET devices = ?",
        params: [new TextEncoder().encode('[[0],"x"]')],
        read: (s) => s.getDevices("1@s.whatsapp.net"),
        table: "device_lists",
        key: "1@s.whatsapp.net",
      },
      {
        name: "LTHash of the wrong length",
        damage: "UPDATE app_state_versions SET hash = ?",
        params: [fill(100, 1)],
        read: (s) => s.getAppStateVersion("regular"),
        table: "app_state_versions",
        key: "regular",
      },
      {
        name: "text where a blob belongs",
        damage: "UPDATE tc_tokens SET token = 'not bytes'",
        read: (s) => s.getTcToken("1@lid"),
        table: "tc_tokens",
        key: "1@lid",
      },
      {
        name: "sent message payload (the take must not delete it)",
        damage: "UPDATE sent_messages SET payload = 42",
        read: (s) => s.takeSentMessage("c@s.whatsapp.net", "M"),
        table: "sent_messages",
        key: "c@s.whatsapp.net/M",
      },
    ];
    const raw = new DatabaseSync(path);
    try {
      for (const c of cases) if (c.damage) raw.prepare(c.damage).run(...(c.params ?? []));
    } finally {
      raw.close();
    }

    store = await SqliteStore.open(path, { flushDelayMs: Infinity });
    try {
      for (const c of cases) {
        const e: StoreError = await expectStoreError(c.read(store), "corrupt", c.table);
        assertEquals(e.key, c.key, `${c.name}: key (${e.message})`);
        // Asking again fails again: a corrupt row is never cached as absent.
        await expectStoreError(c.read(store), "corrupt", c.table);
      }
      // Undamaged rows read fine, and the bad row can be overwritten.
      assertEquals((await store.loadSession(a1))?.serialize(), r1.serialize());
      await store.storeSession(a0, r0);
      await store.flush();
      assertEquals((await store.loadSession(a0))?.serialize(), r0.serialize());
      assertEquals(await store.deviceExists(), true, "exists does not need to decode");
      await store.saveDevice(createDevice());
      await store.flush();
      assertEquals((await store.loadDevice())?.nextPreKeyId, 1);
    } finally {
      await store.close();
    }
    // The failed take left the damaged row in place (it rolled back).
    const check = new DatabaseSync(path);
    try {
      assertEquals(check.prepare("SELECT COUNT(*) AS n FROM sent_messages").get()!.n, 1);
      assertEquals(check.prepare("PRAGMA integrity_check").get()!.integrity_check, "ok");
    } finally {
      check.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
