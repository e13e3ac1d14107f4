// The media type table against its sources, message references, and media_conn parsing.
import assert from "node:assert/strict";
import { MEDIA_HKDF_KEY_MAPPING, MEDIA_PATH_MAP } from "npm:/baileys@7.0.0-rc14/lib/Defaults/index.js";
import {
  externalBlobRef,
  historySyncRef,
  MEDIA_KINDS,
  MEDIA_TYPES,
  mediaConnExpiresAt,
  mediaHostnames,
  mediaRefOf,
  mediaType,
  newsletterUploadPath,
  parseMediaConn,
  thumbnailRefOf,
} from "../../../src/features/media/mod.ts";
import { buildMediaConnNode } from "../../../src/testing/media_server.ts";
import type { Node } from "../../../src/binary/mod.ts";
import { asNode } from "../helpers.ts";
import { assertMediaError } from "./helpers.ts";

Deno.test("HKDF info and paths agree with Baileys' tables where whatsmeow and whatsapp-rust do too", () => {
  // Baileys lib/Defaults/index.js MEDIA_HKDF_KEY_MAPPING / MEDIA_PATH_MAP.
  const keys = MEDIA_HKDF_KEY_MAPPING as Record<string, string>;
  const paths = MEDIA_PATH_MAP as Record<string, string>;
  const pairs: [keyof typeof MEDIA_TYPES, string][] = [
    ["image", "image"],
    ["video", "video"],
    ["gif", "gif"],
    ["ptv", "ptv"],
    ["audio", "audio"],
    ["ptt", "ptt"],
    ["document", "document"],
    ["sticker", "sticker"],
    ["history", "md-msg-hist"],
    ["app_state", "md-app-state"],
    ["link_thumbnail", "thumbnail-link"],
    ["image_thumbnail", "thumbnail-image"],
    ["product", "product"],
    ["biz_cover_photo", "biz-cover-photo"],
    ["payment_background", "payment-bg-image"],
  ];
  for (const [kind, name] of pairs) {
    assert.equal(MEDIA_TYPES[kind].hkdfInfo, `WhatsApp ${keys[name]} Keys`, kind);
  }
  for (const kind of ["image", "video", "document", "audio", "sticker", "biz_cover_photo"] as const) {
    assert.equal(MEDIA_TYPES[kind].uploadPath, paths[kind.replaceAll("_", "-")], kind);
  }
  assert.equal(MEDIA_TYPES.product_catalog_image.uploadPath, paths["product-catalog-image"]);
  // The deliberate differences: whatsmeow and whatsapp-rust (wacore/src/download.rs upload_path) say
  // /mms/md-msg-hist and /mms/thumbnail-link; Baileys says /mms/md-app-state and /mms/image.
  assert.equal(MEDIA_TYPES.history.uploadPath, "/mms/md-msg-hist");
  assert.equal(MEDIA_TYPES.link_thumbnail.uploadPath, "/mms/thumbnail-link");
  assert.equal(MEDIA_TYPES.app_state.uploadPath, undefined, "clients never upload app state blobs");
});

Deno.test("mms types follow whatsapp-rust's MediaType::mms_type", () => {
  // whatsapp-rust wacore/src/download.rs (commit 04dbb0c5).
  const expected = {
    image: "image",
    sticker: "image",
    video: "video",
    audio: "audio",
    document: "document",
    history: "md-msg-hist",
    app_state: "md-app-state",
    sticker_pack: "sticker-pack",
    sticker_pack_thumbnail: "thumbnail-sticker-pack",
    link_thumbnail: "thumbnail-link",
    product_catalog_image: "product-catalog-image",
  } as const;
  for (const [kind, mms] of Object.entries(expected)) {
    assert.equal(MEDIA_TYPES[kind as keyof typeof expected].mmsType, mms, kind);
  }
  assert.equal(newsletterUploadPath("video"), "/newsletter/newsletter-video");
  assert.equal(mediaType(MEDIA_TYPES.ptt), MEDIA_TYPES.ptt);
  assertMediaError(() => mediaType("selfie" as never), "unsupported_type");
  assert.equal(new Set(MEDIA_KINDS).size, MEDIA_KINDS.length);
});

const KEY = new Uint8Array(32).fill(1);
const base = { directPath: "/v/t62/1.enc", mediaKey: KEY, fileSha256: new Uint8Array(32), fileLength: 10n };

Deno.test("mediaRefOf finds the main media, honouring ptt and gifPlayback, through wrappers", () => {
  assert.equal(mediaRefOf({ imageMessage: base })?.kind, "image");
  assert.equal(mediaRefOf({ audioMessage: base })?.kind, "audio");
  assert.equal(mediaRefOf({ audioMessage: { ...base, ptt: true } })?.kind, "ptt");
  assert.equal(mediaRefOf({ videoMessage: { ...base, gifPlayback: true } })?.kind, "gif");
  assert.equal(mediaRefOf({ videoMessage: base })?.kind, "video");
  assert.equal(mediaRefOf({ ptvMessage: base })?.kind, "ptv");
  assert.equal(mediaRefOf({ stickerMessage: base })?.kind, "sticker");
  assert.equal(mediaRefOf({ documentMessage: base })?.kind, "document");
  assert.deepEqual(
    mediaRefOf({ ephemeralMessage: { message: { viewOnceMessage: { message: { imageMessage: base } } } } }),
    {
      kind: "image",
      directPath: "/v/t62/1.enc",
      mediaKey: KEY,
      fileSha256: new Uint8Array(32),
      fileLength: 10,
    },
  );
  assert.equal(
    mediaRefOf({ protocolMessage: { historySyncNotification: { directPath: "/v/h.enc", mediaKey: KEY } } })
      ?.kind,
    "history",
  );
  assert.equal(mediaRefOf({ conversation: "hi" }), undefined);
  assert.equal(mediaRefOf({ imageMessage: { mediaKey: KEY } }), undefined, "nothing to download");
  assert.equal(mediaRefOf({ imageMessage: { ...base, fileLength: 2n ** 60n } })?.fileLength, undefined);
});

Deno.test("thumbnailRefOf reads the thumbnail fields with the message's media key", () => {
  const ref = thumbnailRefOf({
    extendedTextMessage: {
      text: "https://example.com",
      thumbnailDirectPath: "/v/t62/thumb.enc",
      thumbnailSha256: new Uint8Array(32).fill(2),
      thumbnailEncSha256: new Uint8Array(32).fill(3),
      mediaKey: KEY,
    },
  });
  assert.deepEqual(ref, {
    kind: "link_thumbnail",
    directPath: "/v/t62/thumb.enc",
    mediaKey: KEY,
    fileSha256: new Uint8Array(32).fill(2),
    fileEncSha256: new Uint8Array(32).fill(3),
  });
  assert.equal(thumbnailRefOf({ imageMessage: base }), undefined);
});

Deno.test("history and app-state references", () => {
  assert.deepEqual(historySyncRef({ directPath: "/v/h", mediaKey: KEY, fileLength: 5n }), {
    kind: "history",
    directPath: "/v/h",
    mediaKey: KEY,
    fileLength: 5,
  });
  assert.deepEqual(externalBlobRef({ directPath: "/v/a", mediaKey: KEY, fileSizeBytes: 7n }), {
    kind: "app_state",
    directPath: "/v/a",
    mediaKey: KEY,
    fileLength: 7,
  });
});

Deno.test("the media server's media_conn node parses back, primary hosts first", () => {
  const node = asNode(buildMediaConnNode({
    auth: "AUTH",
    ttl: 300,
    authTtl: 120,
    maxBuckets: 12,
    hosts: [
      { hostname: "b.example", type: "fallback" },
      { hostname: "a.example", fallbackHostname: "a2.example", download: ["image", "video"] },
    ],
  }));
  assert.equal(node.tag, "media_conn");
  assert.deepEqual(node.attrs, { auth: "AUTH", ttl: "300", auth_ttl: "120", max_buckets: "12" });
  const conn = parseMediaConn({ tag: "iq", attrs: { type: "result" }, content: [node] }, 1_000_000);
  assert.deepEqual(conn.hosts.map((h) => h.hostname), ["a.example", "b.example"]);
  assert.deepEqual(mediaHostnames(conn), ["a.example", "b.example", "a2.example"]);
  assert.equal(conn.authTtlSeconds, 120);
  assert.equal(conn.maxBuckets, 12);
  assert.equal(mediaConnExpiresAt(conn), 1_000_000 + 120_000, "min(ttl, auth_ttl)");
  const hostA = (node.content as Node[])[1];
  assert.deepEqual((hostA.content as Node[]).map((c) => c.tag), ["upload", "download"]);
});

Deno.test("parseMediaConn refuses answers without auth, hosts or with bad numbers", () => {
  const host = { tag: "host", attrs: { hostname: "mmg.whatsapp.net" } };
  assertMediaError(() => parseMediaConn({ tag: "iq", attrs: {} }), "bad_media_conn");
  assertMediaError(
    () => parseMediaConn({ tag: "media_conn", attrs: { ttl: "1" }, content: [host] }),
    "bad_media_conn",
  );
  assertMediaError(
    () => parseMediaConn({ tag: "media_conn", attrs: { auth: "x", ttl: "1" } }),
    "bad_media_conn",
  );
  assertMediaError(
    () => parseMediaConn({ tag: "media_conn", attrs: { auth: "x", ttl: "-5" }, content: [host] }),
    "bad_media_conn",
  );
  // whatsmeow mediaconn.go reads only ttl; a missing auth_ttl leaves ttl as the expiry.
  const conn = parseMediaConn({ tag: "media_conn", attrs: { auth: "x", ttl: "60" }, content: [host] }, 0);
  assert.equal(mediaConnExpiresAt(conn), 60_000);
});
