// Media end to end through FakeWhatsApp: a paired bot and a virtual phone (a real wadeno Client) send every
// kind of media both ways over the HTTPS media server (trusted by CA certificate), download it byte-exact,
// refuse tampered blobs with typed errors and no file left, recover expired blobs through media retry, and
// reach the media hosts through a proxy when one is set.
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import type { Client } from "../../src/client/client.ts";
import { FakeWhatsApp } from "../../src/testing/mod.ts";
import type { MessageEvent } from "../../src/features/message_info.ts";
import { messageText, textMessage } from "../../src/features/message_builders.ts";
import { MediaError, type MediaErrorCode } from "../../src/features/media/errors.ts";
import { IqError } from "../../src/features/errors.ts";
import { mediaRetryAnswerSpec } from "../../src/features/media/reupload.ts";
import { buildMediaRetryReceipt } from "../../src/features/media/retry_crypto.ts";
import { clientInternals } from "../../src/client/client.ts";
import { mediaRefOf, unwrapMessage } from "../../src/features/media/media_ref.ts";
import {
  hasMedia,
  mediaKindOf,
  type MessageMediaKind,
  quotedMessageOf,
} from "../../src/features/media/messages.ts";
import { sampleMedia, samplePng } from "../../src/testing/media_samples.ts";
import { tcpWebSocketTransport } from "../../src/client/transport.ts";
import { startHttpProxy } from "../client/net/proxies.ts";
import { deadline, newClient, pairByQr, startServer, testLogger } from "./helpers.ts";

/** Collects `message` events; `byId` waits for the one with that id. */
class Inbox {
  readonly #events = new Map<string, MessageEvent>();
  readonly #waiters = new Map<string, (e: MessageEvent) => void>();
  constructor(client: Client) {
    client.on("message", (e) => {
      this.#events.set(e.info.id, e);
      this.#waiters.get(e.info.id)?.(e);
    });
  }
  byId(id: string, signal = deadline()): Promise<MessageEvent> {
    const known = this.#events.get(id);
    if (known) return Promise.resolve(known);
    const { promise, resolve, reject } = Promise.withResolvers<MessageEvent>();
    this.#waiters.set(id, resolve);
    signal.addEventListener("abort", () => reject(new Error(`no message ${id} before the deadline`)), {
      once: true,
    });
    return promise;
  }
}

interface Setup {
  wa: FakeWhatsApp;
  bot: Client;
  phone: Client;
  atBot: Inbox;
  atPhone: Inbox;
}

async function setup(wa: FakeWhatsApp, number = "15550710001"): Promise<Setup> {
  const phone = await wa.phone(number).client();
  const bot = await newClient(wa, { pushName: "Media bot" });
  await pairByQr(bot, wa.phone("15550710099"));
  return { wa, bot, phone, atBot: new Inbox(bot), atPhone: new Inbox(phone) };
}

/** `promise`, or a rejection once `signal` fires. */
function until<T>(promise: Promise<T>, signal = deadline()): Promise<T> {
  const { promise: aborted, reject } = Promise.withResolvers<never>();
  signal.addEventListener("abort", () => reject(new Error("deadline passed")), { once: true });
  return Promise.race([promise, aborted]);
}

async function expectMediaError(promise: Promise<unknown>, code: MediaErrorCode): Promise<MediaError> {
  const error = await assertRejects(() => promise, MediaError);
  assertEquals((error as MediaError).code, code, (error as Error).message);
  return error as MediaError;
}

const KINDS: MessageMediaKind[] = ["image", "video", "gif", "ptv", "audio", "ptt", "document", "sticker"];

Deno.test("every media kind goes both ways between a bot and a phone, byte-exact, with its fields", async () => {
  await using wa = await startServer();
  const { bot, phone, atBot, atPhone } = await setup(wa);
  try {
    const botUser = bot.jid!.toNonAd();
    const phoneUser = wa.phone("15550710001").jid.toNonAd();
    for (const [i, kind] of KINDS.entries()) {
      for (const [from, to, inbox] of [[bot, phoneUser, atPhone], [phone, botUser, atBot]] as const) {
        const bytes = sampleMedia(kind, 3000 + i * 1000, i + 1);
        const caption = ["image", "video", "gif", "document"].includes(kind) ? `a ${kind}` : undefined;
        const sent = await from.media.send(to, kind, bytes, {
          caption,
          seconds: ["video", "gif", "ptv", "audio", "ptt"].includes(kind) ? 7 : undefined,
          fileName: kind === "document" ? "report.pdf" : undefined,
        });
        const event = await inbox.byId(sent.id);
        assertEquals(mediaKindOf(event.message), kind, `${kind}: the kind as received`);
        // The send pipeline does not name round videos yet (src/client/messaging/send.ts mediaTypeOf).
        assertEquals(event.info.type, "media", `${kind}: the stanza type`);
        const ref = mediaRefOf(event.message)!;
        assertEquals(ref.fileLength, bytes.length);
        assertEquals(await (from === bot ? phone : bot).media.download(event), bytes, `${kind}: the bytes`);
        if (caption) assertEquals(messageText(event.message), caption);
        const m = unwrapMessage(event.message);
        switch (kind) {
          case "image":
            assertEquals(m.imageMessage?.mimetype, "image/png");
            assertEquals([m.imageMessage?.width, m.imageMessage?.height], [
              24 + ((i + 1) % 8),
              16 + ((i + 1) % 5),
            ]);
            break;
          case "sticker":
            assertEquals([m.stickerMessage?.mimetype, m.stickerMessage?.width], ["image/webp", 512]);
            break;
          case "ptt":
            assertEquals([m.audioMessage?.ptt, m.audioMessage?.mimetype], [true, "audio/ogg; codecs=opus"]);
            break;
          case "audio":
            assertEquals([m.audioMessage?.ptt, m.audioMessage?.mimetype], [undefined, "audio/mpeg"]);
            break;
          case "gif":
            assertEquals([m.videoMessage?.gifPlayback, m.videoMessage?.seconds], [true, 7]);
            break;
          case "ptv":
            assertEquals(m.ptvMessage?.mimetype, "video/mp4");
            break;
          case "document":
            assertEquals([m.documentMessage?.fileName, m.documentMessage?.mimetype], [
              "report.pdf",
              "application/pdf",
            ]);
            break;
        }
      }
    }
  } finally {
    await bot.disconnect();
  }
});

Deno.test("view-once, replies, mentions, a thumbnail and a quoted image's download", async () => {
  await using wa = await startServer();
  const { bot, phone, atBot, atPhone } = await setup(wa, "15550710002");
  try {
    const botUser = bot.jid!.toNonAd();
    const hello = await phone.sendText(botUser, "hello");
    const helloEvent = await atBot.byId(hello.id);
    const png = samplePng(30, 20);
    const thumbnail = sampleMedia("image", 0, 3);
    const sent = await bot.media.sendImage(helloEvent.info.source.chat, png, {
      caption: "@15550710002 look",
      viewOnce: true,
      thumbnail,
      mentions: [wa.phone("15550710002").jid],
      replyTo: helloEvent,
    });
    const got = await atPhone.byId(sent.id);
    assert(got.message.viewOnceMessage?.message?.imageMessage?.viewOnce, "wrapped as view-once");
    const image = unwrapMessage(got.message).imageMessage!;
    assertEquals(image.contextInfo?.stanzaId, hello.id);
    assertEquals(image.contextInfo?.quotedMessage, { conversation: "hello" });
    assertEquals(image.contextInfo?.mentionedJid, ["15550710002@s.whatsapp.net"]);
    assertEquals(image.jpegThumbnail, thumbnail);
    assertEquals([image.width, image.height], [30, 20]);
    assertEquals(await phone.media.download(got), png);

    // The phone replies to the image; the bot downloads the image from the quote in the reply.
    const reply = await phone.sendMessage(botUser, textMessage("nice", { replyTo: got }));
    const replyEvent = await atBot.byId(reply.id);
    const quoted = quotedMessageOf(replyEvent, { pn: bot.jid!, lid: bot.lid });
    assert(quoted && hasMedia(quoted.message), "the reply quotes the image");
    assertEquals(quoted.key, {
      remoteJid: replyEvent.info.source.chat.toString(),
      fromMe: true,
      id: sent.id,
    });
    assertEquals(await bot.media.download(quoted), png);
    assertEquals(quotedMessageOf(helloEvent), undefined);
  } finally {
    await bot.disconnect();
  }
});

Deno.test("a tampered blob, a wrong MAC and a lying hash fail with typed errors and leave no file", async () => {
  await using wa = await startServer();
  const { bot, phone, atBot } = await setup(wa, "15550710003");
  const dir = await Deno.makeTempDir();
  try {
    const cases: {
      name: string;
      offset?: number;
      lie?: "fileEncSha256" | "fileSha256";
      code: MediaErrorCode;
    }[] = [
      { name: "a flipped byte in the ciphertext", offset: 100, code: "bad_mac" },
      { name: "a flipped byte in the MAC", offset: -1, code: "bad_mac" },
      { name: "a message whose fileEncSha256 lies", lie: "fileEncSha256", code: "bad_enc_hash" },
      { name: "a message whose fileSha256 lies", lie: "fileSha256", code: "bad_file_hash" },
    ];
    for (const [i, c] of cases.entries()) {
      const bytes = sampleMedia("document", 200_000 + i, i + 10);
      const sent = await phone.media.sendDocument(bot.jid!.toNonAd(), bytes, { fileName: "x.pdf" });
      const event = await atBot.byId(sent.id);
      const document = event.message.documentMessage!;
      if (c.offset !== undefined) assert(await wa.media.corrupt(document.directPath!, c.offset), c.name);
      if (c.lie) document[c.lie] = new Uint8Array(32).fill(7);
      const path = `${dir}/out-${i}.pdf`;
      const toFile = await expectMediaError(bot.media.download(event, { to: { path } }), c.code);
      assert(toFile.message.length > 0);
      await expectMediaError(bot.media.download(event), c.code);
      const stream = await bot.media.download(event, { to: "stream" });
      await expectMediaError(new Response(stream).arrayBuffer(), c.code);
      assertEquals([...Deno.readDirSync(dir)], [], `${c.name}: no file, no partial file`);
    }
  } finally {
    await bot.disconnect();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an expired blob recovers through media retry, both ways and in a group", async () => {
  await using wa = await startServer();
  const { bot, phone, atBot, atPhone } = await setup(wa, "15550710004");
  try {
    const retries: string[] = [];
    bot.on("mediaRetry", (notice) => void retries.push(notice.messageId));

    // Phone to bot, 1:1: the bot asks, the phone uploads again, the bot downloads the new copy.
    const bytes = sampleMedia("video", 300_000, 4);
    const sent = await phone.media.sendVideo(bot.jid!.toNonAd(), bytes);
    const event = await atBot.byId(sent.id);
    const oldPath = event.message.videoMessage!.directPath!;
    wa.media.expire(oldPath, 410);
    const blobsBefore = wa.media.stats.blobs;
    assertEquals(await bot.media.download(event), bytes);
    assertEquals(retries, [sent.id]);
    assertEquals(wa.media.stats.blobs, blobsBefore + 1, "the phone uploaded one new copy");
    await expectMediaError(bot.media.download(event, { retry: false }), "gone");
    await expectMediaError(bot.media.download(event.message), "gone"); // no key: no retry possible

    // Bot to phone: the bot answers the phone's request from what it kept of the upload.
    const fromBot = await bot.media.sendImage(wa.phone("15550710004").jid.toNonAd(), samplePng(8, 8));
    const atPhoneEvent = await atPhone.byId(fromBot.id);
    wa.media.expire(atPhoneEvent.message.imageMessage!.directPath!, 404);
    assertEquals(await phone.media.download(atPhoneEvent), samplePng(8, 8));

    // In a group, the request names the sender as participant and reaches the device that sent it.
    const companion = await wa.phone("15550710004").addCompanion();
    const group = wa.createGroup({
      creator: wa.phone("15550710004").jid,
      participants: [bot.jid!.toNonAd()],
    });
    const inGroup = await companion.media.sendDocument(group, sampleMedia("document", 5000, 9), {
      fileName: "g.pdf",
    });
    const groupEvent = await atBot.byId(inGroup.id);
    assertEquals(groupEvent.info.source.isGroup, true);
    wa.media.expire(groupEvent.message.documentMessage!.directPath!);
    assertEquals(await bot.media.download(groupEvent), sampleMedia("document", 5000, 9));
  } finally {
    await bot.disconnect();
  }
});

Deno.test("media retry fails with retry_failed when the sender no longer has the media, and times out when it is away", async () => {
  await using wa = await startServer();
  const { bot, phone, atBot } = await setup(wa, "15550710005");
  try {
    // A one-shot stream cannot be read again, so the phone answers "not found".
    const bytes = sampleMedia("audio", 10_000, 5);
    const sent = await phone.media.sendAudio(bot.jid!.toNonAd(), ReadableStream.from([bytes]));
    const event = await atBot.byId(sent.id);
    assertEquals(await bot.media.download(event), bytes);
    wa.media.expire(event.message.audioMessage!.directPath!);
    const refused = await expectMediaError(bot.media.download(event), "retry_failed");
    assertEquals(refused.retryResult, "not_found");

    // A kept one, but the phone is offline: no answer before the deadline.
    const kept = await phone.media.sendVoiceNote(bot.jid!.toNonAd(), sampleMedia("ptt", 4000, 6));
    const keptEvent = await atBot.byId(kept.id);
    wa.media.expire(keptEvent.message.audioMessage!.directPath!);
    await phone.disconnect();
    await wa.waitForOffline(wa.phone("15550710005").jid);
    await expectMediaError(bot.media.download(keptEvent, { retryTimeoutMs: 300 }), "timeout");
    // Aborting while the request waits for its answer stops the download at once.
    const aborted = new AbortController();
    const asked = wa.waitForStanza((n) => n.tag === "receipt" && n.attrs.type === "server-error", {
      signal: deadline(),
    });
    const pending = bot.media.download(keptEvent, { signal: aborted.signal });
    await asked;
    aborted.abort();
    await expectMediaError(pending, "aborted");
  } finally {
    await bot.disconnect();
  }
});

Deno.test("media_conn is cached, refreshed after a refused token, and a down host falls back", async () => {
  await using wa = await FakeWhatsApp.start({ logger: testLogger().child("FakeWA"), media: { hosts: 2 } });
  const { bot, phone, atBot } = await setup(wa, "15550710006");
  try {
    let queries = 0;
    wa.onStanza((node) => {
      if (
        node.tag === "iq" && node.attrs.xmlns === "w:m" && Array.isArray(node.content) &&
        node.content[0]?.tag === "media_conn"
      ) queries++;
    });
    const first = await bot.media.upload(sampleMedia("document", 1000, 1), "document");
    await bot.media.upload(sampleMedia("document", 1000, 2), "document");
    assertEquals(queries, 1, "one media_conn for two uploads");
    const conn = await bot.media.mediaConn();
    wa.media.revokeAuth(conn.auth);
    await bot.media.upload(sampleMedia("document", 1000, 3), "document");
    assertEquals(queries, 2, "a 401 fetched a new token once");
    assert((await bot.media.mediaConn()).auth !== conn.auth);
    assertEquals(
      await bot.media.download(first),
      sampleMedia("document", 1000, 1),
      "an upload result is a MediaRef",
    );

    wa.media.failHost(wa.media.hosts[0], 503);
    const sent = await phone.media.sendImage(bot.jid!.toNonAd(), samplePng(5, 5));
    assertEquals(await bot.media.download(await atBot.byId(sent.id)), samplePng(5, 5));
  } finally {
    await bot.disconnect();
  }
});

Deno.test("with a proxy set, media goes through it: hosts named media.test resolve only there", async () => {
  await using wa = await FakeWhatsApp.start({
    logger: testLogger().child("FakeWA"),
    media: { hostname: "media.test" },
  });
  await using proxy = await startHttpProxy();
  // The chat socket goes direct; only the HTTPS client uses the proxy.
  await using bot = await newClient(wa, {
    transport: tcpWebSocketTransport({ url: wa.url }),
    proxy: `http://127.0.0.1:${proxy.port}`,
  });
  await pairByQr(bot, wa.phone("15550710098"));
  const bytes = samplePng(16, 16);
  const uploaded = await bot.media.upload(bytes, "image");
  assertEquals(await bot.media.download(uploaded), bytes);
  const host = wa.media.hosts[0];
  assert(host.startsWith("media.test:"), host);
  // One tunnel carries both transfers (a kept-alive connection); nothing resolves media.test but the proxy.
  assert(proxy.tunnels.includes(host), proxy.tunnels.join(", "));
});

Deno.test("the server refuses media IQs it cannot serve and retry receipts it cannot route", async () => {
  await using wa = await startServer();
  await using bot = await newClient(wa);
  await pairByQr(bot, wa.phone("15550710097"));
  // An answer to a request that was never routed to this device.
  const stray = mediaRetryAnswerSpec({
    messageId: "3EB0FEED",
    requester: wa.phone("15550710001").jid.toString(),
    errorCode: 2,
  });
  const error = await assertRejects(() => bot.execute(stray), IqError);
  assertEquals([(error as IqError).code, (error as IqError).status], ["server", 404]);
  const get = {
    operation: "w:m get",
    build: () => ({ namespace: "w:m", type: "get" as const }),
    parse: () => {},
  };
  assertEquals(((await assertRejects(() => bot.execute(get), IqError)) as IqError).status, 400);
  // A retry receipt about a chat with no account behind it is acked with 404 and goes nowhere.
  const { promise: ack, resolve } = Promise.withResolvers<Record<string, string>>();
  const off = clientInternals(bot).router.on({ tag: "ack" }, (node) => {
    if (node.attrs.class === "receipt" && node.attrs.type === "server-error") resolve(node.attrs);
  });
  await bot.sendNode(buildMediaRetryReceipt(new Uint8Array(32), bot.jid!.toNonAd(), {
    messageId: "3EB0BEEF",
    chat: "15559990000@s.whatsapp.net",
    fromMe: false,
  }));
  assertEquals((await until(ack)).error, "404");
  off();
});
