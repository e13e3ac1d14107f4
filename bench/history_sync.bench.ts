/**
 * History sync: the streaming decoder against inflating the whole blob and decoding it with the generated
 * `HistorySync.decode` (the baseline), on a generated history of 200,000 messages in 2,000 chats (about
 * 45 MiB inflated, 20 MiB compressed); and the inflate choice recorded in
 * `src/features/history_sync/inflate.ts` (node:zlib against DecompressionStream, the baseline).
 *
 * Before the benches it prints the peak RSS of each way in a child process, in MiB above an idle process
 * that loads the same modules (goal: streaming under 100 MiB above idle), and then the same history end
 * to end: a virtual phone of a FakeWhatsApp in this process uploads it as one encrypted blob and sends the
 * notification; a bot `Client` in a child process downloads, decrypts, inflates and decodes every message
 * through `historySync` events. It prints that child's peak RSS above an idle linked client, and its time
 * against inflate + `HistorySync.decode` of the same blob in this process.
 *
 * `deno task bench bench/history_sync.bench.ts`
 *
 * @module
 */

import { inflateSync } from "node:zlib";
import { inflateZlib, streamHistorySync } from "../src/features/history_sync/mod.ts";
import { HistorySync } from "../src/proto/mod.ts";
import { syntheticHistory } from "../src/testing/history_builder.ts";
import { FakeWhatsApp } from "../src/testing/mod.ts";

const { stream, contents } = syntheticHistory();
const blob = new Uint8Array(await new Response(stream).arrayBuffer());
const MiB = 1024 * 1024;

// --- peak RSS, one child process per way ----------------------------------------------------------

const child = new URL("../tests/features/history_sync/memory_child.ts", import.meta.url).pathname;
const dir = await Deno.makeTempDir({ prefix: "wadeno-history-bench-" });
const path = `${dir}/history.zlib`;
await Deno.writeFile(path, blob);
async function peak(mode: string): Promise<{ peakRss: number; messages: number; inflated: number }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--allow-read", child, mode, path],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`memory child ${mode} failed`);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}
try {
  const idle = await peak("idle");
  const read = await peak("read");
  const streamed = await peak("stream");
  const whole = await peak("whole");
  const nodeInflate = await peak("inflate");
  const webInflate = await peak("decompression_stream");
  if (streamed.messages !== contents.messages || whole.messages !== contents.messages) {
    throw new Error(`expected ${contents.messages} messages, got ${streamed.messages} / ${whole.messages}`);
  }
  const above = (r: { peakRss: number }) => ((r.peakRss - idle.peakRss) / MiB).toFixed(1);
  console.log(
    `history: ${contents.messages} messages in ${contents.conversations} chats, ` +
      `${(whole.inflated / MiB).toFixed(1)} MiB inflated, ${
        (blob.length / MiB).toFixed(1)
      } MiB compressed\n` +
      `peak RSS above idle (${(idle.peakRss / MiB).toFixed(1)} MiB): ` +
      `streaming ${above(streamed)} MiB, inflate + HistorySync.decode ${above(whole)} MiB, ` +
      `plain read of the file ${above(read)} MiB (ratio whole/streaming ${
        ((whole.peakRss - idle.peakRss) / (streamed.peakRss - idle.peakRss)).toFixed(1)
      }x)\n` +
      `peak RSS above idle, inflate only: node:zlib ${above(nodeInflate)} MiB, ` +
      `DecompressionStream ${above(webInflate)} MiB`,
  );
  await endToEnd();
} finally {
  await Deno.remove(dir, { recursive: true });
}

// --- end to end through a Client --------------------------------------------------------------

async function endToEnd(): Promise<void> {
  const wa = await FakeWhatsApp.start();
  const caFile = `${dir}/media-ca.pem`;
  await Deno.writeTextFile(caFile, wa.mediaCaCert);
  const run = async (mode: "idle" | "stream", number: string) => {
    const phone = wa.phone(number);
    if (mode === "stream") phone.setHistory({ chunks: [{ syncType: "FULL", payload: blob }] });
    const proc = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        "--allow-all",
        new URL("./_history_e2e_child.ts", import.meta.url).pathname,
        mode,
        wa.url,
        wa.rootPublicKey.toBase64(),
        caFile,
        "1",
      ],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    let result: { peakRss: number; messages: number; conversations: number; ms: number } | undefined;
    let buffered = "";
    for await (const text of proc.stdout.pipeThrough(new TextDecoderStream())) {
      buffered += text;
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = JSON.parse(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
        if (line.qr) await phone.scanQr(line.qr);
        else result = line;
      }
    }
    if (!(await proc.status).success || result === undefined) throw new Error(`e2e child ${mode} failed`);
    return result;
  };
  try {
    const idle = await run("idle", "15550170001");
    const streamed = await run("stream", "15550170002");
    if (streamed.messages !== contents.messages) {
      throw new Error(`expected ${contents.messages} messages end to end, got ${streamed.messages}`);
    }
    // The baseline once, warmed up: the platform's one-shot inflate and the generated decoder.
    const decodeAll = () => {
      let n = 0;
      for (const c of HistorySync.decode(inflateSync(blob)).conversations ?? []) n += c.messages?.length ?? 0;
      return n;
    };
    decodeAll();
    const t0 = performance.now();
    decodeAll();
    const baseMs = performance.now() - t0;
    console.log(
      `end to end (download, decrypt, inflate and decode every message in a bot Client, from the ` +
        `notification's arrival): ${streamed.ms.toFixed(0)} ms, ${
          (contents.messages / streamed.ms * 1000).toFixed(0)
        } ` +
        `messages/s; inflate + HistorySync.decode alone ${baseMs.toFixed(0)} ms (ratio ${
          (streamed.ms / baseMs).toFixed(2)
        }x)\n` +
        `end to end peak RSS above an idle linked client (${(idle.peakRss / MiB).toFixed(1)} MiB): ${
          ((streamed.peakRss - idle.peakRss) / MiB).toFixed(1)
        } MiB`,
    );
  } finally {
    await wa.stop();
  }
}

// --- throughput ---------------------------------------------------------------------------------

let sink = 0;
const slow = { n: 5, warmup: 1 };

Deno.bench("inflate + HistorySync.decode (whole blob)", {
  group: "history 200k messages",
  baseline: true,
  ...slow,
}, () => {
  const sync = HistorySync.decode(inflateSync(blob));
  for (const c of sync.conversations ?? []) sink += c.messages?.length ?? 0;
});

Deno.bench(
  "streamHistorySync, every message decoded",
  { group: "history 200k messages", ...slow },
  async () => {
    for await (const item of streamHistorySync(blob)) {
      if (item.kind !== "conversation") continue;
      for (const m of item.conversation.messages()) sink += m.msgOrderId === undefined ? 0 : 1;
    }
  },
);

Deno.bench(
  "streamHistorySync, ids and counts only",
  { group: "history 200k messages", ...slow },
  async () => {
    for await (const item of streamHistorySync(blob)) {
      if (item.kind === "conversation") sink += item.conversation.messageCount;
    }
  },
);

Deno.bench(
  "streamHistorySync, newest 10% (messagesSince)",
  { group: "history 200k messages", ...slow },
  async () => {
    const since = new Date((contents.messageTime(0, 90)) * 1000);
    for await (const item of streamHistorySync(blob, { filter: { messagesSince: since } })) {
      if (item.kind !== "conversation") continue;
      for (const m of item.conversation.messages()) sink += m.msgOrderId === undefined ? 0 : 1;
    }
  },
);

// 64 KiB input chunks, as a download would deliver them.
function chunks(): ReadableStream<Uint8Array<ArrayBuffer>> {
  let at = 0;
  const bytes = blob as Uint8Array<ArrayBuffer>;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(at, at + 65536));
      at += 65536;
    },
  }, { highWaterMark: 0 });
}

Deno.bench(
  'DecompressionStream("deflate")',
  { group: "inflate 20 MiB stream", baseline: true, ...slow },
  async () => {
    for await (const c of chunks().pipeThrough(new DecompressionStream("deflate"))) sink += c.length;
  },
);

Deno.bench("node:zlib createInflate (inflateZlib)", { group: "inflate 20 MiB stream", ...slow }, async () => {
  for await (const c of inflateZlib(chunks(), { maxInflatedSize: 1 << 30 })) sink += c.length;
});

globalThis.addEventListener("unload", () => {
  if (sink === -1) console.log(sink);
});
