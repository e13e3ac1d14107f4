// Runs the one store contract against both backends.
import { MemoryStore, SqliteStore } from "../../src/store/mod.ts";
import { PostgresStore } from "../../src/store/postgres_store.ts";
import { usePostgres } from "./_postgres_server.ts";
import { storeContract, type TestBackend } from "./contract.ts";

storeContract("MemoryStore", (clock) => {
  const store = new MemoryStore({ clock: clock.read });
  return Promise.resolve({ store, dispose: () => store.close() });
});

storeContract("SqliteStore", async (clock) => {
  const dir = await Deno.makeTempDir({ prefix: "wadeno-store-" });
  const path = `${dir}/store.db`;
  const open = () => SqliteStore.open(path, { clock: clock.read, flushDelayMs: 50 });
  const harness = {
    store: await open() as TestBackend,
    async reopen() {
      await harness.store.close();
      harness.store = await open();
      return harness.store;
    },
    async dispose() {
      await harness.store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
  return harness;
});

const pg = usePostgres();
storeContract("PostgresStore", async (clock) => {
  const url = await pg.freshDatabase();
  const open = () => PostgresStore.open(url, { clock: clock.read, flushDelayMs: 50 });
  const harness = {
    store: await open() as TestBackend,
    async reopen() {
      await harness.store.close();
      harness.store = await open();
      return harness.store;
    },
    dispose: () => harness.store.close(),
  };
  return harness;
});
