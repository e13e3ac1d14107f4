import { assertEquals, assertRejects } from "../_assert.ts";
import { TypedEmitter } from "../../src/client/emitter.ts";

type Events = { a: number; b: string };

Deno.test("on/off delivers in registration order and stops after unsubscribe", () => {
  const em = new TypedEmitter<Events>();
  const seen: string[] = [];
  const off1 = em.on("a", (n) => void seen.push(`1:${n}`));
  em.on("a", (n) => void seen.push(`2:${n}`));
  em.emit("a", 1);
  off1();
  em.emit("a", 2);
  assertEquals(seen, ["1:1", "2:1", "2:2"]);
});

Deno.test("a throwing or rejecting listener is reported and does not stop the others", async () => {
  const em = new TypedEmitter<Events>();
  const errors: unknown[] = [];
  const { promise, resolve } = Promise.withResolvers<void>();
  em.onListenerError = (e) => {
    errors.push(e);
    if (errors.length === 2) resolve();
  };
  let reached = false;
  em.on("a", () => {
    throw new Error("sync boom");
  });
  em.on("a", () => Promise.reject(new Error("async boom")));
  em.on("a", () => void (reached = true));
  em.emit("a", 1);
  await promise;
  assertEquals(reached, true);
  assertEquals(errors.map((e) => (e as Error).message), ["sync boom", "async boom"]);
});

Deno.test("waitFor resolves on the first matching event and rejects on abort", async () => {
  const em = new TypedEmitter<Events>();
  const wait = em.waitFor("a", { filter: (n) => n > 1 });
  em.emit("a", 1);
  em.emit("a", 5);
  assertEquals(await wait, 5);
  const ac = new AbortController();
  const aborted = em.waitFor("b", { signal: ac.signal });
  ac.abort(new Error("deadline"));
  await assertRejects(() => aborted, Error, "deadline");
  assertEquals(em.hasListeners("b"), false);
});

Deno.test("events() buffers while the consumer is busy and ends on abort", async () => {
  const em = new TypedEmitter<Events>();
  const ac = new AbortController();
  const it = em.events({ signal: ac.signal });
  em.emit("a", 1);
  em.emit("b", "x");
  em.emit("a", 2);
  const got = [];
  for (let i = 0; i < 3; i++) got.push((await it.next()).value);
  assertEquals(got, [{ type: "a", data: 1 }, { type: "b", data: "x" }, { type: "a", data: 2 }]);
  const pending = it.next();
  ac.abort();
  assertEquals((await pending).done, true);
});

Deno.test("emitAndWait resolves once listeners settled and iterators asked for the next event", async () => {
  const em = new TypedEmitter<{ m: number }>();
  const order: string[] = [];
  const slow = Promise.withResolvers<void>();
  em.on("m", async (n) => {
    await slow.promise;
    order.push(`listener ${n}`);
  });
  const it = em.events();
  let settled = false;
  const done = em.emitAndWait("m", 1).then(() => void (settled = true));
  const first = await it.next();
  assertEquals(first.value?.data, 1);
  slow.resolve();
  await Promise.resolve();
  await new Promise((r) => queueMicrotask(() => r(undefined)));
  assertEquals(settled, false, "the iterator's consumer has not asked for the next event yet");
  const second = it.next(); // asking for more means event 1 was handled
  await done;
  assertEquals(order, ["listener 1"]);
  assertEquals(settled, true);
  await it.return!();
  assertEquals((await second).done, true);
});

Deno.test("an iterator that stops releases the events waiting on it", async () => {
  const em = new TypedEmitter<{ m: number }>();
  const it = em.events();
  const a = em.emitAndWait("m", 1);
  const b = em.emitAndWait("m", 2);
  await it.next(); // holds event 1
  await it.return!(); // stops: 1 (handed out) and 2 (buffered) are released
  await Promise.all([a, b]);
  await em.emitAndWait("m", 3); // no iterator left: resolves at once
});
