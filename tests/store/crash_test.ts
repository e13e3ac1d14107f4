// Crash safety: a writer process (crash_writer.ts) stores a burst of session updates, flushing every
// FLUSH_EVERY and printing the highest flushed sequence number; it is killed with SIGKILL at a random
// point. Reopened, the database must pass integrity_check, hold every flushed write with the right content,
// and show one whole flush, never part of one: the device and all sessions reflect the same flush.
import { DatabaseSync } from "node:sqlite";
import { assert, assertEquals } from "../_assert.ts";
import { SqliteStore } from "../../src/store/mod.ts";
import { assertWholeFlush, FLUSH_EVERY } from "./crash_writer.ts";
import { prng } from "./fixtures.ts";

const RUNS = 10;
const writer = new URL("./crash_writer.ts", import.meta.url).pathname;

async function crashOnce(seed: number): Promise<{ printed: number; onDisk: number }> {
  const random = prng(seed);
  const flushesBeforeKill = 2 + Math.floor(random() * 40);
  const extraDelayMs = Math.floor(random() * 6);
  const dir = await Deno.makeTempDir({ prefix: "wadeno-crash-" });
  try {
    const path = `${dir}/crash.db`;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", "--allow-read", "--allow-write", writer, path],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stderr = new Response(child.stderr).text();
    const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = "";
    let printed = 0;
    let seen = 0;
    let killed = false;
    const deadline = AbortSignal.timeout(15_000);
    for (;;) {
      if (deadline.aborted) {
        child.kill("SIGKILL");
        throw new Error(`writer printed ${seen} flushes before the deadline`);
      }
      const { value, done } = await lines.read();
      if (done) break;
      buffered += value;
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        printed = Number(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
        seen++;
      }
      if (!killed && seen >= flushesBeforeKill) {
        // A short random delay moves the kill point around within the next batch and its flush.
        if (extraDelayMs > 0) await new Promise((r) => setTimeout(r, extraDelayMs));
        child.kill("SIGKILL");
        killed = true;
      }
    }
    const status = await child.status;
    assertEquals(status.signal, "SIGKILL", `writer exited on its own: ${await stderr}`);
    await stderr;
    assert(printed >= FLUSH_EVERY * 2, `seed ${seed}: writer flushed only up to ${printed}`);

    const raw = new DatabaseSync(path);
    try {
      assertEquals(raw.prepare("PRAGMA integrity_check").get()?.integrity_check, "ok", `seed ${seed}`);
    } finally {
      raw.close();
    }
    const store = await SqliteStore.open(path);
    try {
      return { printed, onDisk: await assertWholeFlush(store, printed, FLUSH_EVERY, seed) };
    } finally {
      await store.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test(`crash: SIGKILL at ${RUNS} random points loses no flushed write and tears no flush`, async () => {
  const base = Date.now() % 100_000;
  const results: string[] = [];
  for (let run = 0; run < RUNS; run++) {
    const seed = base + run;
    const { printed, onDisk } = await crashOnce(seed);
    results.push(`seed ${seed}: printed ${printed}, on disk ${onDisk}`);
  }
  // Visible with --reporter=verbose or on failure; the assertions above are the test.
  console.debug(results.join("\n"));
});
