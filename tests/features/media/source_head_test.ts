// Reading the first bytes of an upload source for sniffing, without losing any of a one-shot stream.
import assert from "node:assert/strict";
import fc from "npm:fast-check@4.10.2";
import { HEAD_BYTES, readSourceHead } from "../../../src/features/media/source_head.ts";
import { readAllBytes } from "../../../src/features/media/media_stream.ts";
import { MediaError } from "../../../src/features/media/errors.ts";
import { cut, pseudoRandom } from "./helpers.ts";

Deno.test("a one-shot stream comes back whole after its head was read, however it is cut", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: 3 * HEAD_BYTES }),
      fc.array(fc.integer({ min: 0, max: 3 * HEAD_BYTES }), { maxLength: 6 }),
      async (length, boundaries) => {
        const bytes = pseudoRandom(length, length + 1);
        const { head, source } = await readSourceHead(ReadableStream.from(cut(bytes, boundaries)));
        assert.deepEqual(head, bytes.subarray(0, HEAD_BYTES));
        assert.ok(source instanceof ReadableStream);
        assert.deepEqual(await readAllBytes(source), bytes);
      },
    ),
    { numRuns: 40 },
  );
});

Deno.test("bytes, files and re-openable sources are passed on as they are", async () => {
  const bytes = pseudoRandom(HEAD_BYTES + 10, 3);
  const fromBytes = await readSourceHead(bytes, 16);
  assert.equal(fromBytes.source, bytes);
  assert.deepEqual(fromBytes.head, bytes.subarray(0, 16));
  const path = await Deno.makeTempFile();
  try {
    await Deno.writeFile(path, bytes);
    const fromFile = await readSourceHead({ path });
    assert.deepEqual(fromFile.head, bytes.subarray(0, HEAD_BYTES));
    assert.deepEqual(fromFile.source, { path });
    let opened = 0;
    let cancelled = false;
    const fresh = () => {
      opened++;
      return new ReadableStream<Uint8Array>({
        pull: (c) => c.enqueue(bytes.subarray(0, 1000)),
        cancel: () => void (cancelled = true),
      });
    };
    const fromFunction = await readSourceHead(fresh, 100);
    assert.equal(fromFunction.source, fresh);
    assert.deepEqual(fromFunction.head, bytes.subarray(0, 100));
    assert.deepEqual([opened, cancelled], [1, true], "the probe stream was cancelled");
  } finally {
    await Deno.remove(path);
  }
  await assert.rejects(
    readSourceHead({ path: "/nonexistent/wadeno" }),
    (e: unknown) => e instanceof MediaError && e.code === "bad_input",
  );
  assert.deepEqual((await readSourceHead(new Uint8Array())).head, new Uint8Array());
});
