// Nothing received is lost when the bot is killed: several chats deliver at once, the bot process is
// SIGKILLed at different points, restarted on the same SQLite file, and every message must reach its
// `message` listener (durably recorded by it) at least once, in order per chat. Before the durable inbox,
// one chat's advanced Signal state could be flushed by another chat's flush (or the timer) while its own
// message was still being handled; killed then, the redelivered message could no longer be decrypted and
// was dropped as "already decrypted".
import { assert, assertEquals } from "../_assert.ts";
import { Client } from "../../src/client/client.ts";
import { SqliteStore } from "../../src/store/mod.ts";
import type { FakeWhatsApp } from "../../src/testing/mod.ts";
import { deadline, pairByQr, startServer, testLogger } from "./helpers.ts";

const SENDERS = 6;
const PER_SENDER = 25;
const bot = new URL("./_crash_bot.ts", import.meta.url).pathname;

function spawnBot(wa: FakeWhatsApp, db: string, log: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-net=127.0.0.1",
      bot,
      wa.url,
      wa.rootPublicKey.toHex(),
      db,
      log,
    ],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  /** Resolves once `until(line)` is true for a line printed from now on (rejects at `signal`). */
  const read = async (until: (line: string) => boolean, signal: AbortSignal): Promise<void> => {
    for (;;) {
      signal.throwIfAborted();
      const nl = buffered.indexOf("\n");
      if (nl >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (until(line)) return;
        continue;
      }
      const aborted = Promise.withResolvers<never>();
      const onAbort = () => aborted.reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      let chunk;
      try {
        chunk = await Promise.race([lines.read(), aborted.promise]);
      } finally {
        signal.removeEventListener("abort", onAbort);
      }
      const { value, done } = chunk;
      if (done) throw new Error("the bot exited");
      buffered += value;
    }
  };
  return {
    read,
    async kill() {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
      await child.status;
      await lines.cancel().catch(() => {});
    },
  };
}

async function crashRun(killAfter: number) {
  await using wa = await startServer();
  const dir = await Deno.makeTempDir({ prefix: "wadeno-crash-e2e-" });
  try {
    const db = `${dir}/bot.db`;
    const logPath = `${dir}/handled.log`;
    // Pair once in this process, then hand the store to the bot process.
    {
      const store = await SqliteStore.open(db);
      const pairing = await Client.create({
        store,
        url: wa.url,
        trustedRoot: wa.rootPublicKey,
        logger: testLogger(),
      });
      await pairByQr(pairing, wa.phone("15552000999"));
      await pairing.disconnect();
      await store.close();
      await wa.waitForOffline(pairing.jid!, { signal: deadline() });
    }
    const botUser = wa.phone("15552000999").jid.toNonAd();
    const senders = await Promise.all(
      Array.from({ length: SENDERS }, (_, i) => wa.phone(`1555200010${i}`).client()),
    );
    let child = spawnBot(wa, db, logPath);
    await child.read((l) => l === "ready", deadline(30_000));
    const sending = Promise.all(senders.map(async (s, i) => {
      // Pipelined within a chat, all chats at once.
      await Promise.all(Array.from({ length: PER_SENDER }, (_, n) => s.sendText(botUser, `m ${i} ${n}`)));
    }));
    let handled = 0;
    await child.read(() => ++handled >= killAfter, deadline(30_000));
    await child.kill();
    await sending;
    child = spawnBot(wa, db, logPath);
    await using _stop = { [Symbol.asyncDispose]: () => child.kill() };
    const expected = new Set(
      senders.flatMap((_, i) => Array.from({ length: PER_SENDER }, (_, n) => `m ${i} ${n}`)),
    );
    const seen = new Set(
      (await Deno.readTextFile(logPath)).split("\n").filter(Boolean).map((l) => l.split("|")[1]),
    );
    if ([...expected].some((t) => !seen.has(t))) {
      await child.read((line) => {
        if (line !== "ready") seen.add(line.split("|")[1]);
        return [...expected].every((t) => seen.has(t));
      }, deadline(60_000)).catch((e) => {
        const missing = [...expected].filter((t) => !seen.has(t));
        throw new Error(
          `killed after ${killAfter}: ${missing.length} messages never reached the handler: ${
            missing.slice(0, 5)
          }`,
          {
            cause: e,
          },
        );
      });
    }
    await child.kill();
    const lines = (await Deno.readTextFile(logPath)).split("\n").filter(Boolean);
    const texts = lines.map((l) => l.split("|")[1]);
    for (const t of expected) assert(texts.includes(t), `${t} was handled`);
    // In order per chat (first occurrences); duplicates only for the few in flight at the kill.
    for (let i = 0; i < SENDERS; i++) {
      const firsts = [...new Set(texts.filter((t) => t.startsWith(`m ${i} `)))];
      assertEquals(firsts, Array.from({ length: PER_SENDER }, (_, n) => `m ${i} ${n}`), `chat ${i} in order`);
    }
    const duplicates = texts.length - new Set(texts).size;
    assert(duplicates <= SENDERS * 2, `at most the messages in flight are handled twice, got ${duplicates}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

for (const killAfter of [12, 50, 95]) {
  Deno.test(`SIGKILL after ${killAfter} of ${SENDERS * PER_SENDER} messages from ${SENDERS} concurrent chats loses none`, () =>
    crashRun(killAfter));
}
