// One write per event-loop turn: what a turn queues leaves together and in order, what later turns queue
// goes in later writes, a slow write batches what arrives meanwhile, and the queue is bounded.
import { setImmediate } from "node:timers";
import { assert, assertEquals, assertThrows } from "../../_assert.ts";
import { TransportError } from "../../../src/client/net/errors.ts";
import { TurnWriter } from "../../../src/client/net/coalesce.ts";
import { within } from "./helpers.ts";

/** A write function that records each call; `hold` makes calls wait until released. */
function recorder(options: { maxPerWrite?: number } = {}) {
  const writes: number[][] = [];
  let held: PromiseWithResolvers<void> | undefined;
  return {
    writes,
    hold() {
      held = Promise.withResolvers<void>();
    },
    release() {
      held?.resolve();
      held = undefined;
    },
    async write(data: Uint8Array): Promise<number> {
      if (held) await held.promise;
      const n = Math.min(data.length, options.maxPerWrite ?? data.length);
      writes.push([...data.subarray(0, n)]);
      return n;
    },
  };
}

/** Resolves in a later turn: after every setImmediate queued before it (the writer's flush included). */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

Deno.test("what a turn queues, across its promise continuations, leaves in one write, in order", async () => {
  const r = recorder();
  const writer = new TurnWriter((b) => r.write(b), { onError: () => {} });
  writer.push(Uint8Array.of(1));
  await Promise.resolve();
  writer.push(Uint8Array.of(2, 3));
  await (async () => {
    await null;
    writer.push(Uint8Array.of(4));
  })();
  assertEquals(r.writes, [], "nothing is written before the turn ends");
  await within(writer.drain());
  assertEquals(r.writes, [[1, 2, 3, 4]]);
  assertEquals(writer.writes, 1);
});

Deno.test("separate turns give separate writes; a write in flight collects the next turns into one", async () => {
  const r = recorder();
  const writer = new TurnWriter((b) => r.write(b), { onError: () => {} });
  writer.push(Uint8Array.of(1));
  await nextTurn();
  writer.push(Uint8Array.of(2));
  await nextTurn();
  assertEquals(r.writes, [[1], [2]]);
  r.hold();
  writer.push(Uint8Array.of(3));
  await nextTurn(); // the write of [3] is now in flight, held
  writer.push(Uint8Array.of(4));
  await nextTurn();
  writer.push(Uint8Array.of(5));
  assertEquals(writer.queuedBytes, 3);
  r.release();
  await within(writer.drain());
  assertEquals(r.writes, [[1], [2], [3], [4, 5]]);
});

Deno.test("partial writes are continued until every byte is out", async () => {
  const r = recorder({ maxPerWrite: 3 });
  const writer = new TurnWriter((b) => r.write(b), { onError: () => {} });
  writer.push(Uint8Array.of(1, 2, 3, 4));
  writer.push(Uint8Array.of(5, 6, 7, 8));
  await within(writer.drain());
  assertEquals(r.writes, [[1, 2, 3], [4, 5, 6], [7, 8]]);
  assertEquals(writer.writes, 1, "one batch, however many calls it took");
});

Deno.test("the queue is bounded: past it push throws send_buffer_full and keeps what it had", async () => {
  const r = recorder();
  r.hold();
  const writer = new TurnWriter((b) => r.write(b), { maxQueuedBytes: 10, onError: () => {} });
  writer.push(new Uint8Array(6));
  await nextTurn(); // in flight and held: those 6 bytes still count
  writer.push(new Uint8Array(4));
  const e = assertThrows(() => writer.push(new Uint8Array(1)), TransportError);
  assertEquals(e.code, "send_buffer_full");
  assertEquals(writer.queuedBytes, 10);
  r.release();
  await within(writer.drain());
  assertEquals(r.writes.map((w) => w.length), [6, 4]);
});

Deno.test("a failed write is reported once; later pushes throw closed and drain does not hang", async () => {
  const errors: unknown[] = [];
  const failure = new Error("broken pipe");
  const writer = new TurnWriter(() => Promise.reject(failure), { onError: (e) => errors.push(e) });
  writer.push(Uint8Array.of(1));
  writer.push(Uint8Array.of(2));
  await within(writer.drain());
  assertEquals(errors, [failure]);
  const e = assertThrows(() => writer.push(Uint8Array.of(3)), TransportError);
  assertEquals(e.code, "closed");
  assert(e.cause === failure);
  await within(writer.drain());
});
