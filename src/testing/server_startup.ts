/**
 * What FakeWhatsApp answers to the IQs a real client sends right after login (Baileys'
 * `executeInitQueries`, reference/protocol-facts.md B(c); shapes in protocol-facts-features.md 5.4, 5.5):
 *
 * - `abt` `<props protocol="1"/>`: the A/B properties (`<props protocol="1" hash="…"><prop config_code value/>…`),
 *   here a small fixed set.
 * - `blocklist` get: `<list dhash><item jid/>…</list>` from the account's blocklist.
 * - `privacy` get `<privacy/>`: `<privacy><category name value/>…` from the account's settings (defaults as
 *   on a fresh account).
 * - `privacy` set `<tokens><token jid t type="trusted_contact"/>…`: issues trusted-contact tokens.
 *
 * @module
 */

import { getChild, getChildren, type Node, type NodeInput } from "../binary/mod.ts";
import { randomBytes, sha256 } from "../crypto/mod.ts";
import { type FakeWhatsApp, iqError, iqResult } from "./fake_whatsapp.ts";
import type { ServerConnection } from "./server_connection.ts";
import type { ServerFeature } from "./server_feature.ts";

/** The privacy settings a fresh account has (category name → value). */
export const DEFAULT_PRIVACY: Readonly<Record<string, string>> = {
  last: "all",
  online: "all",
  profile: "all",
  status: "all",
  readreceipts: "all",
  groupadd: "all",
  calladd: "all",
  messages: "all",
  defense: "off",
  stickers: "contacts",
};

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

function blocklistIq(wa: FakeWhatsApp, conn: ServerConnection, node: Node): NodeInput {
  const account = conn.device && wa.accounts.byJid(conn.device);
  if (!account) return iqError(node, 401, "not-authorized");
  if (node.attrs.type !== "get") return iqError(node, 501, "feature-not-implemented");
  const items = [...account.blocklist].sort().map((jid) => ({ tag: "item", attrs: { jid } }));
  const dhash = sha256(new TextEncoder().encode(items.map((i) => i.attrs.jid).join(","))).toHex().slice(
    0,
    16,
  );
  return iqResult(node, [{ tag: "list", attrs: { dhash }, content: items }]);
}

function privacyIq(wa: FakeWhatsApp, conn: ServerConnection, node: Node): NodeInput {
  const account = conn.device && wa.accounts.byJid(conn.device);
  if (!account) return iqError(node, 401, "not-authorized");
  const tokens = getChild(node, "tokens");
  if (node.attrs.type === "set" && tokens) {
    const issued = getChildren(tokens, "token").map((t) => ({
      tag: "token",
      attrs: {
        jid: t.attrs.jid,
        t: t.attrs.t ?? String(Math.floor(Date.now() / 1000)),
        type: "trusted_contact",
      },
      content: randomBytes(24),
    }));
    return iqResult(node, [{ tag: "tokens", attrs: {}, content: issued }]);
  }
  if (node.attrs.type === "get" && getChild(node, "privacy")) {
    const settings = { ...DEFAULT_PRIVACY, ...Object.fromEntries(account.privacy) };
    const categories = Object.entries(settings).map(([name, value]) => ({
      tag: "category",
      attrs: { name, value },
    }));
    return iqResult(node, [{ tag: "privacy", attrs: {}, content: categories }]);
  }
  return iqError(node, 501, "feature-not-implemented");
}

/** The start-up IQs' server side. */
export const startupFeature: ServerFeature = {
  name: "startup",
  iq: { abt: abtIq, blocklist: blocklistIq, privacy: privacyIq },
};
