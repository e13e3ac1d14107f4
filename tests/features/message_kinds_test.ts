// Builders and readers of the remaining message kinds. Each built message is encoded here and decoded by an
// independent codec, Baileys' WAProto (baileys@7.0.0-rc14 WAProto/index.js), to pin the field numbers, then
// read back with our reader. Pin durations and messageAddOnDurationInSecs: Baileys lib/Utils/messages.js
// (pin); the forwarded-many-times threshold (score >= 5): whatsmeow/Baileys ContextInfo usage.
import { proto } from "npm:/baileys@7.0.0-rc14/WAProto/index.js";
import { assert, assertEquals, assertThrows } from "../_assert.ts";
import { InputError } from "../../src/features/errors.ts";
import { contactMessage, vcard } from "../../src/features/message_builders.ts";
import {
  contextInfoOf,
  forwardMessage,
  getContacts,
  getEvent,
  getForwarded,
  getKeepInChat,
  getLinkPreview,
  getLocation,
  getPin,
  keepInChatMessage,
  linkPreviewMessage,
  liveLocationMessage,
  pinMessage,
  withContextInfo,
} from "../../src/features/message_kinds.ts";
import { buttonReplyMessage, getButtonReply } from "../../src/features/message_kinds_replies.ts";
import { eventMessage } from "../../src/features/polls/messages.ts";
import { Message } from "../../src/proto/mod.ts";

// Baileys' decoded messages are protobufjs objects; read through a loose shape (one cast).
type Loose = Record<string, Record<string, unknown> | undefined>;
const baileys = (m: Message): Loose =>
  (proto as unknown as { Message: { decode(b: Uint8Array): Loose } }).Message.decode(Message.encode(m));
const roundTrip = (m: Message) => Message.decode(Message.encode(m));
const key = {
  remoteJid: "120363000000000001@g.us",
  fromMe: false,
  id: "3EB0AABB",
  participant: "15550001111@s.whatsapp.net",
};

Deno.test("pins: a pin for 24 hours and an unpin, as Baileys reads them", () => {
  const pin = pinMessage(key, { durationSeconds: 86_400 });
  const b = baileys(pin);
  assertEquals(b.pinInChatMessage?.type, 1); // PIN_FOR_ALL
  assertEquals(b.messageContextInfo?.messageAddOnDurationInSecs, 86_400);
  const read = getPin(roundTrip(pin));
  assertEquals([read?.pinned, read?.durationSeconds, read?.key.id], [true, 86_400, "3EB0AABB"]);
  const unpin = getPin(roundTrip(pinMessage(key, { unpin: true })));
  assertEquals([unpin?.pinned, unpin?.durationSeconds], [false, undefined]);
  assertThrows(() => pinMessage(key, { durationSeconds: 60 }), InputError, "durationSeconds");
  assertEquals(getPin({ conversation: "x" }), undefined);
});

Deno.test("keep in chat and undo", () => {
  const keep = keepInChatMessage(key);
  assertEquals(baileys(keep).keepInChatMessage?.keepType, 1); // KEEP_FOR_ALL
  assertEquals(getKeepInChat(roundTrip(keep))?.kept, true);
  assertEquals(getKeepInChat(roundTrip(keepInChatMessage(key, false)))?.kept, false);
});

Deno.test("forwarding: the flag, a growing score, and the text turned into extended text", () => {
  const once = forwardMessage({
    conversation: "news",
    messageContextInfo: { messageSecret: new Uint8Array(32) },
  });
  assertEquals(once.conversation, undefined);
  assertEquals(once.extendedTextMessage?.text, "news");
  assertEquals(once.messageContextInfo, undefined);
  const b = baileys(once).extendedTextMessage?.contextInfo as Record<string, unknown>;
  assertEquals([b.isForwarded, b.forwardingScore], [true, 1]);
  let m: Message = once;
  for (let i = 0; i < 4; i++) m = forwardMessage(roundTrip(m));
  assertEquals(getForwarded(m), { isForwarded: true, score: 5, frequently: true });
  assertEquals(getForwarded({ conversation: "x" }), { isForwarded: false, score: 0, frequently: false });
  // Media keep their kind; the quote of the original is not carried along.
  const img = forwardMessage({
    imageMessage: { caption: "c", contextInfo: { stanzaId: "Q", forwardingScore: 2 } },
  });
  assertEquals(contextInfoOf(img), { isForwarded: true, forwardingScore: 3 });
  assertThrows(() => withContextInfo({ protocolMessage: {} }, (c) => c), InputError, "context info");
});

Deno.test("link previews the caller supplies", () => {
  const thumb = new Uint8Array([0xff, 0xd8, 0xff, 0xe0]);
  const m = linkPreviewMessage("read https://deno.com/blog now", {
    url: "https://deno.com/blog",
    title: "Deno Blog",
    description: "News",
    jpegThumbnail: thumb,
  });
  const b = baileys(m).extendedTextMessage as Record<string, unknown>;
  assertEquals([b.matchedText, b.title, b.description], ["https://deno.com/blog", "Deno Blog", "News"]);
  assertEquals(getLinkPreview(roundTrip(m)), {
    url: "https://deno.com/blog",
    title: "Deno Blog",
    description: "News",
    jpegThumbnail: thumb,
  });
  assertThrows(() => linkPreviewMessage("no link here", { url: "https://x.y" }), InputError, "appear");
  assertEquals(getLinkPreview({ extendedTextMessage: { text: "plain" } }), undefined);
});

Deno.test("live and static locations", () => {
  const live = liveLocationMessage({
    latitude: 52.52,
    longitude: 13.405,
    accuracyInMeters: 5,
    sequenceNumber: 3,
    caption: "here",
  });
  const b = baileys(live).liveLocationMessage as Record<string, unknown>;
  assertEquals([b.degreesLatitude, b.degreesLongitude, b.accuracyInMeters, b.caption], [
    52.52,
    13.405,
    5,
    "here",
  ]);
  assertEquals(getLocation(roundTrip(live)), {
    latitude: 52.52,
    longitude: 13.405,
    live: true,
    caption: "here",
    accuracyInMeters: 5,
    sequenceNumber: 3,
  });
  assertEquals(getLocation({ locationMessage: { degreesLatitude: 1, degreesLongitude: 2, name: "Pier" } }), {
    latitude: 1,
    longitude: 2,
    live: false,
    name: "Pier",
  });
  assertThrows(() => liveLocationMessage({ latitude: 91, longitude: 0 }), InputError, "latitude");
  assertThrows(() => liveLocationMessage({ latitude: 0, longitude: NaN }), InputError, "longitude");
});

Deno.test("contact cards and arrays", () => {
  const one = contactMessage({ displayName: "Ann", vcard: vcard("Ann", "+1 555 000 1111") });
  assertEquals(getContacts(roundTrip(one))?.map((c) => c.displayName), ["Ann"]);
  const two = contactMessage({ displayName: "Ann", vcard: "A" }, { displayName: "Bo", vcard: "B" });
  const b = baileys(two).contactsArrayMessage as { contacts: { displayName: string }[] };
  assertEquals(b.contacts.map((c) => c.displayName), ["Ann", "Bo"]);
  assertEquals(getContacts(roundTrip(two)), [{ displayName: "Ann", vcard: "A" }, {
    displayName: "Bo",
    vcard: "B",
  }]);
  assertEquals(getContacts({ conversation: "x" }), undefined);
});

Deno.test("event invitations read back, and Baileys sees the same fields", () => {
  const { message } = eventMessage({
    name: "Launch",
    description: "Cake",
    start: new Date("2030-01-01T10:00:00Z"),
    end: new Date("2030-01-01T11:00:00Z"),
    joinLink: "https://call.whatsapp.com/video/abc",
    location: { latitude: 1.5, longitude: 2.5, name: "Roof" },
  });
  const b = baileys(message).eventMessage as Record<string, unknown>;
  assertEquals([b.name, b.description, b.joinLink], [
    "Launch",
    "Cake",
    "https://call.whatsapp.com/video/abc",
  ]);
  assertEquals(String(b.startTime), "1893492000");
  const e = getEvent(roundTrip(message));
  assertEquals(e?.start?.toISOString(), "2030-01-01T10:00:00.000Z");
  assertEquals(e?.end?.toISOString(), "2030-01-01T11:00:00.000Z");
  assertEquals([e?.name, e?.canceled, e?.location?.name], ["Launch", false, "Roof"]);
});

Deno.test("button, list, template and flow replies", () => {
  const cases = [
    buttonReplyMessage({ kind: "buttons", id: "yes", text: "Yes", inReplyTo: { id: "Q1" } }),
    buttonReplyMessage({ kind: "list", id: "row-2", text: "Tuesday" }),
    buttonReplyMessage({ kind: "template", id: "t1", text: "Track", index: 2 }),
    buttonReplyMessage({ kind: "interactive", id: "booking", text: "Booked", params: { slot: 3 } }),
  ];
  const b = cases.map(baileys);
  assertEquals(b[0].buttonsResponseMessage?.selectedButtonId, "yes");
  assertEquals(
    (b[1].listResponseMessage?.singleSelectReply as Record<string, unknown>).selectedRowId,
    "row-2",
  );
  assertEquals(b[2].templateButtonReplyMessage?.selectedIndex, 2);
  assertEquals(
    (b[3].interactiveResponseMessage?.nativeFlowResponseMessage as Record<string, unknown>).name,
    "booking",
  );
  const read = cases.map((m) => getButtonReply(roundTrip(m)));
  assertEquals(read[0], { kind: "buttons", id: "yes", text: "Yes", inReplyTo: { id: "Q1" } });
  assertEquals(read[1], { kind: "list", id: "row-2", text: "Tuesday" });
  assertEquals(read[2], { kind: "template", id: "t1", text: "Track", index: 2 });
  assertEquals(read[3], { kind: "interactive", id: "booking", text: "Booked", params: { slot: 3 } });
  assert(getButtonReply({ conversation: "x" }) === undefined, "not a reply");
  // Bad JSON in a flow reply leaves params out instead of failing.
  const junk = getButtonReply({
    interactiveResponseMessage: { nativeFlowResponseMessage: { name: "f", paramsJson: "{" } },
  });
  assertEquals(junk, { kind: "interactive", id: "f" });
  assertThrows(() => buttonReplyMessage({ kind: "buttons", id: "" }), InputError, "id");
});
