// Media crypto and transfer throughput. Baselines, in the same run:
// - "raw AES-256-CBC + HMAC-SHA256": node:crypto's cipher and HMAC over the same bytes in the same chunks,
//   with no hashing (the brief's baseline);
// - "+ 2 × SHA-256": the same plus the two SHA-256 passes the format needs (fileSha256 of the plaintext,
//   fileEncSha256 of the blob): the floor for any implementation of the format on these primitives.
// - "raw WebCrypto AES-256-CBC + HMAC-SHA256": one WebCrypto call over the whole input plus node's HMAC,
//   the primitive the streams use (see src/features/media/cbc_batch.ts).
// Upload and download of 64 MiB go through FakeWhatsApp's media server over HTTPS on loopback; their
// baseline is a plain HTTPS POST/GET of the same bytes to the same server, without media crypto. The
// "client API" groups do the same through a logged-in Client (`client.media.upload` / `download`: the
// media_conn token, the per-client HTTP client, encryption and every check) against FakeWhatsApp.
// Run: deno bench --allow-all bench/media.bench.ts
import { createCipheriv, createDecipheriv, createHash, createHmac } from "node:crypto";
import {
  createFetchHttpClient,
  decryptMediaStream,
  downloadAndDecryptStream,
  encryptMedia,
  encryptMediaStream,
  expandMediaKey,
  MediaDecryptor,
  MediaEncryptor,
  mediaToken,
  prepareUpload,
  uploadEncrypted,
} from "../src/features/media/mod.ts";
import { MediaServer } from "../src/testing/media_server.ts";
import { FakeWhatsApp } from "../src/testing/mod.ts";

const CHUNK = 64 * 1024;
const MiB = 1024 * 1024;
const mediaKey = crypto.getRandomValues(new Uint8Array(32));
const keys = expandMediaKey(mediaKey, "video");
const ivCopy = new Uint8Array(keys.iv);
const cbcKey = crypto.subtle.importKey("raw", new Uint8Array(keys.cipherKey), "AES-CBC", false, [
  "encrypt",
  "decrypt",
]);

function data(size: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(i + 65536, size)));
  return out;
}

function chunks(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += CHUNK) out.push(bytes.subarray(i, i + CHUNK));
  return out;
}

function rawEncrypt(parts: Uint8Array[], hashes: boolean): void {
  const cipher = createCipheriv("aes-256-cbc", keys.cipherKey, keys.iv);
  const mac = createHmac("sha256", keys.macKey).update(keys.iv);
  const plain = hashes ? createHash("sha256") : undefined;
  const enc = hashes ? createHash("sha256") : undefined;
  for (const part of parts) {
    plain?.update(part);
    const out = cipher.update(part);
    mac.update(out);
    enc?.update(out);
  }
  const last = cipher.final();
  mac.update(last);
  enc?.update(last);
  enc?.update(mac.digest().subarray(0, 10));
  plain?.digest();
  enc?.digest();
}

function rawDecrypt(parts: Uint8Array[], hashes: boolean): void {
  const decipher = createDecipheriv("aes-256-cbc", keys.cipherKey, keys.iv);
  const mac = createHmac("sha256", keys.macKey).update(keys.iv);
  const plain = hashes ? createHash("sha256") : undefined;
  const enc = hashes ? createHash("sha256") : undefined;
  for (const part of parts) {
    mac.update(part);
    enc?.update(part);
    const out = decipher.update(part);
    plain?.update(out);
  }
  plain?.update(decipher.final());
  mac.digest();
  plain?.digest();
  enc?.digest();
}

for (const size of [1 * MiB, 16 * MiB]) {
  const label = `${size / MiB} MiB`;
  const plaintext = data(size);
  const parts = chunks(plaintext);
  const sent = encryptMedia(plaintext, "video", { mediaKey });
  // The blob without the MAC, cut like the plaintext, for the raw decrypt baselines.
  const blobParts = chunks(sent.encrypted.subarray(0, sent.encrypted.length - 10));

  Deno.bench(
    `raw AES-256-CBC + HMAC-SHA256 encrypt, ${label}`,
    { group: `encrypt ${label}`, baseline: true },
    () => {
      rawEncrypt(parts, false);
    },
  );
  Deno.bench(`raw AES-CBC + HMAC + 2 × SHA-256 encrypt, ${label}`, { group: `encrypt ${label}` }, () => {
    rawEncrypt(parts, true);
  });
  Deno.bench(
    `raw WebCrypto AES-256-CBC + HMAC-SHA256 encrypt, ${label}`,
    { group: `encrypt ${label}` },
    async () => {
      const key = await cbcKey;
      const out = new Uint8Array(
        await crypto.subtle.encrypt({ name: "AES-CBC", iv: ivCopy }, key, plaintext),
      );
      createHmac("sha256", keys.macKey).update(keys.iv).update(out).digest();
    },
  );
  Deno.bench(`MediaEncryptor, ${label} in 64 KiB chunks`, { group: `encrypt ${label}` }, () => {
    const enc = new MediaEncryptor("video", mediaKey);
    for (const part of parts) enc.update(part);
    enc.final();
  });
  Deno.bench(`encryptMedia one-shot, ${label}`, { group: `encrypt ${label}` }, () => {
    encryptMedia(plaintext, "video", { mediaKey });
  });
  Deno.bench(`encryptMediaStream, ${label}`, { group: `encrypt ${label}` }, async () => {
    const { stream, hashes } = encryptMediaStream(plaintext, "video", { mediaKey });
    for await (const _ of stream) { /* drain */ }
    await hashes;
  });

  Deno.bench(
    `raw AES-256-CBC + HMAC-SHA256 decrypt, ${label}`,
    { group: `decrypt ${label}`, baseline: true },
    () => {
      rawDecrypt(blobParts, false);
    },
  );
  Deno.bench(`raw AES-CBC + HMAC + 2 × SHA-256 decrypt, ${label}`, { group: `decrypt ${label}` }, () => {
    rawDecrypt(blobParts, true);
  });
  Deno.bench(
    `raw WebCrypto AES-256-CBC + HMAC-SHA256 decrypt, ${label}`,
    { group: `decrypt ${label}` },
    async () => {
      const key = await cbcKey;
      const ciphertext = new Uint8Array(sent.encrypted.subarray(0, sent.encrypted.length - 10));
      createHmac("sha256", keys.macKey).update(keys.iv).update(ciphertext).digest();
      await crypto.subtle.decrypt({ name: "AES-CBC", iv: ivCopy }, key, ciphertext);
    },
  );
  Deno.bench(`MediaDecryptor, ${label} in 64 KiB chunks`, { group: `decrypt ${label}` }, () => {
    const dec = new MediaDecryptor("video", sent);
    for (const part of chunks(sent.encrypted)) dec.update(part);
    dec.final();
  });
  Deno.bench(`decryptMediaStream, ${label}`, { group: `decrypt ${label}` }, async () => {
    for await (const _ of decryptMediaStream(sent.encrypted, "video", sent)) { /* drain */ }
  });
}

// --- transfers over loopback HTTPS ---

const TRANSFER = 64 * MiB;
const media = await MediaServer.start();
// HTTP/1.1: Deno.serve's HTTP/2 window throttles request bodies about 3x (see src/features/media/http.ts).
const http = createFetchHttpClient({ caCerts: [media.caCert], http2: false });
const transferPlain = data(TRANSFER);
const upload = await prepareUpload(transferPlain, "video", { mediaKey });
const stored = await uploadEncrypted({
  hosts: media.hosts,
  auth: media.issueAuth(),
  mediaType: "video",
  encrypted: upload,
  http,
});
const rawBlob = await media.store(upload.open(), "video");
const TRANSFER_RUNS = { n: 5, warmup: 1 };

Deno.bench(
  "plain HTTPS POST of 64 MiB (no media crypto)",
  { group: "upload 64 MiB", baseline: true, ...TRANSFER_RUNS },
  async () => {
    const token = mediaToken(upload.fileEncSha256);
    const response = await http.request({
      method: "POST",
      url: `https://${media.hosts[0]}/mms/video/${token}?auth=${media.issueAuth()}&token=${token}`,
      body: upload.open(),
    });
    const { direct_path } = await response.json();
    await media.remove(direct_path);
  },
);
Deno.bench(
  "prepareUpload(bytes) + uploadEncrypted 64 MiB",
  { group: "upload 64 MiB", ...TRANSFER_RUNS },
  async () => {
    await using fresh = await prepareUpload(transferPlain, "video", { mediaKey });
    const result = await uploadEncrypted({
      hosts: media.hosts,
      auth: media.issueAuth(),
      mediaType: "video",
      encrypted: fresh,
      http,
    });
    await media.remove(result.directPath);
  },
);
Deno.bench(
  "prepareUpload(reopenable, two passes) + uploadEncrypted 64 MiB",
  { group: "upload 64 MiB", ...TRANSFER_RUNS },
  async () => {
    await using fresh = await prepareUpload(() => transferPlain, "video", { mediaKey });
    const result = await uploadEncrypted({
      hosts: media.hosts,
      auth: media.issueAuth(),
      mediaType: "video",
      encrypted: fresh,
      http,
    });
    await media.remove(result.directPath);
  },
);

Deno.bench(
  "plain HTTPS GET of 64 MiB (no media crypto)",
  { group: "download 64 MiB", baseline: true, ...TRANSFER_RUNS },
  async () => {
    const response = await http.request({
      method: "GET",
      url: `https://${media.hosts[0]}${rawBlob.directPath}`,
    });
    for await (const _ of response.body!) { /* drain */ }
  },
);
Deno.bench(
  "downloadAndDecryptStream 64 MiB (verified)",
  { group: "download 64 MiB", ...TRANSFER_RUNS },
  async () => {
    const stream = await downloadAndDecryptStream({
      directPath: stored.directPath,
      hosts: media.hosts,
      http,
      ...upload,
    });
    for await (const _ of stream) { /* drain */ }
  },
);

// --- the same through the client API, against FakeWhatsApp ---

const wa = await FakeWhatsApp.start();
// The phone's own device 0 is a logged-in Client that trusts the media server's certificate.
const client = await wa.phone("15550990001").client();
const waHttp = createFetchHttpClient({ caCerts: [wa.mediaCaCert], http2: false });
const uploadedByClient = await client.media.upload(transferPlain, "video", { keepForReupload: false });
const waToken = mediaToken(uploadedByClient.fileEncSha256);

Deno.bench(
  "plain HTTPS POST of 64 MiB to FakeWhatsApp (no media crypto)",
  { group: "client API upload 64 MiB", baseline: true, ...TRANSFER_RUNS },
  async () => {
    const response = await waHttp.request({
      method: "POST",
      url: `https://${wa.media.hosts[0]}/mms/video/${waToken}?auth=${wa.media.issueAuth()}&token=${waToken}`,
      body: upload.open(),
    });
    const { direct_path } = await response.json();
    await wa.media.remove(direct_path);
  },
);
Deno.bench(
  'client.media.upload(bytes, "video") 64 MiB',
  { group: "client API upload 64 MiB", ...TRANSFER_RUNS },
  async () => {
    const result = await client.media.upload(transferPlain, "video", { mediaKey, keepForReupload: false });
    await wa.media.remove(result.directPath);
  },
);

Deno.bench(
  "plain HTTPS GET of 64 MiB from FakeWhatsApp (no media crypto)",
  { group: "client API download 64 MiB", baseline: true, ...TRANSFER_RUNS },
  async () => {
    const response = await waHttp.request({
      method: "GET",
      url: `https://${wa.media.hosts[0]}${uploadedByClient.directPath}`,
    });
    for await (const _ of response.body!) { /* drain */ }
  },
);
Deno.bench(
  'client.media.download(ref, { to: "stream" }) 64 MiB (verified)',
  { group: "client API download 64 MiB", ...TRANSFER_RUNS },
  async () => {
    const stream = await client.media.download(uploadedByClient, { to: "stream" });
    for await (const _ of stream) { /* drain */ }
  },
);
Deno.bench(
  "client.media.download(ref) 64 MiB into memory (verified)",
  { group: "client API download 64 MiB", ...TRANSFER_RUNS },
  async () => {
    await client.media.download(uploadedByClient);
  },
);

globalThis.addEventListener("unload", () => {
  http.close();
  waHttp.close();
  media.stop();
  wa.stop();
});
