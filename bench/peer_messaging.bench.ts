/**
 * One sender, wadeno against the real Baileys 7 client (npm `baileys`, the baseline), both sending the
 * same text messages through the same FakeWhatsApp in the same process to the same receiver (a
 * virtual phone's client), so only the sending library differs:
 *
 * - latency: one `sendText` / `sendMessage` until the receiver's `message` event;
 * - throughput: 100 messages started at once from one sender, until all 100 arrived (messages per
 *   second = 100 x iter/s).
 *
 * Baileys is made to trust FakeWhatsApp's Noise root in this process only (bench/footprint/baileys_peer.ts).
 *
 * Run: deno task bench bench/peer_messaging.bench.ts, or for messages per second and latency
 * percentiles: deno run -A bench/peer_messaging.bench.ts [--messages=2000]
 *
 * @module
 */

import { FakeWhatsApp } from "../src/testing/mod.ts";
import { connectBaileys, muteConsole, trustRoot } from "./footprint/baileys_peer.ts";
import { pairedClient } from "./_paired_client.ts";

muteConsole();
const wa = await FakeWhatsApp.start();
trustRoot(wa.rootPublicKey);
const authDir = await Deno.makeTempDir({ prefix: "wadeno-peer-" });

const ours = await pairedClient(wa, "15557770001");
const baileys = await connectBaileys({
  url: wa.url,
  authDir,
  onQr: (qr) => void wa.phone("15557770002").scanQr(qr),
  signal: AbortSignal.timeout(30_000),
});
const receiver = await wa.phone("15557770003").client();
const to = "15557770003@s.whatsapp.net";

// Counts arrivals per sending account.
const waiting = new Map<string, { left: number; done: () => void }>();
receiver.on("message", ({ info }) => {
  const w = waiting.get(info.source.sender.user);
  if (w && --w.left === 0) {
    waiting.delete(info.source.sender.user);
    w.done();
  }
});
function arrivals(fromUser: string, count: number): Promise<void> {
  const { promise, resolve } = Promise.withResolvers<void>();
  waiting.set(fromUser, { left: count, done: resolve });
  return promise;
}

const TEXT = "hello, this is a benchmark message";
async function sendOurs(count: number): Promise<void> {
  const got = arrivals("15557770001", count);
  const sends = [];
  for (let i = 0; i < count; i++) sends.push(ours.sendText(to, TEXT));
  await Promise.all(sends);
  await got;
}
async function sendBaileys(count: number): Promise<void> {
  const got = arrivals("15557770002", count);
  const sends = [];
  for (let i = 0; i < count; i++) sends.push(baileys.sendMessage(to, { text: TEXT }));
  await Promise.all(sends);
  await got;
}
// Sessions with the receiver, caches warm.
await sendOurs(5);
await sendBaileys(5);

Deno.bench("Baileys 7: sendMessage -> message event", { group: "1:1 latency", baseline: true }, async () => {
  await sendBaileys(1);
});
Deno.bench("wadeno: sendText -> message event", { group: "1:1 latency" }, async () => {
  await sendOurs(1);
});
Deno.bench("Baileys 7: 100 messages at once", { group: "1:1 x100", baseline: true }, async () => {
  await sendBaileys(100);
});
Deno.bench("wadeno: 100 messages at once", { group: "1:1 x100" }, async () => {
  await sendOurs(100);
});

async function shutdown(): Promise<void> {
  baileys.end(undefined);
  await Promise.allSettled([ours.disconnect(), receiver.disconnect()]);
  await wa.stop();
  await Deno.remove(authDir, { recursive: true }).catch(() => {});
}

if (import.meta.main) {
  const total = Number(Deno.args.find((a) => a.startsWith("--messages="))?.split("=")[1] ?? 2000);
  const percentile = (values: number[], p: number) =>
    [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))];
  const results: Record<string, { perSecond: number; p50: number; p99: number }> = {};
  for (const [name, send] of [["Baileys 7", sendBaileys], ["wadeno", sendOurs]] as const) {
    const latencies: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t = performance.now();
      await send(1);
      latencies.push(performance.now() - t);
    }
    let perSecond = 0;
    // Bursts of 100, as the bench does, repeated to `total` messages; the best of three passes.
    for (let pass = 0; pass < 3; pass++) {
      const t = performance.now();
      for (let sent = 0; sent < total; sent += 100) await send(100);
      perSecond = Math.max(perSecond, total / ((performance.now() - t) / 1000));
    }
    results[name] = { perSecond, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) };
    console.error(
      `${name.padEnd(10)} ${
        perSecond.toFixed(0).padStart(6)
      } messages/s (bursts of 100, ${total} messages); ` +
        `latency p50 ${results[name].p50.toFixed(2)} ms, p99 ${results[name].p99.toFixed(2)} ms`,
    );
  }
  const a = results["wadeno"], b = results["Baileys 7"];
  console.error(
    `wadeno / Baileys: throughput ${(a.perSecond / b.perSecond).toFixed(2)}x, ` +
      `latency p50 ${(b.p50 / a.p50).toFixed(2)}x faster`,
  );
  await shutdown();
  Deno.exit(0);
} else {
  globalThis.addEventListener("unload", () => void shutdown());
}
