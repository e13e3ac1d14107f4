/**
 * Footprint of one idle client in its own process, measured as a new user would see it, for wadeno and
 * for the real Baileys 7 client against the same FakeWhatsApp in the same run:
 *
 * - `bare`: a Deno process that only samples itself (the floor);
 * - `import`: the library loaded, nothing started;
 * - `first run`: a fresh state, paired by a virtual phone scanning the QR code, logged in, idle;
 * - `restart`: the same state, a new process logging in as a paired device, idle. Also the start-up
 *   figure: process spawn to `connected`.
 *
 * Each figure is VmRSS after 1 s idle and a full GC (private anonymous memory and V8's heap beside it).
 *
 * Run: deno run -A bench/footprint/idle_rss.ts [--runs=3]
 *
 * @module
 */

import { FakeWhatsApp } from "../../src/testing/mod.ts";
import { type MemorySample, mib, spawnChild } from "./measure.ts";

const CHILD = new URL("./_idle_child.ts", import.meta.url).pathname;
const runs = Number(Deno.args.find((a) => a.startsWith("--runs="))?.slice(7) ?? 3);

/** What one child reported. */
export interface ChildResult {
  sample: MemorySample;
  /** Spawn to the `connected` line, as the parent saw it. */
  startupMs?: number;
}

/** Runs one stage in a fresh process; `onQr` answers QR codes it prints. */
export async function runChild(
  args: string[],
  onQr: (qr: string) => Promise<unknown> = () => Promise.resolve(),
): Promise<ChildResult> {
  const started = performance.now();
  const { child, lines } = spawnChild(CHILD, args);
  let startupMs: number | undefined;
  let sample: MemorySample | undefined;
  for await (const line of lines) {
    if (line.qr) void onQr(line.qr);
    if (line.connectedMs !== undefined) startupMs = performance.now() - started;
    if (line.sample) sample = line.sample;
  }
  const status = await child.status;
  if (!status.success || !sample) throw new Error(`child ${args.join(" ")} failed (${status.code})`);
  return { sample, startupMs };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

if (import.meta.main) {
  const wa = await FakeWhatsApp.start();
  const dir = await Deno.makeTempDir({ prefix: "wadeno-footprint-" });
  const root = wa.rootPublicKey.toHex();
  const rows: string[][] = [];
  const figures: Record<string, Record<string, { rss: number; anon?: number; heap: number; ms?: number }>> =
    {};
  try {
    for (const library of ["wadeno", "baileys"]) {
      const state = library === "wadeno" ? `${dir}/wadeno.db` : `${dir}/baileys-auth`;
      const phone = wa.phone(library === "wadeno" ? "15550007001" : "15550007002");
      const common = [state, wa.url, root];
      const stages: [string, string[], boolean][] = [
        ["bare", ["bare", ...common], false],
        ["import", ["import", ...common], false],
        ["first run", ["login", ...common], true],
        ["restart", ["login", ...common], false],
      ];
      figures[library] = {};
      for (const [name, args, pairs] of stages) {
        const results: ChildResult[] = [];
        for (let i = 0; i < (pairs ? 1 : runs); i++) {
          results.push(await runChild([library, ...args], (qr) => phone.scanQr(qr)));
        }
        const rss = median(results.map((r) => r.sample.rss));
        const heap = median(results.map((r) => r.sample.heapUsed));
        const ms = results[0].startupMs === undefined ? undefined : median(results.map((r) => r.startupMs!));
        figures[library][name] = { rss, heap, ms };
        const anon = median(results.map((r) => r.sample.anon));
        figures[library][name].anon = anon;
        rows.push([library, name, mib(rss), mib(anon), mib(heap), ms ? ms.toFixed(0) : ""]);
      }
    }
  } finally {
    await wa.stop();
    await Deno.remove(dir, { recursive: true });
  }
  console.log("library  stage       RSS MiB  anon MiB heap MiB  spawn->connected ms");
  for (const r of rows) {
    console.log(
      `${r[0].padEnd(8)} ${r[1].padEnd(11)} ${r[2].padStart(7)}  ${r[3].padStart(7)}  ${r[4].padStart(8)}  ${
        r[5].padStart(8)
      }`,
    );
  }
  const ours = figures.wadeno.restart, theirs = figures.baileys.restart;
  console.log(
    `idle logged-in RSS: wadeno ${mib(ours.rss)} MiB, Baileys ${mib(theirs.rss)} MiB (ratio ${
      (theirs.rss / ours.rss).toFixed(2)
    }x); ` +
      `start-up: wadeno ${ours.ms!.toFixed(0)} ms, Baileys ${theirs.ms!.toFixed(0)} ms (${
        (theirs.ms! / ours.ms!).toFixed(2)
      }x)`,
  );
  console.log(JSON.stringify(figures));
}
