// A whole handshake and frame exchange over a real WebSocket on 127.0.0.1: the client side through
// src/client/transport.ts, the responder inside a Deno.serve WebSocket upgrade.
import assert from "node:assert/strict";
import { generateKeyPair, utf8 } from "../../src/crypto/mod.ts";
import { type TransportCloseInfo, webSocketTransport } from "../../src/client/transport.ts";
import {
  ASYNC_CRYPTO_THRESHOLD,
  FrameReader,
  runClientHandshake,
  runServerHandshake,
  type ServerHandshakeResult,
} from "../../src/noise/mod.ts";
import { fill, testServer } from "./helpers.ts";

Deno.test("handshake and frames over a WebSocket on 127.0.0.1, then a clean close on both ends", async () => {
  const identity = testServer();
  const accepted = Promise.withResolvers<ServerHandshakeResult>();
  const serverClosed = Promise.withResolvers<void>();
  const echoed = Promise.withResolvers<number>();

  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const url = new URL(req.url);
    if (url.pathname !== "/ws/chat" || req.headers.get("upgrade") !== "websocket") {
      return new Response("not found", { status: 404 });
    }
    const { socket: ws, response } = Deno.upgradeWebSocket(req);
    ws.binaryType = "arraybuffer";
    const reader = new FrameReader({ expectIntro: true });
    ws.onmessage = (e) => reader.push(new Uint8Array(e.data as ArrayBuffer));
    ws.onclose = () => {
      reader.end();
      serverClosed.resolve();
    };
    ws.onopen = async () => {
      try {
        const result = await runServerHandshake({
          transport: { send: (b) => ws.send(b), close: () => ws.close(1000) },
          frames: reader,
          staticKey: identity.staticKey,
          certChain: identity.certChain,
          signal: AbortSignal.timeout(10_000),
        });
        accepted.resolve(result);
        // Echo every frame back with its bytes reversed, until the client closes.
        let count = 0;
        for await (const frame of reader) {
          const plaintext = await result.socket.receiveFrame(frame);
          await result.socket.sendFrame(plaintext.slice().reverse());
          count++;
        }
        echoed.resolve(count);
      } catch (e) {
        accepted.reject(e);
        echoed.reject(e);
        ws.close(1011);
      }
    };
    return response;
  });

  const reader = new FrameReader();
  const clientClosed = Promise.withResolvers<TransportCloseInfo>();
  const transport = await webSocketTransport({ url: `ws://127.0.0.1:${server.addr.port}/ws/chat` })(
    {
      onData: (chunk) => reader.push(chunk),
      onClose: (info) => {
        reader.end();
        clientClosed.resolve(info);
      },
    },
    AbortSignal.timeout(10_000),
  );
  const noiseKey = generateKeyPair();
  const { socket, serverStatic } = await runClientHandshake({
    transport,
    frames: reader,
    noiseKey,
    payload: utf8("registration payload"),
    trustedRoot: identity.root.publicKey,
    signal: AbortSignal.timeout(20_000),
  });
  assert.deepEqual(serverStatic, identity.staticKey.publicKey);
  const serverSide = await accepted.promise;
  assert.deepEqual(serverSide.clientStatic, noiseKey.publicKey);
  assert.deepEqual(serverSide.payload, utf8("registration payload"));

  const frames = [
    fill(1),
    fill(300, 2),
    fill(ASYNC_CRYPTO_THRESHOLD + 5, 3),
    fill(200_000, 4),
    fill(0),
    fill(40, 5),
  ];
  await Promise.all(frames.map((f) => socket.sendFrame(f)));
  for (const f of frames) {
    assert.deepEqual(
      await socket.receiveFrame(await reader.read(AbortSignal.timeout(10_000))),
      f.slice().reverse(),
    );
  }
  assert.equal(socket.writeCounter, frames.length);
  assert.equal(socket.readCounter, frames.length);

  socket.close();
  const info = await clientClosed.promise;
  assert.equal(info.code, 1000);
  await serverClosed.promise;
  assert.equal(await echoed.promise, frames.length);
  await server.shutdown();
});
