// Media retry crypto and stanzas, cross-checked against Baileys (baileys@7.0.0-rc14,
// lib/Utils/messages-media.js: encryptMediaRetryRequest, decryptMediaRetryData, decodeMediaRetryNode).
import assert from "node:assert/strict";
import * as baileysMedia from "npm:/baileys@7.0.0-rc14/lib/Utils/messages-media.js";
import { aesGcmEncrypt, hkdf, utf8 } from "../../../src/crypto/mod.ts";
import { MediaRetryNotification, type MediaRetryNotificationResultType } from "../../../src/proto/mod.ts";
import {
  buildMediaRetryReceipt,
  decryptMediaRetryNotification,
  decryptMediaRetryRequest,
  encryptMediaRetryNotification,
  encryptMediaRetryRequest,
  mediaRetryKey,
  parseMediaRetryNotification,
} from "../../../src/features/media/mod.ts";
import type { Node } from "../../../src/binary/mod.ts";
import { assertMediaError, pseudoRandom } from "./helpers.ts";

type BaileysNode = { tag: string; attrs: Record<string, string>; content?: unknown };
const baileysRequest = baileysMedia.encryptMediaRetryRequest as unknown as (
  key: { id: string; remoteJid: string; fromMe: boolean; participant?: string },
  mediaKey: Uint8Array,
  meId: string,
) => BaileysNode;
const baileysDecrypt = baileysMedia.decryptMediaRetryData as unknown as (
  data: { ciphertext: Uint8Array; iv: Uint8Array },
  mediaKey: Uint8Array,
  msgId: string,
) => { stanzaId?: string; directPath?: string; result?: number; messageSecret?: Uint8Array };
const baileysDecode = baileysMedia.decodeMediaRetryNode as unknown as (node: BaileysNode) => {
  key: { id: string; remoteJid: string; fromMe: boolean; participant?: string };
  media?: { ciphertext: Uint8Array; iv: Uint8Array };
  error?: { output: { statusCode: number } };
};

const MEDIA_KEY = pseudoRandom(32, 77);
const MSG_ID = "3EB0C0FFEE1234567890";

function child(node: BaileysNode | Node, tag: string): BaileysNode {
  const found = (node.content as BaileysNode[]).find((c) => c.tag === tag);
  assert.ok(found, `no <${tag}>`);
  return found;
}

Deno.test("the retry key is HKDF(mediaKey, 'WhatsApp Media Retry Notification', 32)", () => {
  // protocol-facts-features.md §1.3 (whatsmeow mediaretry.go getMediaRetryKey).
  assert.deepEqual(
    mediaRetryKey(MEDIA_KEY),
    hkdf(MEDIA_KEY, 32, { info: "WhatsApp Media Retry Notification" }),
  );
  assertMediaError(() => mediaRetryKey(new Uint8Array(16)), "bad_key");
});

Deno.test("Baileys' retry request decrypts here; our receipt has Baileys' shape", () => {
  const target = { id: MSG_ID, remoteJid: "15552223333@s.whatsapp.net", fromMe: false };
  const theirs = baileysRequest(target, MEDIA_KEY, "15550001111:3@s.whatsapp.net");
  const encrypt = child(theirs, "encrypt");
  const ciphertext = new Uint8Array(child(encrypt, "enc_p").content as Uint8Array);
  const iv = new Uint8Array(child(encrypt, "enc_iv").content as Uint8Array);
  decryptMediaRetryRequest(MEDIA_KEY, MSG_ID, { ciphertext, iv });
  assertMediaError(() => decryptMediaRetryRequest(MEDIA_KEY, "OTHER", { ciphertext, iv }), "bad_retry");

  // Same IV, same bytes: the payload is deterministic given the IV.
  assert.deepEqual(encryptMediaRetryRequest(MEDIA_KEY, MSG_ID, iv).ciphertext, ciphertext);
  const ours = buildMediaRetryReceipt(MEDIA_KEY, "15550001111@s.whatsapp.net", {
    messageId: MSG_ID,
    chat: target.remoteJid,
    fromMe: false,
  }, iv);
  assert.deepEqual(ours.attrs, theirs.attrs);
  assert.deepEqual(
    (ours.content as Node[]).map((c) => c.tag),
    (theirs.content as BaileysNode[]).map((c) => c.tag),
  );
  const rmr = child(ours as Node, "rmr");
  assert.deepEqual({ ...rmr.attrs, participant: undefined }, {
    ...child(theirs, "rmr").attrs,
    participant: undefined,
  });
  assert.deepEqual(child(child(ours as Node, "encrypt"), "enc_p").content, ciphertext);
});

Deno.test("our retry notification decrypts with Baileys' decryptMediaRetryData", () => {
  const secret = pseudoRandom(32, 5);
  const sealed = encryptMediaRetryNotification(MEDIA_KEY, MSG_ID, {
    directPath: "/v/t62.7118-24/123_456_n.enc?ccb=11-4",
    messageSecret: secret,
  });
  const theirs = baileysDecrypt(sealed, MEDIA_KEY, MSG_ID);
  assert.equal(theirs.stanzaId, MSG_ID);
  assert.equal(theirs.directPath, "/v/t62.7118-24/123_456_n.enc?ccb=11-4");
  assert.equal(theirs.result, 1);
  assert.deepEqual(new Uint8Array(theirs.messageSecret!), secret);
});

Deno.test("notification round trip: success, each error result, and tampering", () => {
  const success = decryptMediaRetryNotification(
    MEDIA_KEY,
    MSG_ID,
    encryptMediaRetryNotification(MEDIA_KEY, MSG_ID, { directPath: "/v/t62/9.enc" }),
  );
  assert.deepEqual(success, { kind: "success", directPath: "/v/t62/9.enc" });
  const results: [number, string][] = [[0, "general_error"], [2, "not_found"], [3, "decryption_error"]];
  for (const [result, code] of results) {
    const sealed = encryptMediaRetryNotification(MEDIA_KEY, MSG_ID, {
      result: result as MediaRetryNotificationResultType,
    });
    assert.deepEqual(decryptMediaRetryNotification(MEDIA_KEY, MSG_ID, sealed), {
      kind: "error",
      code,
      raw: result,
    });
  }
  // SUCCESS without a path is nothing to download.
  const empty = encryptMediaRetryNotification(MEDIA_KEY, MSG_ID, { result: 1 });
  assert.equal(decryptMediaRetryNotification(MEDIA_KEY, MSG_ID, empty).kind, "error");

  const sealed = encryptMediaRetryNotification(MEDIA_KEY, MSG_ID, { directPath: "/v/t62/9.enc" });
  for (let i = 0; i < sealed.ciphertext.length; i += 5) {
    const ciphertext = sealed.ciphertext.slice();
    ciphertext[i] ^= 0x40;
    assertMediaError(
      () => decryptMediaRetryNotification(MEDIA_KEY, MSG_ID, { ...sealed, ciphertext }),
      "bad_retry",
    );
  }
  assertMediaError(() => decryptMediaRetryNotification(MEDIA_KEY, "OTHER_ID", sealed), "bad_retry", "AAD");
  assertMediaError(
    () => decryptMediaRetryNotification(pseudoRandom(32, 1), MSG_ID, sealed),
    "bad_retry",
    "key",
  );
  assertMediaError(
    () => decryptMediaRetryNotification(MEDIA_KEY, MSG_ID, { ...sealed, iv: new Uint8Array(8) }),
    "bad_retry",
    "IV length",
  );
});

Deno.test("a notification for another stanza id, or not a protobuf, is bad_retry", () => {
  const key = mediaRetryKey(MEDIA_KEY);
  const iv = new Uint8Array(12);
  const other = MediaRetryNotification.encode({ stanzaId: "ELSEWHERE", directPath: "/v/1", result: 1 });
  const ciphertext = aesGcmEncrypt(key, iv, other, utf8(MSG_ID));
  assertMediaError(() => decryptMediaRetryNotification(MEDIA_KEY, MSG_ID, { ciphertext, iv }), "bad_retry");
  const garbage = aesGcmEncrypt(key, iv, new Uint8Array([0xff, 0xff, 0xff]), utf8(MSG_ID));
  assertMediaError(
    () => decryptMediaRetryNotification(MEDIA_KEY, MSG_ID, { ciphertext: garbage, iv }),
    "bad_retry",
  );
});

Deno.test("parseMediaRetryNotification reads both forms as Baileys' decodeMediaRetryNode does", () => {
  const sealed = encryptMediaRetryNotification(MEDIA_KEY, MSG_ID, { directPath: "/v/t62/7.enc" });
  const rmr = {
    tag: "rmr",
    attrs: { jid: "120363000000000000@g.us", from_me: "true", participant: "1555@s.whatsapp.net" },
  };
  const encrypted: Node = {
    tag: "notification",
    attrs: { id: MSG_ID, type: "mediaretry", t: "1700000000", from: "15550001111@s.whatsapp.net" },
    content: [rmr, {
      tag: "encrypt",
      attrs: {},
      content: [{ tag: "enc_p", attrs: {}, content: sealed.ciphertext }, {
        tag: "enc_iv",
        attrs: {},
        content: sealed.iv,
      }],
    }],
  };
  const ours = parseMediaRetryNotification(encrypted);
  const theirs = baileysDecode(encrypted as BaileysNode);
  assert.equal(ours.messageId, theirs.key.id);
  assert.equal(ours.chat, theirs.key.remoteJid);
  assert.equal(ours.fromMe, theirs.key.fromMe);
  assert.equal(ours.participant, theirs.key.participant);
  assert.deepEqual(ours.encrypted, sealed);
  assert.deepEqual(decryptMediaRetryNotification(MEDIA_KEY, MSG_ID, ours.encrypted!), {
    kind: "success",
    directPath: "/v/t62/7.enc",
  });

  const failed: Node = {
    tag: "notification",
    attrs: { id: MSG_ID, type: "mediaretry" },
    content: [rmr, { tag: "error", attrs: { code: "2" } }],
  };
  assert.deepEqual(parseMediaRetryNotification(failed).error, { kind: "error", code: "not_found", raw: 2 });
  // Baileys maps result 2 to HTTP 404 (getStatusCodeForMediaRetry).
  assert.equal(baileysDecode(failed as BaileysNode).error?.output.statusCode, 404);

  assertMediaError(
    () => parseMediaRetryNotification({ tag: "notification", attrs: { type: "other", id: "1" } }),
    "bad_retry",
  );
  assertMediaError(
    () =>
      parseMediaRetryNotification({
        tag: "notification",
        attrs: { type: "mediaretry", id: "1" },
        content: [rmr],
      }),
    "bad_retry",
  );
});
