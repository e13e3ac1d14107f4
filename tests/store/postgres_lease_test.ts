// PostgresStore across processes, against a real server: the lease (a second opener gets `leased`, a
// crashed holder's lease is taken over, two racing processes: exactly one wins), a connection killed under
// a store, a read the server refuses, device listing, and the crash test (a writer SIGKILLed mid-burst
// loses no flushed write and tears no flush), as crash_test.ts does for SQLite.
import { assert, assertEquals } from "../_assert.ts";
import { createDevice, PostgresStore, StoreError } from "../../src/store/mod.ts";
import { Jid } from "../../src/binary/mod.ts";
import pg from "pg";
import { assertWholeFlush } from "./crash_writer.ts";
import { FLUSH_EVERY } from "./postgres_child.ts";
import { expectStoreError } from "./contract.ts";
import { makeSessions, prng } from "./fixtures.ts";
import { usePostgres } from "./_postgres_server.ts";

const server = usePostgres();
const childScript = new URL("./postgres_child.ts", import.meta.url).pathname;

function spawnChild(...args: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-net=127.0.0.1",
      "--allow-env",
      "--allow-read",
      "--allow-sys",
      childScript,
      ...args,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  // A pump reads stdout as it comes; line() waits for the next complete line.
  const lines: string[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  const pump = (async () => {
    let buffered = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        lines.push(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
      }
      wake?.();
    }
    ended = true;
    wake?.();
  })();
  return {
    child,
    stderr,
    /** The next line the child prints, or undefined at EOF; rejects at the deadline. */
    async line(signal = AbortSignal.timeout(20_000)): Promise<string | undefined> {
      while (lines.length === 0 && !ended) {
        const { promise, resolve, reject } = Promise.withResolvers<void>();
        wake = resolve;
        const onAbort = () => reject(new Error(`child printed no line in time (${lines.length} lines)`));
        signal.addEventListener("abort", onAbort, { once: true });
        try {
          await promise;
        } finally {
          signal.removeEventListener("abort", onAbort);
        }
      }
      return lines.shift();
    },
    async release(): Promise<void> {
      await child.stdin.close().catch(() => {});
      await child.status;
      await pump;
      await stderr;
    },
  };
}

Deno.test("lease: a second opener gets leased (naming the holder); free again after close", async () => {
  const url = await server.freshDatabase();
  const first = await PostgresStore.open(url, { deviceId: 3 });
  try {
    const e = await expectStoreError(PostgresStore.open(url, { deviceId: 3 }), "leased", "device");
    assert(e.message.includes("device 3"), e.message);
    assert(e.message.includes("wadeno"), `names the holder: ${e.message}`);
    // Other devices of the same database are free.
    const other = await PostgresStore.open(url, { deviceId: 4 });
    await other.close();
  } finally {
    await first.close();
  }
  const again = await PostgresStore.open(url, { deviceId: 3 });
  await again.close();
});

Deno.test("lease: a crashed holder's lease is taken over", async () => {
  const url = await server.freshDatabase();
  const holder = spawnChild("hold", url, "5");
  try {
    assertEquals(await holder.line(), "won");
    await expectStoreError(PostgresStore.open(url, { deviceId: 5 }), "leased");
    holder.child.kill("SIGKILL");
    // The server notices the closed connection and frees the lock; the new opener waits for that in the server.
    const store = await PostgresStore.open(url, { deviceId: 5, leaseTimeoutMs: 15_000 });
    await store.close();
  } finally {
    await holder.release();
  }
});

Deno.test("lease: two processes racing for one device, exactly one wins", async () => {
  const url = await server.freshDatabase();
  // Create the schema first, so both race for the lease, not for the migration.
  await (await PostgresStore.open(url, { deviceId: 1 })).close();
  for (let round = 0; round < 3; round++) {
    const racers = [spawnChild("hold", url, "9"), spawnChild("hold", url, "9")];
    try {
      const results = await Promise.all(racers.map((r) => r.line()));
      assertEquals(results.sort(), ["leased", "won"], `round ${round}`);
    } finally {
      await Promise.all(racers.map((r) => r.release()));
    }
  }
});

Deno.test("a killed connection: the store reconnects and carries on; after another holder it fails leased", async () => {
  const url = await server.freshDatabase();
  const [[address, record]] = [...await makeSessions(1)];
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const kill = () =>
    admin.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'wadeno' AND pid <> pg_backend_pid()",
    );
  try {
    const store = await PostgresStore.open(url, { deviceId: 2, flushDelayMs: Infinity });
    await store.storeSession(address, record);
    await kill();
    // The first call after the kill may fail (the driver learns of it then); the pending write survives it.
    await store.flush().catch((e) => assert(e instanceof StoreError && e.kind === "io", String(e)));
    await store.flush();
    assertEquals(store.pendingWrites, 0);
    await store.close();
    const reopened = await PostgresStore.open(url, { deviceId: 2 });
    assertEquals((await reopened.loadSession(address))?.serialize(), record.serialize());

    // Now lose the connection while someone else takes the device and lets it go again.
    await kill();
    const intruder = await PostgresStore.open(url, { deviceId: 2, leaseTimeoutMs: 10_000 });
    await intruder.close();
    let error: unknown;
    for (let i = 0; i < 2 && error === undefined; i++) {
      await reopened.deviceExists().catch((e) => (error = e.kind === "io" ? undefined : e));
      await reopened.storeSentMessage("c@s.whatsapp.net", "M", new Uint8Array([1])).catch((e) =>
        error ??= e.kind === "io" ? undefined : e
      );
    }
    assert(error instanceof StoreError && error.kind === "leased", `expected leased, got ${error}`);
    await reopened.close();
  } finally {
    await admin.end();
  }
});

Deno.test("a read the server refuses is a StoreError, changes nothing, and the next read works", async () => {
  const url = await server.freshDatabase();
  const [[address, record]] = [...await makeSessions(1)];
  const writer = await PostgresStore.open(url, { deviceId: 4 });
  await writer.storeSession(address, record);
  await writer.close();
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    // A fresh store has nothing cached, so loading the session reads the table, which is briefly gone.
    const store = await PostgresStore.open(url, { deviceId: 4 });
    await admin.query("ALTER TABLE wadeno_sessions RENAME TO wadeno_sessions_away");
    const e = await expectStoreError(store.loadSession(address), "io", "sessions");
    assertEquals(e.sqlState, "42P01"); // undefined_table
    assertEquals(e.key, address);
    assertEquals(store.pendingWrites, 0);
    await admin.query("ALTER TABLE wadeno_sessions_away RENAME TO wadeno_sessions");
    assertEquals((await store.loadSession(address))?.serialize(), record.serialize());
    await store.close();
  } finally {
    await admin.end();
  }
});

Deno.test("listDevices: ids, JIDs, push names and who is running, without leasing", async () => {
  const url = await server.freshDatabase();
  assertEquals(await PostgresStore.listDevices(url), []);
  const a = await PostgresStore.open(url, { deviceId: 1 });
  const device = createDevice();
  device.pn = Jid.parse("15551234567:12@s.whatsapp.net");
  device.lid = Jid.parse("100000012345678:12@lid");
  device.pushName = "Fleet bot";
  await a.saveDevice(device);
  await a.flush();
  const b = await PostgresStore.open(url, { deviceId: 2 });
  await b.close();
  const list = await a.listDevices();
  assertEquals(list.map((d) => [d.deviceId, d.saved, d.leased]), [[1, true, true], [2, false, false]]);
  assertEquals(list[0].pn, "15551234567:12@s.whatsapp.net");
  assertEquals(list[0].lid, "100000012345678:12@lid");
  assertEquals(list[0].pushName, "Fleet bot");
  assert(list[0].updatedAt > 0);
  await a.close();
  assertEquals((await PostgresStore.listDevices(url)).map((d) => d.leased), [false, false]);
});

Deno.test("crash: a writer SIGKILLed mid-burst loses no flushed write and tears no flush", async () => {
  const url = await server.freshDatabase();
  const base = Date.now() % 100_000;
  for (let run = 0; run < 4; run++) {
    const seed = base + run;
    const random = prng(seed);
    const deviceId = 10 + run;
    const writer = spawnChild("burst", url, String(deviceId));
    let printed = 0;
    try {
      assertEquals(await writer.line(), "ready", `seed ${seed}`);
      const flushesBeforeKill = 2 + Math.floor(random() * 30);
      for (let seen = 0; seen < flushesBeforeKill; seen++) {
        const line = await writer.line();
        if (line === undefined) throw new Error(`seed ${seed}: writer stopped: ${await writer.stderr}`);
        printed = Number(line);
      }
      // Kill somewhere inside the next batch or its flush.
      const extra = Math.floor(random() * 6);
      if (extra > 0) await new Promise((r) => setTimeout(r, extra));
      writer.child.kill("SIGKILL");
      for (let line = await writer.line(); line !== undefined; line = await writer.line()) {
        printed = Number(line);
      }
    } finally {
      await writer.release();
    }
    const store = await PostgresStore.open(url, { deviceId, leaseTimeoutMs: 15_000 });
    try {
      await assertWholeFlush(store, printed, FLUSH_EVERY, seed);
    } finally {
      await store.close();
    }
  }
});
