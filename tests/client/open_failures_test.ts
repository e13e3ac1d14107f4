// Which failures to open a connection stop the client at once and which are retried (src/client/open_failures.ts).
import { assertEquals, assertInstanceOf } from "../_assert.ts";
import { MAX_PROXY_FAILURES, OpenFailures } from "../../src/client/open_failures.ts";
import { TransportError } from "../../src/client/transport.ts";
import { ConnectionError } from "../../src/features/errors.ts";
import { NoiseError } from "../../src/noise/mod.ts";

function stopCode(outcome: ReturnType<OpenFailures["classify"]>): string | undefined {
  if (outcome.action !== "stop") return undefined;
  assertInstanceOf(outcome.error, ConnectionError);
  return outcome.error.code;
}

Deno.test("a missing permission anywhere in the cause chain stops at once, with Deno's message", () => {
  const denied = new Deno.errors.NotCapable(
    'Requires net access to "x:1", run again with the --allow-net flag',
  );
  const wrapped = new TransportError("connect_failed", "could not connect", { cause: denied });
  const outcome = new OpenFailures(5).classify(wrapped, false);
  assertEquals(stopCode(outcome), "permission_denied");
  if (outcome.action === "stop") assertEquals(outcome.error!.message.includes("--allow-net"), true);
});

Deno.test("network failures back off; a wrong proxy or TLS setup stops; a proxy that keeps refusing stops after the limit", () => {
  const f = new OpenFailures(5);
  assertEquals(f.classify(new TransportError("connect_failed", "refused"), false).action, "backoff");
  assertEquals(
    stopCode(f.classify(new TransportError("proxy_auth", "proxy wants credentials"), false)),
    "transport",
  );
  for (let i = 1; i < MAX_PROXY_FAILURES; i++) {
    assertEquals(f.classify(new TransportError("proxy_unreachable", "no proxy"), false).action, "backoff");
  }
  assertEquals(stopCode(f.classify(new TransportError("proxy_unreachable", "no proxy"), false)), "transport");
});

Deno.test("a certificate failure stops at once; other handshake failures after the limit; a reset starts over", () => {
  const f = new OpenFailures(3);
  assertEquals(stopCode(f.classify(new NoiseError("cert_expired", "expired"), false)), "certificate");
  const bad = () => new NoiseError("bad_handshake_message", "not a ServerHello");
  assertEquals(f.classify(bad(), false).action, "backoff");
  assertEquals(f.classify(bad(), false).action, "backoff");
  f.reset();
  assertEquals(f.classify(bad(), false).action, "backoff");
  assertEquals(f.classify(bad(), false).action, "backoff");
  assertEquals(stopCode(f.classify(bad(), false)), "handshake_failed");
  assertEquals(
    f.classify(new NoiseError("closed", "socket closed"), false).action,
    "backoff",
    "the network, not a misconfiguration",
  );
  assertEquals(f.classify(new Error("x"), true).action, "stop", "stopped by the caller meanwhile");
});
