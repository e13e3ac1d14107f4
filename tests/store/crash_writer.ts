// Child process of crash_test.ts: writes a burst of session updates (and the device) to a SqliteStore,
// flushing every FLUSH_EVERY updates and printing the highest flushed sequence number after each flush,
// until it is killed. Usage: deno run --allow-read --allow-write crash_writer.ts <db path>
//
// Each update stores, for peer (seq % PEERS), a real session record (X3DH + encryption through the signal
// layer) carrying the sequence number as an extra record field, so the parent can check exactly which
// update every row holds.
import { SessionRecord } from "../../src/signal/mod.ts";
import { type Backend, createDevice, SqliteStore } from "../../src/store/mod.ts";
import { assert, assertEquals } from "../_assert.ts";
import { makeSessions, peer } from "./fixtures.ts";

export const PEERS = 16;
export const FLUSH_EVERY = 10;
/** Extra bytes per record so rows have a realistic size (a session with some history is a few KB). */
export const PADDING = 1500;

/** The unknown-field chunk that tags a record with `seq`: field 15, length-delimited. */
export function seqField(seq: number): Uint8Array {
  const body = new Uint8Array(8 + PADDING);
  new DataView(body.buffer).setFloat64(0, seq);
  body.fill(seq & 0xff, 8);
  // tag (15 << 3 | 2) = 0x7a, then the varint length
  const len = body.length;
  return new Uint8Array([0x7a, (len & 0x7f) | 0x80, len >> 7, ...body]);
}

/** The sequence number a serialized record was tagged with, or -1. */
export function seqOf(serialized: Uint8Array): number {
  const tail = seqField(0).length;
  if (serialized.length < tail) return -1;
  const chunk = serialized.subarray(serialized.length - tail);
  if (chunk[0] !== 0x7a) return -1;
  const seq = new DataView(chunk.buffer, chunk.byteOffset + 3, 8).getFloat64(0);
  return seqField(seq).every((b, i) => b === chunk[i]) ? seq : -1;
}

/**
 * What a store reopened after the writer was killed must hold: the flush the writer `printed` last, or
 * the next one (committed, then killed before printing), and one whole flush, never part of one: every
 * peer's session is its last update at or before the flush the device shows. Returns that flush.
 */
export async function assertWholeFlush(
  store: Pick<Backend, "loadDevice" | "loadSessions">,
  printed: number,
  flushEvery: number,
  seed: number,
): Promise<number> {
  const onDisk = Number((await store.loadDevice())?.pushName.replace("seq ", ""));
  assert(
    onDisk === printed || onDisk === printed + flushEvery,
    `seed ${seed}: device at ${onDisk}, printed ${printed}`,
  );
  const sessions = await store.loadSessions(Array.from({ length: PEERS }, (_, i) => peer(i)));
  assertEquals(sessions.size, PEERS);
  for (let i = 0; i < PEERS; i++) {
    let expected = onDisk - ((onDisk - i) % PEERS + PEERS) % PEERS;
    if (expected <= 0) expected = -1;
    const got = seqOf(sessions.get(peer(i))!.serialize());
    assertEquals(
      got,
      expected,
      `seed ${seed}: peer ${i} holds update ${got}, flush ${onDisk} wrote ${expected}`,
    );
  }
  return onDisk;
}

if (import.meta.main) {
  const path = Deno.args[0];
  const bases = [...(await makeSessions(PEERS, 2)).values()];
  const store = await SqliteStore.open(path, { flushDelayMs: Infinity });
  const device = createDevice();
  const out = new TextEncoder();
  for (let seq = 1;; seq++) {
    const i = seq % PEERS;
    const record = new SessionRecord(bases[i].currentState, [], [seqField(seq)]);
    await store.storeSession(peer(i), record);
    if (seq % FLUSH_EVERY === 0) {
      device.pushName = `seq ${seq}`;
      await store.saveDevice(device);
      await store.flush();
      Deno.stdout.writeSync(out.encode(`${seq}\n`));
    }
  }
}
