// Applying a 10,000-record app state snapshot: decode + verify (value MACs, index MACs, snapshot MAC) + LT-hash,
// against the baseline of AES-CBC decryption alone of the same records, and Baileys' decodeSyncdSnapshot
// (baileys@7.0.0-rc14, with validateMacs) as a peer. Peak memory is measured in a child process that reads
// the snapshot from a file, so its high-water mark holds only the decode.
// Run: deno bench --allow-read --allow-write --allow-run --allow-env --allow-sys bench/app_state.bench.ts
import { Buffer } from "node:buffer";
import { aesCbcDecrypt } from "../src/crypto/mod.ts";
import {
  buildChatAction,
  decodeSnapshot,
  encodeSnapshot,
  expandAppStateKeys,
  type KnownChatAction,
} from "../src/features/app_state/mod.ts";
import { SyncdSnapshot } from "../src/proto/mod.ts";

const RECORDS = 10_000;
const COLLECTION = "regular_high";
const KEY = { keyId: new Uint8Array([0, 0, 0, 0, 0, 9]), keyData: new Uint8Array(32).fill(0x42) };
const getKey = () => KEY;

function buildSnapshotBytes(): Uint8Array {
  const records = Array.from({ length: RECORDS }, (_, i) => {
    const chat = `1555${String(i).padStart(7, "0")}@s.whatsapp.net`;
    const a: KnownChatAction = i % 3 === 0
      ? { kind: "mute", chat, muted: true, muteEndTimestampMs: -1 }
      : i % 3 === 1
      ? {
        kind: "star",
        chat,
        messageId: `3EB0${i.toString(16).toUpperCase().padStart(16, "0")}`,
        fromMe: true,
        starred: true,
      }
      : {
        kind: "delete_chat",
        chat,
        deleteMedia: false,
        messageRange: { lastMessageTimestamp: 1_700_000_000 + i },
      };
    return buildChatAction(a, { nowMs: 1_760_000_000_000 });
  });
  return encodeSnapshot({ collection: COLLECTION, version: 12345, ...KEY, records }).bytes;
}

function readKb(field: "VmHWM" | "VmRSS"): number | undefined {
  try {
    const m = Deno.readTextFileSync("/proc/self/status").match(new RegExp(`${field}:\\s+(\\d+) kB`));
    return m === null ? undefined : Number(m[1]);
  } catch {
    return undefined; // not Linux: the child falls back to Deno.memoryUsage()
  }
}

// The baseline: only the AES-CBC decryption of each record's value, keys already expanded.
function decryptOnly(bytes: Uint8Array): number {
  const keys = expandAppStateKeys(KEY.keyData);
  let total = 0;
  for (const r of SyncdSnapshot.decode(bytes).records ?? []) {
    const blob = r.value!.blob!;
    total +=
      aesCbcDecrypt(keys.valueEncryption, blob.subarray(0, 16), blob.subarray(16, blob.length - 32)).length;
  }
  return total;
}

if (Deno.args[0] === "--measure-memory") {
  // Child mode: decode once, report the memory it took.
  const bytes = Deno.readFileSync(Deno.args[1]);
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const rssBefore = readKb("VmRSS") ?? Deno.memoryUsage().rss / 1024;
  const heapBefore = Deno.memoryUsage().heapUsed;
  const t0 = performance.now();
  const applied = Deno.args[2] === "baseline"
    ? decryptOnly(bytes)
    : await decodeSnapshot(bytes, { collection: COLLECTION, getKey });
  const ms = performance.now() - t0;
  const heapHeld = Deno.memoryUsage().heapUsed - heapBefore;
  const peak = readKb("VmHWM") ?? Deno.memoryUsage().rss / 1024;
  console.log(
    JSON.stringify({ ms, peakRssDeltaKb: peak - rssBefore, heapHeldKb: heapHeld / 1024, n: typeof applied }),
  );
  Deno.exit(0);
}

const BYTES = buildSnapshotBytes();

async function measureInChild(mode: "decode" | "baseline"): Promise<Record<string, number>> {
  const file = await Deno.makeTempFile({ suffix: ".syncd" });
  try {
    await Deno.writeFile(file, BYTES);
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--v8-flags=--expose-gc",
        import.meta.filename!,
        "--measure-memory",
        file,
        mode,
      ],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    if (!out.success) throw new Error(`the memory-measuring child exited with ${out.code}`);
    return JSON.parse(new TextDecoder().decode(out.stdout));
  } finally {
    await Deno.remove(file);
  }
}

const decodeMem = await measureInChild("decode");
const baseMem = await measureInChild("baseline");
console.log(
  `app_state: ${RECORDS} records, ${
    (BYTES.length / 1024).toFixed(0)
  } KiB snapshot. Peak RSS growth: decode ` +
    `${(decodeMem.peakRssDeltaKb / 1024).toFixed(1)} MiB (heap held with result ${
      (decodeMem.heapHeldKb / 1024).toFixed(1)
    } MiB), ` +
    `decrypt-only ${(baseMem.peakRssDeltaKb / 1024).toFixed(1)} MiB`,
);

// Loaded here, not at the top, so the memory-measuring child never loads Baileys.
const chatUtils = await import("npm:/baileys@7.0.0-rc14/lib/Utils/chat-utils.js");
const { proto } = await import("npm:/baileys@7.0.0-rc14/WAProto/index.js");
// Baileys is plain JS around protobufjs; one cast at this boundary.
const baileysDecodeSnapshot = (chatUtils as unknown as {
  decodeSyncdSnapshot(
    name: string,
    s: object,
    k: (id: string) => Promise<object>,
    min: undefined,
    v: boolean,
  ): Promise<unknown>;
}).decodeSyncdSnapshot;
const baileysKey = { keyData: Buffer.from(KEY.keyData) };

Deno.bench(
  "decrypt only (AES-256-CBC of each value)",
  { group: "10k-record snapshot", baseline: true },
  () => {
    decryptOnly(BYTES);
  },
);

Deno.bench(
  "wadeno decodeSnapshot (decode + verify + LT-hash)",
  { group: "10k-record snapshot" },
  async () => {
    await decodeSnapshot(BYTES, { collection: COLLECTION, getKey });
  },
);

Deno.bench("Baileys decodeSyncdSnapshot (validateMacs)", { group: "10k-record snapshot" }, async () => {
  const snapshot = (proto as unknown as { SyncdSnapshot: { decode(b: Uint8Array): object } }).SyncdSnapshot
    .decode(BYTES);
  await baileysDecodeSnapshot(COLLECTION, snapshot, () => Promise.resolve(baileysKey), undefined, true);
});
