// The app state sync IQ and server_sync notification as pure specs. Shapes from
// reference/protocol-facts-features.md 2.4: tulir/whatsmeow appstate.go fetchAppStatePatches (a snapshot
// request has no version), appstate/decode.go ParsePatchList (<snapshot>, <patches><patch>,
// has_more_patches); WhiskeySockets/Baileys src/Socket/chats.ts (bare <patch> children are read too);
// jlucaso1/whatsapp-rust wacore/src/iq (a refused collection is type="error" with <error code text/>).
import { assert, assertEquals, assertThrows } from "../../_assert.ts";
import { getChild, getChildren, type Node, type NodeInput } from "../../../src/binary/mod.ts";
import { IqError } from "../../../src/features/errors.ts";
import {
  APP_STATE_NAMESPACE,
  fetchCollectionsSpec,
  MAX_REPLY_COLLECTIONS,
  parseServerSync,
  pushPatchSpec,
} from "../../../src/features/app_state/sync_iq.ts";
import { asNode } from "../helpers.ts";

function answer(...collections: NodeInput[]): Node {
  return asNode({ tag: "iq", attrs: { type: "result" }, content: [{ tag: "sync", content: collections }] });
}

Deno.test("fetch: a snapshot request has no version; a patch request names ours; one IQ for several", () => {
  const built = fetchCollectionsSpec([
    { name: "regular_low", version: 0, snapshot: true },
    { name: "regular_high", version: 7, snapshot: false },
  ]).build();
  assertEquals([built.namespace, built.type], [APP_STATE_NAMESPACE, "set"]);
  const sync = asNode((built.content as NodeInput[])[0]);
  assertEquals(sync.tag, "sync");
  assertEquals(getChildren(sync, "collection").map((c) => c.attrs), [
    { name: "regular_low", return_snapshot: "true" },
    { name: "regular_high", version: "7", return_snapshot: "false" },
  ]);
});

Deno.test("fetch answer: snapshot reference, patches in order (wrapped or bare), has_more_patches, errors", () => {
  const spec = fetchCollectionsSpec([{ name: "regular_low", version: 3, snapshot: false }]);
  const replies = spec.parse(answer(
    {
      tag: "collection",
      attrs: { name: "regular_low", version: "9", has_more_patches: "true" },
      content: [
        { tag: "snapshot", content: new Uint8Array([1]) },
        {
          tag: "patches",
          content: [{ tag: "patch", content: new Uint8Array([2]) }, {
            tag: "patch",
            content: new Uint8Array([3]),
          }],
        },
      ],
    },
    {
      tag: "collection",
      attrs: { name: "regular" },
      content: [{ tag: "patch", content: new Uint8Array([4]) }],
    },
    {
      tag: "collection",
      attrs: { name: "critical_block", type: "error" },
      content: [{ tag: "error", attrs: { code: "404", text: "item-not-found" } }],
    },
  ));
  assertEquals(replies.length, 3);
  assertEquals(replies[0], {
    name: "regular_low",
    version: 9,
    hasMorePatches: true,
    snapshot: new Uint8Array([1]),
    patches: [new Uint8Array([2]), new Uint8Array([3])],
    error: undefined,
  });
  assertEquals([replies[1].version, replies[1].hasMorePatches, replies[1].patches], [undefined, false, [
    new Uint8Array([4]),
  ]]);
  assertEquals(replies[2].error, { code: 404, text: "item-not-found" });
});

Deno.test("fetch answer: a missing <sync>, a nameless collection, an empty patch or too many collections are bad responses", () => {
  const spec = fetchCollectionsSpec([{ name: "regular", version: 1, snapshot: false }]);
  const bad = (node: Node) => {
    const e = assertThrows(() => spec.parse(node), IqError);
    assertEquals(e.code, "bad_response");
  };
  bad(asNode({ tag: "iq", attrs: { type: "result" } }));
  bad(answer({ tag: "collection", attrs: {} }));
  bad(answer({ tag: "collection", attrs: { name: "regular" }, content: [{ tag: "patch" }] }));
  bad(answer({ tag: "collection", attrs: { name: "regular" }, content: [{ tag: "snapshot" }] }));
  const many = Array.from(
    { length: MAX_REPLY_COLLECTIONS + 1 },
    () => ({ tag: "collection", attrs: { name: "x" } }),
  );
  bad(answer(...many));
});

Deno.test("push: our version and the patch in one collection; a collection error is an IqError with its status", () => {
  const patch = new Uint8Array([9, 9]);
  const spec = pushPatchSpec("regular_low", 4, patch);
  const collection = asNode((spec.build().content as NodeInput[])[0]).content as Node[];
  assertEquals(collection[0].attrs, { name: "regular_low", version: "4", return_snapshot: "false" });
  assertEquals(getChild(collection[0], "patch")?.content, patch);

  const ok = spec.parse(answer({ tag: "collection", attrs: { name: "regular_low", version: "5" } }));
  assertEquals(ok.version, 5);
  const conflict = assertThrows(() =>
    spec.parse(answer({
      tag: "collection",
      attrs: { name: "regular_low", type: "error" },
      content: [{ tag: "error", attrs: { code: "409", text: "conflict" } }],
    })), IqError);
  assertEquals([conflict.code, conflict.status, conflict.text, conflict.about], [
    "server",
    409,
    "conflict",
    "regular_low",
  ]);
  const other = assertThrows(
    () => spec.parse(answer({ tag: "collection", attrs: { name: "regular" } })),
    IqError,
  );
  assertEquals(other.code, "bad_response");
});

Deno.test("server_sync: the collections named, versions when numeric, nameless ones skipped", () => {
  const node = asNode({
    tag: "notification",
    attrs: { type: "server_sync", from: "s.whatsapp.net" },
    content: [
      { tag: "collection", attrs: { name: "regular_low", version: "12" } },
      { tag: "collection", attrs: { name: "regular_high", version: "x1" } },
      { tag: "collection", attrs: {} },
    ],
  });
  assertEquals(parseServerSync(node), [
    { name: "regular_low", version: 12 },
    { name: "regular_high", version: undefined },
  ]);
  assert(parseServerSync(asNode({ tag: "notification", attrs: {} })).length === 0);
});
