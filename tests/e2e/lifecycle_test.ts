// Lifecycle as a user meets it: Ctrl+C while the example bot waits to be linked ends the process cleanly
// (exit code 0, nothing on stderr), and an aborted Bot.run or connect() leaves nothing running.
import { assert, assertEquals } from "../_assert.ts";
import { Bot } from "../../src/client/bot.ts";
import { memoryTransportPair } from "../../src/client/transport.ts";
import { encodeFrame } from "../../src/noise/mod.ts";
import { MemoryStore } from "../../src/store/mod.ts";
import { deadline, pairByQr, startServer, testLogger } from "./helpers.ts";

const pingBot = new URL("../../examples/ping_bot.ts", import.meta.url).pathname;

Deno.test("Ctrl+C while the ping bot waits for its QR code to be scanned: exit code 0, no stack", async () => {
  await using wa = await startServer();
  const dir = await Deno.makeTempDir({ prefix: "wadeno-ping-" });
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        "--allow-net=127.0.0.1",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "--allow-sys",
        pingBot,
      ],
      env: { PING_BOT_DB: `${dir}/ping.db`, PING_BOT_URL: wa.url, PING_BOT_ROOT: wa.rootPublicKey.toHex() },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stderr = new Response(child.stderr).text();
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let out = "";
    const signal = deadline(30_000);
    while (!out.includes("Scan with WhatsApp")) {
      signal.throwIfAborted();
      const next = await reader.read();
      if (next.done) throw new Error(`the bot exited early: ${out} ${await stderr}`);
      out += next.value;
    }
    child.kill("SIGINT");
    const drain = (async () => {
      for (;;) if ((await reader.read()).done) return;
    })();
    const exitBy = deadline(15_000);
    const timedOut = Promise.withResolvers<never>();
    const onTimeout = () => {
      child.kill("SIGKILL");
      timedOut.reject(new Error("the bot did not exit after Ctrl+C"));
    };
    exitBy.addEventListener("abort", onTimeout, { once: true });
    const status = await Promise.race([child.status, timedOut.promise]).finally(() =>
      exitBy.removeEventListener("abort", onTimeout)
    );
    await drain;
    assertEquals(status.code, 0, await stderr);
    assertEquals((await stderr).trim(), "");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Bot.run({ signal }) aborted after login resolves, disconnects, and does not reconnect", async () => {
  await using wa = await startServer();
  const phone = wa.phone("15554000099");
  const bot = await Bot.builder()
    .withStore(new MemoryStore())
    .withUrl(wa.url)
    .withTrustedRoot(wa.rootPublicKey)
    .withLogger(testLogger())
    .on("pairingQrCode", ({ code }) => void phone.scanQr(code))
    .build();
  const stop = new AbortController();
  const connected = bot.client.waitFor("connected", { signal: deadline() });
  const running = bot.run({ signal: stop.signal });
  await connected;
  let reconnects = 0;
  bot.client.on("disconnected", (e) => void (e.willReconnect && reconnects++));
  stop.abort();
  await running;
  assert(!bot.client.isConnected);
  await wa.waitForOffline(bot.client.jid!, { signal: deadline() });
  assertEquals(reconnects, 0);
  assertEquals(wa.connectionCount, 0, "nothing is left connected");
});

Deno.test("aborting connect() while pairing stops the background loop", async () => {
  await using wa = await startServer();
  const bot = await Bot.builder().withStore(new MemoryStore()).withUrl(wa.url).withTrustedRoot(
    wa.rootPublicKey,
  )
    .withLogger(testLogger()).build();
  const abort = new AbortController();
  const qr = bot.client.waitFor("pairingQrCode", { signal: deadline() });
  const connecting = bot.client.connect({ signal: abort.signal }).catch((e) => e);
  await qr;
  abort.abort(new Error("user gave up"));
  assertEquals((await connecting).message, "user gave up");
  await bot.client.waitFor("disconnected", { signal: deadline(), filter: (e) => !e.willReconnect });
  assert(!bot.client.isConnected);
  assertEquals(wa.connectionCount, 0);
});

Deno.test("a paired bot keeps working after pairing by QR through pairByQr (sanity for the helpers)", async () => {
  await using wa = await startServer();
  const bot = await Bot.builder().withStore(new MemoryStore()).withUrl(wa.url).withTrustedRoot(
    wa.rootPublicKey,
  )
    .withLogger(testLogger()).build();
  await pairByQr(bot.client, wa.phone("15554000199"));
  assert(bot.client.isLoggedIn);
  await bot.stop();
});

Deno.test("a missing Deno permission stops connect() at once, naming the flag", async () => {
  // The test process may reach only its own hosts: a URL elsewhere is refused by Deno before any lookup.
  const bot = await Bot.builder().withStore(new MemoryStore()).withUrl("ws://not-granted.invalid:9/ws/chat")
    .withLogger(testLogger()).build();
  let attempts = 0;
  bot.client.on("disconnected", (e) => void (e.willReconnect && attempts++));
  const error = await bot.client.connect({ signal: deadline() }).catch((e) => e);
  assertEquals(error.code, "permission_denied", String(error));
  assert(error.message.includes("--allow-net"), error.message);
  assertEquals(attempts, 0, "not retried");
});

Deno.test("a server whose handshake keeps failing (not the network) stops the client with handshake_failed", async () => {
  const pair = memoryTransportPair();
  let accepted = 0;
  // A "server" that answers every client hello with a frame that is not a ServerHello.
  (async () => {
    for (;;) {
      const { transport, setHandlers } = await pair.accept();
      accepted++;
      setHandlers({
        onData: () => transport.send(encodeFrame(new Uint8Array(64).fill(7))),
        onClose: () => {},
      });
    }
  })();
  const bot = await Bot.builder().withStore(new MemoryStore()).withTransport(pair.factory)
    .withTimings({ backoffMs: () => 1, maxHandshakeFailures: 3 }).withLogger(testLogger()).build();
  const error = await bot.client.connect({ signal: deadline() }).catch((e) => e);
  assertEquals(error.code, "handshake_failed", String(error));
  assertEquals(accepted, 3, "three attempts, then it gives up");
});
