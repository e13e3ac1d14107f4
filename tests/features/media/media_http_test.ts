// The client's media HTTP client: built on first use, closed after the last running transfer, rebuilt after;
// a caller's client is used as given and never closed.
import assert from "node:assert/strict";
import type { MediaHttpClient } from "../../../src/features/media/http.ts";
import { MediaHttp } from "../../../src/features/media/media_http.ts";
import { MediaServer } from "../../../src/testing/media_server.ts";

Deno.test("the client made here opens on first use and closes once the last lease ends", async () => {
  await using media = await MediaServer.start();
  const http = new MediaHttp({ create: () => ({ caCerts: [media.caCert] }) });
  assert.equal(http.isOpen, false);
  const a = http.acquire();
  const b = http.acquire();
  assert.equal(a.http, b.http, "one client shared");
  const response = await a.http.request({ method: "GET", url: `https://${media.hosts[0]}/v/none.enc` });
  assert.equal(response.status, 404, "TLS verified through the CA given");
  await response.body?.cancel();
  http.close();
  assert.equal(http.isOpen, true, "still leased");
  a.release();
  a.release(); // a second release does not count
  assert.equal(http.isOpen, true);
  b.release();
  assert.equal(http.isOpen, false);
  const c = http.acquire();
  assert.notEqual(c.http, a.http, "rebuilt after a close");
  c.release();
  http.close();
  assert.equal(http.isOpen, false);
});

Deno.test("a caller's MediaHttpClient is used as given; a caller's Deno.HttpClient is never closed here", async () => {
  const calls: string[] = [];
  const mine: MediaHttpClient = {
    request: (r) => {
      calls.push(r.url);
      return Promise.resolve(new Response("ok"));
    },
  };
  const http = new MediaHttp({ httpClient: mine });
  const lease = http.acquire();
  assert.equal(lease.http, mine);
  await lease.http.request({ method: "GET", url: "https://example.invalid/x" });
  lease.release();
  http.close();
  assert.deepEqual(calls, ["https://example.invalid/x"]);

  await using media = await MediaServer.start();
  using deno = media.createHttpClient();
  const wrapped = new MediaHttp({ httpClient: deno });
  const l = wrapped.acquire();
  const response = await l.http.request({ method: "GET", url: `https://${media.hosts[0]}/v/none.enc` });
  await response.body?.cancel();
  l.release();
  wrapped.close();
  // Still usable by its owner after the feature closed its side.
  const again = await fetch(`https://${media.hosts[0]}/v/none.enc`, { client: deno });
  assert.equal(again.status, 404);
  await again.body?.cancel();
});
