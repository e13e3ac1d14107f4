// The Noise layer against the platform primitives it is built on.
// Run: deno bench --allow-read --allow-env --allow-sys bench/noise.bench.ts
//
// - "AES-GCM path <size>": node:crypto sync vs WebCrypto async, encrypt + decrypt, the measurement behind
//   src/noise/socket.ts ASYNC_CRYPTO_THRESHOLD.
// - "frame <size>": one frame through NoiseSocket.sendFrame, the wire, a FrameDecoder and the peer's
//   receiveFrame, against raw AES-256-GCM encrypt + decrypt of the same bytes with whichever of node:crypto
//   and WebCrypto is faster at that size (timed at startup; the faster one is the group's baseline).
// - "handshake": a full in-process XX handshake (both sides, certificate chain verified) against its public
//   key operations alone: 2 ephemeral key generations, 6 X25519 agreements, 2 XEdDSA verifications. The
//   responder signs nothing per handshake (the chain is issued once per static key), so no signing appears.
import { createCipheriv, createDecipheriv } from "node:crypto";
import { generateKeyPair, type KeyPair, x25519, xeddsaVerify } from "../src/crypto/mod.ts";
import { CertChain, CertChainCertificateDetails } from "../src/proto/mod.ts";
import {
  ClientHandshake,
  FrameDecoder,
  issueCertChain,
  NoiseSocket,
  ServerHandshake,
  type TransportCiphers,
} from "../src/noise/mod.ts";

function random(length: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i += 65536) crypto.getRandomValues(out.subarray(i, i + 65536));
  return out;
}

const key = random(32);
const iv = new Uint8Array(12);
const webKey = await crypto.subtle.importKey("raw", key, "AES-GCM", false, ["encrypt", "decrypt"]);

function nodeSeal(pt: Uint8Array): Uint8Array {
  const c = createCipheriv("aes-256-gcm", key, iv);
  const head = c.update(pt);
  c.final();
  const out = new Uint8Array(head.length + 16);
  out.set(head);
  out.set(c.getAuthTag(), head.length);
  return out;
}

function nodeOpen(sealed: Uint8Array): Uint8Array {
  const d = createDecipheriv("aes-256-gcm", key, iv);
  d.setAuthTag(sealed.subarray(sealed.length - 16));
  const head = d.update(sealed.subarray(0, sealed.length - 16));
  d.final();
  return head;
}

async function webRoundTrip(pt: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, webKey, pt);
  return new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv }, webKey, sealed));
}

// --- sync vs async AES-GCM: where ASYNC_CRYPTO_THRESHOLD comes from
for (const size of [1024, 2048, 4096, 8192, 12288, 16384, 65536]) {
  const pt = random(size);
  const group = `AES-GCM path ${size / 1024} KiB`;
  Deno.bench(`node:crypto sync ${size / 1024} KiB`, { group, baseline: true }, () => {
    nodeOpen(nodeSeal(pt));
  });
  Deno.bench(`WebCrypto async ${size / 1024} KiB`, { group }, async () => {
    await webRoundTrip(pt);
  });
}

// --- frames through NoiseSocket vs raw AES-GCM
function connectedCiphers(): { client: TransportCiphers; server: TransportCiphers } {
  const root = generateKeyPair(), staticKey = generateKeyPair();
  const { certChain } = issueCertChain({ root, serverStatic: staticKey.publicKey });
  const c = new ClientHandshake({ noiseKey: generateKeyPair(), trustedRoot: root.publicKey });
  const s = new ServerHandshake({ staticKey });
  s.readClientHello(c.start());
  c.readServerHello(s.writeServerHello(certChain));
  const done = c.finish(new Uint8Array(10));
  return { client: done.ciphers, server: s.readClientFinish(done.message).ciphers };
}

/** Mean time of `n` runs of `fn`, after a warm-up. */
async function timeIt(n: number, fn: () => unknown): Promise<number> {
  for (let i = 0; i < Math.min(n, 20); i++) await fn();
  const start = performance.now();
  for (let i = 0; i < n; i++) await fn();
  return (performance.now() - start) / n;
}

for (const [label, size] of [["200 B", 200], ["16 KiB", 16384], ["1 MiB", 1 << 20]] as const) {
  const pt = random(size);
  const group = `frame ${label}`;
  const runs = size > 100_000 ? 40 : 400;
  const nodeMs = await timeIt(runs, () => nodeOpen(nodeSeal(pt)));
  const webMs = await timeIt(runs, () => webRoundTrip(pt));
  const nodeFaster = nodeMs <= webMs;
  Deno.bench(`raw AES-GCM node:crypto ${label}`, { group, baseline: nodeFaster }, () => {
    nodeOpen(nodeSeal(pt));
  });
  Deno.bench(`raw AES-GCM WebCrypto ${label}`, { group, baseline: !nodeFaster }, async () => {
    await webRoundTrip(pt);
  });

  const { client, server } = connectedCiphers();
  let wire: Uint8Array = new Uint8Array(0);
  const sender = new NoiseSocket({ send: (b) => void (wire = b), close() {} }, client);
  const receiver = new NoiseSocket({ send() {}, close() {} }, server);
  const decoder = new FrameDecoder();
  Deno.bench(`NoiseSocket send + receive ${label}`, { group }, async () => {
    await sender.sendFrame(pt);
    const [frame] = decoder.push(wire);
    await receiver.receiveFrame(frame);
  });
}

// --- the handshake vs its public-key operations
const root = generateKeyPair();
const serverStatic = generateKeyPair();
const noiseKey = generateKeyPair();
const { certChain } = issueCertChain({ root, serverStatic: serverStatic.publicKey });
const chain = CertChain.decode(certChain);
const intermediateKey = chain.intermediate!;
const leafCert = chain.leaf!;
const intermediateKeyBytes = CertChainCertificateDetails.decode(intermediateKey.details!).key!;

Deno.bench(
  "handshake: X25519 x6 + keygen x2 + XEdDSA verify x2",
  { group: "handshake", baseline: true },
  () => {
    // Fresh arrays where the handshake gets fresh arrays (ephemeral keys, keys decoded from messages), so
    // per-key caches help both sides equally.
    const copy = (b: Uint8Array) => new Uint8Array(b);
    const ce: KeyPair = generateKeyPair();
    const se: KeyPair = generateKeyPair();
    x25519(ce.privateKey, copy(se.publicKey));
    x25519(ce.privateKey, copy(serverStatic.publicKey));
    x25519(noiseKey.privateKey, copy(se.publicKey));
    x25519(se.privateKey, copy(ce.publicKey));
    x25519(serverStatic.privateKey, copy(ce.publicKey));
    x25519(se.privateKey, copy(noiseKey.publicKey));
    xeddsaVerify(root.publicKey, intermediateKey.details!, intermediateKey.signature!);
    xeddsaVerify(copy(intermediateKeyBytes), leafCert.details!, leafCert.signature!);
  },
);

const clientPayload = random(200);
Deno.bench("handshake: ClientHandshake + ServerHandshake", { group: "handshake" }, () => {
  const c = new ClientHandshake({ noiseKey, trustedRoot: root.publicKey });
  const s = new ServerHandshake({ staticKey: serverStatic });
  s.readClientHello(c.start());
  c.readServerHello(s.writeServerHello(certChain));
  s.readClientFinish(c.finish(clientPayload).message);
});
