// The socket and the HTTP client through real proxies started here: proxy-chain (HTTP CONNECT) and
// @pondwader/socks5-server (SOCKS5). Targets are named `fakewa.test`, which only the proxies resolve.
import { assert, assertEquals, assertRejects } from "../../_assert.ts";
import { TransportError } from "../../../src/client/net/errors.ts";
import { createHttpClient } from "../../../src/client/net/http_client.ts";
import { parseProxyUrl } from "../../../src/client/net/proxy_url.ts";
import { WebSocketClient } from "../../../src/client/net/websocket_client.ts";
import { Collector, denoEchoServer, tls, within } from "./helpers.ts";
import { closedPort, startHttpProxy, startSocksProxy } from "./proxies.ts";

// Characters that must be percent-encoded in a URL's userinfo (RFC 3986 section 3.2.1).
const auth = { username: "bot@one", password: "p:ss w/rd" };
const userinfo = `${encodeURIComponent(auth.username)}:${encodeURIComponent(auth.password)}`;

async function echoThrough(url: string, proxy: string, caCerts?: string[]): Promise<void> {
  const got = new Collector();
  const ws = await WebSocketClient.connect({ url, proxy: parseProxyUrl(proxy), caCerts }, got.handlers);
  ws.send(Uint8Array.of(1, 2, 3));
  ws.send(new Uint8Array(100_000).fill(7));
  await got.waitFor(2);
  assertEquals(got.messages, [Uint8Array.of(1, 2, 3), new Uint8Array(100_000).fill(7)]);
  ws.close();
  assertEquals((await within(got.closed.promise)).code, 1000);
}

function assertNoSecret(e: TransportError): void {
  for (const secret of [auth.password, encodeURIComponent(auth.password), "p:ss"]) {
    assert(!e.message.includes(secret), `credentials in: ${e.message}`);
  }
}

Deno.test("HTTP CONNECT (proxy-chain) without credentials carries ws:// and wss:// to a name only it resolves", async () => {
  await using server = denoEchoServer();
  await using tlsServer = denoEchoServer({ tls: true });
  await using proxy = await startHttpProxy();
  const via = `http://127.0.0.1:${proxy.port}`;
  await echoThrough(`ws://fakewa.test:${server.port}/ws/chat`, via);
  await echoThrough(`wss://fakewa.test:${tlsServer.port}/ws/chat`, via, [tls.ca]);
  assertEquals(proxy.tunnels, [`fakewa.test:${server.port}`, `fakewa.test:${tlsServer.port}`]);
});

Deno.test("HTTP CONNECT with credentials: right ones tunnel; wrong or none give proxy_auth naming the proxy, never the password", async () => {
  await using server = denoEchoServer();
  await using proxy = await startHttpProxy(auth);
  const url = `ws://fakewa.test:${server.port}/ws/chat`;
  await echoThrough(url, `http://${userinfo}@127.0.0.1:${proxy.port}`);
  for (
    const [proxyUrl, says] of [
      [
        `http://${encodeURIComponent(auth.username)}:wrong@127.0.0.1:${proxy.port}`,
        "rejected the credentials",
      ],
      [`http://127.0.0.1:${proxy.port}`, "asked for credentials"],
    ]
  ) {
    const e = await assertRejects(
      () => WebSocketClient.connect({ url, proxy: parseProxyUrl(proxyUrl) }, new Collector().handlers),
      TransportError,
    );
    assertEquals([e.code, e.proxy, e.retryable], ["proxy_auth", `http://127.0.0.1:${proxy.port}`, false]);
    assert(e.message.includes(says) && e.message.includes(`127.0.0.1:${proxy.port}`), e.message);
    assertNoSecret(e);
  }
  assertEquals(proxy.tunnels.length, 1);
});

Deno.test("SOCKS5 (socks5-server) with credentials: socks5h sends the name, socks5 the address it resolved", async () => {
  await using server = denoEchoServer();
  await using tlsServer = denoEchoServer({ tls: true });
  await using proxy = await startSocksProxy(auth);
  await echoThrough(
    `ws://fakewa.test:${server.port}/ws/chat`,
    `socks5h://${userinfo}@127.0.0.1:${proxy.port}`,
  );
  await echoThrough(
    `wss://fakewa.test:${tlsServer.port}/ws/chat`,
    `socks5h://${userinfo}@127.0.0.1:${proxy.port}`,
    [tls.ca],
  );
  // `localhost` resolves here (the hosts file), so socks5:// sends an address, not the name.
  await echoThrough(`ws://localhost:${server.port}/ws/chat`, `socks5://${userinfo}@127.0.0.1:${proxy.port}`);
  assertEquals(proxy.tunnels.slice(0, 2), [`fakewa.test:${server.port}`, `fakewa.test:${tlsServer.port}`]);
  assert(
    [`127.0.0.1:${server.port}`, `::1:${server.port}`].includes(proxy.tunnels[2]),
    `socks5:// should send an address, sent ${proxy.tunnels[2]}`,
  );
});

Deno.test("SOCKS5: wrong or missing credentials give proxy_auth; a refused target gives proxy_refused", async () => {
  await using proxy = await startSocksProxy(auth);
  const url = `ws://fakewa.test:${closedPort()}/ws/chat`;
  const base = `127.0.0.1:${proxy.port}`;
  for (
    const proxyUrl of [`socks5h://${encodeURIComponent(auth.username)}:nope@${base}`, `socks5h://${base}`]
  ) {
    const e = await assertRejects(
      () => WebSocketClient.connect({ url, proxy: parseProxyUrl(proxyUrl) }, new Collector().handlers),
      TransportError,
    );
    assertEquals([e.code, e.proxy], ["proxy_auth", `socks5h://${base}`]);
    assertNoSecret(e);
  }
  const e = await assertRejects(
    () =>
      WebSocketClient.connect(
        { url, proxy: parseProxyUrl(`socks5h://${userinfo}@${base}`) },
        new Collector().handlers,
      ),
    TransportError,
  );
  assertEquals([e.code, e.retryable], ["proxy_refused", true]);
  assert(e.message.includes("connection refused") && e.message.includes(base), e.message);
  assertNoSecret(e);
});

Deno.test("HTTP CONNECT: a refused target gives proxy_refused; a proxy nobody listens on gives proxy_unreachable", async () => {
  await using proxy = await startHttpProxy();
  const url = `ws://fakewa.test:${closedPort()}/ws/chat`;
  const refused = await assertRejects(
    () =>
      WebSocketClient.connect(
        { url, proxy: parseProxyUrl(`http://127.0.0.1:${proxy.port}`) },
        new Collector().handlers,
      ),
    TransportError,
  );
  assertEquals([refused.code, refused.retryable], ["proxy_refused", true]);
  assert(refused.message.includes(`127.0.0.1:${proxy.port}`), refused.message);
  for (const scheme of ["http", "socks5h"]) {
    const port = closedPort();
    const e = await assertRejects(
      () =>
        WebSocketClient.connect(
          { url, proxy: parseProxyUrl(`${scheme}://${userinfo}@127.0.0.1:${port}`) },
          new Collector().handlers,
        ),
      TransportError,
    );
    assertEquals([e.code, e.proxy], ["proxy_unreachable", `${scheme}://127.0.0.1:${port}`]);
    assertNoSecret(e);
  }
});

Deno.test("createHttpClient: HTTPS requests go through HTTP CONNECT and SOCKS5 proxies with credentials", async () => {
  const served: string[] = [];
  await using media = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: tls.cert,
    key: tls.key,
    onListen() {},
  }, (req) => {
    served.push(new URL(req.url).pathname);
    return new Response("media bytes");
  });
  await using httpProxy = await startHttpProxy(auth);
  await using socksProxy = await startSocksProxy(auth);
  const target = `https://media.test:${media.addr.port}`;
  for (
    const proxy of [
      `http://${userinfo}@127.0.0.1:${httpProxy.port}`,
      `socks5h://${userinfo}@127.0.0.1:${socksProxy.port}`,
    ]
  ) {
    using client = createHttpClient({ proxy, caCerts: [tls.ca] });
    const res = await fetch(`${target}/mms/image/x`, { client, signal: AbortSignal.timeout(10_000) });
    assertEquals([res.status, await res.text()], [200, "media bytes"]);
  }
  assertEquals(served, ["/mms/image/x", "/mms/image/x"]);
  assertEquals(httpProxy.tunnels, [`media.test:${media.addr.port}`]);
  assertEquals(socksProxy.tunnels, [`media.test:${media.addr.port}`]);
});
