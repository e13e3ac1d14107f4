import { assert, assertEquals, assertThrows } from "../../_assert.ts";
import { Jid } from "../../../src/binary/mod.ts";
import { InputError } from "../../../src/features/errors.ts";
import { Message, ProtocolMessageType } from "../../../src/proto/mod.ts";
import { parseMessageInfo, parseMessageSource } from "../../../src/features/message_info.ts";
import { buildReadReceipt, parseReceipt } from "../../../src/features/receipts.ts";
import {
  editMessage,
  getEdit,
  getReaction,
  getReplyTo,
  getRevoke,
  messageKey,
  messageText,
  reactionMessage,
  revokeMessage,
  textMessage,
} from "../../../src/features/message_builders.ts";
import { ChatQueues } from "../../../src/client/messaging/queues.ts";
import { editAttribute, generateMessageId, messageStanzaType } from "../../../src/client/messaging/send.ts";
import { parseUsyncUser } from "../../../src/client/messaging/devices.ts";
import { parseGroupNode } from "../../../src/features/groups/parse.ts";
import { addressToJid } from "../../../src/client/messaging/messaging.ts";

const own = { pn: Jid.pn("15550000001", 3), lid: Jid.lid("900000001", 3) };

// Attribute rules from whatsmeow message.go parseMessageSource.
Deno.test("message source: 1:1 with sender_lid, group with participant_lid, own device with recipient", () => {
  const dm = parseMessageSource(
    { tag: "message", attrs: { from: "15550000002:1@s.whatsapp.net", sender_lid: "900000002@lid", id: "A" } },
    own,
    true,
  );
  assertEquals(dm.chat.toString(), "15550000002@s.whatsapp.net");
  assertEquals(dm.sender.toString(), "15550000002:1@s.whatsapp.net");
  assertEquals(dm.senderAlt?.toString(), "900000002:1@lid", "the alternate takes the sender's device");
  assertEquals([dm.isGroup, dm.isFromMe], [false, false]);

  const group = parseMessageSource(
    {
      tag: "message",
      attrs: {
        from: "120363000000000001@g.us",
        participant: "15550000002:2@s.whatsapp.net",
        participant_lid: "900000002:2@lid",
        addressing_mode: "pn",
      },
    },
    own,
    true,
  );
  assertEquals([group.chat.toString(), group.isGroup, group.addressingMode], [
    "120363000000000001@g.us",
    true,
    "pn",
  ]);
  assertEquals(group.senderAlt?.toString(), "900000002:2@lid");
  assertThrows(() =>
    parseMessageSource({ tag: "message", attrs: { from: "120363000000000001@g.us" } }, own, true)
  );

  const mine = parseMessageSource(
    {
      tag: "message",
      attrs: { from: "15550000001:5@s.whatsapp.net", recipient: "15550000009@s.whatsapp.net" },
    },
    own,
    true,
  );
  assertEquals([mine.isFromMe, mine.chat.toString()], [true, "15550000009@s.whatsapp.net"]);

  const info = parseMessageInfo({
    tag: "message",
    attrs: {
      from: "15550000002@s.whatsapp.net",
      id: "X1",
      t: "1700000000",
      notify: "Bob",
      type: "text",
      offline: "1",
      edit: "1",
    },
    content: [{ tag: "enc", attrs: { type: "msg", mediatype: "image" } }],
  }, own);
  assertEquals([info.id, info.pushName, info.timestamp.getTime(), info.offline, info.edit, info.mediaType], [
    "X1",
    "Bob",
    1_700_000_000_000,
    true,
    "edited",
    "image",
  ]);
});

// Read receipt shape from whatsmeow receipt.go MarkRead and reference/seed-inventory-features.md section 5.
Deno.test("read receipts batch ids with list/item; groups need the sender; empty is a no-op", () => {
  const chat = Jid.pn("15550000002");
  const node = buildReadReceipt(chat, ["A", "B", "C"], { timestamp: new Date(1_700_000_000_000) })!;
  assertEquals(node.attrs, { id: "A", type: "read", to: chat, t: "1700000000" });
  assertEquals(node.content, [{
    tag: "list",
    attrs: {},
    content: [{ tag: "item", attrs: { id: "B" } }, { tag: "item", attrs: { id: "C" } }],
  }]);
  assertEquals(buildReadReceipt(chat, []), undefined);
  const group = Jid.group("120363000000000001");
  assertThrows(() => buildReadReceipt(group, ["A"]), InputError, "sender");
  assertEquals(
    buildReadReceipt(group, ["A"], { sender: Jid.pn("15550000002", 4) })?.attrs?.participant?.toString(),
    "15550000002@s.whatsapp.net",
  );

  const parsed = parseReceipt({
    tag: "receipt",
    attrs: { from: "15550000002:1@s.whatsapp.net", id: "A", type: "read", t: "1700000001" },
    content: [{ tag: "list", attrs: {}, content: [{ tag: "item", attrs: { id: "B" } }] }],
  }, own);
  assertEquals([parsed.messageIds, parsed.kind, parsed.wireType, parsed.source.sender.toString()], [
    ["A", "B"],
    "read",
    "read",
    "15550000002:1@s.whatsapp.net",
  ]);
  const delivered = parseReceipt(
    { tag: "receipt", attrs: { from: "15550000002@s.whatsapp.net", id: "Z" } },
    own,
  );
  assertEquals([delivered.kind, delivered.wireType], ["delivered", ""]);
  const unknown = parseReceipt({
    tag: "receipt",
    attrs: { from: "15550000002@s.whatsapp.net", id: "Z", type: "x-new" },
  }, own);
  assertEquals([unknown.kind, unknown.wireType], ["other", "x-new"]);
});

Deno.test("builders: text, reply, mentions, reaction, edit, revoke read back as such", () => {
  assertEquals(textMessage("hi"), { conversation: "hi" });
  const info = parseMessageInfo({
    tag: "message",
    attrs: { from: "120363000000000001@g.us", participant: "15550000002:1@s.whatsapp.net", id: "Q1", t: "1" },
  }, own);
  const reply = textMessage("answer @15550000003", {
    replyTo: { info, message: { conversation: "question" } },
    mentions: [Jid.pn("15550000003")],
  });
  assertEquals(reply.extendedTextMessage?.contextInfo?.mentionedJid, ["15550000003@s.whatsapp.net"]);
  assertEquals(getReplyTo(reply), {
    id: "Q1",
    participant: "15550000002@s.whatsapp.net",
    quoted: { conversation: "question" },
  });
  assertEquals(messageText(reply), "answer @15550000003");
  const key = messageKey(info);
  assertEquals(key, {
    remoteJid: "120363000000000001@g.us",
    fromMe: false,
    id: "Q1",
    participant: "15550000002@s.whatsapp.net",
  });
  assertEquals(getReaction(reactionMessage(key, "👍")), { key, emoji: "👍" });
  const chat = Jid.pn("15550000002");
  const edit = editMessage(chat, "M1", { conversation: "fixed" });
  assertEquals(getEdit(edit)?.key.id, "M1");
  assertEquals(getEdit(edit)?.newContent, { conversation: "fixed" });
  assertEquals(getRevoke(revokeMessage(chat, "M2")), { remoteJid: chat.toString(), fromMe: true, id: "M2" });
  // Stanza attributes (whatsmeow send.go getTypeFromMessage / getEditAttribute).
  assertEquals(messageStanzaType(reactionMessage(key, "x")), "reaction");
  assertEquals(messageStanzaType({ imageMessage: {} }), "media");
  assertEquals(messageStanzaType({ conversation: "x" }), "text");
  assertEquals(editAttribute(edit, own.pn), "1");
  assertEquals(editAttribute(revokeMessage(chat, "M2"), own.pn), "7");
  assertEquals(editAttribute(revokeMessage(Jid.group("1"), "M3", Jid.pn("15550000002")), own.pn), "8");
  // Everything built survives the protobuf round trip.
  for (const m of [reply, edit, reactionMessage(key, "👍"), revokeMessage(chat, "M2")]) {
    assertEquals(Message.decode(Message.encode(m)), m);
  }
  assertEquals(revokeMessage(chat, "M2").protocolMessage?.type, ProtocolMessageType.REVOKE);
  const id = generateMessageId();
  assert(/^3EB0[0-9A-F]{18}$/.test(id), id);
});

Deno.test("chat queues: in order per chat, one at a time while offline, parallel across chats after", async () => {
  const errors: unknown[] = [];
  const q = new ChatQueues((e) => void errors.push(e));
  const log: string[] = [];
  let running = 0, maxRunning = 0;
  const task = (name: string) => async () => {
    running++;
    maxRunning = Math.max(maxRunning, running);
    await Promise.resolve();
    log.push(name);
    running--;
  };
  for (let i = 0; i < 3; i++) {
    q.enqueue("a", task(`a${i}`));
    q.enqueue("b", task(`b${i}`));
  }
  await q.idle();
  assertEquals(maxRunning, 1, "offline gate admits one task at a time");
  assertEquals(log, ["a0", "b0", "a1", "b1", "a2", "b2"]);
  q.setConcurrency(64);
  log.length = 0;
  maxRunning = 0;
  for (let i = 0; i < 3; i++) for (const c of ["x", "y", "z"]) q.enqueue(c, task(`${c}${i}`));
  q.enqueue("x", () => Promise.reject(new Error("boom")));
  q.enqueue("x", task("x3"));
  await q.idle();
  assert(maxRunning > 1, "chats run in parallel once online");
  assertEquals(
    log.filter((n) => n.startsWith("x")),
    ["x0", "x1", "x2", "x3"],
    "a failing task does not stop its chat",
  );
  assertEquals(errors.length, 1);
});

Deno.test("usync users, group nodes and Signal addresses parse", () => {
  const parsed = parseUsyncUser({
    tag: "user",
    attrs: { jid: "15550000002@s.whatsapp.net" },
    content: [{
      tag: "devices",
      attrs: {},
      content: [{
        tag: "device-list",
        attrs: {},
        content: [{ tag: "device", attrs: { id: "3" } }, { tag: "device", attrs: { id: "0" } }, {
          tag: "device",
          attrs: { id: "x" },
        }],
      }],
    }],
  });
  assertEquals(parsed?.devices.map(String), ["15550000002@s.whatsapp.net", "15550000002:3@s.whatsapp.net"]);
  const group = parseGroupNode({
    tag: "group",
    attrs: { id: "120363000000000001", subject: "G", addressing_mode: "lid", creation: "1700000000" },
    content: [
      {
        tag: "participant",
        attrs: { jid: "900000002@lid", phone_number: "15550000002@s.whatsapp.net", type: "superadmin" },
      },
      { tag: "participant", attrs: { jid: "900000003@lid" } },
    ],
  });
  assertEquals(group.jid.toString(), "120363000000000001@g.us");
  assertEquals(group.participants.map((p) => [p.jid.toString(), p.phoneNumber?.toString(), p.isSuperAdmin]), [
    ["900000002@lid", "15550000002@s.whatsapp.net", true],
    ["900000003@lid", undefined, false],
  ]);
  assertEquals(addressToJid("15550000002:3@c.us.0")?.toString(), "15550000002:3@s.whatsapp.net");
  assertEquals(addressToJid("900000002@lid.0")?.toString(), "900000002@lid");
});
