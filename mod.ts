/**
 * wadeno: a Deno-native WhatsApp Web client library. It speaks the real protocol end to end (binary
 * stanzas, the Noise transport, the Signal protocol) with no native dependencies.
 *
 * This root re-exports the user-facing API. Today that is the binary stanza layer: {@link Node} and
 * {@link NodeBuilder}, {@link Jid}, and {@link marshal} / {@link unmarshal}.
 *
 * @example
 * ```ts
 * import { Jid, marshal, NodeBuilder, unmarshal } from "@wadeno/client";
 * const payload = marshal(new NodeBuilder("presence").attr("type", "available").build());
 * unmarshal(payload).attrs.type; // "available"
 * Jid.parse("15551234567:2@s.whatsapp.net").toSignalAddress(); // "15551234567:2@c.us.0"
 * ```
 *
 * @module
 */

export * from "./src/binary/mod.ts";
