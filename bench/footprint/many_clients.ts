/**
 * Many logged-in clients in one process, each on its own SQLite store, against FakeWhatsApp running in
 * another process (so the server's memory is not counted): the marginal memory of one more idle client,
 * `(RSS with N - RSS with 1) / (N - 1)` after a full GC, for wadeno and for the real Baileys 7 client in
 * the same run. The first pass pairs every client (virtual phones scan the QR codes); the figure is the
 * second pass, a fresh process logging the paired devices in, as a service restarting would.
 *
 * Run: deno run -A bench/footprint/many_clients.ts [--clients=100] [--baileys-clients=100]
 *
 * @module
 */

import { FakeWhatsApp } from "../../src/testing/mod.ts";
import { type MemorySample, mib, spawnChild } from "./measure.ts";

const CHILD = new URL("./_many_child.ts", import.meta.url).pathname;
const arg = (name: string, fallback: number) =>
  Number(Deno.args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback);

interface ManyResult {
  one: MemorySample;
  all: MemorySample;
}

async function runChild(
  args: string[],
  onQr: (qr: string, index: number) => Promise<unknown>,
): Promise<ManyResult> {
  const { child, lines } = spawnChild(CHILD, args);
  const out: Partial<ManyResult> = {};
  for await (const line of lines) {
    if (line.qr) void onQr(line.qr, line.index);
    if (line.one) out.one = line.one;
    if (line.all) out.all = line.all;
  }
  const status = await child.status;
  if (!status.success || !out.one || !out.all) {
    throw new Error(`child ${args.join(" ")} failed (${status.code})`);
  }
  return out as ManyResult;
}

if (import.meta.main) {
  const wa = await FakeWhatsApp.start();
  const dir = await Deno.makeTempDir({ prefix: "wadeno-many-" });
  const lines: string[] = [];
  try {
    for (
      const [library, count] of [["wadeno", arg("clients", 100)], [
        "baileys",
        arg("baileys-clients", 100),
      ]] as const
    ) {
      if (count < 2) continue;
      const args = [library, dir, wa.url, wa.rootPublicKey.toHex(), String(count)];
      const prefix = library === "wadeno" ? "1555100" : "1555200";
      const scan = (qr: string, i: number) => wa.phone(`${prefix}${String(i).padStart(4, "0")}`).scanQr(qr);
      const started = performance.now();
      await runChild(args, scan);
      const pairedMs = performance.now() - started;
      const { one, all } = await runChild(args, () => Promise.reject(new Error("already paired")));
      const per = (all.rss - one.rss) / (count - 1);
      const perAnon = (all.anon - one.anon) / (count - 1);
      const perHeap = (all.heapUsed - one.heapUsed) / (count - 1);
      lines.push(
        `${library.padEnd(8)} ${String(count).padStart(4)} clients: RSS ${mib(one.rss)} -> ${
          mib(all.rss)
        } MiB, ` +
          `per client ${(per / 1024).toFixed(0)} KiB RSS, ${(perAnon / 1024).toFixed(0)} KiB private, ` +
          `${(perHeap / 1024).toFixed(0)} KiB heap (pairing all took ${(pairedMs / 1000).toFixed(1)} s)`,
      );
    }
  } finally {
    await wa.stop();
    await Deno.remove(dir, { recursive: true });
  }
  for (const line of lines) console.log(line);
}
