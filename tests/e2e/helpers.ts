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

/**
 * What arrived so far (events, stanzas), in order; `waitFor` resolves with the first item, past or
 * future, that matches, and rejects with `failure()` when `signal` aborts first.
 */
export class Recorded<T> {
  /** Every item, in arrival order. */
  readonly all: T[] = [];
  readonly #waiters = new Set<() => void>();

  /** Records an item and wakes the waits it may satisfy. */
  push(item: T): void {
    this.all.push(item);
    for (const wake of [...this.#waiters]) wake();
  }

  /** The first item that matches `match`, now or when it arrives. */
  waitFor(match: (item: T) => boolean, signal: AbortSignal, failure: () => string): Promise<T> {
    const found = this.all.find(match);
    if (found !== undefined) return Promise.resolve(found);
    const { promise, resolve, reject } = Promise.withResolvers<T>();
    const onAbort = () => {
      this.#waiters.delete(check);
      reject(new Error(failure()));
    };
    const check = () => {
      const item = this.all.find(match);
      if (item === undefined) return;
      this.#waiters.delete(check);
      signal.removeEventListener("abort", onAbort);
      resolve(item);
    };
    this.#waiters.add(check);
    signal.addEventListener("abort", onAbort, { once: true });
    return promise;
  }
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
