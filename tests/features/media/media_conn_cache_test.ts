// The media_conn IQ spec and the client's cache of its answer. Answer shape: whatsmeow mediaconn.go
// (queryMediaConn: <media_conn auth ttl max_buckets><host hostname/>), whatsapp-rust
// wacore/src/iq/mediaconn.rs (auth_ttl, host type and fallback_hostname); protocol-facts-features.md §1.2.
import assert from "node:assert/strict";
import type { Node } from "../../../src/binary/mod.ts";
import {
  MEDIA_CONN_MARGIN_MS,
  MediaConnCache,
  mediaConnSpec,
} from "../../../src/features/media/media_conn_cache.ts";
import type { MediaConn } from "../../../src/features/media/media_conn.ts";
import { MediaError } from "../../../src/features/media/errors.ts";

const answer: Node = {
  tag: "iq",
  attrs: { type: "result", from: "s.whatsapp.net", id: "1" },
  content: [{
    tag: "media_conn",
    attrs: { auth: "AbC-1", ttl: "300", auth_ttl: "120", max_buckets: "12" },
    content: [
      { tag: "host", attrs: { hostname: "mmg-fallback.whatsapp.net", type: "fallback" } },
      { tag: "host", attrs: { hostname: "mmg.whatsapp.net", type: "primary" } },
    ],
  }],
};

Deno.test("mediaConnSpec builds <iq xmlns=w:m type=set><media_conn/> and reads the answer", () => {
  const spec = mediaConnSpec(() => 5_000);
  const iq = spec.build();
  assert.equal(iq.namespace, "w:m");
  assert.equal(iq.type, "set");
  assert.deepEqual(iq.content, [{ tag: "media_conn" }]);
  const conn = spec.parse(answer);
  assert.equal(conn.auth, "AbC-1");
  assert.deepEqual(conn.hosts.map((h) => h.hostname), ["mmg.whatsapp.net", "mmg-fallback.whatsapp.net"]);
  assert.equal(conn.fetchedAt, 5_000);
  assert.throws(() => spec.parse({ tag: "iq", attrs: {}, content: [] }), MediaError);
});

function conn(auth: string, fetchedAt: number, ttl = 300, authTtl?: number): MediaConn {
  return {
    auth,
    ttlSeconds: ttl,
    authTtlSeconds: authTtl,
    hosts: [{ hostname: "h", type: "primary" }],
    fetchedAt,
  };
}

Deno.test("the cache shares one query between concurrent callers and keeps the answer until it expires", async () => {
  let now = 1_000_000;
  let fetches = 0;
  const gate = Promise.withResolvers<void>();
  const cache = new MediaConnCache({
    fetch: async () => {
      fetches++;
      await gate.promise;
      return conn(`auth-${fetches}`, now, 300, 120);
    },
    now: () => now,
  });
  const all = [cache.get(), cache.get(), cache.get()];
  gate.resolve();
  const got = await Promise.all(all);
  assert.equal(fetches, 1);
  assert.ok(got.every((c) => c === got[0]));
  // min(ttl 300, auth_ttl 120) s, refreshed MEDIA_CONN_MARGIN_MS early.
  now += 120_000 - MEDIA_CONN_MARGIN_MS - 1;
  assert.equal((await cache.get()).auth, "auth-1");
  now += 1;
  assert.equal((await cache.get()).auth, "auth-2");
  assert.equal(fetches, 2);
});

Deno.test("invalidate drops only the answer a host refused; a failed query is not cached", async () => {
  let n = 0;
  let fail = false;
  const cache = new MediaConnCache({
    fetch: () => fail ? Promise.reject(new Error("offline")) : Promise.resolve(conn(`a${++n}`, Date.now())),
  });
  const first = await cache.get();
  cache.invalidate(conn("other", Date.now()));
  assert.equal(await cache.get(), first, "an unrelated answer leaves the cache alone");
  cache.invalidate(first);
  const second = await cache.get();
  assert.notEqual(second.auth, first.auth);
  cache.invalidate();
  fail = true;
  await assert.rejects(cache.get(), /offline/);
  fail = false;
  assert.equal((await cache.get()).auth, "a3");
});

Deno.test("a caller's signal stops its own wait with MediaError aborted, not the shared query", async () => {
  const gate = Promise.withResolvers<void>();
  const cache = new MediaConnCache({
    fetch: async () => {
      await gate.promise;
      return conn("x", Date.now());
    },
  });
  const abort = new AbortController();
  const mine = cache.get(abort.signal);
  const theirs = cache.get();
  abort.abort();
  await assert.rejects(mine, (e: unknown) => e instanceof MediaError && e.code === "aborted");
  gate.resolve();
  assert.equal((await theirs).auth, "x");
  // A zero lifetime is never served from the cache.
  let fetched = 0;
  const never = new MediaConnCache({ fetch: () => Promise.resolve(conn(`z${++fetched}`, Date.now(), 0)) });
  await never.get();
  await never.get();
  assert.equal(fetched, 2);
});
