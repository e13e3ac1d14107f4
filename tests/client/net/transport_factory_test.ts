// The two WebSocket transport factories as the Connection uses them: bytes both ways, one close, bad
// settings refused up front, and the proxy option on each.
import { assert, assertEquals, assertRejects, assertThrows } from "../../_assert.ts";
import {
  tcpWebSocketTransport,
  type TransportCloseInfo,
  TransportError,
  type TransportFactory,
  webSocketTransport,
} from "../../../src/client/transport.ts";
import { denoEchoServer, tls, within } from "./helpers.ts";
import { startHttpProxy, startSocksProxy } from "./proxies.ts";

async function roundTrip(factory: TransportFactory): Promise<TransportCloseInfo> {
  const chunks: Uint8Array[] = [];
  const got = Promise.withResolvers<void>();
  const closed = Promise.withResolvers<TransportCloseInfo>();
  const transport = await factory({
    onData(chunk) {
      chunks.push(chunk);
      if (chunks.length === 2) got.resolve();
    },
    onClose: (info) => closed.resolve(info),
  }, AbortSignal.timeout(10_000));
  transport.send(Uint8Array.of(1, 2, 3));
  transport.send(Uint8Array.of(4));
  await within(got.promise);
  assertEquals(chunks, [Uint8Array.of(1, 2, 3), Uint8Array.of(4)]);
  transport.close();
  transport.close();
  const info = await within(closed.promise);
  assertThrows(() => transport.send(Uint8Array.of(5)), TransportError, "closed");
  return info;
}

Deno.test("tcpWebSocketTransport and webSocketTransport carry bytes both ways and close once with 1000", async () => {
  await using server = denoEchoServer();
  for (
    const factory of [tcpWebSocketTransport({ url: server.url }), webSocketTransport({ url: server.url })]
  ) {
    assertEquals((await roundTrip(factory)).code, 1000);
  }
  assertEquals(server.seen.map((s) => s.headers.get("origin")), [
    "https://web.whatsapp.com",
    "https://web.whatsapp.com",
  ]);
});

Deno.test("tcpWebSocketTransport: a bad socket or proxy URL is refused when the factory is made", () => {
  for (const options of [{ url: "https://web.whatsapp.com/" }, { proxy: "https://u:p@h:1" }]) {
    const e = assertThrows(() => tcpWebSocketTransport(options), TransportError);
    assertEquals([e.code, e.retryable], ["bad_url", false]);
  }
  assertThrows(() => webSocketTransport({ proxy: "gopher://h" }), TransportError, "expected a proxy URL");
});

Deno.test("tcpWebSocketTransport: an aborted signal rejects with its reason", async () => {
  await using server = denoEchoServer();
  const reason = new Error("stop");
  const e = await assertRejects(() =>
    tcpWebSocketTransport({ url: server.url })({ onData() {}, onClose() {} }, AbortSignal.abort(reason))
  );
  assertEquals(e, reason);
});

Deno.test("webSocketTransport (built-in WebSocket) also goes through SOCKS5, and HTTP CONNECT for wss://", async () => {
  await using server = denoEchoServer();
  await using tlsServer = denoEchoServer({ tls: true });
  await using http = await startHttpProxy({ username: "u", password: "p" });
  await using socks = await startSocksProxy({ username: "u", password: "p" });
  const url = `ws://fakewa.test:${server.port}/ws/chat`;
  await roundTrip(webSocketTransport({ url, proxy: `socks5h://u:p@127.0.0.1:${socks.port}` }));
  // For ws:// Deno forwards the request to an HTTP proxy instead of tunnelling it, and proxies do not
  // forward upgrades; wss:// (WhatsApp's) is tunnelled with CONNECT.
  await roundTrip(webSocketTransport({
    url: `wss://fakewa.test:${tlsServer.port}/ws/chat`,
    proxy: `http://u:p@127.0.0.1:${http.port}`,
    caCerts: [tls.ca],
  }));
  assertEquals(socks.tunnels, [`fakewa.test:${server.port}`]);
  assertEquals(http.tunnels, [`fakewa.test:${tlsServer.port}`]);
  assert(server.seen.length === 1 && tlsServer.seen.length === 1);
});
