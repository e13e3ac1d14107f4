// MEX request and answer shapes: reference/protocol-facts.md "MEX" (whatsmeow newsletter.go sendMexIQ:
// <iq xmlns="w:mex" type="get"><query query_id>{"variables":…}</query>, answer <result> with JSON) and the fatal
// error rule of protocol-facts-features.md 6.2 (whatsapp-rust iq/mex.rs fatal_error).
import { assert, assertEquals, assertThrows } from "../_assert.ts";
import type { Node } from "../../src/binary/mod.ts";
import { InputError, IqError } from "../../src/features/errors.ts";
import { fatalMexError, mexData, MexError, mexSpec } from "../../src/features/mex.ts";

const answer = (json: unknown, attrs: Record<string, string> = {}): Node => ({
  tag: "iq",
  attrs: { type: "result", id: "1" },
  content: [{
    tag: "result",
    attrs,
    content: new TextEncoder().encode(typeof json === "string" ? json : JSON.stringify(json)),
  }],
});

Deno.test("mexSpec builds the w:mex query with the variables as JSON bytes", () => {
  const built = mexSpec("6563316087068696", { input: { key: "1@newsletter", type: "JID" } }).build();
  assertEquals(built.namespace, "w:mex");
  assertEquals(built.type, "get");
  assertEquals(built.to, undefined); // s.whatsapp.net by default
  const query = (built.content as Node[])[0];
  assertEquals(query.tag, "query");
  assertEquals(query.attrs, { query_id: "6563316087068696" });
  assertEquals(JSON.parse(new TextDecoder().decode(query.content as Uint8Array)), {
    variables: { input: { key: "1@newsletter", type: "JID" } },
  });
  assertThrows(() => mexSpec("not-an-id", {}), InputError, "numeric");
  assertThrows(() => mexSpec("1", { big: "x".repeat(300_000) }), InputError, "bytes");
});

Deno.test("answers parse into data and errors; malformed ones are bad_response", () => {
  const spec = mexSpec("1", {});
  assertEquals(spec.parse(answer({ data: { a: 1 } })), { data: { a: 1 }, errors: [] });
  const withErrors = spec.parse(answer({
    data: null,
    errors: [{
      message: "nope",
      path: ["x", 0],
      extensions: { error_code: 404, is_retryable: false, junk: 1 },
    }],
  }));
  assertEquals(withErrors.data, null);
  assertEquals(withErrors.errors, [{
    message: "nope",
    path: ["x", 0],
    extensions: { error_code: 404, is_retryable: false },
  }]);
  for (const bad of [answer("{not json"), answer([1, 2]), answer({ data: 1 }, { format: "argo" })]) {
    const e = assertThrows(() => spec.parse(bad), IqError);
    assertEquals(e.code, "bad_response");
  }
  assertEquals(assertThrows(() => spec.parse({ tag: "iq", attrs: {} }), IqError).code, "bad_response");
});

Deno.test("the fatal error: a summary first, then the first with a code, else the first as 500", () => {
  const plain = { message: "a" };
  const coded = { message: "b", extensions: { error_code: 429 } };
  const summary = { message: "c", extensions: { error_code: 403, is_summary: true } };
  assertEquals(fatalMexError([plain, coded, summary]), summary);
  assertEquals(fatalMexError([plain, coded]), coded);
  assertEquals(fatalMexError([plain])?.extensions?.error_code, 500);
  assertEquals(fatalMexError([]), undefined);
});

Deno.test("mexData returns the keyed data or throws MexError / bad_response", () => {
  const req = {
    queryId: "9",
    operation: "newsletter metadata",
    about: "1@newsletter",
    dataKey: "xwa2_newsletter",
  };
  assertEquals(mexData({ data: { xwa2_newsletter: { id: "x" } }, errors: [] }, req), { id: "x" });
  const e = assertThrows(
    () =>
      mexData({
        data: null,
        errors: [{ message: "Persisted query not found for doc_id 9", extensions: { error_code: 400 } }],
      }, req),
    MexError,
  );
  assert(e instanceof IqError, "a MexError is an IqError");
  assertEquals([e.code, e.status, e.queryId, e.staleQueryId], ["server", 400, "9", true]);
  assertEquals(
    e.message,
    "newsletter metadata for 1@newsletter: Persisted query not found for doc_id 9 (400)",
  );
  assertEquals(assertThrows(() => mexData({ data: {}, errors: [] }, req), IqError).code, "bad_response");
});
