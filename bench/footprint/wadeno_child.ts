/**
 * The wadeno client of a footprint child process: a `SqliteStore` at `path`, set up for the parent's
 * FakeWhatsApp (its URL and root key, hex, from the child's arguments), with QR codes printed as
 * `{"qr": ...}` lines (plus `extra`) for the parent to scan. Children that measure a bare process import
 * this module only when they log in, so the bare figures stay free of the library.
 *
 * @module
 */

import { Client, SqliteStore } from "../../mod.ts";
import { silentLogger } from "../../src/logger.ts";
import { emitLine } from "./measure.ts";

/** Opens the store and creates (does not connect) the client. */
export async function childClient(
  path: string,
  url: string,
  rootHex: string,
  extra: Record<string, unknown> = {},
): Promise<{ client: Client; store: SqliteStore }> {
  const store = await SqliteStore.open(path);
  const client = await Client.create({
    store,
    url,
    trustedRoot: Uint8Array.fromHex(rootHex),
    logger: silentLogger,
  });
  client.on("pairingQrCode", ({ code }) => emitLine({ qr: code, ...extra }));
  return { client, store };
}
