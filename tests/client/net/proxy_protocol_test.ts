// Proxy URLs, IP literals, and the HTTP CONNECT and SOCKS5 exchanges against scripted proxies that answer
// what real ones do and what broken ones might (the real servers are in proxy_test.ts).
import { assert, assertEquals, assertRejects, assertThrows } from "../../_assert.ts";
import { TransportError } from "../../../src/client/net/errors.ts";
import { httpConnect } from "../../../src/client/net/http_connect.ts";
import { describeProxy, parseProxyUrl } from "../../../src/client/net/proxy_url.ts";
import { ipBytes, socks5Connect } from "../../../src/client/net/socks5.ts";

Deno.test("proxy URLs: schemes, default ports, percent-decoded credentials, IPv6; descriptions carry no secret", () => {
  assertEquals(parseProxyUrl("http://proxy.local"), { protocol: "http", hostname: "proxy.local", port: 80 });
  assertEquals(parseProxyUrl("socks5://10.0.0.1"), { protocol: "socks5", hostname: "10.0.0.1", port: 1080 });
  const p = parseProxyUrl("socks5h://us%40er:p%3Ass%20w@[::1]:9050");
  assertEquals(p, {
    protocol: "socks5h",
    hostname: "::1",
    port: 9050,
    username: "us@er",
    password: "p:ss w",
  });
  assertEquals(describeProxy(p), "socks5h://[::1]:9050");
  assertEquals(parseProxyUrl("http://user@h:3128").password, "");
});

Deno.test("bad proxy URLs give bad_url without echoing credentials", () => {
  for (
    const bad of [
      "https://u:hunter2@h:1",
      "ftp://h:1",
      "http://u:hunter2@h:1/path",
      "http://h:0",
      "//u:hunter2@x",
    ]
  ) {
    const e = assertThrows(() => parseProxyUrl(bad), TransportError);
    assertEquals(e.code, "bad_url", bad);
    assert(!e.message.includes("hunter2"), e.message);
  }
});

Deno.test("ipBytes: RFC 4291 section 2.2 text forms and IPv4; names and malformed literals are not addresses", () => {
  const hex = (s: string) => ipBytes(s)?.toHex();
  assertEquals(hex("127.0.0.1"), "7f000001");
  assertEquals(hex("2001:DB8:0:0:8:800:200C:417A"), "20010db80000000000080800200c417a");
  assertEquals(hex("FF01::101"), "ff010000000000000000000000000101");
  assertEquals(hex("::1"), "00000000000000000000000000000001");
  assertEquals(hex("::"), "00000000000000000000000000000000");
  assertEquals(hex("::FFFF:129.144.52.38"), "00000000000000000000ffff81903426");
  assertEquals(hex("[::1]"), "00000000000000000000000000000001");
  for (
    const s of ["web.whatsapp.com", "256.1.1.1", "1::2::3", "1:2:3:4:5:6:7:8:9", "12345::", "1:2:3:4:5:6:7"]
  ) {
    assertEquals(ipBytes(s), undefined, s);
  }
});

/** A proxy that answers each write with the next scripted reply and records what it was sent. */
function scriptedProxy(replies: Uint8Array[]) {
  const written: Uint8Array[] = [];
  let pending: Uint8Array | undefined;
  return {
    written,
    write(data: Uint8Array): Promise<number> {
      written.push(data.slice());
      pending = replies.shift();
      return Promise.resolve(data.length);
    },
    read(buffer: Uint8Array): Promise<number | null> {
      const reply = pending;
      pending = undefined;
      if (!reply) return Promise.resolve(null);
      buffer.set(reply);
      return Promise.resolve(reply.length);
    },
  };
}

const text = (s: string) => new TextEncoder().encode(s);

Deno.test("HTTP CONNECT: the request names the target and sends Basic credentials (RFC 7617 section 2 example)", async () => {
  const proxy = scriptedProxy([text("HTTP/1.1 200 Connection established\r\n\r\n")]);
  await httpConnect(proxy, parseProxyUrl("http://Aladdin:open%20sesame@p:3128"), "::1", 443);
  assertEquals(
    new TextDecoder().decode(proxy.written[0]),
    "CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\nProxy-Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n\r\n",
  );
});

Deno.test("HTTP CONNECT: refusals, junk, early bytes and a silent close are typed", async () => {
  const cases: [Uint8Array[], string][] = [
    [[text("HTTP/1.1 403 Forbidden\r\n\r\n")], "proxy_refused"],
    [[text("HTTP/1.1 407 Proxy Authentication Required\r\n\r\n")], "proxy_auth"],
    [[text("SSH-2.0-dropbear\r\n\r\n")], "proxy_protocol"],
    [[text("HTTP/1.1 200 OK\r\n\r\nsurprise")], "proxy_protocol"],
    [[], "proxy_refused"],
  ];
  for (const [replies, code] of cases) {
    const e = await assertRejects(
      () => httpConnect(scriptedProxy(replies), parseProxyUrl("http://u:pw@p:3128"), "h", 443),
      TransportError,
    );
    assertEquals([e.code, e.proxy], [code, "http://p:3128"]);
  }
});

Deno.test("SOCKS5: greeting, RFC 1929 sub-negotiation and a CONNECT by name, byte for byte", async () => {
  const proxy = scriptedProxy([
    Uint8Array.of(5, 2),
    Uint8Array.of(1, 0),
    Uint8Array.of(5, 0, 0, 3, 4, 0x68, 0x6f, 0x73, 0x74, 0x01, 0xbb), // bound address as a name
  ]);
  await socks5Connect(proxy, parseProxyUrl("socks5h://ab:c@p:1080"), "web.whatsapp.com", 443);
  assertEquals(proxy.written[0], Uint8Array.of(5, 2, 0, 2));
  assertEquals(proxy.written[1], Uint8Array.of(1, 2, 0x61, 0x62, 1, 0x63));
  assertEquals(proxy.written[2], Uint8Array.of(5, 1, 0, 3, 16, ...text("web.whatsapp.com"), 1, 187));
});

Deno.test("SOCKS5: socks5:// sends the resolved address, socks5h:// the name; an IP literal is sent as one", async () => {
  const ok = () => [Uint8Array.of(5, 0), Uint8Array.of(5, 0, 0, 1, 0, 0, 0, 0, 0, 0)];
  const local = scriptedProxy(ok());
  await socks5Connect(
    local,
    parseProxyUrl("socks5://p"),
    "chat.example",
    80,
    () => Promise.resolve("192.0.2.7"),
  );
  assertEquals(local.written[1], Uint8Array.of(5, 1, 0, 1, 192, 0, 2, 7, 0, 80));
  const v6 = scriptedProxy(ok());
  await socks5Connect(v6, parseProxyUrl("socks5h://p"), "2001:db8::1", 80);
  assertEquals(v6.written[1].subarray(3, 4), Uint8Array.of(4));
  assertEquals(v6.written[1].length, 4 + 16 + 2);
});

Deno.test("SOCKS5: no acceptable method, rejected credentials, a failure reply, a wrong version are typed", async () => {
  const cases: [string, Uint8Array[], string, string][] = [
    ["socks5h://p", [Uint8Array.of(5, 0xff)], "proxy_auth", "asked for credentials"],
    [
      "socks5h://u:bad@p",
      [Uint8Array.of(5, 2), Uint8Array.of(1, 1)],
      "proxy_auth",
      "rejected the credentials",
    ],
    [
      "socks5h://p",
      [Uint8Array.of(5, 0), Uint8Array.of(5, 2, 0, 1, 0, 0, 0, 0, 0, 0)],
      "proxy_refused",
      "ruleset",
    ],
    ["socks5h://p", [Uint8Array.of(4, 90)], "proxy_protocol", "version 4"],
    ["socks5h://p", [Uint8Array.of(5, 0), Uint8Array.of(5, 0, 0, 9)], "proxy_protocol", "address type 9"],
    ["socks5h://p", [Uint8Array.of(5, 0)], "proxy_refused", "closed the connection"],
  ];
  for (const [url, replies, code, says] of cases) {
    const e = await assertRejects(
      () => socks5Connect(scriptedProxy(replies), parseProxyUrl(url), "h", 1),
      TransportError,
    );
    assertEquals(e.code, code, url);
    assert(e.message.includes(says), e.message);
    assert(!e.message.includes("bad"), e.message);
  }
});
