/**
 * The offline demo behind `deno task demo`: starts FakeWhatsApp (a local WhatsApp-compatible server)
 * and a virtual phone, runs a bot on a SQLite file in a temporary directory, shows the pairing QR code
 * in the terminal, lets the phone scan it, and prints what happens: pairing, the 515 restart, login.
 * Then a friend's phone sends the bot "ping" and the bot answers "pong", first in a 1:1 chat, then in a
 * group; the friend's phone prints the decrypted replies. Every message is end-to-end encrypted with the
 * Signal protocol, on every side.
 *
 * Run: deno task demo
 */

import { Bot, createLogger, messageText, renderQr, SqliteStore } from "../mod.ts";
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
  // The bot itself: answer "ping" with "pong" wherever it came from.
  .on("message", async ({ message, info }, client) => {
    const text = messageText(message);
    say(`bot got "${text}" from ${info.source.sender} in ${info.source.chat}`);
    if (text === "ping") await client.sendText(info.source.chat, "pong", { replyTo: { info, message } });
  })
  .build();

let exitCode = 0;
try {
  await bot.client.connect({ signal: AbortSignal.timeout(30_000) });
  const device = phone.linkedDevices()[0];
  say(`server holds ${device.preKeys.size} prekeys for the bot; session saved in ${dir}/bot.db`);

  // A friend's phone (its own WhatsApp account, device 0) comes online and pings the bot's number.
  const friend = wa.phone("15557654321");
  const handset = await friend.client();
  say(`friend's phone online: ${friend.jid}`);
  const botUser = bot.client.jid!.toNonAd();
  const reply = (chat: string) =>
    handset.waitFor("message", {
      filter: (e) => messageText(e.message) === "pong" && e.info.source.chat.toString() === chat,
      signal: AbortSignal.timeout(15_000),
    });
  let pong = reply(botUser.toString());
  say(`friend: sending "ping" to the bot at ${botUser}`);
  await handset.sendText(botUser, "ping");
  let got = await pong;
  say(
    `friend: decrypted "${
      messageText(got.message)
    }" from ${got.info.source.sender} (a reply to ${got.message.extendedTextMessage?.contextInfo?.stanzaId})`,
  );

  // The same in a group with the bot and two more members.
  const group = wa.createGroup({
    creator: friend.jid,
    participants: [botUser, wa.phone("15550001234").jid],
    subject: "wadeno demo",
  });
  pong = reply(group.toString());
  say(`friend: sending "ping" to the group ${group}`);
  await handset.sendText(group, "ping");
  got = await pong;
  say(
    `friend: decrypted "${
      messageText(got.message)
    }" from ${got.info.source.sender} in ${got.info.source.chat}`,
  );
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
