// The XX handshake state machines and drivers: a complete handshake, and every kind of bad input rejected
// with the code of the check that failed.
import assert from "node:assert/strict";
import { concatBytes, generateKeyPair, utf8 } from "../../src/crypto/mod.ts";
import { HandshakeMessage } from "../../src/proto/mod.ts";
import {
  ClientHandshake,
  FrameReader,
  issueCertChain,
  runClientHandshake,
  runServerHandshake,
  ServerHandshake,
} from "../../src/noise/mod.ts";
import { assertNoiseError, assertNoiseRejects, fill, memoryLink, testServer } from "./helpers.ts";

const server = testServer();

function client(extra: { now?: () => number } = {}) {
  return new ClientHandshake({ noiseKey: generateKeyPair(), trustedRoot: server.root.publicKey, ...extra });
}

/** A client that has sent its hello, the server's reply to it, and the server. */
function toServerHello(certChain = server.certChain) {
  const c = client();
  const s = new ServerHandshake({ staticKey: server.staticKey });
  s.readClientHello(c.start());
  return { c, s, serverHello: s.writeServerHello(certChain) };
}

function flip(bytes: Uint8Array, index: number): Uint8Array {
  const copy = bytes.slice();
  copy[index] ^= 0x01;
  return copy;
}

Deno.test("initiator and responder agree on keys, peers and payload", () => {
  const noiseKey = generateKeyPair();
  const c = new ClientHandshake({ noiseKey, trustedRoot: server.root.publicKey });
  const s = new ServerHandshake({ staticKey: server.staticKey });
  const hello = c.start();
  const { clientEphemeral } = s.readClientHello(hello);
  assert.deepEqual(HandshakeMessage.decode(hello).clientHello?.ephemeral, clientEphemeral);
  const { serverStatic, certChain } = c.readServerHello(s.writeServerHello(server.certChain));
  assert.deepEqual(serverStatic, server.staticKey.publicKey);
  assert.deepEqual(certChain.leaf.key, server.staticKey.publicKey);
  const payload = utf8("ClientPayload bytes");
  const done = c.finish(payload);
  const accepted = s.readClientFinish(done.message);
  assert.deepEqual(accepted.clientStatic, noiseKey.publicKey);
  assert.deepEqual(accepted.payload, payload);
  assert.deepEqual(accepted.handshakeHash, done.handshakeHash);
  // Client writes with the first split key, the server reads with it; and the reverse.
  assert.deepEqual(accepted.ciphers.read.decrypt(done.ciphers.write.encrypt(utf8("up"))), utf8("up"));
  assert.deepEqual(done.ciphers.read.decrypt(accepted.ciphers.write.encrypt(utf8("down"))), utf8("down"));
});

Deno.test("a tampered ServerHello static or payload fails decrypt_failed", () => {
  const { serverHello } = toServerHello();
  const decoded = HandshakeMessage.decode(serverHello).serverHello!;
  for (const field of ["static", "payload"] as const) {
    for (const index of [0, decoded[field]!.length - 1]) {
      const { c, serverHello: fresh } = toServerHello();
      const hello = HandshakeMessage.decode(fresh).serverHello!;
      const tampered = HandshakeMessage.encode({
        serverHello: { ...hello, [field]: flip(hello[field]!, index) },
      });
      const e = assertNoiseError(() => c.readServerHello(tampered), "decrypt_failed", `${field}[${index}]`);
      assert.match(e.message, field === "static" ? /server static key/ : /certificate chain/);
    }
  }
  // A changed ephemeral key changes every derived key.
  const { c, serverHello: fresh } = toServerHello();
  const hello = HandshakeMessage.decode(fresh).serverHello!;
  const swapped = HandshakeMessage.encode({
    serverHello: { ...hello, ephemeral: generateKeyPair().publicKey },
  });
  assertNoiseError(() => c.readServerHello(swapped), "decrypt_failed", "ephemeral");
});

Deno.test("a truncated ServerHello fails with a NoiseError at every cut", () => {
  const { serverHello } = toServerHello();
  for (let cutAt = 0; cutAt < serverHello.length; cutAt += 7) {
    const { c } = toServerHello();
    let caught: unknown;
    try {
      c.readServerHello(serverHello.subarray(0, cutAt));
    } catch (e) {
      caught = e;
    }
    assert.ok(caught !== undefined, `cut at ${cutAt} was accepted`);
    assert.equal((caught as Error).name, "NoiseError", `cut at ${cutAt}: ${caught}`);
  }
});

Deno.test("ServerHello with missing or malformed fields fails missing_server_hello_field", () => {
  const { serverHello } = toServerHello();
  const hello = HandshakeMessage.decode(serverHello).serverHello!;
  const cases = {
    "no ephemeral": { ...hello, ephemeral: undefined },
    "short ephemeral": { ...hello, ephemeral: hello.ephemeral!.subarray(0, 31) },
    "no static": { ...hello, static: undefined },
    "no payload": { ...hello, payload: undefined },
  };
  for (const [name, value] of Object.entries(cases)) {
    const { c } = toServerHello();
    assertNoiseError(
      () => c.readServerHello(HandshakeMessage.encode({ serverHello: value })),
      "missing_server_hello_field",
      name,
    );
  }
});

Deno.test("a message of the wrong step or not a protobuf fails bad_handshake_message", () => {
  const { c } = toServerHello();
  const e = assertNoiseError(
    () => c.readServerHello(HandshakeMessage.encode({ clientHello: { ephemeral: fill(32) } })),
    "bad_handshake_message",
  );
  assert.match(e.message, /expected a HandshakeMessage with serverHello, got one with clientHello/);
  assertNoiseError(
    () => toServerHello().c.readServerHello(Uint8Array.of(0x1a, 0x05, 1)),
    "bad_handshake_message",
  );
  assertNoiseError(
    () => new ServerHandshake({ staticKey: server.staticKey }).readClientHello(new Uint8Array(0)),
    "bad_handshake_message",
  );
});

Deno.test("a low-order ephemeral key fails low_order_key", () => {
  const { c, serverHello } = toServerHello();
  const hello = HandshakeMessage.decode(serverHello).serverHello!;
  const zero = new Uint8Array(32); // u = 0, a low-order point (RFC 7748 §6.1)
  assertNoiseError(
    () => c.readServerHello(HandshakeMessage.encode({ serverHello: { ...hello, ephemeral: zero } })),
    "low_order_key",
  );
  const s = new ServerHandshake({ staticKey: server.staticKey });
  s.readClientHello(HandshakeMessage.encode({ clientHello: { ephemeral: zero } }));
  assertNoiseError(() => s.writeServerHello(server.certChain), "low_order_key");
});

Deno.test("certificate failures inside the handshake carry their cert_* code", () => {
  const otherRoot = generateKeyPair();
  const wrongRoot = issueCertChain({ root: otherRoot, serverStatic: server.staticKey.publicKey }).certChain;
  assertNoiseError(() => {
    const { c, serverHello } = toServerHello(wrongRoot);
    c.readServerHello(serverHello);
  }, "cert_intermediate_signature");

  // A chain for another key: the server presents a valid chain that does not bind its static key.
  const forOtherKey =
    issueCertChain({ root: server.root, serverStatic: generateKeyPair().publicKey }).certChain;
  assertNoiseError(() => {
    const { c, serverHello } = toServerHello(forOtherKey);
    c.readServerHello(serverHello);
  }, "cert_key_mismatch");

  const expired = issueCertChain({
    root: server.root,
    serverStatic: server.staticKey.publicKey,
    notBefore: new Date(Date.now() - 2 * 86400_000),
    notAfter: new Date(Date.now() - 86400_000),
  }).certChain;
  assertNoiseError(() => {
    const { c, serverHello } = toServerHello(expired);
    c.readServerHello(serverHello);
  }, "cert_expired");

  // The injected clock decides validity.
  const c = client({ now: () => Date.now() + 2 * 365 * 86400_000 });
  const s = new ServerHandshake({ staticKey: server.staticKey });
  s.readClientHello(c.start());
  assertNoiseError(() => c.readServerHello(s.writeServerHello(server.certChain)), "cert_expired");

  const garbage = toServerHello(utf8("not a cert chain"));
  assertNoiseError(() => garbage.c.readServerHello(garbage.serverHello), "cert_chain_parse");
});

Deno.test("a tampered or incomplete ClientFinish fails on the responder", () => {
  const run = () => {
    const { c, s, serverHello } = toServerHello();
    c.readServerHello(serverHello);
    return { s, finish: HandshakeMessage.decode(c.finish(fill(100)).message).clientFinish! };
  };
  for (const field of ["static", "payload"] as const) {
    const { s, finish } = run();
    const tampered = HandshakeMessage.encode({
      clientFinish: { ...finish, [field]: flip(finish[field]!, 3) },
    });
    assertNoiseError(() => s.readClientFinish(tampered), "decrypt_failed", field);
    const missing = run();
    assertNoiseError(
      () =>
        missing.s.readClientFinish(
          HandshakeMessage.encode({ clientFinish: { ...missing.finish, [field]: undefined } }),
        ),
      "missing_client_finish_field",
      field,
    );
  }
  const { s } = run();
  assertNoiseError(
    () => s.readClientHello(HandshakeMessage.encode({ clientHello: {} })),
    "handshake_state",
    "a step out of order",
  );
  const fresh = new ServerHandshake({ staticKey: server.staticKey });
  assertNoiseError(
    () => fresh.readClientHello(HandshakeMessage.encode({ clientHello: {} })),
    "missing_client_hello_field",
  );
});

Deno.test("handshake steps out of order, or after a failure, fail handshake_state", () => {
  const c = client();
  assertNoiseError(() => c.finish(fill(1)), "handshake_state");
  assertNoiseError(() => c.readServerHello(fill(10)), "handshake_state");
  c.start();
  assertNoiseError(() => c.start(), "handshake_state");
  assertNoiseError(() => c.readServerHello(fill(10)), "bad_handshake_message");
  const e = assertNoiseError(() => c.finish(fill(1)), "handshake_state");
  assert.match(e.message, /after a failed step/);
});

Deno.test("drivers run a handshake over a transport; ClientFinish and the first frame may share a chunk", async () => {
  // Client -> server bytes are held back and delivered by hand, so ClientFinish and the first transport
  // frame arrive in one chunk; server -> client bytes go straight to the client's reader.
  const clientReader = new FrameReader();
  const serverReader = new FrameReader({ expectIntro: true });
  const held: Uint8Array[] = [];
  const deliver = () => serverReader.push(concatBytes(...held.splice(0)));
  const clientTransport = { send: (b: Uint8Array) => void held.push(b.slice()), close() {} };
  const serverTransport = { send: (b: Uint8Array) => clientReader.push(b.slice()), close() {} };
  const noiseKey = generateKeyPair();
  const signal = AbortSignal.timeout(10_000);
  const serverSide = runServerHandshake({
    transport: serverTransport,
    frames: serverReader,
    staticKey: server.staticKey,
    certChain: server.certChain,
    signal,
  });
  const clientSide = runClientHandshake({
    transport: clientTransport,
    frames: clientReader,
    noiseKey,
    payload: utf8("login payload"),
    trustedRoot: server.root.publicKey,
    routingInfo: fill(12),
    signal,
  });
  assert.equal(held.length, 1, "intro and ClientHello go out in one send");
  deliver();
  const established = await clientSide;
  await established.socket.sendFrame(utf8("first node"));
  assert.equal(held.length, 2, "ClientFinish, then the first frame");
  deliver();
  const accepted = await serverSide;
  assert.deepEqual(accepted.clientStatic, noiseKey.publicKey);
  assert.deepEqual(accepted.payload, utf8("login payload"));
  assert.deepEqual(accepted.handshakeHash, established.handshakeHash);
  assert.deepEqual(serverReader.intro, { routingInfo: fill(12) });
  // The frame that came in the same chunk as ClientFinish is waiting in the reader.
  assert.deepEqual(await accepted.socket.receiveFrame(await serverReader.read(signal)), utf8("first node"));
  await accepted.socket.sendFrame(utf8("reply"));
  assert.deepEqual(await established.socket.receiveFrame(await clientReader.read(signal)), utf8("reply"));
  established.socket.close();
  accepted.socket.close();
});

Deno.test("the client driver fails handshake_aborted when its signal fires while waiting", async () => {
  const link = memoryLink();
  const controller = new AbortController();
  const pending = runClientHandshake({
    transport: link.client,
    frames: link.clientReader,
    noiseKey: generateKeyPair(),
    payload: fill(10),
    signal: controller.signal,
  });
  // Wait for the ClientHello to reach the server, then give up before any reply.
  await link.serverReader.read(AbortSignal.timeout(5_000));
  const reason = new DOMException("handshake response timed out", "TimeoutError");
  controller.abort(reason);
  const e = await assertNoiseRejects(pending, "handshake_aborted");
  assert.equal(e.cause, reason);
  assert.match(e.message, /ServerHello/);

  await assertNoiseRejects(
    runClientHandshake({
      transport: link.client,
      frames: link.clientReader,
      noiseKey: generateKeyPair(),
      payload: fill(10),
      signal: AbortSignal.abort(),
    }),
    "handshake_aborted",
  );
});

Deno.test("the drivers fail closed when the connection ends mid-handshake", async () => {
  const link = memoryLink();
  const pending = runServerHandshake({
    transport: link.server,
    frames: link.serverReader,
    staticKey: server.staticKey,
    certChain: server.certChain,
  });
  link.client.close();
  const e = await assertNoiseRejects(pending, "closed");
  assert.match(e.message, /ClientHello/);

  const refused = runClientHandshake({
    transport: {
      send: () => {
        throw new Error("not connected");
      },
      close() {},
    },
    frames: new FrameReader(),
    noiseKey: generateKeyPair(),
    payload: fill(1),
  });
  await assertNoiseRejects(refused, "closed");
});

Deno.test("a client sending a bad intro is rejected by the responder's reader with bad_intro", async () => {
  const link = memoryLink();
  const pending = runServerHandshake({
    transport: link.server,
    frames: link.serverReader,
    staticKey: server.staticKey,
    certChain: server.certChain,
  });
  link.client.send(Uint8Array.of(0x57, 0x41, 5, 2, 0, 0, 0));
  await assertNoiseRejects(pending, "bad_intro");
});
