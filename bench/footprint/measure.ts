/**
 * Memory figures of the current process, the same way for every footprint script: resident set size
 * and its high-water mark from `/proc/self/status` (Linux), V8's heap from `Deno.memoryUsage()`, after
 * a settle period and a full GC (run with `--v8-flags=--expose-gc`); and how a footprint script talks with
 * the child process it measures (the child prints JSON lines, {@linkcode emitLine}; the parent reads them,
 * {@linkcode spawnChild}).
 *
 * @module
 */

/** One sample, in bytes. */
export interface MemorySample {
  /** Resident set size now (VmRSS). */
  rss: number;
  /** Highest resident set size so far (VmHWM). */
  hwm: number;
  /** Resident private anonymous memory (RssAnon): heap, stacks, malloc; what each process adds. */
  anon: number;
  /** Resident file-backed pages (RssFile): mostly the deno binary's code, shared between processes. */
  file: number;
  /** V8 heap in use. */
  heapUsed: number;
  /** V8 heap reserved. */
  heapTotal: number;
  /** Memory held by JS objects outside the V8 heap (ArrayBuffers, ...). */
  external: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

/** Reads VmRSS and VmHWM (kB in the file) from /proc; falls back to `Deno.memoryUsage().rss`. */
export function procMemory(): { rss: number; hwm: number; anon: number; file: number } {
  try {
    const text = Deno.readTextFileSync("/proc/self/status");
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(text)?.[1]) * 1024;
    return { rss: field("VmRSS"), hwm: field("VmHWM"), anon: field("RssAnon"), file: field("RssFile") };
  } catch {
    const rss = Deno.memoryUsage().rss;
    return { rss, hwm: rss, anon: rss, file: 0 };
  }
}

/** Collects garbage (when exposed) a few times around a pause, then samples. */
export async function settleAndMeasure(ms = 300): Promise<MemorySample> {
  if (!gc) throw new TypeError("run with --v8-flags=--expose-gc: a figure without a GC counts garbage");
  gc();
  await new Promise((resolve) => setTimeout(resolve, ms));
  gc();
  gc();
  const { heapUsed, heapTotal, external } = Deno.memoryUsage();
  return { ...procMemory(), heapUsed, heapTotal, external };
}

const encoder = new TextEncoder();

/** In a child: prints `value` as one JSON line on stdout, at once (no buffering to lose on exit). */
export function emitLine(value: unknown): void {
  void Deno.stdout.writeSync(encoder.encode(JSON.stringify(value) + "\n"));
}

/**
 * One JSON line of a child: each parent reads the fields its child writes.
 */
// deno-lint-ignore no-explicit-any
export type ChildLine = Record<string, any>;

/**
 * Starts `script` in a Deno process of its own (all permissions, the GC exposed, stderr inherited);
 * `lines` yields what it prints with {@linkcode emitLine}, until its stdout closes.
 */
export function spawnChild(script: string, args: string[]): {
  child: Deno.ChildProcess;
  lines: AsyncGenerator<ChildLine, void, undefined>;
} {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--v8-flags=--expose-gc", script, ...args],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  async function* lines(): AsyncGenerator<ChildLine, void, undefined> {
    let buffered = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      buffered += chunk;
      let newline;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        const line = JSON.parse(buffered.slice(0, newline));
        buffered = buffered.slice(newline + 1);
        yield line;
      }
    }
  }
  return { child, lines: lines() };
}

/** Bytes as MiB with one decimal. */
export function mib(bytes: number): string {
  return (bytes / 1048576).toFixed(1);
}
