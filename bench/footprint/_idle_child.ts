/**
 * Child process for bench/footprint/idle_rss.ts: one stage of a new user's footprint, in a process of its
 * own. Writes JSON lines to stdout: `{"qr": ...}` when it needs a scan, then `{"connectedMs": ...}` (ms
 * since the process started) and `{"sample": ...}`.
 *
 * Args: library (`wadeno` | `baileys`), stage (`bare` | `import` | `login`), state path (SQLite file or
 * Baileys auth folder), server URL, root key (hex).
 */

import { emitLine as emit, settleAndMeasure } from "./measure.ts";

const [library, stage, statePath, url, rootHex] = Deno.args;
// Run with --v8-flags=--expose-gc.
const idle = async () => emit({ sample: await settleAndMeasure(1_000) });

if (stage === "bare") {
  await idle();
} else if (library === "wadeno") {
  if (stage === "login") {
    const { childClient } = await import("./wadeno_child.ts");
    const { client, store } = await childClient(statePath, url, rootHex);
    await client.connect({ signal: AbortSignal.timeout(60_000) });
    emit({ connectedMs: performance.now() });
    await client.waitUntilIdle();
    await idle();
    await client.disconnect();
    await store.close();
  } else {
    // The library loaded, nothing more.
    const { Client } = await import("../../mod.ts");
    await idle();
    void Client;
  }
} else if (library === "baileys") {
  const peer = await import("./baileys_peer.ts");
  peer.muteConsole();
  if (stage === "login") {
    peer.trustRoot(Uint8Array.fromHex(rootHex));
    const sock = await peer.connectBaileys({
      url,
      authDir: statePath,
      onQr: (qr) => emit({ qr }),
      signal: AbortSignal.timeout(60_000),
    });
    emit({ connectedMs: performance.now() });
    await idle();
    sock.end(undefined);
  } else {
    await idle();
  }
} else {
  throw new TypeError(`unknown library ${library}`);
}
Deno.exit(0);
