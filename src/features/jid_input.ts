/**
 * JIDs as callers give them: a `Jid`, or a string. `…@c.us` (the legacy user server some libraries
 * print) is accepted as `…@s.whatsapp.net`; a bare phone number is refused with the form to use.
 *
 * @module
 */

import { Jid } from "../binary/mod.ts";
import { InputError } from "./errors.ts";

/**
 * The JID a caller meant, or an {@linkcode InputError} (`invalid_jid`) with a hint.
 *
 * @example
 * ```ts
 * import { toJid } from "@wadeno/client";
 * toJid("15551234567@c.us").toString(); // "15551234567@s.whatsapp.net"
 * ```
 */
export function toJid(input: Jid | string, argument = "jid"): Jid {
  if (input instanceof Jid) return input;
  if (typeof input !== "string") {
    throw new InputError("invalid_jid", argument, `expected a Jid or a JID string, got ${typeof input}`);
  }
  const text = input.trim();
  const digits = text.replace(/[\s()+-]/g, "");
  if (/^\d{5,20}$/.test(digits) && !text.includes("@")) {
    throw new InputError(
      "invalid_jid",
      argument,
      `"${input}" is a phone number, not a JID; use "${digits}@s.whatsapp.net"`,
    );
  }
  const normalised = text.endsWith("@c.us") ? `${text.slice(0, -"@c.us".length)}@s.whatsapp.net` : text;
  const jid = Jid.tryParse(normalised);
  if (!jid) {
    throw new InputError(
      "invalid_jid",
      argument,
      `"${input}" is not a JID (expected e.g. "15551234567@s.whatsapp.net", "1203…@g.us" or "…@lid")`,
    );
  }
  return jid;
}
