/**
 * A bot for the real WhatsApp servers: links to your phone (QR code in the terminal, or a pair code
 * when PHONE is set), keeps its session in ./ping_bot.db, stays online, and answers "ping" with "pong"
 * (as a reply) in any chat, 1:1 or group.
 *
 * Run:  deno run --allow-net --allow-read --allow-write --allow-env --allow-sys examples/ping_bot.ts
 *       PHONE=15551234567 deno run ... examples/ping_bot.ts   # link with a pair code instead
 *
 * PING_BOT_URL and PING_BOT_ROOT (the server's Noise root key, hex) point it at another server, such as a
 * FakeWhatsApp in a test.
 */

import { Bot, messageText, renderQr, SqliteStore } from "../mod.ts";

const store = await SqliteStore.open(Deno.env.get("PING_BOT_DB") ?? "ping_bot.db");
const phone = Deno.env.get("PHONE");
const builder = Bot.builder()
  .withStore(store)
  .withPushName("wadeno ping bot")
  .on("pairingQrCode", ({ code }) => {
    console.log("Scan with WhatsApp > Settings > Linked devices > Link a device:");
    console.log(renderQr(code));
  })
  .on(
    "pairingCode",
    ({ code }) => console.log(`Enter this code on your phone: ${code.slice(0, 4)}-${code.slice(4)}`),
  )
  .on("pairSuccess", ({ jid }) => console.log(`Linked as ${jid}`))
  .on("connected", ({ jid }) => console.log(`Online as ${jid}`))
  .on(
    "disconnected",
    ({ reason, willReconnect }) =>
      console.log(`Disconnected: ${reason}${willReconnect ? ", reconnecting" : ""}`),
  )
  .on("loggedOut", () => console.log("Logged out: run again to link a new device"))
  .on("message", async ({ message, info }, client) => {
    if (info.source.isFromMe || messageText(message)?.trim().toLowerCase() !== "ping") return;
    await client.sendText(info.source.chat, "pong", { replyTo: { info, message } });
    await client.markRead(info.source.chat, [info.id], {
      sender: info.source.isGroup ? info.source.sender : undefined,
    });
  });
if (phone) builder.withPairCode({ phoneNumber: phone });
const url = Deno.env.get("PING_BOT_URL");
const root = Deno.env.get("PING_BOT_ROOT");
if (url) builder.withUrl(url);
if (root) builder.withTrustedRoot(Uint8Array.fromHex(root));
const bot = await builder.build();

// Ctrl+C stops the bot cleanly (even while it is still waiting to be linked) and the process exits.
const stop = new AbortController();
const onSigint = () => stop.abort();
Deno.addSignalListener("SIGINT", onSigint);
try {
  await bot.run({ signal: stop.signal });
} finally {
  Deno.removeSignalListener("SIGINT", onSigint);
  await store.close();
}
