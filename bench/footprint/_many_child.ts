/**
 * Child process for bench/footprint/many_clients.ts: logs in `count` clients, one SQLite store each, in
 * this one process, and samples memory after the first and after the last is connected and idle.
 * Writes JSON lines: `{"qr": ..., "index": i}` when client i needs a scan, then `{"one": sample}` and
 * `{"all": sample}`.
 *
 * Args: library (`wadeno` | `baileys`), state folder, server URL, root key (hex), count.
 */

import { emitLine as emit, settleAndMeasure } from "./measure.ts";

const [library, dir, url, rootHex, countText] = Deno.args;
const count = Number(countText);
const held: unknown[] = [];

if (library === "wadeno") {
  const { childClient } = await import("./wadeno_child.ts");
  for (let i = 0; i < count; i++) {
    const { client } = await childClient(`${dir}/client-${i}.db`, url, rootHex, { index: i });
    await client.connect({ signal: AbortSignal.timeout(60_000) });
    await client.waitUntilIdle();
    held.push(client);
    if (i === 0) emit({ one: await settleAndMeasure(1_000) });
  }
} else {
  const peer = await import("./baileys_peer.ts");
  peer.muteConsole();
  peer.trustRoot(Uint8Array.fromHex(rootHex));
  for (let i = 0; i < count; i++) {
    const sock = await peer.connectBaileys({
      url,
      authDir: `${dir}/baileys-${i}`,
      onQr: (qr) => emit({ qr, index: i }),
      signal: AbortSignal.timeout(60_000),
    });
    held.push(sock);
    if (i === 0) emit({ one: await settleAndMeasure(2_000) });
  }
}
emit({ all: await settleAndMeasure(2_000), held: held.length });
Deno.exit(0);
