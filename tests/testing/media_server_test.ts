// FakeWhatsApp's media server over real HTTPS: the client trusts its run-time CA through
// Deno.createHttpClient({ caCerts }) and verifies TLS as usual.
import assert from "node:assert/strict";
import { sha256 } from "../../src/crypto/mod.ts";
import {
  createFetchHttpClient,
  downloadAndDecrypt,
  encryptMedia,
  mediaToken,
  prepareUpload,
  uploadEncrypted,
} from "../../src/features/media/mod.ts";
import { MediaServer } from "../../src/testing/media_server.ts";
import { assertMediaRejects, pseudoRandom } from "../features/media/helpers.ts";

async function withServer(
  fn: (media: MediaServer, http: ReturnType<typeof createFetchHttpClient>) => Promise<void>,
  options: Parameters<typeof MediaServer.start>[0] = {},
) {
  await using media = await MediaServer.start(options);
  using http = createFetchHttpClient({ caCerts: [media.caCert] });
  await fn(media, http);
}

async function post(http: ReturnType<typeof createFetchHttpClient>, url: string, body: Uint8Array) {
  const response = await http.request({ method: "POST", url, body });
  return { status: response.status, json: await response.json() as Record<string, unknown> };
}

Deno.test("upload then download is byte-exact, and the answer looks like the real one", async () => {
  await withServer(async (media, http) => {
    const plaintext = pseudoRandom(3 * 1024 * 1024 + 5, 1);
    await using encrypted = await prepareUpload(plaintext, "image");
    const conn = media.mediaConn();
    const result = await uploadEncrypted({
      hosts: media.hosts,
      auth: conn.auth,
      mediaType: "image",
      encrypted,
      http,
    });
    assert.match(
      result.directPath,
      /^\/v\/t62\.7118-24\/\d+_\d+_n\.enc\?ccb=11-4&oh=01_[\w-]+&oe=[0-9A-F]+&_nc_sid=5e03e0$/,
    );
    assert.equal(result.url, `https://${media.hosts[0]}${result.directPath}&mms3=true`);
    assert.equal(result.host, media.hosts[0]);
    const held = media.blob(result.directPath)!;
    assert.equal(held.size, encrypted.encryptedLength);
    assert.deepEqual(held.sha256, encrypted.fileEncSha256);
    assert.equal(held.mmsType, "image");
    const back = await downloadAndDecrypt({
      directPath: result.directPath,
      hosts: media.hosts,
      http,
      mediaType: "image",
      mediaKey: encrypted.mediaKey,
      fileSha256: encrypted.fileSha256,
      fileEncSha256: encrypted.fileEncSha256,
      fileLength: encrypted.fileLength,
    });
    assert.deepEqual(back, plaintext);
    const stats = media.stats;
    assert.equal(stats.blobs, 1);
    assert.equal(stats.uploads, 1);
    assert.equal(stats.downloads, 1);
    assert.equal(stats.uploadedBytes, encrypted.encryptedLength);
    assert.equal(stats.downloadedBytes, encrypted.encryptedLength);
  });
});

Deno.test("without the CA the TLS handshake fails: verification is never off", async () => {
  await withServer(async (media) => {
    const sent = encryptMedia(new Uint8Array(10), "image");
    await assertMediaRejects(
      uploadEncrypted({
        hosts: media.hosts,
        auth: media.issueAuth(),
        mediaType: "image",
        encrypted: { ...sent, open: () => ReadableStream.from([sent.encrypted]) },
      }),
      "network",
    );
    assert.equal(media.stats.uploads, 0);
  });
});

Deno.test("bad, expired and revoked auth tokens are refused with 401", async () => {
  let clock = 1_000_000;
  await withServer(async (media, http) => {
    const sent = encryptMedia(pseudoRandom(100, 2), "video");
    const token = mediaToken(sent.fileEncSha256);
    const url = (auth: string) => `https://${media.hosts[0]}/mms/video/${token}?auth=${auth}&token=${token}`;
    assert.equal((await post(http, url("forged"), sent.encrypted)).status, 401);
    const shortLived = media.issueAuth(10);
    clock += 11_000;
    assert.equal((await post(http, url(shortLived), sent.encrypted)).status, 401, "expired");
    const revoked = media.issueAuth();
    media.revokeAuth(revoked);
    assert.equal((await post(http, url(revoked), sent.encrypted)).status, 401, "revoked");
    const good = await post(http, url(media.issueAuth()), sent.encrypted);
    assert.equal(good.status, 200);
    assert.equal(typeof good.json.direct_path, "string");
    // uploadEncrypted turns 401 into an `auth` error and does not try the next host.
    const error = await assertMediaRejects(
      uploadEncrypted({
        hosts: media.hosts,
        auth: "forged",
        mediaType: "video",
        encrypted: { ...sent, open: () => ReadableStream.from([sent.encrypted]) },
        http,
      }),
      "auth",
    );
    assert.equal(error.status, 401);
    assert.equal(media.stats.blobs, 1);
  }, { now: () => clock });
});

Deno.test("a token that is not the body's SHA-256 is refused and nothing is kept; padded tokens work", async () => {
  await withServer(async (media, http) => {
    const body = pseudoRandom(5000, 3);
    const auth = media.issueAuth();
    const wrong = mediaToken(sha256(new Uint8Array(1)));
    const refused = await post(
      http,
      `https://${media.hosts[0]}/mms/document/${wrong}?auth=${auth}&token=${wrong}`,
      body,
    );
    assert.equal(refused.status, 400);
    assert.equal(media.stats.blobs, 0);
    // whatsmeow pads the token (upload.go rawUpload); the server accepts both.
    const padded = sha256(body).toBase64({ alphabet: "base64url" });
    assert.ok(padded.endsWith("="));
    const accepted = await post(
      http,
      `https://${media.hosts[0]}/mms/document/${padded}?auth=${auth}&token=${padded}`,
      body,
    );
    assert.equal(accepted.status, 200);
    // A resume probe for the same hash answers "complete" with the held blob.
    const probe = await post(
      http,
      `https://${media.hosts[0]}/mms/document/${padded}?auth=${auth}&token=${padded}&resume=1`,
      new Uint8Array(0),
    );
    assert.equal(probe.json.resume, "complete");
    assert.equal(probe.json.direct_path, accepted.json.direct_path);
  });
});

Deno.test("blobs over the size bound are cut off with 413 and not kept", async () => {
  await withServer(async (media, http) => {
    const body = pseudoRandom(300_000, 4);
    const token = mediaToken(sha256(body));
    const answer = await post(
      http,
      `https://${media.hosts[0]}/mms/video/${token}?auth=${media.issueAuth()}&token=${token}`,
      body,
    );
    assert.equal(answer.status, 413);
    assert.equal(media.stats.blobs, 0);
    assert.equal(media.stats.storedBytes, 0);
  }, { maxBlobBytes: 100_000, memoryThreshold: 10_000 });
});

Deno.test("an expired blob answers 410 (or 404) as `gone` until restored", async () => {
  await withServer(async (media, http) => {
    const plaintext = pseudoRandom(2000, 5);
    await using encrypted = await prepareUpload(plaintext, "audio");
    const { directPath } = await uploadEncrypted({
      hosts: media.hosts,
      auth: media.issueAuth(),
      mediaType: "audio",
      encrypted,
      http,
    });
    const download = () => downloadAndDecrypt({ directPath, hosts: media.hosts, http, ...encrypted });
    media.expire(directPath);
    assert.equal((await assertMediaRejects(download(), "gone")).status, 410);
    media.expire(directPath, 404);
    assert.equal((await assertMediaRejects(download(), "gone")).status, 404);
    media.restore(directPath);
    assert.deepEqual(await download(), plaintext);
    await media.remove(directPath);
    assert.equal((await assertMediaRejects(download(), "gone")).status, 404);
  });
});

Deno.test("host fallback: a failing first host, then a closed port, then a serving one", async () => {
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const deadHost = `127.0.0.1:${closed.addr.port}`;
  closed.close();
  await withServer(async (media, http) => {
    const [first, second] = media.hosts;
    media.failHost(first, 503);
    const plaintext = pseudoRandom(70_000, 6);
    await using encrypted = await prepareUpload(plaintext, "sticker");
    const hosts = [first, deadHost, second];
    const uploaded = await uploadEncrypted({
      hosts,
      auth: media.issueAuth(),
      mediaType: "sticker",
      encrypted,
      http,
    });
    assert.equal(uploaded.host, second);
    const back = await downloadAndDecrypt({
      directPath: uploaded.directPath,
      hosts,
      http,
      ...encrypted,
      mediaType: "sticker",
    });
    assert.deepEqual(back, plaintext);
    assert.equal(media.stats.uploads, 1);
    // With every host down the last error is reported, with all of them in its message.
    media.failHost(second, 500);
    const error = await assertMediaRejects(
      uploadEncrypted({ hosts, auth: media.issueAuth(), mediaType: "sticker", encrypted, http }),
      "http",
    );
    assert.equal(error.status, 500);
    assert.match(error.message, /3 hosts/);
  }, { hosts: 2 });
});

Deno.test("downloads honour Range, as Baileys' ranged download sends it", async () => {
  await withServer(async (media, http) => {
    const blob = pseudoRandom(200_000, 7);
    const info = await media.store(blob, "video");
    const url = `https://${media.hosts[0]}${info.directPath}&mms-type=video&__wa-mms=`;
    const response = await http.request({ method: "GET", url, headers: { Range: "bytes=16-1039" } });
    assert.equal(response.status, 206);
    assert.equal(response.headers.get("content-range"), `bytes 16-1039/${blob.length}`);
    assert.deepEqual(new Uint8Array(await response.arrayBuffer()), blob.subarray(16, 1040));
    const bad = await http.request({ method: "GET", url, headers: { Range: "bytes=999999-" } });
    await bad.body?.cancel();
    assert.equal(bad.status, 416);
  }, { memoryThreshold: 1000 });
});

Deno.test("DELETE with d_md removes a history blob (whatsmeow DeleteMedia)", async () => {
  await withServer(async (media, http) => {
    const info = await media.store(pseudoRandom(100, 8), "md-msg-hist");
    const token = mediaToken(info.sha256);
    const pathOnly = info.directPath.split("?")[0];
    const dmd = new TextEncoder().encode(pathOnly).toBase64({ alphabet: "base64url", omitPadding: true });
    const url = `https://${
      media.hosts[0]
    }/mms/md-msg-hist/${token}?token=${token}&d_md=${dmd}&auth=${media.issueAuth()}`;
    const response = await http.request({ method: "DELETE", url });
    await response.body?.cancel();
    assert.equal(response.status, 200);
    assert.equal(media.blob(info.directPath), undefined);
    assert.equal(media.stats.blobs, 0);
  });
});
