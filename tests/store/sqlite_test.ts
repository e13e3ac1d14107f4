// SqliteStore beyond the shared contract: write-behind and flush, faults (locked, full), close, caches
// against a second connection, several accounts in one file.
import { DatabaseSync } from "node:sqlite";
import { assert, assertEquals } from "../_assert.ts";
import { createLogger, type LogRecord } from "../../src/logger.ts";
import { type SessionRecord, SqliteStore, type SqliteStoreOptions } from "../../src/store/mod.ts";
import { expectStoreError } from "./contract.ts";
import { fill, makeSessions, ManualClock, peer } from "./fixtures.ts";

async function withDb(fn: (path: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "wadeno-sqlite-" });
  try {
    await fn(`${dir}/store.db`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A second, raw connection: what another process (or the disk after a crash) sees. */
function countRows(path: string, table: string): number {
  const raw = new DatabaseSync(path);
  try {
    return Number(raw.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get()!.n);
  } finally {
    raw.close();
  }
}

/** A logger that records, and lets a test wait (with a deadline) for a message. */
function recordingLogger() {
  const records: LogRecord[] = [];
  const waiters: Array<{ message: string; resolve: () => void }> = [];
  const logger = createLogger({
    filter: "debug",
    sink: (r) => {
      records.push(r);
      for (const w of waiters.splice(0)) {
        if (r.message === w.message) w.resolve();
        else waiters.push(w);
      }
    },
  });
  const next = (message: string, ms = 5000): Promise<void> => {
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    const signal = AbortSignal.timeout(ms);
    const onAbort = () => reject(new Error(`no "${message}" log within ${ms} ms`));
    signal.addEventListener("abort", onAbort, { once: true });
    waiters.push({ message, resolve: () => (signal.removeEventListener("abort", onAbort), resolve()) });
    return promise;
  };
  return { logger, records, next };
}

async function open(path: string, options: SqliteStoreOptions = {}): Promise<SqliteStore> {
  return await SqliteStore.open(path, { flushDelayMs: Infinity, ...options });
}

Deno.test("write-behind: reads see pending writes; flush commits them", async () => {
  await withDb(async (path) => {
    const [[address, record]] = [...await makeSessions(1)];
    const store = await open(path);
    try {
      await store.storeSession(address, record);
      await store.removePreKey(5);
      assertEquals(store.pendingWrites, 2);
      assertEquals(countRows(path, "sessions"), 0, "nothing on disk before the flush");
      assertEquals((await store.loadSession(address))?.serialize(), record.serialize());
      await store.flush();
      assertEquals(store.pendingWrites, 0);
      assertEquals(countRows(path, "sessions"), 1);
      await store.flush(); // nothing pending: a no-op
    } finally {
      await store.close();
    }
  });
});

Deno.test("write-behind calls register their writes before they return (no await in between)", async () => {
  await withDb(async (path) => {
    const [[address, record]] = [...await makeSessions(1)];
    const store = await open(path);
    try {
      // Not awaited: what a flush started right after the call would commit.
      const stored = store.storeSession(address, record);
      assertEquals(store.pendingWrites, 1);
      const committed = store.commitIncoming(
        { key: "m1", chat: "15550000001@s.whatsapp.net", payload: fill(8, 1) },
        { identities: [[peer(1), fill(32, 2)]], removedPreKeys: [7] },
      );
      assertEquals(
        store.pendingWrites,
        4,
        "the session, the identity, the prekey removal and the inbox entry",
      );
      await Promise.all([stored, committed]);
      await store.flush();
      assertEquals(countRows(path, "incoming_messages"), 1);
    } finally {
      await store.close();
    }
  });
});

Deno.test("write-behind: the timer flushes by itself; close() clears it", async () => {
  await withDb(async (path) => {
    const { logger, next } = recordingLogger();
    const [[address, record]] = [...await makeSessions(1)];
    const store = await open(path, { flushDelayMs: 20, logger });
    try {
      const flushed = next("flushed pending writes");
      await store.storeSession(address, record);
      await flushed;
      assertEquals(store.pendingWrites, 0);
      assertEquals(countRows(path, "sessions"), 1);
      // Armed again by a new write, then cancelled by close(): the test sanitizer fails on a leaked timer.
      await store.deleteSession(address);
    } finally {
      await store.close();
    }
    assertEquals(countRows(path, "sessions"), 0, "close() flushed the deletion");
  });
});

Deno.test("write-through calls commit the pending journal first (writes land in order)", async () => {
  await withDb(async (path) => {
    const [[address, record]] = [...await makeSessions(1)];
    const store = await open(path);
    try {
      await store.storeSession(address, record);
      await store.storeSentMessage("c@s.whatsapp.net", "ID", fill(10, 1));
      assertEquals(store.pendingWrites, 0);
      assertEquals(countRows(path, "sessions"), 1);
      assertEquals(countRows(path, "sent_messages"), 1);
    } finally {
      await store.close();
    }
  });
});

Deno.test("locked database: flush fails with kind locked, keeps the writes, succeeds later", async () => {
  await withDb(async (path) => {
    const { logger, records } = recordingLogger();
    const sessions = [...await makeSessions(2)];
    const store = await open(path, { busyTimeoutMs: 30, logger });
    const other = new DatabaseSync(path);
    try {
      await store.storeSessions(sessions);
      other.exec("BEGIN IMMEDIATE"); // another writer holds the lock
      const e = await expectStoreError(store.flush(), "locked");
      assert(e.sqliteCode !== undefined && (e.sqliteCode & 0xff) === 5, `SQLITE_BUSY, got ${e.sqliteCode}`);
      assertEquals(store.pendingWrites, 2, "the writes stay pending");
      assert(records.some((r) => r.level === "error" && r.message.startsWith("flush failed")));
      // A write-through call fails the same way and changes nothing.
      await expectStoreError(
        store.storeSentMessage("c@s.whatsapp.net", "1", fill(4, 1)),
        "locked",
        "sent_messages",
      );
      assertEquals((await store.loadSession(sessions[0][0]))?.serialize(), sessions[0][1].serialize());
      other.exec("ROLLBACK");
      await store.flush();
      assertEquals(store.pendingWrites, 0);
      assertEquals(countRows(path, "sessions"), 2);
      assertEquals(await store.takeSentMessage("c@s.whatsapp.net", "1"), undefined);
    } finally {
      if (other.isTransaction) other.exec("ROLLBACK");
      other.close();
      await store.close();
    }
  });
});

Deno.test("a failed automatic flush is logged and retried", async () => {
  await withDb(async (path) => {
    const { logger, next } = recordingLogger();
    const [[address, record]] = [...await makeSessions(1)];
    const store = await open(path, { busyTimeoutMs: 10, flushDelayMs: 15, logger });
    const other = new DatabaseSync(path);
    try {
      other.exec("BEGIN IMMEDIATE");
      const failed = next("automatic flush failed; the writes stay pending and will be retried");
      await store.storeSession(address, record);
      await failed;
      assertEquals(store.pendingWrites, 1);
      const flushed = next("flushed pending writes");
      other.exec("ROLLBACK");
      await flushed;
      assertEquals(countRows(path, "sessions"), 1);
    } finally {
      if (other.isTransaction) other.exec("ROLLBACK");
      other.close();
      await store.close();
    }
  });
});

Deno.test("full database: the write fails with kind full and changes nothing; the store recovers", async () => {
  await withDb(async (path) => {
    // max_page_count caps the file (4 KiB pages): a stand-in for a full disk that SQLite reports the same
    // way (SQLITE_FULL).
    const store = await open(path, { pragmas: { max_page_count: 80 } });
    try {
      const payload = fill(8000, 1);
      let stored = 0;
      let error: unknown;
      for (; stored < 100; stored++) {
        try {
          await store.storeSentMessage("c@s.whatsapp.net", `M${stored}`, payload);
        } catch (e) {
          error = e;
          break;
        }
      }
      assert(stored > 0 && stored < 100, `filled after ${stored} messages`);
      await expectStoreError(Promise.reject(error), "full", "sent_messages");
      assertEquals(countRows(path, "sent_messages"), stored);
      assertEquals(await store.takeSentMessage("c@s.whatsapp.net", `M${stored}`), undefined);
      // Write-behind data fails at flush with the same kind and stays pending.
      const sessions = [...await makeSessions(60)];
      await store.storeSessions(sessions);
      await expectStoreError(store.flush(), "full");
      assertEquals(store.pendingWrites, 60);
      // Free space: the pending sessions then commit.
      for (let i = 0; i < stored; i++) await store.takeSentMessage("c@s.whatsapp.net", `M${i}`);
      assertEquals(store.pendingWrites, 0, "the take committed the journal with it");
      assertEquals(countRows(path, "sessions"), 60);
    } finally {
      await store.close();
    }
  });
});

Deno.test("close() flushes; a close whose flush fails still releases the file and reports it", async () => {
  await withDb(async (path) => {
    const [[a0, r0], [a1, r1]] = [...await makeSessions(2)];
    let store = await open(path);
    await store.storeSession(a0, r0);
    await store.close();
    store = await open(path);
    assertEquals((await store.loadSession(a0))?.serialize(), r0.serialize());

    await store.storeSession(a1, r1);
    await store.close().catch(() => {});
    store = await open(path, { busyTimeoutMs: 20 });
    await store.deleteSession(a1);
    const other = new DatabaseSync(path);
    other.exec("BEGIN IMMEDIATE");
    try {
      const e = await expectStoreError(store.close(), "locked");
      assert(e.message.includes("1 pending writes"), e.message);
      await expectStoreError(store.loadSession(a0), "closed");
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }
    store = await open(path);
    assert((await store.loadSession(a1)) !== undefined, "the failed close lost only the unflushed delete");
    await store.close();
  });
});

Deno.test("device-list and LID caches: TTL and time-to-idle against another connection's edits", async () => {
  await withDb(async (path) => {
    const clock = new ManualClock();
    const store = await open(path, { clock: clock.read });
    const raw = new DatabaseSync(path);
    try {
      const user = "15551234567@s.whatsapp.net";
      await store.updateDeviceList({ user, devices: [{ deviceId: 0 }], timestamp: 100 });
      await store.putLidMapping({
        lid: "9",
        phoneNumber: "1555",
        createdAt: 1,
        updatedAt: 1,
        learningSource: "usync",
      });
      assertEquals((await store.getLidMapping("9"))?.updatedAt, 1);
      raw.exec("UPDATE device_lists SET timestamp = 200");
      raw.exec("UPDATE lid_pn_mappings SET updated_at = 2");
      clock.advance(59 * 60_000);
      assertEquals((await store.getDevices(user))?.timestamp, 100, "cached within the hour");
      assertEquals((await store.getLidMapping("9"))?.updatedAt, 1, "cached; the read extends its idle time");
      clock.advance(2 * 60_000); // 61 minutes after the device list write, 2 after the LID read
      assertEquals((await store.getDevices(user))?.timestamp, 200, "TTL expired: read again");
      assertEquals((await store.getLidMapping("9"))?.updatedAt, 1, "still idle-fresh");
      clock.advance(61 * 60_000);
      assertEquals((await store.getLidMapping("9"))?.updatedAt, 2, "idle past an hour: read again");
    } finally {
      raw.close();
      await store.close();
    }
  });
});

Deno.test("two accounts in one file are isolated and listed", async () => {
  await withDb(async (path) => {
    const sessions = await makeSessions(2);
    const a = await open(path, { deviceId: 1 });
    const id = await a.createDeviceId();
    const b = await open(path, { deviceId: id });
    try {
      await a.storeSession(peer(0), sessions.get(peer(0)) as SessionRecord);
      await b.storeSession(peer(0), sessions.get(peer(1)) as SessionRecord);
      await a.putTcToken("x@lid", { token: fill(4, 1), tokenTimestamp: 1 });
      await a.flush();
      await b.flush();
      assertEquals((await a.loadSession(peer(0)))?.serialize(), sessions.get(peer(0))!.serialize());
      assertEquals((await b.loadSession(peer(0)))?.serialize(), sessions.get(peer(1))!.serialize());
      assertEquals(await b.getTcToken("x@lid"), undefined);
      assertEquals(await b.listDeviceIds(), [1, id]);
      await b.deleteDevice();
      assertEquals(countRows(path, "sessions"), 1, "only b's rows went");
    } finally {
      await a.close();
      await b.close();
    }
    // Reopened from disk, a's data is intact.
    const again = await open(path, { deviceId: 1 });
    assertEquals((await again.loadSession(peer(0)))?.serialize(), sessions.get(peer(0))!.serialize());
    await again.close();
  });
});

Deno.test("bad options are rejected before anything is opened", async () => {
  await withDb(async (path) => {
    await expectStoreError(SqliteStore.open(path, { deviceId: 0 }), "invalid_input");
    await expectStoreError(SqliteStore.open(path, { flushDelayMs: 0 }), "invalid_input");
    await expectStoreError(
      SqliteStore.open(path, { pragmas: { "x; DROP TABLE device": 1 } }),
      "invalid_input",
    );
    await expectStoreError(SqliteStore.open(path, { synchronous: "OFF" as "FULL" }), "invalid_input");
    await expectStoreError(SqliteStore.open(""), "invalid_input");
  });
});
