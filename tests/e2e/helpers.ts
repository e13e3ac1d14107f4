/** Shared setup for end-to-end tests against FakeWhatsApp. */

import { Client, type ClientOptions } from "../../src/client/client.ts";
import { createLogger, type Logger } from "../../src/logger.ts";
import { MemoryStore } from "../../src/store/mod.ts";
import { FakeWhatsApp } from "../../src/testing/mod.ts";

/** Silent unless WADENO_LOG is set (then it filters as usual). */
export function testLogger(): Logger {
  const spec = Deno.env.get("WADENO_LOG");
  return createLogger({ filter: spec ?? "off" });
}

/** Deadline for waits in e2e tests: generous, never a sleep. */
export function deadline(ms = 15_000): AbortSignal {
  return AbortSignal.timeout(ms);
}

/** Short timings so keepalive and QR tests finish quickly; backoff is real Fibonacci but in milliseconds. */
export const fastTimings: ClientOptions["timings"] = {
  backoffMs: (attempt) => Math.min(50 * attempt, 500),
};

/** A client pointed at `wa`, trusting its media server's certificate. */
export async function newClient(wa: FakeWhatsApp, options: Partial<ClientOptions> = {}): Promise<Client> {
  return await Client.create({
    store: options.store ?? new MemoryStore(),
    url: wa.url,
    trustedRoot: wa.rootPublicKey,
    caCerts: [wa.mediaCaCert],
    logger: testLogger(),
    timings: { ...fastTimings, ...options.timings },
    ...options,
  });
}

/** Starts a server with a test logger. */
export function startServer(): Promise<FakeWhatsApp> {
  return FakeWhatsApp.start({ logger: testLogger().child("FakeWA") });
}

/** Pairs `client` with `phone` by QR and waits until it is logged in. */
export async function pairByQr(client: Client, phone: ReturnType<FakeWhatsApp["phone"]>): Promise<void> {
  const scanned = client.waitFor("pairingQrCode", { signal: deadline() }).then(({ code }) =>
    phone.scanQr(code)
  );
  await client.connect({ signal: deadline() });
  await scanned;
}
