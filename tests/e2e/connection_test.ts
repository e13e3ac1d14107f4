import { assert, assertEquals, assertInstanceOf, assertRejects } from "../_assert.ts";
import { ConnectionError } from "../../src/features/errors.ts";
import { generateKeyPair } from "../../src/crypto/mod.ts";
import { NoiseError } from "../../src/noise/mod.ts";
import { SqliteStore } from "../../src/store/mod.ts";
import { deadline, newClient, pairByQr, startServer } from "./helpers.ts";

Deno.test("restart with the same SQLite file logs in without pairing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using wa = await startServer();
    const phone = wa.phone("15557654321");
    const path = `${dir}/bot.db`;
    {
      const store = await SqliteStore.open(path);
      const client = await newClient(wa, { store });
      await pairByQr(client, phone);
      await client.disconnect();
      await store.close();
    }
    const store = await SqliteStore.open(path);
    try {
      await using client = await newClient(wa, { store });
      assert(client.isPaired, "the reopened store holds the paired device");
      let qrShown = false;
      client.on("pairingQrCode", () => void (qrShown = true));
      await client.connect({ signal: deadline() });
      assert(client.isLoggedIn);
      assertEquals(qrShown, false);
      assertEquals(client.jid?.toString(), "15557654321:1@s.whatsapp.net");
      assertEquals(phone.linkedDevices().length, 1);
      // The second login found 812 prekeys on the server and uploaded none.
      assertEquals(phone.linkedDevices()[0].preKeys.size, 812);
      await client.disconnect();
    } finally {
      await store.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a wrong trusted root fails the connection with a certificate error and no retry", async () => {
  await using wa = await startServer();
  await using client = await newClient(wa, { trustedRoot: generateKeyPair().publicKey });
  const disconnected = client.waitFor("disconnected", { signal: deadline() });
  const err = await assertRejects(() => client.connect({ signal: deadline() }), ConnectionError);
  assertEquals(err.code, "certificate");
  assertInstanceOf(err.cause, NoiseError);
  assertEquals(err.cause.code, "cert_intermediate_signature");
  assertEquals((await disconnected).willReconnect, false);
  assertEquals(wa.pairing !== undefined, true);
});

Deno.test("401 stream error -> loggedOut, no reconnect, the device must pair again", async () => {
  await using wa = await startServer();
  const phone = wa.phone("15550000401");
  await using client = await newClient(wa);
  await pairByQr(client, phone);
  const loggedOut = client.waitFor("loggedOut", { signal: deadline() });
  const disconnected = client.waitFor("disconnected", { signal: deadline() });
  await phone.unlink(client.jid!.device);
  assertEquals(await loggedOut, { onConnect: false, reason: 401 });
  assertEquals((await disconnected).willReconnect, false);
  assert(!client.isConnected);
  // The device was reset: connecting again starts a new pairing with new keys.
  assert(!client.isPaired);
  const qr = client.waitFor("pairingQrCode", { signal: deadline() });
  const reconnecting = client.connect({ signal: deadline() });
  await phone.scanQr((await qr).code);
  await reconnecting;
  assertEquals(client.jid?.device, 2, "a new companion id");
  assertEquals(phone.linkedDevices().map((d) => d.id), [2]);
});

Deno.test("login with an unknown device -> connect failure 401 -> loggedOut on connect, store reset for a new pairing", async () => {
  await using wa = await startServer();
  const phone = wa.phone("15550000402");
  await using client = await newClient(wa);
  await pairByQr(client, phone);
  await client.disconnect();
  phone.account.devices.clear();
  const oldIdentity = client.device.identityKey.publicKey;
  const loggedOut = client.waitFor("loggedOut", { signal: deadline() });
  await assertRejects(() => client.connect({ signal: deadline() }), ConnectionError, "logged out");
  assertEquals(await loggedOut, { onConnect: true, reason: 401 });
  assert(!client.isPaired);
  assert(client.device.identityKey.publicKey.some((b, i) => b !== oldIdentity[i]), "fresh identity key");
  assertEquals(
    await client.store.loadIdentity(phone.jid.toSignalAddress()),
    undefined,
    "old sessions/identities are gone",
  );
});

Deno.test("409 / conflict replaced -> streamReplaced and no reconnect", async () => {
  await using wa = await startServer();
  const phone = wa.phone("15550000409");
  await using client = await newClient(wa);
  await pairByQr(client, phone);
  const replaced = client.waitFor("streamReplaced", { signal: deadline() });
  const disconnected = client.waitFor("disconnected", { signal: deadline() });
  await wa.sendStreamError(client.jid!, "409");
  await replaced;
  assertEquals((await disconnected).willReconnect, false);
  assert(!client.isConnected);
});

Deno.test("a second login with the same device replaces the first (conflict type=replaced)", async () => {
  await using wa = await startServer();
  const phone = wa.phone("15550000410");
  await using first = await newClient(wa);
  await pairByQr(first, phone);
  const replaced = first.waitFor("streamReplaced", { signal: deadline() });
  // A second client with the same credentials: same store contents.
  const { MemoryStore } = await import("../../src/store/mod.ts");
  const store = new MemoryStore();
  await store.saveDevice(first.device as never);
  await using second = await newClient(wa, { store });
  await second.connect({ signal: deadline() });
  await replaced;
  assert(second.isLoggedIn);
  assert(!first.isConnected);
});

Deno.test("515 -> immediate reconnect without backoff", async () => {
  await using wa = await startServer();
  const phone = wa.phone("15550000515");
  await using client = await newClient(wa, { timings: { backoffMs: () => 60_000 } });
  await pairByQr(client, phone);
  const disconnected = client.waitFor("disconnected", { signal: deadline() });
  const reconnected = client.waitFor("connected", { signal: deadline() });
  await wa.sendStreamError(client.jid!, "515");
  assertEquals(await disconnected, { reason: "stream error 515", willReconnect: true, reconnectInMs: 0 });
  await reconnected;
  assert(client.isLoggedIn);
});

Deno.test("a dropped socket -> reconnect with backoff; refused connections back off further", async () => {
  await using wa = await startServer();
  const phone = wa.phone("15550000777");
  const delays: number[] = [];
  await using client = await newClient(wa, {
    timings: { backoffMs: (attempt) => (delays.push(attempt), 20 * attempt) },
  });
  await pairByQr(client, phone);
  wa.faults.refuseConnections = true;
  const attempts: number[] = [];
  client.on("disconnected", (e) => {
    if (e.reconnectInMs) attempts.push(e.reconnectInMs);
    if (attempts.length === 3) wa.faults.refuseConnections = false;
  });
  const reconnected = client.waitFor("connected", { signal: deadline() });
  assertEquals(wa.dropConnections(), 1);
  await reconnected;
  // Each failure increases the backoff step; success resets it.
  assertEquals(attempts.slice(0, 3), [20, 40, 60]);
  assertEquals(delays.slice(0, 3), [1, 2, 3]);
  const again = client.waitFor("disconnected", { signal: deadline() });
  wa.dropConnections();
  assertEquals((await again).reconnectInMs, 20, "the counter restarts after a successful login");
});

Deno.test("an unanswered ping -> keepalive timeout, dead socket detected, reconnect", async () => {
  await using wa = await startServer();
  const phone = wa.phone("15550000888");
  await using client = await newClient(wa, {
    timings: { keepAliveMinMs: 30, keepAliveMaxMs: 40, keepAliveResponseMs: 60, deadSocketMs: 100 },
  });
  await pairByQr(client, phone);
  wa.faults.ignorePings = true;
  const timeout = client.waitFor("keepAliveTimeout", { signal: deadline() });
  const disconnected = client.waitFor("disconnected", { signal: deadline() });
  assertEquals((await timeout).errorCount >= 1, true);
  const d = await disconnected;
  assertEquals([d.reason, d.willReconnect], ["dead socket (keepalive timeout)", true]);
  wa.faults.ignorePings = false;
  await client.waitFor("connected", { signal: deadline() });
  assert(client.isLoggedIn);
});

Deno.test("disconnect() during pairing rejects connect() and leaves nothing running", async () => {
  await using wa = await startServer();
  await using client = await newClient(wa);
  const connecting = client.connect({ signal: deadline() });
  await client.waitFor("pairingQrCode", { signal: deadline() });
  await client.disconnect();
  assertInstanceOf(await connecting.catch((e) => e), ConnectionError);
  assertEquals(client.isConnected, false);
});

Deno.test("logout() unlinks the device on the server, emits loggedOut, and the next connect pairs anew", async () => {
  await using wa = await startServer();
  const phone = wa.phone("15550000601");
  await using client = await newClient(wa);
  await pairByQr(client, phone);
  const events: string[] = [];
  client.on("loggedOut", (e) => void events.push(`loggedOut:${e.reason}`));
  client.on("disconnected", (e) => void events.push(`disconnected:${e.willReconnect}`));
  await client.logout();
  assertEquals(events, ["loggedOut:401", "disconnected:false"], "no reconnect attempt in between");
  assertEquals(phone.linkedDevices().length, 0);
  assert(!client.isPaired);
  const qr = client.waitFor("pairingQrCode", { signal: deadline() });
  const again = client.connect({ signal: deadline() });
  await phone.scanQr((await qr).code);
  await again;
  assert(client.isLoggedIn);
});

Deno.test("unscanned QR codes rotate then expire: pairingQrExpired, connect() rejects, no reconnect", async () => {
  await using wa = await startServer();
  await using client = await newClient(wa, { timings: { qrFirstMs: 30, qrNextMs: 10 } });
  const codes: string[] = [];
  client.on("pairingQrCode", ({ code, timeoutMs }) => void codes.push(`${timeoutMs}:${code.split(",")[0]}`));
  const expired = client.waitFor("pairingQrExpired", { signal: deadline() });
  const err = await assertRejects(() => client.connect({ signal: deadline() }), ConnectionError);
  await expired;
  assertEquals(err.code, "qr_expired");
  assertEquals(codes.length, 6, "one code per server ref");
  assertEquals(codes.map((c) => c.split(":")[0]), ["30", "10", "10", "10", "10", "10"]);
  assertEquals(new Set(codes).size, 6, "every ref is different");
});

Deno.test("pairWithCode called before the connection is up waits for the server, even across a refused first attempt", async () => {
  await using wa = await startServer();
  const phone = wa.phone("15550000602");
  wa.faults.refuseConnections = true;
  await using client = await newClient(wa);
  client.once("disconnected", () => void (wa.faults.refuseConnections = false));
  const connected = client.connect({ signal: deadline() });
  const code = await client.pairWithCode({ phoneNumber: "15550000602", signal: deadline() });
  await phone.enterPairCode(code);
  await connected;
  assert(client.isLoggedIn);
});

// Codes from the seed's ConnectFailureReason list (reference/seed-inventory-features.md section 19) and
// the stream-error table (reference/seed/09_api_client.md).
Deno.test("login failures: 402 -> temporaryBan, 405 -> clientOutdated, both stop; 500 -> connectFailure then reconnect", async () => {
  await using wa = await startServer();
  const phone = wa.phone("15550000701");
  await using client = await newClient(wa);
  await pairByQr(client, phone);
  await client.disconnect();

  wa.faults.loginFailure = { attrs: { reason: "402", code: "101", expire: "3600" } };
  const ban = client.waitFor("temporaryBan", { signal: deadline() });
  const e1 = await assertRejects(() => client.connect({ signal: deadline() }), ConnectionError);
  assertEquals([e1.code, await ban], ["temporary_ban", { code: 101, expireSeconds: 3600 }]);

  wa.faults.loginFailure = { attrs: { reason: "405" } };
  const outdated = client.waitFor("clientOutdated", { signal: deadline() });
  assertEquals(
    (await assertRejects(() => client.connect({ signal: deadline() }), ConnectionError)).code,
    "client_outdated",
  );
  await outdated;
  assert(client.isPaired, "neither failure unpairs the device");

  wa.faults.loginFailure = { attrs: { reason: "500", message: "try later" }, count: 1 };
  const failure = client.waitFor("connectFailure", { signal: deadline() });
  await client.connect({ signal: deadline() });
  assertEquals(await failure.then((f) => [f.reason, f.message, f.willReconnect]), [500, "try later", true]);
  assert(client.isLoggedIn);
});

Deno.test("stream errors 503, 429 and unknown codes reconnect with backoff (429 five steps further); unknown ones emit streamError", async () => {
  await using wa = await startServer();
  const phone = wa.phone("15550000702");
  const attempts: number[] = [];
  await using client = await newClient(wa, { timings: { backoffMs: (n) => (attempts.push(n), 5) } });
  await pairByQr(client, phone);
  let reconnected = client.waitFor("connected", { signal: deadline() });
  await wa.sendStreamError(client.jid!, "503");
  await reconnected;
  reconnected = client.waitFor("connected", { signal: deadline() });
  await wa.sendStreamError(client.jid!, "429");
  await reconnected;
  assertEquals(
    attempts,
    [1, 6],
    "503: first backoff step; 429: counter reset by the login, then 1 + 5 extra",
  );
  const streamError = client.waitFor("streamError", { signal: deadline() });
  const dropped = client.waitFor("disconnected", { signal: deadline() });
  reconnected = client.waitFor("connected", { signal: deadline() });
  await wa.sendStreamError(client.jid!, "999");
  assertEquals((await streamError).code, "999");
  assertEquals((await dropped).willReconnect, true, "an unknown stream error is transient");
  await reconnected;
  assertEquals(attempts, [1, 6, 1], "back to the first backoff step after the 429 login reset it");
});
