/**
 * The socket under the Noise layer, three ways, against one Deno.serve WebSocket server on loopback
 * (the kind FakeWhatsApp runs):
 *
 * - `tcp`: tcpWebSocketTransport (Deno.connect + setNoDelay(true), one write per turn);
 * - `builtin`: webSocketTransport (Deno's WebSocket, no-delay off);
 * - `baileys`: Baileys 7's own WebSocketClient (npm ws, which sets no-delay), the peer to beat;
 * - `tcp wss` and `builtin wss`: the same over TLS (the test CA of tests/client/net/fixtures), latency
 *   only. (npm ws under Deno's node:https refused the wss URL, so Baileys has no TLS row.)
 *
 * Groups:
 * - reply latency: the server answers a 100-byte message with 100 bytes, timed from the send to the
 *   answer. "idle" sends it 1 ms after the last exchange; "after a receipt" sends an unanswered 40-byte
 *   receipt, then the message 1 ms later: the case where Nagle's algorithm holds the message until the
 *   server's delayed ACK of the receipt. Both wait the same 1 ms, so their ratio is the receipt's cost
 *   alone. Baseline: `tcp` idle.
 * - throughput: 1000 messages of 200 bytes sent at once, until all 1000 echoes are back. Baseline: Baileys.
 * - FakeWhatsApp, reply after a receipt: two paired bots on the same transport; `b` answers each ping in
 *   its message handler, right after its ack and delivery receipt; timed from `a.sendText` to the pong.
 * - FakeWhatsApp, 100 messages: 100 texts pipelined from `a` until `b` has all of them.
 *
 * After the groups it prints each transport's idle RSS per open connection (200 connections held open by
 * a child process with nothing else loaded but the transport).
 *
 * Run: deno bench --allow-read --allow-write --allow-env --allow-net=127.0.0.1 --allow-run --allow-sys bench/transport.bench.ts
 */

import { WebSocketClient as BaileysSocket } from "npm:/baileys@7.0.0-rc14/lib/Socket/Client/websocket.js";
import type { Client } from "../src/client/client.ts";
import { messageText } from "../src/features/message_builders.ts";
import {
  tcpWebSocketTransport,
  type Transport,
  type TransportFactory,
  webSocketTransport,
} from "../src/client/transport.ts";
import { FakeWhatsApp } from "../src/testing/mod.ts";
import { tls } from "../tests/client/net/helpers.ts";
import { pairedClient } from "./_paired_client.ts";

const RECEIPT = 0, ANSWER = 1, ECHO = 2;

/** The test server's side of a socket: sends back the messages that ask for an answer or an echo. */
function answering(req: Request): Response {
  const { socket, response } = Deno.upgradeWebSocket(req);
  socket.binaryType = "arraybuffer";
  socket.onmessage = (e) => {
    const bytes = new Uint8Array(e.data as ArrayBuffer);
    if (bytes[0] === ANSWER || bytes[0] === ECHO) socket.send(bytes);
  };
  return response;
}
const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, answering);
const url = `ws://127.0.0.1:${server.addr.port}/ws/chat`;
const tlsServer = Deno.serve(
  { hostname: "127.0.0.1", port: 0, cert: tls.cert, key: tls.key, onListen() {} },
  answering,
);
const wssUrl = `wss://localhost:${tlsServer.addr.port}/ws/chat`;

/** One open socket and a way to wait for the next `count` messages. */
interface Open {
  send(bytes: Uint8Array): void;
  expect(count: number): Promise<void>;
  close(): void;
}

function counter() {
  let waiting: { left: number; resolve: () => void } | undefined;
  return {
    onMessage() {
      if (waiting && --waiting.left === 0) {
        const { resolve } = waiting;
        waiting = undefined;
        resolve();
      }
    },
    expect(count: number): Promise<void> {
      const { promise, resolve } = Promise.withResolvers<void>();
      waiting = { left: count, resolve };
      return promise;
    },
  };
}

async function openFactory(factory: ReturnType<typeof tcpWebSocketTransport>): Promise<Open> {
  const c = counter();
  const t: Transport = await factory({ onData: c.onMessage, onClose() {} }, AbortSignal.timeout(5000));
  return { send: (b) => t.send(b), expect: c.expect, close: () => t.close() };
}

async function openBaileys(target: string): Promise<Open> {
  const c = counter();
  // Baileys reads only these fields of its socket config here.
  const config = { connectTimeoutMs: 5000 } as unknown as ConstructorParameters<typeof BaileysSocket>[1];
  const ws = new BaileysSocket(new URL(target), config);
  ws.connect();
  await new Promise<void>((resolve, reject) => {
    ws.on("open", () => resolve());
    ws.on("error", reject);
  });
  ws.on("message", c.onMessage);
  return { send: (b) => ws.send(b), expect: c.expect, close: () => void ws.close() };
}

const sockets: Record<string, Open> = {
  tcp: await openFactory(tcpWebSocketTransport({ url })),
  builtin: await openFactory(webSocketTransport({ url })),
  baileys: await openBaileys(url),
  "tcp wss": await openFactory(tcpWebSocketTransport({ url: wssUrl, caCerts: [tls.ca] })),
  "builtin wss": await openFactory(webSocketTransport({ url: wssUrl, caCerts: [tls.ca] })),
};

const message = new Uint8Array(100).fill(7);
message[0] = ANSWER;
const receipt = new Uint8Array(40).fill(3);
receipt[0] = RECEIPT;
const burst = new Uint8Array(200).fill(9);
burst[0] = ECHO;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const [name, s] of Object.entries(sockets)) {
  Deno.bench(
    `${name}: reply 1 ms after nothing (idle)`,
    { group: "reply latency", baseline: name === "tcp" },
    async (b) => {
      await pause(1);
      b.start();
      const got = s.expect(1);
      s.send(message);
      await got;
      b.end();
    },
  );
  Deno.bench(`${name}: reply 1 ms after a receipt`, { group: "reply latency" }, async (b) => {
    s.send(receipt);
    await pause(1);
    b.start();
    const got = s.expect(1);
    s.send(message);
    await got;
    b.end();
  });
}

for (const [name, s] of Object.entries(sockets)) {
  if (name.endsWith("wss")) continue;
  Deno.bench(`${name}: 1000 messages`, { group: "throughput", baseline: name === "baileys" }, async () => {
    const got = s.expect(1000);
    for (let i = 0; i < 1000; i++) s.send(burst);
    await got;
  });
}

// ---- through FakeWhatsApp: two bots on the same transport kind -----------------------------------

const wa = await FakeWhatsApp.start();
let phoneNumber = 15550700000;

function pairedBot(transport: TransportFactory): Promise<Client> {
  return pairedClient(wa, String(phoneNumber++), { transport });
}

/** Resolves when `client` has received `count` messages whose text starts with `prefix`. */
function received(client: Client, prefix: string, count = 1): Promise<void> {
  let n = 0;
  const { promise, resolve } = Promise.withResolvers<void>();
  const off = client.on("message", (e) => {
    if (messageText(e.message)?.startsWith(prefix) && ++n === count) {
      off();
      resolve();
    }
  });
  return promise;
}

const kinds: Record<string, () => TransportFactory> = {
  tcp: () => tcpWebSocketTransport({ url: wa.url }),
  builtin: () => webSocketTransport({ url: wa.url }),
};
const bots: Record<string, { a: Client; b: Client }> = {};
for (const [name, make] of Object.entries(kinds)) {
  const a = await pairedBot(make());
  const b = await pairedBot(make());
  // b answers every "ping" right away: its ack and delivery receipt for the ping leave just before.
  b.on("message", (e) => {
    const text = messageText(e.message) ?? "";
    if (text.startsWith("ping")) b.sendText(e.info.source.chat, `pong${text.slice(4)}`).catch(() => {});
  });
  const warm = received(a, "pong");
  await a.sendText(b.jid!.toNonAd(), "ping warm-up");
  await warm;
  bots[name] = { a, b };
}

let seq = 0;
for (const [name, { a, b }] of Object.entries(bots)) {
  const bUser = b.jid!.toNonAd();
  Deno.bench(`${name}: ping -> pong sent right after the receipt`, {
    group: "FakeWhatsApp: reply after a receipt",
    baseline: name === "builtin",
  }, async () => {
    const got = received(a, `pong ${++seq}`);
    await a.sendText(bUser, `ping ${seq}`);
    await got;
  });
  Deno.bench(`${name}: 100 messages pipelined`, {
    group: "FakeWhatsApp: 100 messages",
    baseline: name === "builtin",
  }, async () => {
    const tag = `burst ${++seq} `;
    const got = received(b, tag, 100);
    const sends = [];
    for (let i = 0; i < 100; i++) sends.push(a.sendText(bUser, `${tag}${i}`));
    await Promise.all(sends);
    await got;
  });
}

// ---- idle RSS per connection, each transport in a fresh child process ------------------------------

const RSS_CONNECTIONS = 200;
async function idleRss(kind: string): Promise<{ perConnection: number; rss: number }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net=127.0.0.1",
      "--allow-read",
      "--allow-env",
      "--allow-sys",
      "--v8-flags=--expose-gc",
      new URL("./_idle_rss_child.ts", import.meta.url).pathname,
      kind,
      url,
      String(RSS_CONNECTIONS),
    ],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

globalThis.addEventListener("unload", () => {
  for (const s of Object.values(sockets)) s.close();
  wa.stop();
  tlsServer.shutdown();
});

{
  const rows = [];
  for (const kind of ["baileys", "builtin", "tcp"]) rows.push({ kind, ...(await idleRss(kind)) });
  const base = rows[0].perConnection;
  console.log(`idle RSS per connection (${RSS_CONNECTIONS} open, one child process each):`);
  for (const r of rows) {
    console.log(
      `  ${r.kind.padEnd(8)} ${(r.perConnection / 1024).toFixed(1).padStart(7)} KiB  ` +
        `(${(r.perConnection / base).toFixed(2)}x baileys; process RSS ${(r.rss / 2 ** 20).toFixed(0)} MiB)`,
    );
  }
}
