// Waiting for media retry answers: delivery to every waiter of the id, deadline, abort, nothing left behind.
import assert from "node:assert/strict";
import { MediaError } from "../../../src/features/media/errors.ts";
import { MediaRetryWaiters } from "../../../src/features/media/retry_waiters.ts";

const notice = (messageId: string) => ({ messageId, fromMe: false });

Deno.test("an answer reaches every waiter of its message and no other", async () => {
  const waiters = new MediaRetryWaiters();
  const a = waiters.wait("A", { timeoutMs: 5_000 });
  const a2 = waiters.wait("A", { timeoutMs: 5_000 });
  const b = waiters.wait("B", { timeoutMs: 5_000 });
  assert.equal(waiters.deliver(notice("C")), 0);
  assert.equal(waiters.deliver(notice("A")), 2);
  assert.deepEqual(await a, notice("A"));
  assert.deepEqual(await a2, notice("A"));
  assert.equal(waiters.size, 1);
  waiters.deliver(notice("B"));
  await b;
  assert.equal(waiters.size, 0);
});

Deno.test("a wait ends with timeout at its deadline and aborted on its signal, and is forgotten", async () => {
  const waiters = new MediaRetryWaiters();
  await assert.rejects(
    waiters.wait("A", { timeoutMs: 5 }),
    (e: unknown) => e instanceof MediaError && e.code === "timeout",
  );
  const abort = new AbortController();
  const pending = waiters.wait("B", { signal: abort.signal });
  abort.abort(new Error("stop"));
  await assert.rejects(pending, (e: unknown) => e instanceof MediaError && e.code === "aborted");
  await assert.rejects(
    waiters.wait("C", { signal: AbortSignal.abort() }),
    (e: unknown) => e instanceof MediaError && e.code === "aborted",
  );
  assert.equal(waiters.size, 0);
  assert.equal(waiters.deliver(notice("B")), 0);
});
