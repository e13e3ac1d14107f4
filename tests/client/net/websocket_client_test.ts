// The WebSocket client against two independent servers (Deno.serve's upgrade and npm ws) and against a
// raw TCP server that sends what no correct server would.
import { assert, assertEquals, assertInstanceOf, assertRejects, assertThrows } from "../../_assert.ts";
import { TransportError } from "../../../src/client/net/errors.ts";
import { WebSocketClient } from "../../../src/client/net/websocket_client.ts";
import {
  Collector,
  denoEchoServer,
  npmWsServer,
  rawServer,
  readClientFrame,
  serverFrame,
  switchingProtocols,
  tls,
  within,
  writeAll,
} from "./helpers.ts";

function bytes(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

Deno.test("Deno.serve: messages of every length encoding echo back in order, one write per turn, Origin sent, clean close", async () => {
  await using server = denoEchoServer();
  const got = new Collector();
  const ws = await WebSocketClient.connect(
    { url: server.url, origin: "https://web.whatsapp.com" },
    got.handlers,
  );
  // 0, 7-bit, 16-bit and 64-bit length fields (RFC 6455 section 5.2), all sent in the same turn.
  const sizes = [0, 1, 125, 126, 65535, 65536, 1 << 20];
  const sent = sizes.map((n, i) => bytes(n, i));
  const before = ws.writes;
  for (const m of sent) ws.send(m);
  await got.waitFor(sent.length);
  assertEquals(ws.writes - before, 1, "one turn, one socket write");
  assertEquals(got.messages, sent);
  assertEquals(server.seen[0].messages, sent);
  assertEquals(server.seen[0].headers.get("origin"), "https://web.whatsapp.com");
  ws.close();
  const info = await within(got.closed.promise);
  assertEquals(info.code, 1000);
  assertEquals(info.error, undefined);
  assertEquals(await within(server.seen[0].closeCode), 1000);
});

Deno.test("Deno.serve: the server's close code and reason reach onClose; send afterwards throws closed", async () => {
  await using server = denoEchoServer();
  const got = new Collector();
  const ws = await WebSocketClient.connect({ url: server.url }, got.handlers);
  ws.send(bytes(3));
  await got.waitFor(1);
  server.sockets[0].close(4001, "bye now");
  const info = await within(got.closed.promise);
  assertEquals([info.code, info.reason, info.error], [4001, "bye now", undefined]);
  assertEquals(assertThrows(() => ws.send(bytes(1)), TransportError).code, "closed");
});

Deno.test("Deno.serve over TLS: wss:// with the test CA works; without it the certificate is refused (tls)", async () => {
  await using server = denoEchoServer({ tls: true });
  const url = `wss://localhost:${server.port}/ws/chat`;
  const got = new Collector();
  const ws = await WebSocketClient.connect({ url, caCerts: [tls.ca] }, got.handlers);
  ws.send(bytes(100));
  ws.send(bytes(70000));
  await got.waitFor(2);
  assertEquals(got.messages, [bytes(100), bytes(70000)]);
  ws.close();
  await within(got.closed.promise);
  const e = await assertRejects(
    () => WebSocketClient.connect({ url }, new Collector().handlers),
    TransportError,
  );
  assertEquals(e.code, "tls");
  assert(!e.retryable);
});

Deno.test("npm ws: fragmented messages are joined, pings are answered with the same payload, frames are masked", async () => {
  const pong = Promise.withResolvers<Uint8Array>();
  const received = Promise.withResolvers<Uint8Array>();
  const origin = Promise.withResolvers<string>();
  const serverClose = Promise.withResolvers<number>();
  await using server = await npmWsServer((socket, request) => {
    origin.resolve(request.headers.origin);
    // ws refuses unmasked client frames (RFC 6455 section 5.1), so an arriving message proves masking.
    socket.on("message", (data: Uint8Array) => received.resolve(new Uint8Array(data)));
    socket.on("pong", (data: Uint8Array) => pong.resolve(new Uint8Array(data)));
    socket.on("close", (code: number) => serverClose.resolve(code));
    socket.send(bytes(10, 1), { fin: false });
    socket.send(bytes(20, 2), { fin: false });
    socket.send(bytes(30, 3), { fin: true });
    socket.ping(Uint8Array.of(1, 2, 3, 4, 5));
  });
  const got = new Collector();
  const ws = await WebSocketClient.connect(
    { url: server.url, origin: "https://web.whatsapp.com" },
    got.handlers,
  );
  await got.waitFor(1);
  const joined = new Uint8Array(60);
  joined.set(bytes(10, 1));
  joined.set(bytes(20, 2), 10);
  joined.set(bytes(30, 3), 30);
  assertEquals(got.messages, [joined]);
  assertEquals(await within(pong.promise), Uint8Array.of(1, 2, 3, 4, 5));
  assertEquals(await within(origin.promise), "https://web.whatsapp.com");
  ws.send(bytes(300, 9));
  assertEquals(await within(received.promise), bytes(300, 9));
  ws.close();
  assertEquals((await within(got.closed.promise)).code, 1000);
  assertEquals(await within(serverClose.promise), 1000);
});

/** Each case: frames the raw server sends after the upgrade, the error code, and the close code we send. */
const badInput: { name: string; frames: Uint8Array[]; code: string; close: number; max?: number }[] = [
  {
    name: "a masked frame",
    frames: [serverFrame(0x82, [1, 2], { mask: true })],
    code: "ws_protocol",
    close: 1002,
  },
  { name: "reserved opcode 3", frames: [serverFrame(0x83, [1])], code: "ws_protocol", close: 1002 },
  { name: "RSV1 without an extension", frames: [serverFrame(0xc2, [1])], code: "ws_protocol", close: 1002 },
  { name: "a fragmented ping", frames: [serverFrame(0x09, [1])], code: "ws_protocol", close: 1002 },
  {
    name: "a 126-byte ping",
    frames: [serverFrame(0x89, new Array(126).fill(0))],
    code: "ws_protocol",
    close: 1002,
  },
  { name: "a text message", frames: [serverFrame(0x81, [0x68, 0x69])], code: "ws_protocol", close: 1003 },
  {
    name: "a continuation with no message",
    frames: [serverFrame(0x80, [1])],
    code: "ws_protocol",
    close: 1002,
  },
  {
    name: "a new message inside a fragmented one",
    frames: [serverFrame(0x02, [1]), serverFrame(0x82, [2])],
    code: "ws_protocol",
    close: 1002,
  },
  { name: "a 1-byte close payload", frames: [serverFrame(0x88, [3])], code: "ws_protocol", close: 1002 },
  {
    name: "close code 1005 on the wire",
    frames: [serverFrame(0x88, [0x03, 0xed])],
    code: "ws_protocol",
    close: 1002,
  },
  {
    name: "a close reason that is not UTF-8",
    frames: [serverFrame(0x88, [0x03, 0xe8, 0xff, 0xfe])],
    code: "ws_protocol",
    close: 1007,
  },
  {
    // 2^40 bytes announced: refused from the header, nothing is allocated for it.
    name: "a frame header announcing 1 TiB",
    frames: [Uint8Array.of(0x82, 127, 0, 0, 1, 0, 0, 0, 0, 0)],
    code: "frame_too_large",
    close: 1009,
  },
  {
    name: "fragments adding up past the message bound",
    frames: [serverFrame(0x02, new Array(600).fill(1)), serverFrame(0x80, new Array(600).fill(2))],
    code: "frame_too_large",
    close: 1009,
    max: 1000,
  },
];

for (const c of badInput) {
  Deno.test(`bad input: ${c.name} closes the socket with ${c.code} and close code ${c.close}`, async () => {
    const clientClose = Promise.withResolvers<number>();
    await using server = rawServer(async (conn, key) => {
      await writeAll(conn, await switchingProtocols(key));
      for (const frame of c.frames) await writeAll(conn, frame);
      const frame = await readClientFrame(conn);
      assertEquals(frame.opcode, 8);
      clientClose.resolve((frame.payload[0] << 8) | frame.payload[1]);
    });
    const got = new Collector();
    await WebSocketClient.connect({ url: server.url, maxMessageBytes: c.max }, got.handlers);
    const info = await within(got.closed.promise);
    assertInstanceOf(info.error, TransportError);
    assertEquals((info.error as TransportError).code, c.code);
    assertEquals(got.messages, []);
    assertEquals(await within(clientClose.promise), c.close);
  });
}

Deno.test("bad input: a close in the middle of a fragmented message is reported, the partial message dropped", async () => {
  await using server = rawServer(async (conn, key) => {
    await writeAll(conn, await switchingProtocols(key));
    await writeAll(conn, serverFrame(0x02, [1, 2, 3]));
    await writeAll(conn, serverFrame(0x88, [0x03, 0xe8]));
    await readClientFrame(conn);
  });
  const got = new Collector();
  await WebSocketClient.connect({ url: server.url }, got.handlers);
  const info = await within(got.closed.promise);
  assertEquals(info.code, 1000);
  assertInstanceOf(info.error, TransportError);
  assertEquals((info.error as TransportError).code, "ws_protocol");
  assert((info.error as Error).message.includes("fragmented"), (info.error as Error).message);
  assertEquals(got.messages, []);
});

Deno.test("frames sent in the same write as the 101 answer are delivered; an end without close is 1006", async () => {
  await using server = rawServer(async (conn, key) => {
    const head = await switchingProtocols(key);
    const frame = serverFrame(0x82, [7, 7, 7]);
    const both = new Uint8Array(head.length + frame.length);
    both.set(head);
    both.set(frame, head.length);
    await writeAll(conn, both);
  });
  const got = new Collector();
  await WebSocketClient.connect({ url: server.url }, got.handlers);
  await got.waitFor(1);
  assertEquals(got.messages, [Uint8Array.of(7, 7, 7)]);
  const info = await within(got.closed.promise);
  assertEquals(info.code, 1006);
});

Deno.test("handshake: a refusal, a wrong accept key, an endless head and a closed port give typed errors", async () => {
  const answers = [
    new TextEncoder().encode("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"),
    new TextEncoder().encode(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
    ),
    new TextEncoder().encode(`HTTP/1.1 101 OK\r\nX: ${"a".repeat(20_000)}`),
  ];
  const expected = ["expected status 101", "expected Sec-WebSocket-Accept", "at most 16384 bytes"];
  for (let i = 0; i < answers.length; i++) {
    await using server = rawServer(async (conn) => {
      await writeAll(conn, answers[i]);
      await conn.read(new Uint8Array(1));
    });
    const e = await assertRejects(
      () => WebSocketClient.connect({ url: server.url }, new Collector().handlers),
      TransportError,
    );
    assertEquals(e.code, "handshake");
    assert(e.message.includes(expected[i]), e.message);
  }
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const e = await assertRejects(
    () => WebSocketClient.connect({ url: `ws://127.0.0.1:${port}/` }, new Collector().handlers),
    TransportError,
  );
  assertEquals(e.code, "connect_failed");
  assert(e.retryable);
});

Deno.test("an abort while the server has not answered the upgrade rejects with the reason and closes the socket", async () => {
  const serverSawEnd = Promise.withResolvers<void>();
  const controller = new AbortController();
  const reason = new Error("gave up");
  await using server = rawServer(async (conn) => {
    // The request head has arrived: the client now waits for the answer, which never comes.
    controller.abort(reason);
    const n = await conn.read(new Uint8Array(1));
    if (n === null) serverSawEnd.resolve();
  });
  const e = await assertRejects(() =>
    WebSocketClient.connect({ url: server.url, signal: controller.signal }, new Collector().handlers)
  );
  assertEquals(e, reason);
  await within(serverSawEnd.promise);
});
