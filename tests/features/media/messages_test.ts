// Media message builders and readers. Field shapes: the seed's media guide (32_guides_media-handling) and
// Baileys lib/Utils/messages.js (prepareWAMessageMedia: mediaKeyTimestamp in seconds, ptvMessage for round
// videos; generateWAMessageContent: `viewOnceMessage{message}` around content with viewOnce: true).
import assert from "node:assert/strict";
import { Jid } from "../../../src/binary/mod.ts";
import { InputError } from "../../../src/features/errors.ts";
import type { MessageEvent, MessageInfo } from "../../../src/features/message_info.ts";
import {
  checkMediaOptions,
  downloadTarget,
  hasMedia,
  mediaKindOf,
  mediaMessage,
  MESSAGE_MEDIA_KINDS,
  type MessageMediaKind,
  quotedMessageOf,
  type UploadedMedia,
} from "../../../src/features/media/messages.ts";
import { unwrapMessage } from "../../../src/features/media/media_ref.ts";
import type { Message } from "../../../src/proto/mod.ts";

function uploaded(kind: UploadedMedia["kind"]): UploadedMedia {
  return {
    kind,
    url: "https://mmg.whatsapp.net/v/t62.7118-24/1_2_n.enc?ccb=11-4&mms3=true",
    directPath: "/v/t62.7118-24/1_2_n.enc?ccb=11-4",
    mediaKey: new Uint8Array(32).fill(1),
    fileSha256: new Uint8Array(32).fill(2),
    fileEncSha256: new Uint8Array(32).fill(3),
    fileLength: 12345,
    mediaKeyTimestamp: 1_700_000_000,
  };
}

function info(chat: string, sender: string, extra: Partial<MessageInfo["source"]> = {}): MessageInfo {
  return {
    source: { chat: Jid.parse(chat), sender: Jid.parse(sender), isFromMe: false, isGroup: false, ...extra },
    id: "3EB0QUOTING",
    type: "text",
    pushName: "",
    timestamp: new Date(0),
    category: "",
    edit: "none",
    mediaType: "",
    offline: false,
  };
}

Deno.test("mediaMessage puts the blob fields on each kind's message, flags included", () => {
  const fields = (kind: MessageMediaKind) => {
    const m = unwrapMessage(mediaMessage(kind, uploaded(kind === "sticker" ? "sticker" : kind)));
    const [name, object] = Object.entries(m)[0] as [string, Record<string, unknown>];
    return { name, object };
  };
  const expected: Record<MessageMediaKind, string> = {
    image: "imageMessage",
    video: "videoMessage",
    gif: "videoMessage",
    ptv: "ptvMessage",
    audio: "audioMessage",
    ptt: "audioMessage",
    document: "documentMessage",
    sticker: "stickerMessage",
  };
  for (const kind of MESSAGE_MEDIA_KINDS) {
    const { name, object } = fields(kind);
    assert.equal(name, expected[kind], kind);
    assert.equal(object.directPath, "/v/t62.7118-24/1_2_n.enc?ccb=11-4");
    assert.equal(object.fileLength, 12345n);
    assert.equal(object.mediaKeyTimestamp, 1_700_000_000n);
    assert.deepEqual(object.mediaKey, new Uint8Array(32).fill(1));
    assert.equal(typeof object.mimetype, "string", `${kind} gets a default mimetype`);
  }
  assert.equal(fields("ptt").object.ptt, true);
  assert.equal(fields("audio").object.ptt, undefined);
  assert.equal(fields("gif").object.gifPlayback, true);
  assert.equal(fields("ptt").object.mimetype, "audio/ogg; codecs=opus");
  assert.equal(fields("document").object.mimetype, "application/octet-stream");
});

Deno.test("mediaMessage carries caption, size, reply, mentions and view-once as real clients do", () => {
  const quoted: MessageEvent = {
    info: info("120363000000000001@g.us", "15550001111:2@s.whatsapp.net", { isGroup: true }),
    message: { conversation: "question" },
  };
  const message = mediaMessage("image", uploaded("image"), {
    caption: "answer @15550002222",
    mimetype: "image/png",
    width: 640,
    height: 480,
    thumbnail: new Uint8Array([0xff, 0xd8, 0xff]),
    viewOnce: true,
    replyTo: quoted,
    mentions: [Jid.parse("15550002222:5@s.whatsapp.net")],
  });
  const image = message.viewOnceMessage?.message?.imageMessage;
  assert.ok(image, "wrapped in viewOnceMessage");
  assert.equal(image.viewOnce, true);
  assert.equal(image.caption, "answer @15550002222");
  assert.deepEqual([image.width, image.height, image.mimetype], [640, 480, "image/png"]);
  assert.deepEqual(image.jpegThumbnail, new Uint8Array([0xff, 0xd8, 0xff]));
  assert.deepEqual(image.contextInfo?.mentionedJid, ["15550002222@s.whatsapp.net"]);
  assert.equal(image.contextInfo?.stanzaId, "3EB0QUOTING");
  assert.equal(image.contextInfo?.participant, "15550001111@s.whatsapp.net");
  assert.equal(image.contextInfo?.remoteJid, "120363000000000001@g.us");
  const doc = mediaMessage("document", uploaded("document"), { fileName: "a.pdf", caption: "see" })
    .documentMessage!;
  assert.deepEqual([doc.fileName, doc.title, doc.caption], ["a.pdf", "a.pdf", "see"]);
  assert.equal(mediaMessage("image", uploaded("image")).imageMessage?.contextInfo, undefined);
});

Deno.test("options a kind does not carry, and numbers out of range, are refused with InputError", () => {
  const refused: [MessageMediaKind, Record<string, unknown>][] = [
    ["ptt", { caption: "no" }],
    ["document", { viewOnce: true }],
    ["sticker", { caption: "no" }],
    ["ptv", { viewOnce: true }],
    ["image", { seconds: 3 }],
    ["audio", { fileName: "x.mp3" }],
    ["image", { width: -1 }],
    ["video", { seconds: 1.5 }],
    ["ptt", { waveform: new Uint8Array(10) }],
  ];
  for (const [kind, options] of refused) {
    assert.throws(() => checkMediaOptions(kind, options), InputError, `${kind} ${JSON.stringify(options)}`);
  }
  assert.throws(() => checkMediaOptions("history" as MessageMediaKind, {}), InputError);
  // Send options travelling with media options are not media options: left alone.
  checkMediaOptions("ptt", { id: "3EB0X", timeoutMs: 10, seconds: 3, waveform: new Uint8Array(64) } as never);
});

Deno.test("mediaKindOf reads flagged kinds first, through wrappers; hasMedia follows it", () => {
  const cases: [Message, MessageMediaKind | undefined][] = [
    [{ audioMessage: { ptt: true } }, "ptt"],
    [{ audioMessage: {} }, "audio"],
    [{ videoMessage: { gifPlayback: true } }, "gif"],
    [{ videoMessage: { gifPlayback: false } }, "video"],
    [{ ptvMessage: {} }, "ptv"],
    [{ ephemeralMessage: { message: { viewOnceMessage: { message: { imageMessage: {} } } } } }, "image"],
    [{ documentWithCaptionMessage: { message: { documentMessage: {} } } }, "document"],
    [{ stickerMessage: {} }, "sticker"],
    [{ conversation: "hi" }, undefined],
    [{ protocolMessage: { historySyncNotification: { directPath: "/x" } } }, undefined],
  ];
  for (const [message, kind] of cases) {
    assert.equal(mediaKindOf(message), kind, JSON.stringify(message));
    assert.equal(hasMedia(message), kind !== undefined);
  }
});

Deno.test("downloadTarget takes an event (with its key), a keyed message, a bare message or a MediaRef", () => {
  const message = mediaMessage("video", uploaded("video"));
  const event: MessageEvent = {
    info: info("15550001111@s.whatsapp.net", "15550001111:3@s.whatsapp.net"),
    message,
  };
  const fromEvent = downloadTarget(event);
  assert.equal(fromEvent.ref.kind, "video");
  assert.deepEqual(fromEvent.key, {
    remoteJid: "15550001111@s.whatsapp.net",
    fromMe: false,
    id: "3EB0QUOTING",
  });
  const key = { remoteJid: "x@s.whatsapp.net", id: "1", fromMe: true };
  assert.deepEqual(downloadTarget({ message, key }).key, key);
  assert.equal(downloadTarget(message).key, undefined);
  assert.equal(downloadTarget(message).ref.directPath, "/v/t62.7118-24/1_2_n.enc?ccb=11-4");
  assert.equal(downloadTarget(uploaded("audio")).ref.kind, "audio");
  assert.throws(() => downloadTarget({ conversation: "no media" }), InputError);
  assert.throws(() => downloadTarget({ imageMessage: {} }), InputError, "media without a path or URL");
  assert.throws(() => downloadTarget(null as never), InputError);
});

Deno.test("quotedMessageOf finds the quote on any content, keyed for a retry, fromMe when we sent it", () => {
  const quotedImage = mediaMessage("image", uploaded("image"));
  const own = { pn: Jid.parse("15559990000:4@s.whatsapp.net"), lid: Jid.parse("123456789:4@lid") };
  const reply = (participant: string, group: boolean): MessageEvent => ({
    info: info(
      group ? "120363000000000001@g.us" : "15550001111@s.whatsapp.net",
      "15550001111@s.whatsapp.net",
      {
        isGroup: group,
      },
    ),
    message: {
      stickerMessage: { contextInfo: { stanzaId: "3EB0IMAGE", participant, quotedMessage: quotedImage } },
    },
  });
  const mine = quotedMessageOf(reply("123456789@lid", false), own)!;
  assert.equal(mine.message, quotedImage);
  assert.deepEqual(mine.key, { remoteJid: "15550001111@s.whatsapp.net", fromMe: true, id: "3EB0IMAGE" });
  const theirs = quotedMessageOf(reply("15550002222@s.whatsapp.net", true), own)!;
  assert.deepEqual(theirs.key, {
    remoteJid: "120363000000000001@g.us",
    fromMe: false,
    id: "3EB0IMAGE",
    participant: "15550002222@s.whatsapp.net",
  });
  assert.equal(
    quotedMessageOf({ info: reply("", false).info, message: { conversation: "plain" } }),
    undefined,
  );
});
