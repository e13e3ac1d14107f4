/**
 * For bench/transport.bench.ts: opens `count` connections to `url` with one transport (`tcp`, `builtin`
 * or `baileys`), lets them sit idle, and prints the RSS they added per connection as JSON.
 *
 * Args: kind, url, count.
 */

import { tcpWebSocketTransport, webSocketTransport } from "../src/client/transport.ts";

const [kind, url, countText] = Deno.args;
const count = Number(countText);
// Run with --v8-flags=--expose-gc: garbage left by opening is collected before each sample, so the
// figure is what an idle connection holds, not what opening it threw away.
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const settle = async (ms: number) => {
  await new Promise((resolve) => setTimeout(resolve, ms));
  gc();
};

async function open(): Promise<unknown> {
  if (kind === "baileys") {
    // Loaded only for this kind, so the other processes hold none of Baileys.
    const { WebSocketClient: BaileysSocket } = await import(
      "npm:/baileys@7.0.0-rc14/lib/Socket/Client/websocket.js"
    );
    const config = { connectTimeoutMs: 5000 } as unknown as ConstructorParameters<typeof BaileysSocket>[1];
    const ws = new BaileysSocket(new URL(url), config);
    ws.connect();
    await new Promise((resolve) => ws.on("open", resolve));
    return ws;
  }
  const factory = kind === "tcp" ? tcpWebSocketTransport({ url }) : webSocketTransport({ url });
  return await factory({ onData() {}, onClose() {} }, AbortSignal.timeout(5000));
}

// One connection first, so code loading and first-use allocations are not counted per connection.
const held = [await open()];
await settle(200);
const before = Deno.memoryUsage().rss;
for (let i = 0; i < count; i++) held.push(await open());
await settle(500);
const rss = Deno.memoryUsage().rss;
console.log(JSON.stringify({ perConnection: (rss - before) / count, rss, held: held.length }));
Deno.exit(0);
