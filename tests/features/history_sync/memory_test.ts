// Peak memory of the streaming decoder, measured in child processes against an idle process that loads
// the same modules and one that only reads the file: a generated history of about 50 MB inflated
// (200,000 messages in 2,000 chats) streams through with a peak RSS far below its size, barely above what
// reading the file costs, and about the same as for a history four times smaller.
import { assert, assertEquals } from "../../_assert.ts";
import { syntheticHistory } from "../../../src/testing/history_builder.ts";

const CHILD = new URL("./memory_child.ts", import.meta.url).pathname;
const MiB = 1024 * 1024;

interface ChildReport {
  peakRss: number;
  messages: number;
  conversations: number;
  inflated: number;
}

async function child(mode: string, path: string): Promise<ChildReport> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--allow-read", CHILD, mode, path],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  assert(out.success, `child ${mode} failed: ${new TextDecoder().decode(out.stderr)}`);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

async function writeHistory(path: string, conversations: number): Promise<number> {
  const { stream, contents } = syntheticHistory({ conversations });
  await stream.pipeTo((await Deno.open(path, { write: true, create: true })).writable);
  return contents.messages;
}

Deno.test("streaming a 50 MB history peaks flat, below its inflated size, near a plain read of the file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "wadeno-history-" });
  try {
    const big = `${dir}/big.zlib`;
    const small = `${dir}/small.zlib`;
    const bigMessages = await writeHistory(big, 2000);
    const smallMessages = await writeHistory(small, 500);

    const idle = await child("idle", big);
    const read = await child("read", big);
    const full = await child("stream", big);
    const quarter = await child("stream", small);
    assertEquals(full.messages, bigMessages);
    assertEquals(quarter.messages, smallMessages);
    assert(full.inflated > 45 * MiB, `the history inflates to only ${full.inflated} bytes`);

    const above = full.peakRss - idle.peakRss;
    const overRead = full.peakRss - read.peakRss;
    const growth = full.peakRss - quarter.peakRss;
    const mib = (n: number) => (n / MiB).toFixed(1);
    console.log(
      `${mib(full.inflated)} MiB inflated: peak ${mib(above)} MiB above idle, ${mib(overRead)} MiB above ` +
        `reading the file; ${mib(quarter.inflated)} MiB inflated: ${
          mib(quarter.peakRss - idle.peakRss)
        } MiB above idle`,
    );
    // Under the inflated size even counting the ~20 MiB of dead read buffers the collector lets pile up
    // (a plain read of the file peaks as high)...
    assert(above < full.inflated * 0.75, `peak ${above} bytes above idle for ${full.inflated} inflated`);
    // ...and the decoder itself adds little to reading the file: one conversation is held at a time.
    assert(overRead < full.inflated / 8, `peak ${overRead} bytes above a plain read of the file`);
    // And flat: the extra ~35 MB of history adds little more than measurement noise to the peak.
    const extra = full.inflated - quarter.inflated;
    assert(growth < extra / 4, `peak grew ${growth} bytes for ${extra} more inflated bytes`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
