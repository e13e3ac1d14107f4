/**
 * Memory figures of the current process, the same way for every footprint script: resident set size
 * and its high-water mark from `/proc/self/status` (Linux), V8's heap from `Deno.memoryUsage()`, after
 * a settle period and a full GC (run with `--v8-flags=--expose-gc`).
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

/** Bytes as MiB with one decimal. */
export function mib(bytes: number): string {
  return (bytes / 1048576).toFixed(1);
}
