/**
 * For bench/history_sync.bench.ts: a bot client in a process of its own, linked to a virtual phone of the
 * parent's FakeWhatsApp, that receives the phone's history and decodes every message of it, the way a bot
 * would. Prints JSON lines on stdout: `{"qr": code}` when it needs the phone to scan, then
 * `{"peakRss", "messages", "conversations", "ms"}` once `chunks` history chunks ended (`ms` from the
 * first chunk's start to the last one's end). In `idle` mode it links and waits for nothing, so its peak
 * is the idle client's.
 *
 * Args: mode (`idle` | `stream`), url, root public key (base64), CA certificate file, chunks.
 */

import { Client } from "../src/client/client.ts";
import { createLogger } from "../src/logger.ts";
import { MemoryStore } from "../src/store/mod.ts";

const [mode, url, root, caFile, chunksText] = Deno.args;
const chunks = Number(chunksText ?? "1");

function peakRss(): number {
  try {
    const kib = /VmHWM:\s+(\d+) kB/.exec(Deno.readTextFileSync("/proc/self/status"))?.[1];
    if (kib !== undefined) return Number(kib) * 1024;
  } catch {
    // Not Linux: the current RSS is the best there is.
  }
  return Deno.memoryUsage().rss;
}

const client = await Client.create({
  store: new MemoryStore(),
  url,
  trustedRoot: Uint8Array.fromBase64(root),
  caCerts: [await Deno.readTextFile(caFile)],
  logger: createLogger({ filter: "off" }),
});
let messages = 0;
let conversations = 0;
let first = 0;
let ended = 0;
const done = Promise.withResolvers<void>();
client.on("historySyncProgress", ({ stage }) => {
  if (stage === "started" && first === 0) first = performance.now();
  if (stage !== "started" && ++ended === chunks) done.resolve();
});
client.on("historySyncError", ({ error }) => done.reject(error));
client.on("historySync", ({ conversation }) => {
  conversations++;
  for (const m of conversation.messages()) if (m.message?.key?.id !== undefined) messages++;
});
client.on("pairingQrCode", ({ code }) => console.log(JSON.stringify({ qr: code })));
await client.connect({ signal: AbortSignal.timeout(60_000) });
if (mode === "stream") await done.promise;
const ms = first === 0 ? 0 : performance.now() - first;
console.log(JSON.stringify({ peakRss: peakRss(), messages, conversations, ms }));
await client.disconnect();
