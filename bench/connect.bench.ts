/**
 * Connect-to-`connected` for a paired device against FakeWhatsApp on loopback, against the Noise
 * handshake alone over the same kind of connection (baseline). The difference is the login round
 * trips: `<success>`, the prekey count, `active`, the key-bundle digest.
 *
 * Run: deno bench --allow-read --allow-write --allow-env --allow-net=127.0.0.1 --allow-sys bench/connect.bench.ts
 */

import { buildLoginPayload, DEFAULT_WA_VERSION } from "../src/client/payload.ts";
import { webSocketTransport } from "../src/client/transport.ts";
import { FrameReader, runClientHandshake } from "../src/noise/mod.ts";
import { FakeWhatsApp } from "../src/testing/mod.ts";
import { pairedClient } from "./_paired_client.ts";

const wa = await FakeWhatsApp.start();
const phone = wa.phone("15550009999");
const client = await pairedClient(wa, phone);
await client.disconnect();
const device = client.device;
const transport = webSocketTransport({ url: wa.url });

Deno.bench(
  "noise handshake alone (open socket + XX + close)",
  { group: "connect", baseline: true },
  async (b) => {
    b.start();
    const reader = new FrameReader();
    const t = await transport(
      { onData: (c) => reader.push(c), onClose: () => reader.end() },
      AbortSignal.timeout(5000),
    );
    const { socket } = await runClientHandshake({
      transport: t,
      frames: reader,
      noiseKey: device.noiseKey,
      payload: buildLoginPayload(device.pn!, DEFAULT_WA_VERSION),
      trustedRoot: wa.rootPublicKey,
    });
    b.end();
    socket.close();
  },
);

Deno.bench("client.connect() to connected (paired device)", { group: "connect" }, async (b) => {
  b.start();
  await client.connect();
  b.end();
  await client.disconnect();
});

globalThis.addEventListener("unload", () => {
  wa.stop();
});
