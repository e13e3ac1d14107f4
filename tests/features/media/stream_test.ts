// Web-stream encryption/decryption and upload preparation (media_stream.ts, upload_source.ts). The one-shot
// functions, cross-checked against Baileys in crypto_test.ts, are the reference here.
import assert from "node:assert/strict";
import fc from "npm:fast-check@4.10.2";
import {
  decryptMediaStream,
  encryptMedia,
  encryptMediaStream,
  MediaError,
  mediaSourceStream,
  prepareUpload,
} from "../../../src/features/media/mod.ts";
import { CBC_BATCH } from "../../../src/features/media/cbc_batch.ts";
import { assertMediaRejects, collect, cut, pseudoRandom, readUntilError } from "./helpers.ts";

function chunked(bytes: Uint8Array, bounds: number[]): ReadableStream<Uint8Array> {
  return ReadableStream.from(cut(bytes, bounds));
}

Deno.test("encryptMediaStream equals encryptMedia for every source form", async () => {
  const plaintext = pseudoRandom(200_000, 2);
  const mediaKey = pseudoRandom(32, 3);
  const once = encryptMedia(plaintext, "video", { mediaKey });
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/in.bin`;
    await Deno.writeFile(path, plaintext);
    const iterable = async function* () {
      yield* cut(plaintext, [5, 70_000]);
    };
    const sources = {
      bytes: plaintext,
      stream: chunked(plaintext, [1, 16, 17, 99_999]),
      iterable: iterable(),
      file: { path },
    };
    for (const [name, source] of Object.entries(sources)) {
      const { stream, hashes } = encryptMediaStream(source, "video", { mediaKey });
      assert.deepEqual(await collect(stream), once.encrypted, name);
      const h = await hashes;
      assert.deepEqual(h.fileEncSha256, once.fileEncSha256, name);
      assert.deepEqual(h.fileSha256, once.fileSha256, name);
      assert.equal(h.fileLength, plaintext.length);
      assert.equal(h.encryptedLength, once.encrypted.length);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("property: decryptMediaStream over random chunking returns the plaintext", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.uint8Array({ maxLength: 5000 }),
      fc.array(fc.nat(5100), { maxLength: 10 }),
      async (plaintext, bounds) => {
        const sent = encryptMedia(plaintext, "audio");
        const out = await collect(decryptMediaStream(chunked(sent.encrypted, bounds), "audio", sent));
        assert.deepEqual(out, plaintext);
      },
    ),
    { numRuns: 40, seed: 7 },
  );
});

Deno.test("a bad blob errors the stream only at the end, after the plaintext flowed", async () => {
  const plaintext = pseudoRandom(3_000_000, 4);
  const sent = encryptMedia(plaintext, "document");
  const tampered = sent.encrypted.slice();
  tampered[tampered.length - 3] ^= 0x80; // in the MAC
  const { received, error } = await readUntilError(
    decryptMediaStream(chunked(tampered, [65_536, 1_500_000, 2_999_999]), "document", sent),
  );
  assert.ok(error instanceof MediaError && error.code === "bad_mac", `expected bad_mac, got ${error}`);
  // Everything but the last batch (held back with the padding block, see cbc_batch.ts) came out first.
  assert.ok(received >= plaintext.length - CBC_BATCH - 32, `only ${received} bytes flowed before the error`);
});

Deno.test("a wrong fileSha256 errors the stream with bad_file_hash", async () => {
  const sent = encryptMedia(pseudoRandom(1000, 1), "image");
  const wrong = sent.fileSha256.slice();
  wrong[0] ^= 1;
  const stream = decryptMediaStream(sent.encrypted, "image", { ...sent, fileSha256: wrong });
  await assertMediaRejects(collect(stream), "bad_file_hash");
});

Deno.test("a source error and an abort reach the reader and the hashes promise", async () => {
  const failing = new ReadableStream<Uint8Array>({
    pull(controller) {
      controller.error(new Error("disk on fire"));
    },
  });
  const broken = encryptMediaStream(failing, "image");
  await assert.rejects(collect(broken.stream), /disk on fire/);
  await assert.rejects(broken.hashes, /disk on fire/);

  const controller = new AbortController();
  controller.abort();
  const aborted = encryptMediaStream(pseudoRandom(10, 1), "image", { signal: controller.signal });
  await assertMediaRejects(collect(aborted.stream), "aborted");
  await assertMediaRejects(aborted.hashes, "aborted");
});

Deno.test("cancelling the output cancels the source", async () => {
  let cancelled: unknown;
  const source = new ReadableStream<Uint8Array>({
    pull(controller) {
      controller.enqueue(new Uint8Array(1000));
    },
    cancel(reason) {
      cancelled = reason;
    },
  });
  const { stream, hashes } = encryptMediaStream(source, "video");
  const reader = stream.getReader();
  await reader.read();
  await reader.cancel("enough");
  assert.equal(cancelled, "enough");
  await assert.rejects(hashes);
});

Deno.test("mediaSourceStream cuts bytes into 64 KiB views without copying", async () => {
  const bytes = pseudoRandom(200_000, 1);
  const chunks: Uint8Array[] = [];
  for await (const chunk of mediaSourceStream(bytes)) chunks.push(chunk);
  assert.deepEqual(chunks.map((c) => c.length), [65536, 65536, 65536, 3392]);
  assert.ok(chunks.every((c) => c.buffer === bytes.buffer));
});

Deno.test("an unreadable file errors the stream with bad_input", async () => {
  const { stream } = encryptMediaStream({ path: "/nonexistent/wadeno/file" }, "document");
  await assertMediaRejects(collect(stream), "bad_input");
});

Deno.test("prepareUpload: every source form gives the same hashes and blob, and reopens", async () => {
  const plaintext = pseudoRandom(150_000, 9);
  const mediaKey = pseudoRandom(32, 10);
  const once = encryptMedia(plaintext, "document", { mediaKey });
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/doc.bin`;
    await Deno.writeFile(path, plaintext);
    const sources = {
      bytes: plaintext,
      file: { path },
      reopenable: () => chunked(plaintext, [1000, 2000]),
      stream: chunked(plaintext, [77_777]),
    };
    for (const [name, source] of Object.entries(sources)) {
      await using upload = await prepareUpload(source, "document", { mediaKey, tempDir: dir });
      assert.deepEqual(upload.fileEncSha256, once.fileEncSha256, name);
      assert.deepEqual(upload.fileSha256, once.fileSha256, name);
      assert.equal(upload.fileLength, plaintext.length, name);
      assert.equal(upload.encryptedLength, once.encrypted.length, name);
      assert.equal(upload.mediaType.kind, "document");
      // Two opens, as a host fallback needs: both give the whole blob.
      assert.deepEqual(await collect(upload.open()), once.encrypted, `${name} first open`);
      assert.deepEqual(await collect(upload.open()), once.encrypted, `${name} second open`);
    }
    // The spooled stream's temporary file is gone after dispose: only doc.bin is left.
    const left = [];
    for await (const entry of Deno.readDir(dir)) left.push(entry.name);
    assert.deepEqual(left, ["doc.bin"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("prepareUpload of a file that changes before the upload errors that stream with source_changed", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/photo.bin`;
    await Deno.writeFile(path, pseudoRandom(100_000, 1));
    await using upload = await prepareUpload({ path }, "image");
    await Deno.writeFile(path, pseudoRandom(100_000, 2));
    const { received: delivered, error } = await readUntilError(upload.open());
    assert.ok(error instanceof MediaError && error.code === "source_changed", `got ${error}`);
    // The MAC tail never went out, so a server would see an incomplete body.
    assert.ok(delivered < upload.encryptedLength, `${delivered} of ${upload.encryptedLength} bytes went out`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("prepareUpload refuses unencrypted types", async () => {
  await assertMediaRejects(prepareUpload(new Uint8Array(1), "product_catalog_image"), "unsupported_type");
});
