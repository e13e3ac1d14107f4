/**
 * A bot in its own process for proxy_e2e_test.ts, run with `--allow-net` limited to the proxy's port: any
 * connection that tried to skip the proxy would be refused by Deno's permissions. It speaks JSON lines on
 * stdout (`{"qr"}`, `{"ready"}`, `{"got"}`) and answers each message with "pong: <text>". Closing its stdin
 * ends it.
 *
 * Args: socket URL, proxy URL, the server root public key (hex).
 */

import { Client } from "../../../src/client/client.ts";
import { tcpWebSocketTransport } from "../../../src/client/transport.ts";
import { messageText } from "../../../src/features/message_builders.ts";
import { silentLogger } from "../../../src/logger.ts";
import { MemoryStore } from "../../../src/store/mod.ts";

const [url, proxy, rootHex] = Deno.args;
const say = (value: unknown) => console.log(JSON.stringify(value));
const client = await Client.create({
  store: new MemoryStore(),
  transport: tcpWebSocketTransport({ url, proxy }),
  trustedRoot: Uint8Array.fromHex(rootHex),
  logger: silentLogger,
});
client.on("pairingQrCode", ({ code }) => say({ qr: code }));
client.on("message", (e) => {
  const text = messageText(e.message) ?? "";
  say({ got: text });
  client.sendText(e.info.source.chat, `pong: ${text}`).catch((error) => say({ error: String(error) }));
});
await client.connect({ signal: AbortSignal.timeout(20_000) });
say({ ready: client.jid!.toNonAd().toString() });
// Runs until the parent closes stdin.
for await (const _ of Deno.stdin.readable) { /* input is not used */ }
await client.disconnect();
