// Schema versions: a database made by schema version 1 upgrades with its data intact; a newer database,
// a failed upgrade, a foreign database and a file that is not SQLite are refused with a StoreError.
import { DatabaseSync } from "node:sqlite";
import { assert, assertEquals } from "../_assert.ts";
import { sha256 } from "../../src/crypto/mod.ts";
import { createDevice, encodeDevice, SCHEMA_VERSION, SqliteStore } from "../../src/store/mod.ts";
import { MIGRATIONS, SCHEMA_V1 } from "../../src/store/sqlite_schema.ts";
import { expectStoreError } from "./contract.ts";
import { fill, makeSessions } from "./fixtures.ts";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "wadeno-migrate-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function versions(path: string): number[] {
  const raw = new DatabaseSync(path);
  try {
    return raw.prepare("SELECT version FROM schema_version ORDER BY version").all().map((r) =>
      Number(r.version)
    );
  } finally {
    raw.close();
  }
}

/** A database exactly as schema version 1 of this store made it, with v1-shaped rows. */
async function makeV1(path: string) {
  const device = createDevice();
  const [[address, session]] = [...await makeSessions(1)];
  const raw = new DatabaseSync(path);
  try {
    raw.exec("PRAGMA journal_mode = WAL");
    raw.exec("BEGIN");
    raw.exec(SCHEMA_V1);
    raw.prepare("INSERT INTO schema_version (version, applied_at) VALUES (1, 1700000000)").run();
    raw.prepare("INSERT INTO device (device_id, data) VALUES (1, ?)").run(encodeDevice(device));
    raw.prepare("INSERT INTO sessions (device_id, address, record) VALUES (1, ?, ?)").run(
      address,
      session.serialize(),
    );
    raw.prepare("INSERT INTO identities (device_id, address, key) VALUES (1, ?, ?)").run(
      address,
      fill(32, 1),
    );
    raw.prepare(
      "INSERT INTO lid_pn_mappings (device_id, lid, phone_number, created_at, updated_at, learning_source) " +
        "VALUES (1, '100', '1555', 10, 11, 'usync')",
    ).run();
    raw.prepare("INSERT INTO app_state_versions (device_id, name, version, hash) VALUES (1, 'regular', 5, ?)")
      .run(
        fill(128, 3),
      );
    raw.exec("COMMIT");
  } finally {
    raw.close();
  }
  return { device, address, session };
}

Deno.test("schema version 1's DDL is frozen (a released migration is never edited)", () => {
  // Recorded when version 1 shipped; a change here means old files would no longer match the code.
  assertEquals(sha256(new TextEncoder().encode(SCHEMA_V1)).toHex().slice(0, 16), V1_DDL_SHA256_PREFIX);
  assertEquals(MIGRATIONS.map((m) => m.version), [1, 2, 3]);
  assertEquals(SCHEMA_VERSION, 3);
});
// A snapshot of the DDL text as released (SHA-256 prefix), not a computed result: it only changes if the text does.
const V1_DDL_SHA256_PREFIX = "cbbe39f7486d1776";

Deno.test("a version-1 database upgrades to the current schema with its data", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/v1.db`;
    const v1 = await makeV1(path);
    const store = await SqliteStore.open(path);
    try {
      assertEquals(versions(path), [1, 2, 3]);
      assertEquals(encodeDevice((await store.loadDevice())!).toHex(), encodeDevice(v1.device).toHex());
      assertEquals((await store.loadSession(v1.address))?.serialize(), v1.session.serialize());
      assertEquals(await store.loadIdentity(v1.address), fill(32, 1));
      assertEquals(await store.getPnMapping("1555"), {
        lid: "100",
        phoneNumber: "1555",
        createdAt: 10,
        updatedAt: 11,
        learningSource: "usync",
      });
      assertEquals(await store.getAppStateVersion("regular"), { version: 5, hash: fill(128, 3) });
      // What version 2 added works.
      await store.putTcToken("1@lid", { token: fill(8, 1), tokenTimestamp: 5 });
      await store.storeSentMessage("c@s.whatsapp.net", "M", fill(8, 2));
      assertEquals((await store.getTcToken("1@lid"))?.tokenTimestamp, 5);
      assertEquals(await store.takeSentMessage("c@s.whatsapp.net", "M"), fill(8, 2));
      // And what version 3 added.
      await store.commitIncoming({ key: "k", chat: "c", payload: fill(4, 1) }, {});
      await store.putMessageSecret("c@g.us", "s@s.whatsapp.net", "M", fill(32, 1));
      assertEquals((await store.pendingIncoming()).map((e) => e.key), ["k"]);
      assertEquals(await store.getMessageSecret("c@g.us", "s@s.whatsapp.net", "M"), fill(32, 1));
    } finally {
      await store.close();
    }
    // Opening again is a no-op migration.
    await (await SqliteStore.open(path)).close();
    assertEquals(versions(path), [1, 2, 3]);
  });
});

Deno.test("a failed upgrade leaves the file at its old version with its data", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/v1.db`;
    const v1 = await makeV1(path);
    // Something else already made a table version 2 wants to create: the migration must fail as a whole.
    const raw = new DatabaseSync(path);
    raw.exec("CREATE TABLE sent_messages (unrelated TEXT)");
    raw.close();
    const e = await expectStoreError(SqliteStore.open(path), "migration_failed", "schema_version");
    assert(e.message.includes(`from schema version 1 to ${SCHEMA_VERSION} failed at version 2`), e.message);
    assertEquals(versions(path), [1]);
    const check = new DatabaseSync(path);
    try {
      assertEquals(
        check.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'tc_tokens'").get()!.n,
        0,
        "the tables created before the failure were rolled back",
      );
      assertEquals(
        (check.prepare("SELECT record FROM sessions WHERE address = ?").get(v1.address)!.record as Uint8Array)
          .toHex(),
        v1.session.serialize().toHex(),
      );
    } finally {
      check.close();
    }
  });
});

Deno.test("a database from newer code is refused, naming both versions, and left untouched", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/new.db`;
    await (await SqliteStore.open(path)).close();
    const raw = new DatabaseSync(path);
    raw.prepare("INSERT INTO schema_version (version, applied_at) VALUES (99, 1)").run();
    raw.close();
    const e = await expectStoreError(SqliteStore.open(path), "schema_too_new", "schema_version");
    assert(e.message.includes("99") && e.message.includes(`version ${SCHEMA_VERSION}`), e.message);
    assertEquals(versions(path), [1, 2, 3, 99]);
  });
});

Deno.test("a foreign SQLite database and a file that is not SQLite are refused as corrupt", async () => {
  await withDir(async (dir) => {
    const foreign = `${dir}/foreign.db`;
    const raw = new DatabaseSync(foreign);
    raw.exec("CREATE TABLE notes (body TEXT)");
    raw.close();
    const e = await expectStoreError(SqliteStore.open(foreign), "corrupt");
    assert(e.message.includes("notes"), e.message);

    const garbage = `${dir}/garbage.db`;
    await Deno.writeFile(garbage, fill(8192, 7));
    await expectStoreError(SqliteStore.open(garbage), "corrupt");

    const missingDir = `${dir}/no/such/dir/x.db`;
    await expectStoreError(SqliteStore.open(missingDir), "io");
  });
});
