/**
 * A bot for the real WhatsApp servers: links to your phone (QR code in the terminal, or a pair code
 * when PHONE is set), keeps its session in ./ping_bot.db, and stays online.
 *
 * Run:  deno run --allow-net --allow-read --allow-write --allow-env --allow-sys examples/ping_bot.ts
 *       PHONE=15551234567 deno run ... examples/ping_bot.ts   # link with a pair code instead
 */

import { Bot, renderQr, SqliteStore } from "../mod.ts";

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
  .on("pairSuccess", ({ id }) => console.log(`Linked as ${id}`))
  .on("connected", ({ jid }) => console.log(`Online as ${jid}`))
  .on(
    "disconnected",
    ({ reason, willReconnect }) =>
      console.log(`Disconnected: ${reason}${willReconnect ? ", reconnecting" : ""}`),
  )
  .on("loggedOut", () => console.log("Logged out: delete the database or run again to link a new device"));
if (phone) builder.withPairCode({ phoneNumber: phone });
const bot = await builder.build();

Deno.addSignalListener("SIGINT", () => bot.stop());
try {
  await bot.run();
} finally {
  await store.close();
}
