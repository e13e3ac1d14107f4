// Shared by the benches that need a logged-in client: one on a MemoryStore, paired by QR with a virtual
// phone of a FakeWhatsApp started by the bench.
import { Client, type ClientOptions } from "../src/client/client.ts";
import { silentLogger } from "../src/logger.ts";
import { MemoryStore } from "../src/store/mod.ts";
import type { FakeWhatsApp, VirtualPhone } from "../src/testing/mod.ts";

/** A connected client paired with `phone` (a number, or one of `wa`'s phones); `options` override the defaults. */
export async function pairedClient(
  wa: FakeWhatsApp,
  phone: string | VirtualPhone,
  options: Partial<ClientOptions> = {},
): Promise<Client> {
  const client = await Client.create({
    store: new MemoryStore(),
    url: wa.url,
    trustedRoot: wa.rootPublicKey,
    logger: silentLogger,
    ...options,
  });
  const scanner = typeof phone === "string" ? wa.phone(phone) : phone;
  const scan = client.waitFor("pairingQrCode").then(({ code }) => scanner.scanQr(code));
  await client.connect();
  await scan;
  return client;
}
