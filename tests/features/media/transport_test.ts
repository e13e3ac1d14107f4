// Transfers over the pluggable HTTP client: streamed and file downloads that fail typed and leave nothing
// behind, URL shapes, and answers a real server could give.
import assert from "node:assert/strict";
import {
  createFetchHttpClient,
  downloadAndDecryptStream,
  downloadAndDecryptToFile,
  downloadEncrypted,
  downloadUrl,
  encryptMedia,
  MediaError,
  type MediaHttpClient,
  type MediaHttpRequest,
  mediaToken,
  uploadEncrypted,
} from "../../../src/features/media/mod.ts";
import { MediaServer } from "../../../src/testing/media_server.ts";
import { assertMediaRejects, pseudoRandom, readUntilError } from "./helpers.ts";

Deno.test("download URLs carry whatsmeow's query after the direct path's own", () => {
  // whatsmeow download.go: directPath + "&hash=" + b64url(encSHA256) + "&mms-type=" + type + "&__wa-mms=".
  const hash = new Uint8Array(32).fill(0xfb);
  assert.equal(
    downloadUrl("mmg.whatsapp.net", "/v/t62.7118-24/1_2_n.enc?ccb=11-4&oh=x", {
      mediaType: "ptt",
      fileEncSha256: hash,
    }),
    `https://mmg.whatsapp.net/v/t62.7118-24/1_2_n.enc?ccb=11-4&oh=x&hash=${
      mediaToken(hash)
    }&mms-type=audio&__wa-mms=`,
  );
  assert.equal(downloadUrl("h", "/v/x"), "https://h/v/x");
  assert.equal(
    downloadUrl("h", "/v/x", { mediaType: "history" }),
    "https://h/v/x?mms-type=md-msg-hist&__wa-mms=",
  );
  assert.match(mediaToken(hash), /^[A-Za-z0-9_-]{43}$/, "unpadded base64url");
});

/** An HTTP client that records requests and answers from a function: the pluggable seam. */
function scripted(answer: (request: MediaHttpRequest) => Response | Promise<Response>) {
  const seen: MediaHttpRequest[] = [];
  const client: MediaHttpClient = {
    async request(request) {
      seen.push(request);
      if (request.body instanceof ReadableStream) await request.body.cancel();
      return await answer(request);
    },
  };
  return { client, seen };
}

const sent = encryptMedia(pseudoRandom(500, 1), "image");
const body = { ...sent, open: () => ReadableStream.from([sent.encrypted]) };

Deno.test("the upload request has the real shape: path, token, URL-encoded auth, Origin", async () => {
  const { client, seen } = scripted(() =>
    Response.json({
      url: "https://mmg.whatsapp.net/v/1.enc?x=1&mms3=true",
      direct_path: "/v/1.enc?x=1",
      handle: "H",
    })
  );
  const result = await uploadEncrypted({
    hosts: ["mmg.whatsapp.net"],
    auth: "a+b/c=",
    mediaType: "ptt",
    encrypted: body,
    http: client,
  });
  assert.deepEqual(result, {
    url: "https://mmg.whatsapp.net/v/1.enc?x=1&mms3=true",
    directPath: "/v/1.enc?x=1",
    handle: "H",
    host: "mmg.whatsapp.net",
  });
  const token = mediaToken(sent.fileEncSha256);
  assert.equal(seen[0].url, `https://mmg.whatsapp.net/mms/audio/${token}?auth=a%2Bb%2Fc%3D&token=${token}`);
  assert.equal(seen[0].method, "POST");
  assert.equal(seen[0].headers?.Origin, "https://web.whatsapp.com");
  assert.equal(seen[0].headers?.["Content-Type"], "application/octet-stream");
});

Deno.test("an answer without url/direct_path, or not JSON, moves on and ends as bad_response", async () => {
  let n = 0;
  const { client, seen } = scripted(() =>
    n++ === 0 ? Response.json({ error: "nope" }) : new Response("<html>")
  );
  const error = await assertMediaRejects(
    uploadEncrypted({ hosts: ["a", "b"], auth: "x", mediaType: "image", encrypted: body, http: client }),
    "bad_response",
  );
  assert.equal(seen.length, 2);
  assert.match(error.message, /2 hosts/);
  await assertMediaRejects(
    uploadEncrypted({ hosts: [], auth: "x", mediaType: "image", encrypted: body, http: client }),
    "no_hosts",
  );
  await assertMediaRejects(
    uploadEncrypted({ hosts: ["a"], auth: "x", mediaType: "app_state", encrypted: body, http: client }),
    "unsupported_type",
  );
});

Deno.test("download: 403 stops at once as auth, 500 tries the next host, aborts are typed", async () => {
  const { client, seen } = scripted((r) =>
    new Response("", { status: new URL(r.url).host === "a" ? 500 : 403 })
  );
  const error = await assertMediaRejects(
    downloadEncrypted({ directPath: "/v/1", hosts: ["a", "b", "c"], http: client }),
    "auth",
  );
  assert.equal(error.host, "b");
  assert.equal(seen.length, 2, "c was not tried");
  const controller = new AbortController();
  controller.abort();
  await assertMediaRejects(
    downloadEncrypted({ directPath: "/v/1", hosts: ["a"], http: client, signal: controller.signal }),
    "aborted",
  );
  await assertMediaRejects(downloadEncrypted({ directPath: "/v/1", http: client }), "no_hosts");
  await assertMediaRejects(downloadEncrypted({ url: "http://insecure/v/1", http: client }), "bad_input");
});

Deno.test("an announced length over fileLength is refused before reading the body", async () => {
  const { client } = scripted(() =>
    new Response(new Uint8Array(10_000), { headers: { "content-length": "10000" } })
  );
  await assertMediaRejects(
    downloadAndDecryptStream({
      url: "https://h/v/1",
      http: client,
      mediaType: "image",
      mediaKey: sent.mediaKey,
      fileLength: 500,
    }),
    "too_large",
  );
});

async function withMedia(fn: (media: MediaServer, http: MediaHttpClient) => Promise<void>) {
  await using media = await MediaServer.start();
  using http = createFetchHttpClient({ caCerts: [media.caCert] });
  await fn(media, http);
}

Deno.test("a streamed download of a tampered blob fails at the END with the typed error", async () => {
  await withMedia(async (media, http) => {
    const plaintext = pseudoRandom(3_000_000, 2);
    const good = encryptMedia(plaintext, "video");
    const tampered = good.encrypted.slice();
    tampered[100_000] ^= 1;
    const { directPath } = await media.store(tampered, "video");
    const stream = await downloadAndDecryptStream({
      directPath,
      hosts: media.hosts,
      http,
      mediaType: "video",
      ...good,
    });
    const { received, error: failure } = await readUntilError(stream);
    assert.ok(
      failure instanceof MediaError && failure.code === "bad_mac",
      `expected bad_mac, got ${failure}`,
    );
    assert.ok(received > 1_900_000, `the error came after ${received} bytes, not at the end`);
  });
});

Deno.test("downloadAndDecryptToFile writes the file only when every check passed", async () => {
  await withMedia(async (media, http) => {
    const dir = await Deno.makeTempDir();
    try {
      const plaintext = pseudoRandom(2_000_000, 3);
      const good = encryptMedia(plaintext, "document");
      const { directPath } = await media.store(good.encrypted, "document");
      const path = `${dir}/report.pdf`;
      const options = { directPath, hosts: media.hosts, http, mediaType: "document" as const, ...good, path };
      assert.deepEqual(await downloadAndDecryptToFile(options), { fileLength: plaintext.length });
      assert.deepEqual(await Deno.readFile(path), plaintext);

      // A wrong fileSha256: the download runs to the end, fails, and leaves the old file and no temp file.
      const wrong = good.fileSha256.slice();
      wrong[5] ^= 1;
      await Deno.writeTextFile(path, "previous content");
      await assertMediaRejects(downloadAndDecryptToFile({ ...options, fileSha256: wrong }), "bad_file_hash");
      assert.equal(await Deno.readTextFile(path), "previous content");

      // A tampered blob into a new name: no file at all.
      const tampered = good.encrypted.slice();
      tampered[tampered.length - 1] ^= 1;
      const bad = await media.store(tampered, "document");
      const fresh = `${dir}/never.pdf`;
      await assertMediaRejects(
        downloadAndDecryptToFile({ ...options, directPath: bad.directPath, path: fresh }),
        "bad_mac",
      );
      const names: string[] = [];
      for await (const entry of Deno.readDir(dir)) names.push(entry.name);
      assert.deepEqual(names, ["report.pdf"]);

      // An expired blob never starts a file either.
      media.expire(directPath);
      await assertMediaRejects(downloadAndDecryptToFile({ ...options, path: fresh }), "gone");
      await assert.rejects(Deno.stat(fresh), Deno.errors.NotFound);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});
