/**
 * Soak: a bot (wadeno on a SQLite store, in its own process) receives messages from a contact through
 * FakeWhatsApp and answers each one; the contact sends in bursts of 100 and waits for the answers. The
 * bot's memory is sampled (after a full GC, with nothing in flight) after a warm-up and again after the
 * soak: a leak per message, or a map, cache or listener list that grows with traffic, shows as growth.
 *
 * Run: deno run -A bench/footprint/soak.ts [--messages=100000] [--warmup=25000]
 *
 * @module
 */

import { FakeWhatsApp } from "../../src/testing/mod.ts";
import { type MemorySample, mib, spawnChild } from "./measure.ts";

const CHILD = new URL("./_soak_child.ts", import.meta.url).pathname;
const arg = (name: string, fallback: number) =>
  Number(Deno.args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback);
const total = arg("messages", 100_000);
// The warm-up fills the bounded caches first, so the two samples compare steady states: the largest is
// the receive path's duplicate filter (20,000 message keys for 24 h, src/client/messaging/receive.ts).
const warmup = arg("warmup", 25_000);
const BURST = 100;

if (import.meta.main) {
  const wa = await FakeWhatsApp.start();
  const dir = await Deno.makeTempDir({ prefix: "wadeno-soak-" });
  const botPhone = wa.phone("15553330001");
  const { child, lines } = spawnChild(CHILD, [`${dir}/bot.db`, wa.url, wa.rootPublicKey.toHex()]);
  const samples: { sample: MemorySample; answered: number }[] = [];
  const ready = Promise.withResolvers<void>();
  const sampled: (() => void)[] = [];
  void (async () => {
    for await (const line of lines) {
      if (line.qr) void botPhone.scanQr(line.qr);
      if (line.ready) ready.resolve();
      if (line.sample) {
        samples.push(line as { sample: MemorySample; answered: number });
        sampled.shift()?.();
      }
    }
  })();
  await ready.promise;

  // The contact: a virtual phone's own client, in this process with the server.
  const contact = await wa.phone("15553330002").client();
  const bot = "15553330001@s.whatsapp.net";
  let replies = 0;
  let waiter: { until: number; done: () => void } | undefined;
  // The bot answers to the chat it got the message in, which may be the contact's LID: count answers by text.
  contact.on("message", ({ info, message }) => {
    const text = message.conversation ?? message.extendedTextMessage?.text;
    if (info.source.isFromMe || !text?.startsWith("re: ")) return;
    replies++;
    if (waiter && replies >= waiter.until) {
      waiter.done();
      waiter = undefined;
    }
  });
  const untilReplies = (n: number) => {
    const { promise, resolve } = Promise.withResolvers<void>();
    if (replies >= n) resolve();
    else waiter = { until: n, done: resolve };
    return promise;
  };
  let sent = 0;
  const send = async (count: number): Promise<void> => {
    for (let done = 0; done < count; done += BURST) {
      const n = Math.min(BURST, count - done);
      const sends = [];
      for (let i = 0; i < n; i++) sends.push(contact.sendText(bot, `soak message ${sent++}`));
      await Promise.all(sends);
      await untilReplies(sent);
    }
  };
  const sample = async (): Promise<void> => {
    const { promise, resolve } = Promise.withResolvers<void>();
    sampled.push(resolve);
    await contact.sendText(bot, "!sample");
    sent++;
    await promise;
    await untilReplies(sent);
  };

  await send(warmup);
  await sample();
  const started = performance.now();
  let last = performance.now();
  for (let done = 0; done < total; done += 10_000) {
    await send(Math.min(10_000, total - done));
    const now = performance.now();
    console.error(
      `${done + Math.min(10_000, total - done)} messages answered (${
        (10_000 / ((now - last) / 1000)).toFixed(0)
      }/s)`,
    );
    last = now;
  }
  const seconds = (performance.now() - started) / 1000;
  await sample();
  child.kill("SIGKILL");
  await child.status;
  await contact.disconnect();
  await wa.stop();
  await Deno.remove(dir, { recursive: true });

  const [before, after] = samples.map((s) => s.sample);
  const growth = (a: number, b: number) => `${((b / a - 1) * 100).toFixed(1)}%`;
  console.log(
    `soak: ${total} messages received and answered in ${seconds.toFixed(0)} s (${
      (total / seconds).toFixed(0)
    }/s)\n` +
      `  RSS   ${mib(before.rss)} -> ${mib(after.rss)} MiB (${
        growth(before.rss, after.rss)
      }; goal within 5%)\n` +
      `  private ${mib(before.anon)} -> ${mib(after.anon)} MiB (${growth(before.anon, after.anon)})\n` +
      `  heap  ${mib(before.heapUsed)} -> ${mib(after.heapUsed)} MiB (${
        growth(before.heapUsed, after.heapUsed)
      }), ` +
      `${((after.heapUsed - before.heapUsed) / total).toFixed(1)} bytes per message\n` +
      `  V8 heap reserved ${mib(before.heapTotal)} -> ${mib(after.heapTotal)} MiB, ` +
      `external ${mib(before.external)} -> ${mib(after.external)} MiB`,
  );
  Deno.exit(0);
}
