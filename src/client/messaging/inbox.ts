/**
 * The durable inbox's payload: a decrypted message and its metadata, encoded so that it can be handed to
 * the handlers again after a restart exactly as it was the first time. The message is its protobuf
 * encoding; the metadata is JSON with JIDs as strings and times as milliseconds.
 *
 * @module
 */

import { Jid } from "../../binary/mod.ts";
import type { MessageEvent, MessageInfo, MessageSource } from "../../features/message_info.ts";
import { Message } from "../../proto/mod.ts";

/** The payload format version. */
const VERSION = 1;

type Encoded<T> = { [K in keyof T]: T[K] extends Jid | undefined ? string | undefined : T[K] };

interface EncodedInfo extends Omit<MessageInfo, "source" | "timestamp"> {
  source: Encoded<MessageSource>;
  timestamp: number;
}

const JID_FIELDS = ["chat", "sender", "senderAlt", "recipientAlt", "broadcastListOwner"] as const;

/** Encodes a message event for the inbox. */
export function encodeIncoming(event: MessageEvent): Uint8Array {
  const source: Record<string, unknown> = { ...event.info.source };
  for (const f of JID_FIELDS) if (source[f] !== undefined) source[f] = String(source[f]);
  const info = { ...event.info, source, timestamp: event.info.timestamp.getTime() };
  const json = JSON.stringify({ v: VERSION, info, message: Message.encode(event.message).toBase64() });
  return new TextEncoder().encode(json);
}

/** Decodes an inbox payload; throws on a payload this code did not write. */
export function decodeIncoming(payload: Uint8Array): MessageEvent {
  const parsed = JSON.parse(new TextDecoder().decode(payload)) as {
    v: number;
    info: EncodedInfo;
    message: string;
  };
  if (parsed.v !== VERSION) throw new Error(`inbox payload version ${parsed.v}, expected ${VERSION}`);
  const src = parsed.info.source as unknown as Record<string, unknown>;
  const source = { ...src } as Record<string, unknown>;
  for (const f of JID_FIELDS) if (typeof src[f] === "string") source[f] = Jid.parse(src[f] as string);
  const info: MessageInfo = {
    ...parsed.info,
    source: source as unknown as MessageSource,
    timestamp: new Date(parsed.info.timestamp),
  };
  return { info, message: Message.decode(Uint8Array.fromBase64(parsed.message)) };
}

/** The inbox key of a message: unique per chat, sender and id. */
export function incomingKey(info: MessageInfo): string {
  return `${info.source.chat}|${info.source.sender}|${info.id}`;
}
