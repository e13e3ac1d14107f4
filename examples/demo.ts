/**
 * The offline demo behind `deno task demo`: starts FakeWhatsApp (a local WhatsApp-compatible server)
 * and a virtual phone, runs a bot on a SQLite file in a temporary directory, shows the pairing QR code
 * in the terminal, lets the phone scan it, and prints what happens: pairing, the 515 restart, login.
 *
 * Run: deno task demo
 */

import { Bot, createLogger, renderQr, SqliteStore } from "../mod.ts";
import { FakeWhatsApp } from "../src/testing/mod.ts";

const started = performance.now();
const say = (what: string) => console.log(`[${((performance.now() - started) / 1000).toFixed(3)}s] ${what}`);

const dir = await Deno.makeTempDir({ prefix: "wadeno-demo-" });
const wa = await FakeWhatsApp.start();
say(`FakeWhatsApp listening on ${wa.url}`);
const phone = wa.phone("15551234567");
say(`virtual phone ready: ${phone.jid}`);

const store = await SqliteStore.open(`${dir}/bot.db`);
const bot = await Bot.builder()
  .withStore(store)
  .withUrl(wa.url)
  .withTrustedRoot(wa.rootPublicKey)
  .withPushName("wadeno demo bot")
  .withLogger(createLogger({ filter: Deno.env.get("WADENO_LOG") ?? "off" }))
  .on("pairingQrCode", async ({ code, timeoutMs }) => {
    say(`pairingQrCode (valid ${timeoutMs / 1000} s): scan this with WhatsApp > Linked devices`);
    console.log(renderQr(code));
    say("the virtual phone scans the QR code");
    const paired = await phone.scanQr(code);
    say(`phone: linked ${paired.jid}`);
  })
  .on(
    "pairSuccess",
    ({ id, lid, platform }) => say(`pairSuccess: ${id} (lid ${lid}, phone platform ${platform})`),
  )
  .on(
    "disconnected",
    ({ reason, willReconnect }) => say(`disconnected: ${reason}${willReconnect ? " (reconnecting)" : ""}`),
  )
  .on("connected", ({ jid, lid }) => say(`connected: logged in as ${jid} / ${lid}`))
  .build();

let exitCode = 0;
try {
  await bot.client.connect({ signal: AbortSignal.timeout(30_000) });
  const device = phone.linkedDevices()[0];
  say(`server holds ${device.preKeys.size} prekeys for the bot; session saved in ${dir}/bot.db`);
} catch (e) {
  console.error("demo failed:", e);
  exitCode = 1;
} finally {
  await bot.stop();
  await store.close();
  await wa.stop();
  await Deno.remove(dir, { recursive: true });
}
say(exitCode === 0 ? "done" : "failed");
Deno.exit(exitCode);
