// The sender's side of media retry: the bounded cache of re-uploadable media and the answer stanza.
// Request crypto per protocol-facts-features.md §1.3 (whatsmeow mediaretry.go, Baileys
// encryptMediaRetryRequest); the answer IQ is FakeWhatsApp's own convention (src/features/media/reupload.ts).
import assert from "node:assert/strict";
import type { Node } from "../../../src/binary/mod.ts";
import {
  mediaRetryAnswerSpec,
  reopenerOf,
  ReuploadCache,
  type ReuploadEntry,
} from "../../../src/features/media/reupload.ts";
import { encryptMediaRetryRequest } from "../../../src/features/media/retry_crypto.ts";

function entry(seed: number, cost = 0): ReuploadEntry {
  const bytes = new Uint8Array(cost);
  return {
    kind: "image",
    mediaKey: new Uint8Array(32).fill(seed),
    fileEncSha256: new Uint8Array(32).fill(100 + seed),
    reopen: () => bytes,
    cost,
  };
}

Deno.test("the cache keeps the newest entries within its entry and byte bounds", () => {
  const cache = new ReuploadCache({ maxEntries: 3, maxBytes: 100 });
  for (let i = 1; i <= 5; i++) cache.remember(entry(i));
  assert.equal(cache.size, 3);
  assert.equal(
    cache.find("m", encryptMediaRetryRequest(entry(1).mediaKey, "m")).kind,
    "not_found",
    "evicted",
  );
  assert.equal(cache.find("m", encryptMediaRetryRequest(entry(5).mediaKey, "m")).kind, "found");
  assert.equal(cache.remember(entry(6, 101)), false, "larger than the byte bound alone");
  cache.remember(entry(7, 60));
  cache.remember(entry(8, 60));
  assert.equal(cache.bytes, 60, "the older 60-byte entry went to make room");
  assert.equal(cache.find("m", encryptMediaRetryRequest(entry(8).mediaKey, "m")).kind, "found");
  assert.equal(cache.find("m", encryptMediaRetryRequest(entry(7).mediaKey, "m")).kind, "not_found");
  cache.clear();
  assert.deepEqual([cache.size, cache.bytes], [0, 0]);
});

Deno.test("find: the entry bound to the id, else the one whose key opens the request", () => {
  const cache = new ReuploadCache({ maxEntries: 8, maxBytes: 1 << 20 });
  const a = entry(1), b = entry(2), c = entry(3);
  cache.remember(a);
  cache.remember(b);
  cache.remember(c);
  cache.bind(a.fileEncSha256, "3EB0A");
  cache.bind(b.fileEncSha256, "3EB0B");
  const found = cache.find("3EB0A", encryptMediaRetryRequest(a.mediaKey, "3EB0A"));
  assert.deepEqual(found, { kind: "found", entry: a });
  // Bound to the id, but the request was made with another key (or tampered): a decryption error.
  assert.equal(cache.find("3EB0A", encryptMediaRetryRequest(c.mediaKey, "3EB0A")).kind, "decryption_error");
  // Unbound (uploaded with upload() and sent by hand): found by its key.
  assert.deepEqual(cache.find("3EB0C", encryptMediaRetryRequest(c.mediaKey, "3EB0C")), {
    kind: "found",
    entry: c,
  });
  // A bound entry is not handed out for another message id.
  assert.equal(cache.find("3EB0Z", encryptMediaRetryRequest(b.mediaKey, "3EB0Z")).kind, "not_found");
  assert.equal(cache.find("3EB0C", undefined).kind, "not_found");
});

Deno.test("reopenerOf keeps bytes, files and functions, never a one-shot stream", () => {
  const bytes = new Uint8Array([1, 2, 3]);
  assert.deepEqual(reopenerOf(bytes)?.cost, 3);
  assert.equal(reopenerOf(bytes)?.reopen(), bytes);
  assert.deepEqual(reopenerOf({ path: "/tmp/x" })?.reopen(), { path: "/tmp/x" });
  const fresh = () => bytes;
  assert.equal(reopenerOf(fresh)?.reopen, fresh);
  assert.equal(reopenerOf(ReadableStream.from([bytes])), undefined);
  assert.equal(reopenerOf((async function* () {})()), undefined);
});

Deno.test("the answer IQ carries the rmr back with the encrypted payload or an error code", () => {
  const rmr: Node = { tag: "rmr", attrs: { jid: "15550001111@s.whatsapp.net", from_me: "false" } };
  const ok = mediaRetryAnswerSpec({
    messageId: "3EB0A",
    requester: "15550002222:3@s.whatsapp.net",
    rmr,
    encrypted: { ciphertext: new Uint8Array([1, 2]), iv: new Uint8Array(12) },
  }).build();
  assert.equal(ok.namespace, "w:m");
  assert.equal(ok.type, "set");
  const [answer] = ok.content as unknown as { tag: string; attrs: Record<string, string>; content: Node[] }[];
  assert.deepEqual([answer.tag, answer.attrs], ["mediaretry", {
    id: "3EB0A",
    requester: "15550002222:3@s.whatsapp.net",
  }]);
  assert.deepEqual(answer.content.map((c) => c.tag), ["rmr", "encrypt"]);
  assert.deepEqual(answer.content[0].attrs, rmr.attrs);
  const refused = mediaRetryAnswerSpec({ messageId: "3EB0A", requester: "x", errorCode: 2 }).build();
  const [body] = refused.content as unknown as { content: Node[] }[];
  assert.deepEqual(body.content, [{ tag: "error", attrs: { code: "2" } }]);
});
