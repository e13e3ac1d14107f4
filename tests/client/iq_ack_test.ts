import { assertEquals, assertRejects } from "../_assert.ts";
import type { Node, NodeInput } from "../../src/binary/mod.ts";
import { IqTracker } from "../../src/client/iq.ts";
import { ConnectionError, IqError } from "../../src/features/errors.ts";
import { buildAck } from "../../src/client/ack.ts";

Deno.test("IQ: builds the stanza, resolves on result, rejects with the server's code and text on error", async () => {
  const iq = new IqTracker("t");
  const sent: NodeInput[] = [];
  const ok = iq.request((n) => sent.push(n), {
    namespace: "encrypt",
    type: "get",
    content: [{ tag: "count", attrs: {} }],
  });
  const bad = iq.request((n) => sent.push(n), { namespace: "w:g2", type: "get" }, {
    operation: "group info",
    about: "120363000000000001@g.us",
  });
  assertEquals(sent[0], {
    tag: "iq",
    attrs: { id: "t.1", xmlns: "encrypt", type: "get", to: "s.whatsapp.net", target: undefined },
    content: [{ tag: "count", attrs: {} }],
  });
  const result: Node = {
    tag: "iq",
    attrs: { id: "t.1", type: "result", from: "s.whatsapp.net" },
    content: [],
  };
  assertEquals(iq.handle(result), true);
  assertEquals(await ok, result);
  iq.handle({
    tag: "iq",
    attrs: { id: "t.2", type: "error" },
    content: [{ tag: "error", attrs: { code: "404", text: "item-not-found" } }],
  });
  const e = await assertRejects(() => bad, IqError);
  assertEquals([e.code, e.status, e.text, e.operation], ["server", 404, "item-not-found", "group info"]);
  assertEquals(e.message, "group info for 120363000000000001@g.us: item-not-found (404)");
  // Unknown ids and server-initiated IQs are not swallowed.
  assertEquals(iq.handle({ tag: "iq", attrs: { id: "t.9", type: "result" } }), false);
  assertEquals(iq.handle({ tag: "iq", attrs: { id: "x", type: "set" } }), false);
  assertEquals(iq.pendingCount, 0);
});

Deno.test("IQ: timeout, cancellation and disconnect reject with their code; a failing send is not connected", async () => {
  const iq = new IqTracker("t");
  const timeout = iq.request(() => {}, { namespace: "a", type: "get", timeoutMs: 5 });
  assertEquals((await assertRejects(() => timeout, IqError)).code, "timeout");
  const ac = new AbortController();
  const cancelled = iq.request(() => {}, { namespace: "a", type: "get", signal: ac.signal });
  ac.abort();
  assertEquals((await assertRejects(() => cancelled, IqError)).code, "aborted");
  const dropped = iq.request(() => {}, { namespace: "a", type: "get" });
  iq.failAll("socket closed");
  assertEquals((await assertRejects(() => dropped, IqError)).code, "disconnected");
  const unsent = iq.request(() => {
    throw new Error("closed");
  }, { namespace: "a", type: "get" });
  assertEquals((await assertRejects(() => unsent, ConnectionError)).code, "not_connected");
  assertEquals(iq.pendingCount, 0);
});

// Rules from reference/seed/04_advanced_websocket-handling.md ("Automatic ack") and
// reference/seed-inventory-core.md item 75.
Deno.test("acks follow the seed's type rules", () => {
  const from = "123@s.whatsapp.net";
  assertEquals(
    buildAck(
      { tag: "message", attrs: { id: "M", from, type: "text", participant: "9@s.whatsapp.net" } },
      "555:2@s.whatsapp.net",
    ),
    {
      tag: "ack",
      attrs: {
        class: "message",
        id: "M",
        to: from,
        participant: "9@s.whatsapp.net",
        from: "555:2@s.whatsapp.net",
      },
    },
  );
  assertEquals(buildAck({ tag: "receipt", attrs: { id: "R", from } }), {
    tag: "ack",
    attrs: { class: "receipt", id: "R", to: from },
  });
  assertEquals(buildAck({ tag: "receipt", attrs: { id: "R", from, type: "read" } })?.attrs?.type, "read");
  assertEquals(
    buildAck({ tag: "notification", attrs: { id: "N", from, type: "w:gp2" } })?.attrs?.type,
    "w:gp2",
  );
  assertEquals(
    buildAck({
      tag: "notification",
      attrs: { id: "N", from, type: "encrypt" },
      content: [{ tag: "identity", attrs: {} }],
    })?.attrs?.type,
    undefined,
  );
  assertEquals(
    buildAck({
      tag: "notification",
      attrs: { id: "N", from, type: "encrypt" },
      content: [{ tag: "count", attrs: {} }],
    })?.attrs?.type,
    "encrypt",
  );
  assertEquals(buildAck({ tag: "presence", attrs: { id: "P", from } }), undefined);
  assertEquals(buildAck({ tag: "message", attrs: { from } }), undefined);
  assertEquals(buildAck({ tag: "message", attrs: { id: "M", from } }, undefined, 500)?.attrs?.error, "500");
});
