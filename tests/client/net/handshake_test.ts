// The opening handshake pieces: the accept key (RFC 6455 section 1.3's example), the request, the checks
// on the answer, and the response-head parser and buffered reader behind them.
import { assert, assertEquals, assertRejects, assertThrows } from "../../_assert.ts";
import { ConnReader, ConnReaderError } from "../../../src/client/net/conn_reader.ts";
import { HEAD_END, parseResponseHead, type ResponseHead } from "../../../src/client/net/http_head.ts";
import {
  acceptFor,
  buildUpgradeRequest,
  checkUpgradeResponse,
} from "../../../src/client/net/websocket_handshake.ts";
import { parseSocketUrl } from "../../../src/client/net/websocket_client.ts";
import { TransportError } from "../../../src/client/net/errors.ts";

const RFC_KEY = "dGhlIHNhbXBsZSBub25jZQ==";

Deno.test("RFC 6455 section 1.3: the accept value for the sample nonce", async () => {
  assertEquals(await acceptFor(RFC_KEY), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
});

Deno.test("the upgrade request carries Host, Origin, version 13 and the key; a header cannot add a line", () => {
  const text = new TextDecoder().decode(buildUpgradeRequest({
    host: "web.whatsapp.com",
    path: "/ws/chat?x=1",
    origin: "https://web.whatsapp.com",
    headers: { "User-Agent": "wadeno", "X-Evil": "a\r\nInjected: yes" },
    key: RFC_KEY,
  }));
  assertEquals(
    text,
    "GET /ws/chat?x=1 HTTP/1.1\r\nHost: web.whatsapp.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      `Sec-WebSocket-Key: ${RFC_KEY}\r\nSec-WebSocket-Version: 13\r\nOrigin: https://web.whatsapp.com\r\n` +
      "User-Agent: wadeno\r\n\r\n",
  );
});

function head(status: number, fields: Record<string, string>): ResponseHead {
  return { status, statusText: "", headers: new Map(Object.entries(fields)) };
}

Deno.test("the answer must be 101 with Upgrade, Connection, the right accept and nothing unasked for", async () => {
  const good = {
    upgrade: "WebSocket",
    connection: "keep-alive, Upgrade",
    "sec-websocket-accept": "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
  };
  assertEquals(await checkUpgradeResponse(head(101, good), RFC_KEY), undefined);
  const bad: [ResponseHead, string][] = [
    [head(200, good), "expected status 101"],
    [head(101, { ...good, upgrade: "h2c" }), "expected Upgrade: websocket"],
    [head(101, { ...good, connection: "close" }), "expected Connection: Upgrade"],
    [head(101, { ...good, "sec-websocket-accept": "AAAA" }), "expected Sec-WebSocket-Accept"],
    [head(101, { ...good, "sec-websocket-extensions": "permessage-deflate" }), "expected no extension"],
    [head(101, { ...good, "sec-websocket-protocol": "chat" }), "expected no subprotocol"],
  ];
  for (const [h, text] of bad) {
    const problem = await checkUpgradeResponse(h, RFC_KEY);
    assert(problem?.startsWith(text), `${problem} should start with ${text}`);
  }
});

Deno.test("response heads: fields are case-folded and repeats joined; junk is described, not thrown", () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  const parsed = parseResponseHead(
    enc("HTTP/1.1 407 Proxy Authentication Required\r\nVia: a\r\nVIA: b\r\n\r\n"),
  );
  assert(typeof parsed !== "string");
  assertEquals([parsed.status, parsed.statusText, parsed.headers.get("via")], [
    407,
    "Proxy Authentication Required",
    "a, b",
  ]);
  assert(typeof parseResponseHead(enc("SSH-2.0-OpenSSH\r\n\r\n")) === "string");
  assert(typeof parseResponseHead(enc("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n")) === "string");
});

/** A connection that hands out `chunks` one per read, then ends. */
function scripted(chunks: string[]) {
  const queue = chunks.map((c) => new TextEncoder().encode(c));
  return {
    read(buffer: Uint8Array): Promise<number | null> {
      const next = queue.shift();
      if (!next) return Promise.resolve(null);
      buffer.set(next);
      return Promise.resolve(next.length);
    },
  };
}

Deno.test("ConnReader: a head split across reads, the bytes after it kept; exact reads; eof and too long", async () => {
  const reader = new ConnReader(scripted(["HTTP/1.1 101 OK\r", "\n\r", "\nabc", "def"]));
  const got = new TextDecoder().decode(await reader.readUntil(HEAD_END, 100));
  assertEquals(got, "HTTP/1.1 101 OK\r\n\r\n");
  assertEquals(new TextDecoder().decode(await reader.readExact(5)), "abcde");
  assertEquals(new TextDecoder().decode(reader.rest()), "f");
  const eof = await assertRejects(() => new ConnReader(scripted(["ab"])).readExact(3), ConnReaderError);
  assertEquals(eof.kind, "eof");
  const long = await assertRejects(
    () => new ConnReader(scripted(["x".repeat(60), "y".repeat(60)])).readUntil(HEAD_END, 100),
    ConnReaderError,
  );
  assertEquals(long.kind, "too_long");
});

Deno.test("socket URLs: default ports, IPv6 hosts, the path and query; other schemes and credentials are refused", () => {
  assertEquals(parseSocketUrl("wss://web.whatsapp.com/ws/chat"), {
    hostname: "web.whatsapp.com",
    port: 443,
    tls: true,
    path: "/ws/chat",
    host: "web.whatsapp.com",
  });
  assertEquals(parseSocketUrl("ws://[::1]:8080/a?b=c"), {
    hostname: "::1",
    port: 8080,
    tls: false,
    path: "/a?b=c",
    host: "[::1]:8080",
  });
  for (const bad of ["http://example.com/", "ws://u:p@example.com/", "not a url", "ws://h/#frag"]) {
    assertEquals(assertThrows(() => parseSocketUrl(bad), TransportError).code, "bad_url", bad);
  }
});
