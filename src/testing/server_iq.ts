/**
 * FakeWhatsApp's answers to client IQs: keepalive pings (`w:p`), `passive`, prekeys (`encrypt`, see
 * server_prekeys.ts), device removal and pair-code stages (`md`), then whatever the features' server sides
 * answer (server_features.ts: groups `w:g2` in server_groups.ts, usync in server_contacts.ts, ...). Anything
 * else gets a 501.
 *
 * usync (device lists, contacts, about texts, ...) is answered by server_contacts.ts.
 *
 * @module
 */

import type { Node, NodeInput } from "../binary/mod.ts";
import { type FakeWhatsApp, iqError, iqResult } from "./fake_whatsapp.ts";
import type { ServerConnection } from "./server_connection.ts";
import { encryptIq } from "./server_prekeys.ts";
import { SERVER_FEATURES } from "./server_features.ts";

/** Routes one client IQ to its handler and sends the answer. */
export async function handleServerIq(wa: FakeWhatsApp, conn: ServerConnection, node: Node): Promise<void> {
  const xmlns = node.attrs.xmlns;
  const reply = async (n: NodeInput) => void await conn.send(n);
  switch (xmlns) {
    case "w:p":
      if (!wa.faults.ignorePings) await reply(iqResult(node));
      return;
    case "passive":
      return await reply(iqResult(node));
    case "encrypt":
      return await reply(encryptIq(wa, conn, node));
    case "md":
      await reply(await wa.pairing.handleMdIq(conn, node));
      if (conn.closeAfterReply) conn.close();
      return;
  }
  for (const feature of SERVER_FEATURES) {
    const handler = feature.iq?.[xmlns ?? ""];
    if (!handler) continue;
    const answer = await handler(wa, conn, node);
    if (answer) await reply(answer);
    return;
  }
  wa.log.child("FakeWA/IQ").debug(`no handler for IQ xmlns=${xmlns}`);
  await reply(iqError(node, 501, "feature-not-implemented"));
}
