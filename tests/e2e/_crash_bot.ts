// The bot the crash test kills: a paired client on a SQLite store whose `message` listener does a little
// async work, then appends the message durably (written and fsynced) to a log and reports it on stdout.
// Usage: deno run … _crash_bot.ts <ws url> <root key hex> <db path> <log path>
import { Client } from "../../src/client/client.ts";
import { messageText } from "../../src/features/message_builders.ts";
import { createLogger } from "../../src/logger.ts";
import { SqliteStore } from "../../src/store/mod.ts";

const [url, rootHex, dbPath, logPath] = Deno.args;
const log = Deno.openSync(logPath, { append: true, create: true });
const encoder = new TextEncoder();
const store = await SqliteStore.open(dbPath);
const client = await Client.create({
  store,
  url,
  trustedRoot: Uint8Array.fromHex(rootHex),
  logger: createLogger({ filter: Deno.env.get("WADENO_LOG") ?? "off" }),
  timings: { backoffMs: () => 20 },
});
client.on("message", async ({ info, message }) => {
  // A bot's handler does async work (a database, an HTTP call) before it is done with a message: this is
  // the window in which other chats' flushes used to make this message's Signal state durable.
  await new Promise((resolve) => setTimeout(resolve, 2 + Math.floor(Math.random() * 8)));
  const line = `${info.source.chat.user}|${messageText(message)}\n`;
  log.writeSync(encoder.encode(line));
  log.syncDataSync();
  Deno.stdout.writeSync(encoder.encode(line));
});
await client.connect({ signal: AbortSignal.timeout(30_000) });
Deno.stdout.writeSync(encoder.encode("ready\n"));
