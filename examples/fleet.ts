/**
 * A fleet of ping bots kept in one PostgreSQL database and spread over any number of processes and
 * hosts. Every process runs this same program: it lists the database's accounts and opens each one it can
 * lease, up to MAX_BOTS; an account another process holds is skipped (that process runs it). Every
 * SWEEP_SECONDS it looks again, so when a process dies, the accounts it ran are picked up by the others
 * (PostgreSQL frees a dead process's leases when its connections close).
 *
 * NEW_BOTS=n reserves n new accounts and links each with a QR code printed in this terminal.
 *
 * Run on each host:
 *   WADENO_PG=postgres://bot@db.internal/wadeno MAX_BOTS=50 \
 *     deno run --allow-net --allow-env --allow-read --allow-sys examples/fleet.ts
 *
 * The database needs `max_connections` above the number of accounts open at once (one connection each).
 */

import { Bot, messageText, renderQr, StoreError } from "../mod.ts";
import { PostgresStore } from "../src/store/mod.ts";

const url = Deno.env.get("WADENO_PG") ?? "postgres://localhost/wadeno";
const maxBots = Number(Deno.env.get("MAX_BOTS") ?? "10");
const sweepMs = Number(Deno.env.get("SWEEP_SECONDS") ?? "30") * 1000;
const running = new Map<number, Promise<void>>();
const stop = new AbortController();

/** Runs one account's bot until it stops; its store (and lease) is released at the end. */
async function runBot(store: PostgresStore): Promise<void> {
  const tag = `[bot ${store.deviceId}]`;
  const bot = await Bot.builder()
    .withStore(store)
    .withPushName(`wadeno fleet bot ${store.deviceId}`)
    .on("pairingQrCode", ({ code }) => console.log(`${tag} link me:\n${renderQr(code)}`))
    .on("connected", ({ jid }) => console.log(`${tag} online as ${jid}`))
    .on("loggedOut", () => console.log(`${tag} logged out`))
    .on("message", async ({ message, info }, client) => {
      if (info.source.isFromMe || messageText(message)?.trim().toLowerCase() !== "ping") return;
      await client.sendText(info.source.chat, `pong from bot ${store.deviceId}`, {
        replyTo: { info, message },
      });
    })
    .build();
  stop.signal.addEventListener("abort", () => bot.stop(), { once: true });
  try {
    await bot.run();
  } finally {
    await store.close();
  }
}

function start(store: PostgresStore): void {
  const id = store.deviceId;
  running.set(
    id,
    runBot(store)
      .catch((e) => console.error(`[bot ${id}] stopped:`, e))
      .finally(() => running.delete(id)),
  );
}

/** Leases every free account up to the quota. */
async function sweep(): Promise<void> {
  for (const device of await PostgresStore.listDevices(url)) {
    if (running.size >= maxBots) return;
    if (running.has(device.deviceId) || device.leased) continue;
    try {
      start(await PostgresStore.open(url, { deviceId: device.deviceId }));
    } catch (e) {
      // Another process leased it between the listing and our open: it is running there.
      if (!(e instanceof StoreError && e.kind === "leased")) throw e;
    }
  }
}

/** Opens a new account: the next id after the highest, leased at once (a racing process gets the next). */
async function newAccount(): Promise<PostgresStore> {
  let id = Math.max(0, ...(await PostgresStore.listDevices(url)).map((d) => d.deviceId)) + 1;
  for (;; id++) {
    try {
      return await PostgresStore.open(url, { deviceId: id });
    } catch (e) {
      if (!(e instanceof StoreError && e.kind === "leased")) throw e;
    }
  }
}

for (let i = Number(Deno.env.get("NEW_BOTS") ?? "0"); i > 0; i--) start(await newAccount());

Deno.addSignalListener("SIGINT", () => stop.abort());
while (!stop.signal.aborted) {
  await sweep().catch((e) => console.error("sweep failed:", e));
  console.log(`running ${running.size} bots: ${[...running.keys()].join(", ")}`);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, sweepMs);
    stop.signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });
}
await Promise.all(running.values());
