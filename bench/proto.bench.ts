// Encode/decode of the hot protobuf messages: ours (generated codecs) against protobufjs reflection on the
// same .proto files parsed at run time (protobufjs compiles reflection types to functions on first use, so
// this is its fast path, not an interpreter).
import protobuf from "npm:protobufjs@7.6.6";
import { HandshakeMessage, Message, SignalMessage, Writer } from "../src/proto/mod.ts";

const dir = new URL("../src/proto/", import.meta.url);
const root = new protobuf.Root();
for await (const e of Deno.readDir(dir)) {
  if (e.isFile && e.name.endsWith(".proto")) {
    protobuf.parse(await Deno.readTextFile(new URL(e.name, dir)), root, { alternateCommentMode: true });
  }
}
root.resolveAll();
const PbMessage = root.lookupType("wadeno.proto.Message");
const PbHandshake = root.lookupType("wadeno.proto.HandshakeMessage");
const PbSignal = root.lookupType("wadeno.proto.SignalMessage");

const fill = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

// A reply in a group: extended text with a quote and a mention, plus the device-list metadata and message
// secret every outgoing message carries.
const message: Message = {
  extendedTextMessage: {
    text: "Sounds good, see you at 7 at the usual place. Bring the charger I lent you last week please! 🙂",
    contextInfo: {
      stanzaId: "3EB0C431C26A1916D6B0A1",
      participant: "15551234567@s.whatsapp.net",
      quotedMessage: { conversation: "Dinner tonight? Same place as last time?" },
      mentionedJid: ["15557654321@s.whatsapp.net"],
    },
  },
  messageContextInfo: {
    deviceListMetadata: {
      senderKeyHash: fill(10, 1),
      senderTimestamp: 1731234567n,
      recipientKeyHash: fill(10, 2),
      recipientTimestamp: 1731234000n,
    },
    deviceListMetadataVersion: 2,
    messageSecret: fill(32, 3),
  },
};
const handshake: HandshakeMessage = {
  serverHello: { ephemeral: fill(32, 4), static: fill(48, 5), payload: fill(245, 6) },
};
const signal: SignalMessage = {
  ratchetKey: fill(33, 7),
  counter: 12,
  previousCounter: 3,
  ciphertext: fill(144, 8),
};

// protobufjs input: the same values with 64-bit fields as numbers (what protobufjs accepts without Long).
const toPbjs = (v: unknown): unknown =>
  typeof v === "bigint"
    ? Number(v)
    : v instanceof Uint8Array
    ? v
    : Array.isArray(v)
    ? v.map(toPbjs)
    : typeof v === "object" && v !== null
    ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toPbjs(x)]))
    : v;
const pbMessage = PbMessage.fromObject(toPbjs(message) as Record<string, unknown>);
const pbHandshake = PbHandshake.fromObject(toPbjs(handshake) as Record<string, unknown>);
const pbSignal = PbSignal.fromObject(toPbjs(signal) as Record<string, unknown>);

const messageBytes = Message.encode(message);
const handshakeBytes = HandshakeMessage.encode(handshake);
const signalBytes = SignalMessage.encode(signal);
if (messageBytes.toHex() !== PbMessage.encode(pbMessage).finish().toHex()) {
  throw new Error("Message bytes differ");
}

let sink = 0;

Deno.bench("protobufjs", { group: "Message encode", baseline: true }, () => {
  sink += PbMessage.encode(pbMessage).finish().length;
});
Deno.bench("wadeno", { group: "Message encode" }, () => {
  sink += Message.encode(message).length;
});
Deno.bench("protobufjs", { group: "Message decode", baseline: true }, () => {
  sink += PbMessage.decode(messageBytes) ? 1 : 0;
});
Deno.bench("wadeno", { group: "Message decode" }, () => {
  sink += Message.decode(messageBytes) ? 1 : 0;
});
Deno.bench("protobufjs", { group: "HandshakeMessage encode", baseline: true }, () => {
  sink += PbHandshake.encode(pbHandshake).finish().length;
});
Deno.bench("wadeno", { group: "HandshakeMessage encode" }, () => {
  sink += HandshakeMessage.encode(handshake).length;
});
Deno.bench("protobufjs", { group: "HandshakeMessage decode", baseline: true }, () => {
  sink += PbHandshake.decode(handshakeBytes) ? 1 : 0;
});
Deno.bench("wadeno", { group: "HandshakeMessage decode" }, () => {
  sink += HandshakeMessage.decode(handshakeBytes) ? 1 : 0;
});
Deno.bench("protobufjs", { group: "SignalMessage encode", baseline: true }, () => {
  sink += PbSignal.encode(pbSignal).finish().length;
});
Deno.bench("wadeno", { group: "SignalMessage encode" }, () => {
  sink += SignalMessage.encode(signal).length;
});
// The allocation-free path for hot loops: write into a caller-owned Writer and use a view of its bytes.
const reused = new Writer(1024);
Deno.bench("wadeno, caller's Writer", { group: "SignalMessage encode" }, () => {
  reused.pos = 0;
  SignalMessage.write(signal, reused, 0);
  sink += reused.pos;
});
Deno.bench("wadeno, caller's Writer", { group: "HandshakeMessage encode" }, () => {
  reused.pos = 0;
  HandshakeMessage.write(handshake, reused, 0);
  sink += reused.pos;
});
Deno.bench("wadeno, caller's Writer", { group: "Message encode" }, () => {
  reused.pos = 0;
  Message.write(message, reused, 0);
  sink += reused.pos;
});

Deno.bench("protobufjs", { group: "SignalMessage decode", baseline: true }, () => {
  sink += PbSignal.decode(signalBytes) ? 1 : 0;
});
Deno.bench("wadeno", { group: "SignalMessage decode" }, () => {
  sink += SignalMessage.decode(signalBytes) ? 1 : 0;
});

globalThis.addEventListener("unload", () => {
  if (sink === -1) console.log(sink);
});
