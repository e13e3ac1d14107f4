// Interop with an independent implementation: Baileys' client-side Noise handler (npm baileys@7.0.0-rc14,
// lib/Utils/noise-handler.js, the code WhatsApp Web bots run against the real server) completes a handshake
// with our responder and exchanges transport frames with it, edge-routing pre-intro included.
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { makeNoiseHandler } from "npm:/baileys@7.0.0-rc14/lib/Utils/noise-handler.js";
import { NOISE_WA_HEADER, WA_CERT_DETAILS } from "npm:/baileys@7.0.0-rc14/lib/Defaults/index.js";
import { generateKeyPair, utf8 } from "../../src/crypto/mod.ts";
import { HandshakeMessage } from "../../src/proto/mod.ts";
import { FrameReader, NoiseSocket, ServerHandshake } from "../../src/noise/mod.ts";
import { fill, testServer } from "./helpers.ts";

const silent = {
  level: "silent",
  child() {
    return silent;
  },
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
};

const buf = (b: Uint8Array) => Buffer.from(b);

Deno.test("Baileys' client handshake completes against our responder, frames flow both ways", async () => {
  const identity = testServer();
  const ephemeral = generateKeyPair(), noiseKey = generateKeyPair();
  const routingInfo = fill(6);
  // Baileys pins WhatsApp's root in a mutable module constant; point it at our test root for this test.
  const savedRoot = WA_CERT_DETAILS.PUBLIC_KEY;
  WA_CERT_DETAILS.PUBLIC_KEY = buf(identity.root.publicKey);
  try {
    const baileys = makeNoiseHandler({
      keyPair: { private: buf(ephemeral.privateKey), public: buf(ephemeral.publicKey) },
      NOISE_HEADER: NOISE_WA_HEADER,
      // A structural stand-in for Baileys' pino-style logger (a third-party boundary).
      logger: silent as unknown as Parameters<typeof makeNoiseHandler>[0]["logger"],
      routingInfo: buf(routingInfo),
    });
    const reader = new FrameReader({ expectIntro: true });
    const server = new ServerHandshake({ staticKey: identity.staticKey });

    // A transport delivers plain Uint8Arrays; Baileys hands out Buffers.
    const wire = (b: Uint8Array) => reader.push(new Uint8Array(b));
    wire(baileys.encodeFrame(HandshakeMessage.encode({ clientHello: { ephemeral: ephemeral.publicKey } })));
    assert.deepEqual(reader.intro, { routingInfo });
    server.readClientHello(await reader.read());

    const serverHello = HandshakeMessage.decode(server.writeServerHello(identity.certChain));
    const noiseKeyBuffers = { private: buf(noiseKey.privateKey), public: buf(noiseKey.publicKey) };
    // Baileys decodes our chain and checks issuer serial 0, then returns its encrypted static key. (Its
    // signature checks do not bite: its Curve.verify ignores libsignal's boolean result, so any well-formed
    // chain passes; our own client's checks are in cert_chain_test.ts.)
    const keyEnc = baileys.processHandshake(
      serverHello as Parameters<typeof baileys.processHandshake>[0],
      noiseKeyBuffers,
    );
    const payload = utf8("ClientPayload from Baileys");
    const finish = HandshakeMessage.encode({
      clientFinish: { static: keyEnc, payload: baileys.encrypt(payload) },
    });
    wire(baileys.encodeFrame(finish));
    const accepted = server.readClientFinish(await reader.read());
    await baileys.finishInit();
    assert.deepEqual(accepted.clientStatic, noiseKey.publicKey);
    assert.deepEqual(accepted.payload, payload);

    const sent: Uint8Array[] = [];
    const socket = new NoiseSocket({ send: (b) => void sent.push(b), close() {} }, accepted.ciphers);
    for (const size of [0, 10, 5000, 70_000]) {
      // Baileys -> us: its encodeFrame encrypts with its transport write key and frames.
      wire(baileys.encodeFrame(fill(size, 1)));
      assert.deepEqual(await socket.receiveFrame(await reader.read()), fill(size, 1), `up ${size}`);
      // Us -> Baileys: strip our 3-byte prefix and let Baileys decrypt with its read key.
      await socket.sendFrame(fill(size, 2));
      const frame = sent.shift()!;
      assert.equal((frame[0] << 16) | (frame[1] << 8) | frame[2], frame.length - 3);
      assert.deepEqual(new Uint8Array(baileys.decrypt(frame.subarray(3))), fill(size, 2), `down ${size}`);
    }
  } finally {
    WA_CERT_DETAILS.PUBLIC_KEY = savedRoot;
  }
});
