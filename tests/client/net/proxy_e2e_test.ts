// A full login and a message each way through FakeWhatsApp, over the no-delay transport: directly, through
// HTTP CONNECT (with and without credentials) and through SOCKS5 with credentials. The socket URL names
// `fakewa.test`, which only the proxies resolve; one more run keeps the bot in a process whose network
// permission is the proxy's port alone.
import { assert, assertEquals } from "../../_assert.ts";
import { tcpWebSocketTransport } from "../../../src/client/transport.ts";
import { messageText } from "../../../src/features/message_builders.ts";
import type { Client } from "../../../src/client/client.ts";
import type { MessageEvent } from "../../../src/features/message_info.ts";
import { newClient, pairByQr, startServer } from "../../e2e/helpers.ts";
import { type Credentials, startHttpProxy, startSocksProxy, type TestProxy } from "./proxies.ts";
import { within } from "./helpers.ts";

const auth: Credentials = { username: "bot-7", password: "s3cr3t!" };

function nextMessage(client: Client, text: string): Promise<MessageEvent> {
  const { promise, resolve } = Promise.withResolvers<MessageEvent>();
  const off = client.on("message", (e) => {
    if (messageText(e.message) === text) {
      off();
      resolve(e);
    }
  });
  return within(promise, 15_000, `message ${JSON.stringify(text)}`);
}

const cases: { name: string; start?: () => Promise<TestProxy>; url?: (port: number) => string }[] = [
  { name: "directly (no proxy)" },
  { name: "through HTTP CONNECT", start: () => startHttpProxy(), url: (p) => `http://127.0.0.1:${p}` },
  {
    name: "through HTTP CONNECT with credentials",
    start: () => startHttpProxy(auth),
    url: (p) => `http://${auth.username}:${encodeURIComponent(auth.password)}@127.0.0.1:${p}`,
  },
  {
    name: "through SOCKS5 with credentials (socks5h)",
    start: () => startSocksProxy(auth),
    url: (p) => `socks5h://${auth.username}:${encodeURIComponent(auth.password)}@127.0.0.1:${p}`,
  },
];

for (const c of cases) {
  Deno.test(`login and messages ${c.name}`, async () => {
    await using wa = await startServer();
    await using proxy = c.start ? await c.start() : undefined;
    const port = new URL(wa.url).port;
    const url = proxy ? `ws://fakewa.test:${port}/ws/chat` : wa.url;
    const transport = tcpWebSocketTransport({ url, proxy: proxy && c.url!(proxy.port) });
    await using bot = await newClient(wa, { transport });
    await pairByQr(bot, wa.phone("15550300099"));
    const friend = await wa.phone("15550300001").client();
    const atBot = nextMessage(bot, "hello over the wire");
    await friend.sendText(bot.jid!.toNonAd(), "hello over the wire");
    await atBot;
    const atFriend = nextMessage(friend, "and back");
    await bot.sendText(friend.jid!.toNonAd(), "and back");
    await atFriend;
    if (proxy) {
      // Pairing ends the first connection and logs in on a second one: both went through the proxy.
      assert(proxy.tunnels.length >= 2, `tunnels: ${proxy.tunnels}`);
      assertEquals(new Set(proxy.tunnels), new Set([`fakewa.test:${port}`]));
    }
  });
}

Deno.test("a bot whose only network permission is the proxy's port logs in and answers through it", async () => {
  await using wa = await startServer();
  await using proxy = await startSocksProxy(auth);
  const script = new URL("./_proxied_client.ts", import.meta.url);
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      `--allow-net=127.0.0.1:${proxy.port}`,
      "--allow-env",
      "--allow-read",
      "--no-prompt",
      script.pathname,
      // socks5:// with an IP literal: nothing to resolve, so the proxy's port is all the bot needs.
      wa.url,
      `socks5://${auth.username}:${encodeURIComponent(auth.password)}@127.0.0.1:${proxy.port}`,
      wa.rootPublicKey.toHex(),
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).values();
  let buffered = "";
  const next = async (): Promise<Record<string, string>> => {
    for (;;) {
      const at = buffered.indexOf("\n");
      if (at >= 0) {
        const line = buffered.slice(0, at);
        buffered = buffered.slice(at + 1);
        return JSON.parse(line);
      }
      const { value, done } = await within(lines.next(), 20_000, "the bot's output");
      if (done) throw new Error(`bot exited: ${await stderr}`);
      buffered += value;
    }
  };
  try {
    const qr = await next();
    assert(qr.qr, JSON.stringify(qr));
    await wa.phone("15550300098").scanQr(qr.qr);
    const ready = await next();
    assert(ready.ready, JSON.stringify(ready));
    const friend = await wa.phone("15550300002").client();
    const pong = nextMessage(friend, "pong: ping");
    await friend.sendText(ready.ready, "ping");
    assertEquals(await next(), { got: "ping" });
    await pong;
    assert(
      proxy.tunnels.length >= 2 && proxy.tunnels.every((t) => t === `127.0.0.1:${new URL(wa.url).port}`),
    );
  } finally {
    await child.stdin.close();
    const status = await within(child.status, 15_000, "the bot to exit");
    await stderr;
    assertEquals(status.code, 0);
  }
});
