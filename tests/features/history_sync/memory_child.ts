// Child process of memory_test.ts and bench/history_sync.bench.ts: processes one history blob in one way
// and prints {"peakRss": bytes, "messages": n, "conversations": n, "inflated": bytes} as JSON. Peak RSS is the kernel's
// high-water mark (VmHWM), so a short spike between samples is not missed.
//   idle <file>    load the same modules and read nothing (the process's baseline)
//   read <file>    read the blob as a stream and drop it (what reading a download costs by itself: the
//                  chunks are garbage the collector lets pile up for a while)
//   stream <file>  stream the blob through streamHistorySync, decoding every message one at a time
//   whole <file>   read the blob, inflate it in one go and decode it with HistorySync.decode
//   inflate <file> / decompression_stream <file>
//                  only inflate the blob as a stream (node:zlib through inflateZlib, or the web API)
import { inflateSync } from "node:zlib";
import { inflateZlib, streamHistorySync } from "../../../src/features/history_sync/mod.ts";
import { HistorySync } from "../../../src/proto/mod.ts";

function peakRss(): number {
  try {
    const status = Deno.readTextFileSync("/proc/self/status");
    const kib = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
    if (kib !== undefined) return Number(kib) * 1024;
  } catch {
    // Not Linux: fall back to the current RSS, sampled by the caller as it goes.
  }
  return Deno.memoryUsage().rss;
}

const [mode, path] = Deno.args;
let messages = 0;
let conversations = 0;
let inflated = 0;
let sampled = 0;
if (mode === "stream") {
  const file = await Deno.open(path);
  const items = streamHistorySync(file.readable);
  for (;;) {
    const step = await items.next();
    if (step.done) {
      inflated = step.value.inflatedBytes;
      break;
    }
    if (step.value.kind !== "conversation") continue;
    conversations++;
    for (const m of step.value.conversation.messages()) if (m.message?.key?.id !== undefined) messages++;
    sampled = Math.max(sampled, Deno.memoryUsage().rss);
  }
} else if (mode === "whole") {
  const bytes = inflateSync(await Deno.readFile(path));
  inflated = bytes.length;
  const sync = HistorySync.decode(bytes);
  for (const c of sync.conversations ?? []) {
    conversations++;
    for (const m of c.messages ?? []) if (m.message?.key?.id !== undefined) messages++;
  }
} else if (mode === "inflate") {
  const file = await Deno.open(path);
  for await (const chunk of inflateZlib(file.readable, { maxInflatedSize: 2 ** 40 })) {
    inflated += chunk.length;
  }
} else if (mode === "decompression_stream") {
  const file = await Deno.open(path);
  for await (const chunk of file.readable.pipeThrough(new DecompressionStream("deflate"))) {
    inflated += chunk.length;
  }
} else if (mode === "read") {
  const file = await Deno.open(path);
  for await (const chunk of file.readable) inflated += chunk.length;
} else if (mode !== "idle") {
  throw new TypeError(
    `expected mode idle, read, stream, whole, inflate or decompression_stream, got ${mode}`,
  );
}
console.log(JSON.stringify({ peakRss: Math.max(peakRss(), sampled), messages, conversations, inflated }));
