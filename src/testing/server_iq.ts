/**
 * FakeWhatsApp's answers to client IQs: keepalive pings (`w:p`), `passive`, prekeys (`encrypt`, see
 * server_prekeys.ts), device lists (`usync`), device removal and pair-code stages (`md`), then whatever the
 * features' server sides answer (server_features.ts; groups, `w:g2`, in server_groups.ts). Anything else gets
 * a 501.
 *
 * usync answers the device query (`<query><devices version="2"/>[<lid/>]</query>`) for PN and LID users:
 *
 * ```
 * <usync sid mode context index last><list>
 *   <user jid=USER>
 *     <devices><device-list><device id="0"/><device id="N" key-index="K"/>...</device-list>
 *       <key-index-list ts=T/></devices>
 *     <lid val=LID_USER/>            (when the query asks for <lid/> and USER is a phone number)
 *   </user>...
 * </list></usync>
 * ```
 *
 * Only registered devices are listed: device 0 exists once the phone's `client()` was started. Unknown
 * users get `<devices><device-list/></devices>` and no `<lid>`.
 *
 * @module
 */

import { getChild, getChildren, Jid, type Node, type NodeInput } from "../binary/mod.ts";
import { type FakeWhatsApp, iqError, iqResult } from "./fake_whatsapp.ts";
import type { ServerConnection } from "./server_connection.ts";
import { encryptIq } from "./server_prekeys.ts";
import { SERVER_FEATURES } from "./server_features.ts";
import { parseJidAttr } from "./stanza_util.ts";

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
    case "usync":
      return await reply(usyncIq(wa, conn, node));
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

function usyncIq(wa: FakeWhatsApp, conn: ServerConnection, node: Node): NodeInput {
  if (!conn.device) return iqError(node, 401, "not-authorized");
  const usync = getChild(node, "usync");
  const query = usync && getChild(usync, "query");
  const list = usync && getChild(usync, "list");
  if (node.attrs.type !== "get" || !usync || !query || !list) return iqError(node, 400, "bad-request");
  const wantDevices = getChild(query, "devices") !== undefined;
  const wantLid = getChild(query, "lid") !== undefined;
  const users: NodeInput[] = [];
  for (const user of getChildren(list, "user")) {
    const jid = parseJidAttr(user.attrs.jid)?.toNonAd();
    if (!jid) continue;
    const account = jid.isPn() || jid.isLid() ? wa.accounts.byJid(jid) : undefined;
    const content: NodeInput[] = [];
    if (wantDevices) {
      const ids = account ? [...account.devices.values()].sort((a, b) => a.id - b.id) : [];
      const deviceList: NodeInput = {
        tag: "device-list",
        attrs: {},
        content: ids.length
          ? ids.map((d) => ({
            tag: "device",
            attrs: { id: String(d.id), "key-index": d.id === 0 ? undefined : String(d.keyIndex) },
          }))
          : undefined,
      };
      content.push({
        tag: "devices",
        attrs: {},
        content: account
          ? [deviceList, { tag: "key-index-list", attrs: { ts: String(account.deviceListTs) } }]
          : [deviceList],
      });
    }
    if (wantLid && account && jid.isPn()) content.push({ tag: "lid", attrs: { val: Jid.lid(account.lid) } });
    users.push({ tag: "user", attrs: { jid }, content });
  }
  const { sid, mode, context, index, last } = usync.attrs;
  return iqResult(node, [{
    tag: "usync",
    attrs: { sid, mode, context, index, last },
    content: [{ tag: "list", attrs: {}, content: users }],
  }]);
}
