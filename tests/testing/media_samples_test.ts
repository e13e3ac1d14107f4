// The media samples tests and the demo use: the PNG is a real one (chunk CRCs per RFC 2083 §3.4, an IDAT
// zlib stream that inflates to the filtered scanlines), and every kind sniffs as its format.
import assert from "node:assert/strict";
import { sampleMedia, samplePng } from "../../src/testing/media_samples.ts";
import { imageDimensions, sniffMimetype } from "../../src/features/media/sniff.ts";
import { MESSAGE_MEDIA_KINDS } from "../../src/features/media/messages.ts";
import { crc32 } from "node:zlib";
import { inflateSync } from "node:zlib";

Deno.test("samplePng is a valid PNG: signature, CRCs, IHDR size, inflatable IDAT", () => {
  const png = samplePng(70, 50);
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const view = new DataView(png.buffer, png.byteOffset);
  const chunks: string[] = [];
  for (let at = 8; at < png.length;) {
    const length = view.getUint32(at);
    const type = new TextDecoder().decode(png.subarray(at + 4, at + 8));
    const body = png.subarray(at + 4, at + 8 + length);
    assert.equal(view.getUint32(at + 8 + length), crc32(body), `${type} CRC`);
    if (type === "IDAT") {
      assert.equal(inflateSync(png.subarray(at + 8, at + 8 + length)).length, 50 * (1 + 70 * 3));
    }
    chunks.push(type);
    at += 12 + length;
  }
  assert.deepEqual(chunks, ["IHDR", "IDAT", "IEND"]);
  assert.deepEqual(imageDimensions(png), { width: 70, height: 50 });
  assert.throws(() => samplePng(0, 1), RangeError);
});

Deno.test("each kind's sample sniffs as its format, with the size asked", () => {
  const expected = {
    image: "image/png",
    video: "video/mp4",
    gif: "video/mp4",
    ptv: "video/mp4",
    audio: "audio/mpeg",
    ptt: "audio/ogg; codecs=opus",
    document: "application/pdf",
    sticker: "image/webp",
  };
  for (const kind of MESSAGE_MEDIA_KINDS) {
    const bytes = sampleMedia(kind, 5000, 2);
    assert.equal(sniffMimetype(bytes), expected[kind], kind);
    if (kind !== "image") assert.equal(bytes.length, 5000);
  }
  assert.notDeepEqual(sampleMedia("audio", 100, 1), sampleMedia("audio", 100, 2));
  assert.deepEqual(imageDimensions(sampleMedia("sticker")), { width: 512, height: 512 });
});
