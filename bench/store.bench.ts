// Store hot paths: SqliteStore (node:sqlite, WAL, synchronous=NORMAL by default, FULL measured too, write-behind) against MemoryStore
// (Maps; the baseline) in the same run, on real Signal records made through the signal layer.
//
// What "burst" measures, per iteration: 1,000 session updates as a burst of incoming messages produces
// them (each update = loadSession + storeSession of the next ratcheted record, round-robin over 50 peers),
// then flush(): for SqliteStore that serializes the 50 dirty sessions and commits them in one transaction
// with an fsync of the WAL, so the iteration ends with the burst durable on disk. MemoryStore's flush has
// nothing to do. The "every update distinct" variant uses 1,000 peers (1,000 rows written per flush).
//
// Every measured write stores content that differs from what the row holds (iterations alternate between
// two prepared data sets): SQLite skips writing a page whose bytes do not change, and a commit without
// changed pages needs no fsync, which would make repeated identical stores look free.
//
// PostgresStore is measured against SqliteStore in the same run ("postgres:" groups) on a real server the
// bench starts (tests/store/_postgres_server.ts) with fsync and synchronous_commit on, so its flush, like
// SQLite FULL's, returns after the commit is on disk: a burst of 1,000 session updates + flush, and 100
// devices logging in at once against one database (open + lease, read the device and its sessions, save
// the device, flush, close) against 100 SqliteStores on one file.
import { DatabaseSync } from "node:sqlite";
import { generatePreKeys, type SessionRecord } from "../src/signal/mod.ts";
import { createDevice, MemoryStore, PostgresStore, SqliteStore } from "../src/store/mod.ts";
import { makeSenderKey, makeSessions, sessionBurst } from "../tests/store/fixtures.ts";
import { startPostgres } from "../tests/store/_postgres_server.ts";

const dir = Deno.makeTempDirSync({ prefix: "wadeno-store-bench-" });
const pgServer = await startPostgres({ durable: true });
globalThis.addEventListener("unload", () => {
  pgServer.stopSync();
  Deno.removeSync(dir, { recursive: true });
});

const memory = new MemoryStore();
// flushDelayMs: Infinity so only the measured flush() commits (no timer fires inside an iteration).
const sqlite = await SqliteStore.open(`${dir}/bench.db`, { flushDelayMs: Infinity, synchronous: "FULL" });
const sqliteNormal = await SqliteStore.open(`${dir}/bench-normal.db`, {
  flushDelayMs: Infinity,
  synchronous: "NORMAL",
});
// A store whose record cache holds one entry, so loads go to SQLite and deserialize.
const sqliteCold = await SqliteStore.open(`${dir}/bench-cold.db`, { flushDelayMs: Infinity, cacheSize: 1 });

const sessions = [...await makeSessions(8, 5)];
for (const s of [memory, sqlite, sqliteNormal, sqliteCold]) {
  await s.storeSessions(sessions);
  await s.flush();
}
const bursts50 = [await sessionBurst(50, 1000), await sessionBurst(50, 1000)];
const bursts1000 = [await sessionBurst(1000, 1000), await sessionBurst(1000, 1000)];
// For the "part:" benches: the records a burst leaves dirty, their bytes, and a raw connection.
const finals50 = bursts50.map((b) => [...new Map(b).values()]);
const finalBytes50 = bursts50.map((b) => [...new Map(b)].map(([a, r]) => [a, r.serialize()] as const));
const sqliteParts = await SqliteStore.open(`${dir}/bench-parts.db`, { flushDelayMs: Infinity });
const raw = new DatabaseSync(`${dir}/bench-raw.db`);
raw.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL");
raw.exec("CREATE TABLE sessions (address TEXT PRIMARY KEY, record BLOB NOT NULL)");
const rawUpsert = raw.prepare(
  "INSERT INTO sessions VALUES (?, ?) ON CONFLICT (address) DO UPDATE SET record = excluded.record",
);
const preKeySets = [generatePreKeys(1, 812), generatePreKeys(1, 812)];
const groupName = "120363000000000000@g.us::15551234567:2@c.us.0";
const senderKeys = [await makeSenderKey(groupName, 10), await makeSenderKey(groupName, 10)];
for (const s of [memory, sqlite]) {
  await s.storeSenderKey(groupName, senderKeys[0]);
  await s.flush();
}

let n = 0;
const next = () => sessions[n++ % sessions.length];
/** Alternates between the two data sets of a benchmark. */
const flip = <T>(pair: readonly T[]): T => pair[n++ & 1];

// --- session load ------------------------------------------------------------------------------------

Deno.bench("session load: MemoryStore", { group: "session load", baseline: true }, async () => {
  await memory.loadSession(next()[0]);
});
Deno.bench("session load: SqliteStore (cached)", { group: "session load" }, async () => {
  await sqlite.loadSession(next()[0]);
});
Deno.bench("session load: SqliteStore (from disk, deserialized)", { group: "session load" }, async () => {
  await sqliteCold.loadSession(next()[0]);
});

// --- session store, made durable ---------------------------------------------------------------------

// One address whose record changes every iteration, as when one chat is active.
const HOT = "15559999999:1@c.us.0";

Deno.bench("session store: MemoryStore", { group: "session store + flush", baseline: true }, async () => {
  await memory.storeSession(HOT, next()[1]);
  await memory.flush();
});
Deno.bench("session store + flush: SqliteStore FULL", { group: "session store + flush" }, async () => {
  await sqlite.storeSession(HOT, next()[1]);
  await sqlite.flush();
});
Deno.bench("session store + flush: SqliteStore NORMAL", { group: "session store + flush" }, async () => {
  await sqliteNormal.storeSession(HOT, next()[1]);
  await sqliteNormal.flush();
});

// --- a burst of 1,000 session updates, then the flush that makes them durable --------------------------

async function runBurst(
  store: MemoryStore | SqliteStore | PostgresStore,
  updates: ReadonlyArray<readonly [string, SessionRecord]>,
): Promise<void> {
  for (const [address, record] of updates) {
    await store.loadSession(address);
    await store.storeSession(address, record);
  }
  await store.flush();
}

Deno.bench("burst 1000 updates / 50 peers: MemoryStore", { group: "burst", baseline: true }, async () => {
  await runBurst(memory, flip(bursts50));
});
Deno.bench("burst 1000 updates / 50 peers + flush: SqliteStore FULL", { group: "burst" }, async () => {
  await runBurst(sqlite, flip(bursts50));
});
Deno.bench("burst 1000 updates / 50 peers + flush: SqliteStore NORMAL", { group: "burst" }, async () => {
  await runBurst(sqliteNormal, flip(bursts50));
});

// The parts of the SqliteStore FULL burst, to show where its time goes (same data, same group).
Deno.bench(
  "part: the 2,000 calls without the flush (SqliteStore write-behind)",
  { group: "burst" },
  async () => {
    for (const [address, record] of flip(bursts50)) {
      await sqliteParts.loadSession(address);
      await sqliteParts.storeSession(address, record);
    }
  },
);
Deno.bench("part: serialize the 50 final records (signal layer)", { group: "burst" }, () => {
  for (const record of flip(finals50)) record.serialize();
});
Deno.bench("part: raw node:sqlite 50-row upsert + FULL commit", { group: "burst" }, () => {
  const rows = flip(finalBytes50);
  raw.prepare("BEGIN IMMEDIATE").run();
  for (const [address, bytes] of rows) rawUpsert.run(address, bytes);
  raw.prepare("COMMIT").run();
});

Deno.bench("burst 1000 distinct: MemoryStore", { group: "burst distinct", baseline: true }, async () => {
  await runBurst(memory, flip(bursts1000));
});
Deno.bench("burst 1000 distinct + flush: SqliteStore FULL", { group: "burst distinct" }, async () => {
  await runBurst(sqlite, flip(bursts1000));
});

// --- prekey upload batch -----------------------------------------------------------------------------

Deno.bench("812 prekeys: MemoryStore", { group: "prekeys 812", baseline: true }, async () => {
  await memory.storePreKeys(flip(preKeySets));
  await memory.flush();
});
Deno.bench("812 prekeys + flush: SqliteStore FULL", { group: "prekeys 812" }, async () => {
  await sqlite.storePreKeys(flip(preKeySets));
  await sqlite.flush();
});

// --- sender keys -------------------------------------------------------------------------------------

Deno.bench("sender key load+store: MemoryStore", { group: "sender key", baseline: true }, async () => {
  await memory.loadSenderKey(groupName);
  await memory.storeSenderKey(groupName, flip(senderKeys));
});
Deno.bench("sender key load+store: SqliteStore (write-behind)", { group: "sender key" }, async () => {
  await sqlite.loadSenderKey(groupName);
  await sqlite.storeSenderKey(groupName, flip(senderKeys));
});
Deno.bench("sender key load+store + flush: SqliteStore FULL", { group: "sender key" }, async () => {
  await sqlite.loadSenderKey(groupName);
  await sqlite.storeSenderKey(groupName, flip(senderKeys));
  await sqlite.flush();
});

// --- PostgreSQL against SQLite -------------------------------------------------------------------------

const pgUrl = await pgServer.createDatabase("bench");
const postgres = await PostgresStore.open(pgUrl, { flushDelayMs: Infinity });
await postgres.storeSessions(sessions);
await postgres.flush();

Deno.bench(
  "postgres burst: SqliteStore FULL",
  { group: "postgres: burst 1000 + flush", baseline: true },
  async () => {
    await runBurst(sqlite, flip(bursts50));
  },
);
Deno.bench("postgres burst: SqliteStore NORMAL", { group: "postgres: burst 1000 + flush" }, async () => {
  await runBurst(sqliteNormal, flip(bursts50));
});
Deno.bench(
  "postgres burst: PostgresStore (synchronous_commit on)",
  { group: "postgres: burst 1000 + flush" },
  async () => {
    await runBurst(postgres, flip(bursts50));
  },
);
Deno.bench("postgres one session store + flush: SqliteStore FULL", {
  group: "postgres: one update + flush",
  baseline: true,
}, async () => {
  await sqlite.storeSession(HOT, next()[1]);
  await sqlite.flush();
});
Deno.bench(
  "postgres one session store + flush: PostgresStore",
  { group: "postgres: one update + flush" },
  async () => {
    await postgres.storeSession(HOT, next()[1]);
    await postgres.flush();
  },
);

// 100 accounts in one database, each with a saved device and 5 sessions.
const FLEET = 100;
const fleetSessions = [...await makeSessions(5, 2)];
const loginSqlitePath = `${dir}/fleet.db`;
async function seedFleet(open: (id: number) => Promise<SqliteStore | PostgresStore>): Promise<void> {
  for (let id = 1; id <= FLEET; id++) {
    const store = await open(id);
    await store.saveDevice(createDevice());
    await store.storeSessions(fleetSessions);
    await store.close();
  }
}
await seedFleet((deviceId) => SqliteStore.open(loginSqlitePath, { deviceId }));
const fleetUrl = await pgServer.createDatabase("fleet");
await seedFleet((deviceId) => PostgresStore.open(fleetUrl, { deviceId }));

/** What a bot's store does at login: open, read the device and sessions, save the device, flush, close. */
async function login(store: SqliteStore | PostgresStore): Promise<void> {
  const device = (await store.loadDevice())!;
  await store.loadSessions(fleetSessions.map(([a]) => a));
  device.appVersion = { ...device.appVersion, lastFetchedMs: Date.now() };
  await store.saveDevice(device);
  await store.flush();
  await store.close();
}

Deno.bench("100 logins at once: SqliteStore (one file)", {
  group: "postgres: 100 logins",
  baseline: true,
  n: 20,
  warmup: 2,
}, async () => {
  await Promise.all(
    Array.from(
      { length: FLEET },
      async (_, i) => login(await SqliteStore.open(loginSqlitePath, { deviceId: i + 1 })),
    ),
  );
});
Deno.bench("100 logins at once: PostgresStore (one database)", {
  group: "postgres: 100 logins",
  n: 20,
  warmup: 2,
}, async () => {
  await Promise.all(
    Array.from(
      { length: FLEET },
      async (_, i) => login(await PostgresStore.open(fleetUrl, { deviceId: i + 1 })),
    ),
  );
});
