// Runs the one store contract against both backends.
import { MemoryStore, SqliteStore } from "../../src/store/mod.ts";
import { PostgresStore } from "../../src/store/postgres_store.ts";
import { usePostgres } from "./_postgres_server.ts";
import { type Harness, storeContract, type TestBackend } from "./contract.ts";

/** A harness over a durable store: `reopen` closes it and opens it again; `dispose` closes, then `cleanup`. */
async function reopenable(
  open: () => Promise<TestBackend>,
  cleanup: () => Promise<void> = () => Promise.resolve(),
): Promise<Harness> {
  const harness: Harness = {
    store: await open(),
    async reopen() {
      await harness.store.close();
      harness.store = await open();
      return harness.store;
    },
    async dispose() {
      await harness.store.close();
      await cleanup();
    },
  };
  return harness;
}

storeContract("MemoryStore", (clock) => {
  const store = new MemoryStore({ clock: clock.read });
  return Promise.resolve({ store, dispose: () => store.close() });
});

storeContract("SqliteStore", async (clock) => {
  const dir = await Deno.makeTempDir({ prefix: "wadeno-store-" });
  const path = `${dir}/store.db`;
  return reopenable(
    () => SqliteStore.open(path, { clock: clock.read, flushDelayMs: 50 }),
    () => Deno.remove(dir, { recursive: true }),
  );
});

const pg = usePostgres();
storeContract("PostgresStore", async (clock) => {
  const url = await pg.freshDatabase();
  return reopenable(() => PostgresStore.open(url, { clock: clock.read, flushDelayMs: 50 }));
});
