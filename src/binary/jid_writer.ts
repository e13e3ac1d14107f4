/**
 * Writing JIDs: JID strings recognised by the encoder's string classification, and {@link Jid} objects.
 * Both give the same bytes for the same JID.
 *
 * @module
 */

import {
  DEFAULT_USER_SERVER,
  HOSTED_LID_SERVER,
  HOSTED_SERVER,
  INTEROP_SERVER,
  isAdServer,
  type Jid,
  KNOWN_SERVERS,
  LID_SERVER,
  MESSENGER_SERVER,
  parseDecimal,
} from "./jid.ts";
import {
  AD_JID,
  DOMAIN_HOSTED,
  DOMAIN_HOSTED_LID,
  DOMAIN_LID,
  DOMAIN_WHATSAPP,
  DOUBLE_BYTE_TOKENS,
  FB_JID,
  INTEROP_JID,
  JID_PAIR,
  LIST_EMPTY,
  PACKED_MAX,
  SINGLE_BYTE_TOKENS,
} from "./tokens.ts";
import type { Writer } from "./writer.ts";

/** Longest token made only of nibble characters (4, "1080"): longer runs need no token lookup. */
const MAX_NIBBLE_TOKEN = [...SINGLE_BYTE_TOKENS, ...DOUBLE_BYTE_TOKENS.flat()]
  .filter((token) => /^[0-9.-]+$/.test(token))
  .reduce((max, token) => Math.max(max, token.length), 0);

/**
 * Writes `s` as a JID and returns true when it has one of these forms (false means "write it as
 * plain text"; nothing was written then):
 * - `@server` -> JID_PAIR with an empty user (LIST_EMPTY);
 * - `user:device@server` on s.whatsapp.net, lid, hosted, hosted.lid with device 0..255 -> AD_JID
 *   (domain type from the server; on s.whatsapp.net `user.agent:device` carries the agent);
 * - `user[:device]@msgr` -> FB_JID; `integrator-user[:device]@interop` -> INTEROP_JID;
 * - any other `user@server` -> JID_PAIR.
 * The caller has ruled out a second '@' and an empty server. `at` and `colon` are the first '@' and
 * the first ':' before it (or -1); `digitsEnd` is where the leading run of digits ends; `known` is the
 * server as a known name's constant, when it is one. A device
 * that does not fit (non-numeric, leading zeros, out of range) stays in the user of a JID_PAIR,
 * which decodes back to the same string.
 */
export function writeJidString(
  w: Writer,
  s: string,
  at: number,
  colon: number,
  digitsEnd: number,
  known: string | undefined = knownServer(s, at + 1),
): boolean {
  const server = known ?? s.slice(at + 1);
  if (at === 0) {
    writeJidPair(w, s, 0, 0, server, false);
    return true;
  }
  let start = 0;
  let integrator = -1;
  if (server === INTEROP_SERVER) {
    const dash = s.indexOf("-");
    if (dash > 0 && dash < at) {
      integrator = canonicalDecimal(s, 0, dash) ? parseDecimal(s, 0, dash, 0xffff, 5) : -1;
      start = dash + 1;
      colon = s.indexOf(":", start);
      if (colon > at) colon = -1;
    }
  }
  let device = -1;
  if (colon > start && s.indexOf(":", colon + 1) < 0 && canonicalDecimal(s, colon + 1, at)) {
    device = parseDecimal(s, colon + 1, at, 0xffff, 5);
  }
  const userEnd = device >= 0 ? colon : at;
  const digits = digitsEnd >= userEnd && start === 0;
  if (isAdServer(server)) {
    if (device < 0 || device > 0xff) {
      writeJidPair(w, s, 0, at, server, digitsEnd >= at);
      return true;
    }
    let domain = server === DEFAULT_USER_SERVER
      ? DOMAIN_WHATSAPP
      : server === LID_SERVER
      ? DOMAIN_LID
      : server === HOSTED_SERVER
      ? DOMAIN_HOSTED
      : DOMAIN_HOSTED_LID;
    let end = userEnd;
    if (domain === DOMAIN_WHATSAPP && !digits) {
      const dot = s.lastIndexOf(".", userEnd);
      if (dot > 0 && canonicalDecimal(s, dot + 1, userEnd)) {
        const agent = parseDecimal(s, dot + 1, userEnd, 0xff, 3);
        if (agent > 0 && agent !== DOMAIN_LID && agent !== DOMAIN_HOSTED && agent !== DOMAIN_HOSTED_LID) {
          domain = agent;
          end = dot;
        }
      }
    }
    writeAdJid(w, domain, device, s, end, digits);
    return true;
  }
  if (server === MESSENGER_SERVER) {
    writeFbJid(w, s, 0, userEnd, device < 0 ? 0 : device);
    return true;
  }
  if (server === INTEROP_SERVER && integrator >= 0 && userEnd > start) {
    writeInteropJid(w, s, start, userEnd, device < 0 ? 0 : device, integrator);
    return true;
  }
  writeJidPair(w, s, 0, at, server, digitsEnd >= at);
  return true;
}

/**
 * Writes `s[start, end)` as a string. A long run of nibble characters (the digits of a phone number
 * or LID) is packed straight from `s`: no token has more than 4 such characters, so no lookup is needed.
 */
function writePart(w: Writer, s: string, start: number, end: number, digits: boolean): void {
  const n = end - start;
  if (n > MAX_NIBBLE_TOKEN && n <= PACKED_MAX) {
    if (digits) {
      // Only set by writeJidString, for the string whose bytes the writer's scratch buffer still holds.
      w.packScratch(start, end);
      return;
    }
    if (w.packNibbleString(s, start, end)) return;
  }
  w.writeString(start === 0 && end === s.length ? s : s.slice(start, end));
}

function writeJidPair(
  w: Writer,
  user: string,
  start: number,
  end: number,
  server: string,
  digits: boolean,
): void {
  w.ensure(2);
  w.buf[w.pos++] = JID_PAIR;
  if (start === end) w.buf[w.pos++] = LIST_EMPTY;
  else writePart(w, user, start, end, digits);
  // Known servers are dictionary tokens; trying the token first gives the bytes writeString would.
  if (!w.writeToken(server)) w.writeString(server);
}

function writeAdJid(
  w: Writer,
  domain: number,
  device: number,
  user: string,
  userEnd: number,
  digits: boolean,
): void {
  w.ensure(3);
  w.buf[w.pos++] = AD_JID;
  w.buf[w.pos++] = domain;
  w.buf[w.pos++] = device;
  writePart(w, user, 0, userEnd, digits);
}

function writeFbJid(w: Writer, user: string, start: number, end: number, device: number): void {
  w.ensure(1);
  w.buf[w.pos++] = FB_JID;
  writePart(w, user, start, end, false);
  w.ensure(2);
  w.buf[w.pos++] = device >> 8;
  w.buf[w.pos++] = device & 0xff;
  w.writeString(MESSENGER_SERVER);
}

function writeInteropJid(
  w: Writer,
  user: string,
  start: number,
  end: number,
  device: number,
  integrator: number,
): void {
  w.ensure(1);
  w.buf[w.pos++] = INTEROP_JID;
  writePart(w, user, start, end, false);
  w.ensure(4);
  w.buf[w.pos++] = device >> 8;
  w.buf[w.pos++] = device & 0xff;
  w.buf[w.pos++] = integrator >> 8;
  w.buf[w.pos++] = integrator & 0xff;
  w.writeString(INTEROP_SERVER);
}

/**
 * A {@link Jid} object, with the same wire form its string would get from {@link writeJidString}
 * (parts that the compact forms cannot carry fall back to a JID_PAIR of the formatted user part).
 */
export function writeJid(w: Writer, jid: Jid): void {
  const { user, server, device, agent } = jid;
  if (user === "") {
    writeJidPair(w, user, 0, 0, server, false);
    return;
  }
  if (isAdServer(server)) {
    if (device === 0 && agent === 0) {
      writeJidPair(w, user, 0, user.length, server, false);
    } else if (device <= 0xff) {
      // The constructor only allows an agent on s.whatsapp.net, where it takes the domain byte.
      const domain = server === LID_SERVER
        ? DOMAIN_LID
        : server === HOSTED_SERVER
        ? DOMAIN_HOSTED
        : server === HOSTED_LID_SERVER
        ? DOMAIN_HOSTED_LID
        : agent;
      writeAdJid(w, domain, device, user, user.length, false);
    } else {
      const part = userPart(jid);
      writeJidPair(w, part, 0, part.length, server, false);
    }
  } else if (server === MESSENGER_SERVER) {
    writeFbJid(w, user, 0, user.length, device);
  } else if (server === INTEROP_SERVER) {
    writeInteropJid(w, user, 0, user.length, device, jid.integrator);
  } else {
    const part = device === 0 && agent === 0 ? user : userPart(jid);
    writeJidPair(w, part, 0, part.length, server, false);
  }
}

/** Servers by the length of their name, to recognise them in a JID string without slicing it. */
const SERVERS_BY_LENGTH: string[][] = [];
for (const name of KNOWN_SERVERS) (SERVERS_BY_LENGTH[name.length] ??= []).push(name);

/** The known server name that `s` ends with from `start`, as the interned constant, or undefined. */
export function knownServer(s: string, start: number): string | undefined {
  const names = SERVERS_BY_LENGTH[s.length - start];
  if (names === undefined) return undefined;
  for (let i = 0; i < names.length; i++) if (s.startsWith(names[i], start)) return names[i];
  return undefined;
}

function userPart(jid: Jid): string {
  const text = jid.toString();
  return text.slice(0, text.lastIndexOf("@"));
}

/** Digits only, and no leading zero unless the number is 0 itself. */
function canonicalDecimal(s: string, start: number, end: number): boolean {
  if (end <= start || end - start > 5) return false;
  if (s.charCodeAt(start) === 48 && end - start > 1) return false;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}
