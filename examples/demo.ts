/**
 * The offline demo behind `deno task demo`: starts FakeWhatsApp (a local WhatsApp-compatible server)
 * and a virtual phone, runs a bot on a SQLite file in a temporary directory, shows the pairing QR code
 * in the terminal, lets the phone scan it, and prints what happens: pairing, the 515 restart, login.
 * Then a friend's phone sends the bot "ping" and the bot answers "pong", first in a 1:1 chat, then in a
 * group; the friend's phone prints the decrypted replies. Last, the friend sends the bot a picture (a PNG
 * made in code): the bot downloads it from FakeWhatsApp's HTTPS media server, checks it, and answers with a
 * picture of its own, which the friend downloads. Every message is end-to-end encrypted with the Signal
 * protocol, on every side; every picture is encrypted with its own media key.
 *
 * Run: deno task demo
 */

import { Bot, createLogger, hasMedia, messageText, renderQr, SqliteStore } from "../mod.ts";
import { FakeWhatsApp, samplePng } from "../src/testing/mod.ts";

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
  .withCaCerts([wa.mediaCaCert]) // media goes over HTTPS to FakeWhatsApp's media server, verified
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
    ({ jid, lid, platform }) => say(`pairSuccess: ${jid} (lid ${lid}, phone platform ${platform})`),
  )
  .on(
    "disconnected",
    ({ reason, willReconnect }) => say(`disconnected: ${reason}${willReconnect ? " (reconnecting)" : ""}`),
  )
  .on("connected", ({ jid, lid }) => say(`connected: logged in as ${jid} / ${lid}`))
  // The bot itself: answer "ping" with "pong" wherever it came from, and a picture with a picture.
  .on("message", async (event, client) => {
    const { message, info } = event;
    if (hasMedia(message)) {
      const bytes = await client.media.download(event);
      const image = message.imageMessage;
      say(
        `bot got a ${image?.width}x${image?.height} ${image?.mimetype} (${bytes.length} bytes, ` +
          `"${image?.caption}") from ${info.source.sender}; answering with a picture`,
      );
      await client.media.sendImage(info.source.chat, samplePng(96, 64, [200, 40, 40]), {
        caption: "pong, in pictures",
        replyTo: event,
      });
      return;
    }
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

  // A picture each way, through the media server.
  const picture = samplePng(128, 80);
  const answer = handset.waitFor("message", {
    filter: (e) =>
      e.message.imageMessage !== undefined && e.info.source.chat.toString() === botUser.toString(),
    signal: AbortSignal.timeout(15_000),
  });
  say(`friend: sending the bot a 128x80 PNG (${picture.length} bytes)`);
  await handset.media.sendImage(botUser, picture, { caption: "ping" });
  const back = await answer;
  const bytes = await handset.media.download(back);
  const image = back.message.imageMessage!;
  say(
    `friend: downloaded the bot's ${image.width}x${image.height} ${image.mimetype} "${image.caption}" ` +
      `(${bytes.length} bytes, sha256 verified) from ${wa.media.hosts[0]}`,
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
