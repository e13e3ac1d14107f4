/**
 * What FakeWhatsApp answers to the IQs a real client sends right after login (Baileys'
 * `executeInitQueries`, reference/protocol-facts.md B(c); shapes in protocol-facts-features.md 5.4, 5.5):
 *
 * - `abt` `<props protocol="1"/>`: the A/B properties (`<props protocol="1" hash="…"><prop config_code value/>…`),
 *   here a small fixed set.
 *
 * The blocklist and privacy queries of the start-up sequence are answered by server_privacy.ts.
 *
 * @module
 */

import type { Node, NodeInput } from "../binary/mod.ts";
import { sha256 } from "../crypto/mod.ts";
import { type FakeWhatsApp, iqError, iqResult } from "./fake_whatsapp.ts";
import type { ServerConnection } from "./server_connection.ts";
import type { ServerFeature } from "./server_feature.ts";

/** The A/B properties FakeWhatsApp announces (config code → value). */
export const AB_PROPS: Readonly<Record<string, string>> = {
  "1": "1",
  "tctoken_duration": "604800",
  "tctoken_num_buckets": "4",
};

function abtIq(_wa: FakeWhatsApp, _conn: ServerConnection, node: Node): NodeInput {
  if (node.attrs.type !== "get") return iqError(node, 400, "bad-request");
  const props = Object.entries(AB_PROPS).map(([config_code, value]) => ({
    tag: "prop",
    attrs: { config_code, value },
  }));
  const hash = sha256(new TextEncoder().encode(JSON.stringify(AB_PROPS))).toHex().slice(0, 16);
  return iqResult(node, [{ tag: "props", attrs: { protocol: "1", hash, ab_key: "fake" }, content: props }]);
}

/** The start-up IQs' server side. */
export const startupFeature: ServerFeature = {
  name: "startup",
  iq: { abt: abtIq },
};
