/**
 * Child process for bench/footprint/soak.ts: a bot on a SQLite store that answers every text message
 * with a reply to its chat. A message reading `!sample` makes it settle, GC and write a memory sample
 * (a JSON line) before answering; the parent sends it only once every earlier message was answered, so
 * nothing else is in flight.
 * Writes `{"qr": ...}` when it needs a scan and `{"ready": true}` once logged in.
 *
 * Args: SQLite path, server URL, root key (hex).
 */

import { emitLine as emit, settleAndMeasure } from "./measure.ts";
import { childClient } from "./wadeno_child.ts";

const [dbPath, url, rootHex] = Deno.args;

const { client, store } = await childClient(dbPath, url, rootHex);
let answered = 0;
client.on("message", async ({ info, message }) => {
  const text = message.conversation ?? message.extendedTextMessage?.text;
  if (text === undefined || info.source.isFromMe) return;
  if (text === "!sample") {
    await store.flush();
    emit({ sample: await settleAndMeasure(2_000), answered });
  }
  await client.sendText(info.source.chat, `re: ${text}`);
  answered++;
});
await client.connect({ signal: AbortSignal.timeout(60_000) });
emit({ ready: true });
// Runs until the parent kills it.
