// The transport phase: NoiseSocket over an in-memory link with random re-chunking, counters, ordering under
// concurrency across the sync/async AES-GCM threshold, and failures.
import assert from "node:assert/strict";
import { generateKeyPair, randomBytes } from "../../src/crypto/mod.ts";
import {
  ASYNC_CRYPTO_THRESHOLD,
  FRAME_MAX_SIZE,
  FrameReader,
  NoiseSocket,
  type NoiseTransport,
  runClientHandshake,
  runServerHandshake,
} from "../../src/noise/mod.ts";
import { assertNoiseRejects, fill, handshakeCiphers, memoryLink, testServer } from "./helpers.ts";

/** A small seeded PRNG (mulberry32) so failures reproduce. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Frame sizes from tiny to well past the async threshold. */
function sizes(random: () => number, n: number): number[] {
  const buckets = [0, 1, 16, 200, 1500, ASYNC_CRYPTO_THRESHOLD - 1, ASYNC_CRYPTO_THRESHOLD, 40_000, 300_000];
  return Array.from({ length: n }, () => {
    const base = buckets[Math.floor(random() * buckets.length)];
    return base + Math.floor(random() * 50);
  });
}

async function connected(chunker?: (b: Uint8Array) => Uint8Array[]) {
  const server = testServer();
  const link = memoryLink({ chunker });
  const signal = AbortSignal.timeout(10_000);
  const serverSide = runServerHandshake({
    transport: link.server,
    frames: link.serverReader,
    staticKey: server.staticKey,
    certChain: server.certChain,
    signal,
  });
  const clientSide = await runClientHandshake({
    transport: link.client,
    frames: link.clientReader,
    noiseKey: generateKeyPair(),
    payload: fill(30),
    trustedRoot: server.root.publicKey,
    signal,
  });
  return { link, client: clientSide.socket, server: (await serverSide).socket, signal };
}

Deno.test("many frames of random sizes both ways, interleaved and re-chunked, arrive intact and in order", async () => {
  const random = prng(7);
  // Every transport message is cut into 1-4 random pieces.
  const chunker = (b: Uint8Array) => {
    const pieces: Uint8Array[] = [];
    let at = 0;
    const n = 1 + Math.floor(random() * 4);
    for (let i = 1; i < n; i++) {
      const next = at + Math.floor(random() * (b.length - at));
      pieces.push(b.subarray(at, next));
      at = next;
    }
    pieces.push(b.subarray(at));
    return pieces;
  };
  const { link, client, server, signal } = await connected(chunker);
  const up = sizes(random, 60).map((n, i) => fill(n, i));
  const down = sizes(random, 50).map((n, i) => fill(n, 1000 + i));

  const receive = async (socket: NoiseSocket, reader: FrameReader, count: number) => {
    const out: Uint8Array[] = [];
    for (let i = 0; i < count; i++) out.push(await socket.receiveFrame(await reader.read(signal)));
    return out;
  };
  const serverGot = receive(server, link.serverReader, up.length);
  const clientGot = receive(client, link.clientReader, down.length);
  // Interleave the two directions, awaiting some sends and not others.
  const sends: Promise<void>[] = [];
  for (let i = 0; i < Math.max(up.length, down.length); i++) {
    if (i < up.length) sends.push(client.sendFrame(up[i]));
    if (i < down.length) {
      const sent = server.sendFrame(down[i]);
      if (random() < 0.5) await sent;
      else sends.push(sent);
    }
  }
  await Promise.all(sends);
  assert.deepEqual(await serverGot, up);
  assert.deepEqual(await clientGot, down);
  assert.equal(client.writeCounter, up.length);
  assert.equal(server.readCounter, up.length);
  assert.equal(server.writeCounter, down.length);
  assert.equal(client.readCounter, down.length);
  client.close();
  server.close();
});

Deno.test("concurrent sendFrame calls of mixed sizes go out in call order with consecutive counters", async () => {
  const { client, server } = handshakeCiphers();
  const wire: Uint8Array[] = [];
  const socket = new NoiseSocket({ send: (b) => void wire.push(b), close() {} }, client);
  const random = prng(11);
  const frames = sizes(random, 80).map((n, i) => fill(n, i));
  // Fire them all at once: large ones go through WebCrypto and finish at different times.
  await Promise.all(frames.map((f) => socket.sendFrame(f)));
  assert.equal(wire.length, frames.length);
  assert.equal(socket.writeCounter, frames.length);
  // Decrypting with consecutive counters only works if frame i was encrypted with counter i and sent i-th.
  const reader = new FrameReader();
  for (const chunk of wire) reader.push(chunk);
  for (let i = 0; i < frames.length; i++) {
    assert.deepEqual(server.read.decrypt(await reader.read()), frames[i], `frame ${i}`);
  }
});

Deno.test("a small frame sent behind a large one waits for it (no overtaking through the sync path)", async () => {
  const { client, server } = handshakeCiphers();
  const wire: Uint8Array[] = [];
  const socket = new NoiseSocket({ send: (b) => void wire.push(b), close() {} }, client);
  const large = socket.sendFrame(fill(ASYNC_CRYPTO_THRESHOLD * 8));
  const small = socket.sendFrame(fill(10));
  assert.equal(wire.length, 0, "the small frame is queued, not sent ahead");
  await Promise.all([large, small]);
  const reader = new FrameReader();
  wire.forEach((c) => reader.push(c));
  assert.deepEqual(server.read.decrypt(await reader.read()), fill(ASYNC_CRYPTO_THRESHOLD * 8));
  assert.deepEqual(server.read.decrypt(await reader.read()), fill(10));
  // With nothing queued, a small frame is sent synchronously.
  const sent = socket.sendFrame(fill(5));
  assert.equal(wire.length, 3);
  await sent;
});

Deno.test("receiveFrame results resolve in arrival order, whatever path each takes", async () => {
  const { client, server } = handshakeCiphers();
  const frames = sizes(prng(3), 40).map((n, i) => fill(n, i));
  const sealed = frames.map((f) => client.write.encrypt(f));
  const socket = new NoiseSocket({ send() {}, close() {} }, server);
  const order: number[] = [];
  const results = await Promise.all(
    sealed.map((s, i) =>
      socket.receiveFrame(s).then((pt) => {
        order.push(i);
        return pt;
      })
    ),
  );
  assert.deepEqual(results, frames);
  assert.deepEqual(order, frames.map((_, i) => i));
  assert.equal(socket.readCounter, frames.length);
});

Deno.test("a frame that fails authentication is frame_auth_failed and the socket is closed", async () => {
  for (const size of [100, ASYNC_CRYPTO_THRESHOLD * 2]) {
    const { client, server } = handshakeCiphers();
    let closes = 0;
    const socket = new NoiseSocket({ send() {}, close: () => void closes++ }, server);
    assert.deepEqual(await socket.receiveFrame(client.write.encrypt(fill(size))), fill(size));
    const bad = client.write.encrypt(fill(size, 2));
    bad[bad.length - 1] ^= 0x80;
    const good = client.write.encrypt(fill(size, 3));
    const failed = socket.receiveFrame(bad);
    const after = socket.receiveFrame(good);
    const e = await assertNoiseRejects(failed, "frame_auth_failed", `size ${size}`);
    assert.match(e.message, /frame 1 /);
    // The next frame was valid on its own, but the stream is broken: it is refused, not delivered.
    const closed = await assertNoiseRejects(after, "closed", `size ${size}`);
    assert.equal(closed.cause, e, "the closed error names the failure that closed it");
    assert.equal(socket.closed, true);
    assert.equal(closes, 1, "the transport is closed once");
    await assertNoiseRejects(socket.sendFrame(fill(1)), "closed");
    await assertNoiseRejects(socket.receiveFrame(good), "closed");
  }
  // A frame shorter than the tag is a failed authentication too.
  const { server } = handshakeCiphers();
  const socket = new NoiseSocket({ send() {}, close() {} }, server);
  await assertNoiseRejects(socket.receiveFrame(new Uint8Array(5)), "frame_auth_failed");
});

Deno.test("frames replayed or swapped between directions do not authenticate", async () => {
  const { client, server } = handshakeCiphers();
  const socket = new NoiseSocket({ send() {}, close() {} }, server);
  const first = client.write.encrypt(fill(10));
  await socket.receiveFrame(first);
  await assertNoiseRejects(socket.receiveFrame(first), "frame_auth_failed", "replay");
  const other = handshakeCiphers();
  const reflected = new NoiseSocket({ send() {}, close() {} }, other.server);
  await assertNoiseRejects(reflected.receiveFrame(other.server.write.encrypt(fill(10))), "frame_auth_failed");
});

Deno.test("an oversize frame is refused without using a counter; the socket stays usable", async () => {
  const { client, server } = handshakeCiphers();
  const wire: Uint8Array[] = [];
  const socket = new NoiseSocket({ send: (b) => void wire.push(b), close() {} }, client);
  await assertNoiseRejects(socket.sendFrame(new Uint8Array(FRAME_MAX_SIZE - 16)), "frame_too_large");
  assert.equal(socket.writeCounter, 0);
  await socket.sendFrame(fill(8));
  assert.deepEqual(server.read.decrypt(wire[0].subarray(3)), fill(8));
});

Deno.test("close() closes the transport once; queued and later sends reject with closed", async () => {
  const { client } = handshakeCiphers();
  let closes = 0;
  const wire: Uint8Array[] = [];
  const socket = new NoiseSocket({ send: (b) => void wire.push(b), close: () => void closes++ }, client);
  const queued = socket.sendFrame(randomBytes(ASYNC_CRYPTO_THRESHOLD * 4));
  socket.close();
  socket.close();
  assert.equal(closes, 1);
  await assertNoiseRejects(queued, "closed");
  await assertNoiseRejects(socket.sendFrame(fill(1)), "closed");
  await assertNoiseRejects(socket.receiveFrame(fill(20)), "closed");
  assert.equal(wire.length, 0, "nothing is sent after close");
});

Deno.test("a transport that refuses a frame closes the socket with closed", async () => {
  const { client } = handshakeCiphers();
  let closes = 0;
  const transport: NoiseTransport = {
    send() {
      throw new Error("WebSocket is not open");
    },
    close: () => void closes++,
  };
  const socket = new NoiseSocket(transport, client);
  const e = await assertNoiseRejects(socket.sendFrame(fill(3)), "closed");
  assert.match(e.message, /WebSocket is not open/);
  assert.equal(socket.closed, true);
  assert.equal(closes, 1);
  await assertNoiseRejects(socket.sendFrame(fill(3)), "closed");
});
