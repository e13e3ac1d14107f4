// Child process of postgres_lease_test.ts. Usage:
//   deno run ... postgres_child.ts hold <url> <deviceId>   opens the device, prints "won" or "leased", then
//                                                          keeps it open until stdin closes
//   deno run ... postgres_child.ts burst <url> <deviceId>  writes a burst of session updates like
//                                                          crash_writer.ts, printing each flushed seq
import { SessionRecord } from "../../src/signal/mod.ts";
import { createDevice, PostgresStore, StoreError } from "../../src/store/mod.ts";
import { PEERS, seqField } from "./crash_writer.ts";
import { makeSessions, peer } from "./fixtures.ts";

export const FLUSH_EVERY = 10;

const out = new TextEncoder();
const say = (line: string) => Deno.stdout.writeSync(out.encode(`${line}\n`));

if (import.meta.main) {
  const [mode, url, id] = Deno.args;
  const deviceId = Number(id);
  if (mode === "hold") {
    let store: PostgresStore | undefined;
    try {
      store = await PostgresStore.open(url, { deviceId, flushDelayMs: Infinity });
      say("won");
    } catch (e) {
      say(e instanceof StoreError ? e.kind : `error ${e}`);
    }
    // Hold the lease until the parent closes our stdin (or kills us).
    for await (const _ of Deno.stdin.readable) { /* wait for EOF */ }
    await store?.close();
  } else if (mode === "burst") {
    const bases = [...(await makeSessions(PEERS, 2)).values()];
    const store = await PostgresStore.open(url, { deviceId, flushDelayMs: Infinity });
    const device = createDevice();
    say("ready");
    for (let seq = 1;; seq++) {
      const i = seq % PEERS;
      await store.storeSession(peer(i), new SessionRecord(bases[i].currentState, [], [seqField(seq)]));
      if (seq % FLUSH_EVERY === 0) {
        device.pushName = `seq ${seq}`;
        await store.saveDevice(device);
        await store.flush();
        say(String(seq));
      }
    }
  }
}
