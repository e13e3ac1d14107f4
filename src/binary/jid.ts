/**
 * WhatsApp JIDs ("Jabber IDs"): who or what a stanza is addressed to.
 *
 * String forms (the same as whatsmeow's `types/jid.go`, plus the interop integrator prefix that Baileys
 * uses):
 *
 * | form | example |
 * |---|---|
 * | user | `15551234567@s.whatsapp.net`, `123456789@lid`, `120363025246125486@g.us` |
 * | device | `15551234567:3@s.whatsapp.net`, `123456789:33@lid` |
 * | agent + device | `15551234567.5:3@s.whatsapp.net` (agent is printed only when non-zero) |
 * | server only | `s.whatsapp.net` (also parsed from `@s.whatsapp.net`) |
 * | broadcast | `status@broadcast`, `1234567890@broadcast` |
 * | newsletter, bot, hosted | `120363144038483540@newsletter`, `867051314767696@bot`, `1555:99@hosted` |
 * | Messenger | `100012345678901:2@msgr` |
 * | interop | `5-15551234567:1@interop` (integrator 5) |
 *
 * @module
 */

import { JidParseError } from "./errors.ts";

/** Server of phone-number accounts. */
export const DEFAULT_USER_SERVER = "s.whatsapp.net";
/** Legacy name of {@link DEFAULT_USER_SERVER}; still used in Signal addresses. */
export const LEGACY_USER_SERVER = "c.us";
/** Server of groups. */
export const GROUP_SERVER = "g.us";
/** Server of broadcast lists and of `status@broadcast`. */
export const BROADCAST_SERVER = "broadcast";
/** Server of LID (linked identity) accounts, which hide the phone number. */
export const LID_SERVER = "lid";
/** Server of newsletters (channels). */
export const NEWSLETTER_SERVER = "newsletter";
/** Server of hosted (Cloud API) phone-number devices. */
export const HOSTED_SERVER = "hosted";
/** Server of hosted (Cloud API) LID devices. */
export const HOSTED_LID_SERVER = "hosted.lid";
/** Server of Messenger accounts. */
export const MESSENGER_SERVER = "msgr";
/** Server of interop (third-party messenger) accounts. */
export const INTEROP_SERVER = "interop";
/** Server of bots (Meta AI). */
export const BOT_SERVER = "bot";
/** User part of the status broadcast JID `status@broadcast`. */
export const STATUS_BROADCAST_USER = "status";

/** Servers a bare server name (no `@`) is accepted for by {@link Jid.parse}. */
export const KNOWN_SERVERS: ReadonlySet<string> = new Set([
  DEFAULT_USER_SERVER,
  LEGACY_USER_SERVER,
  GROUP_SERVER,
  BROADCAST_SERVER,
  LID_SERVER,
  NEWSLETTER_SERVER,
  HOSTED_SERVER,
  HOSTED_LID_SERVER,
  MESSENGER_SERVER,
  INTEROP_SERVER,
  BOT_SERVER,
]);

/** Optional numeric parts of a {@link Jid}. */
export interface JidParts {
  /** Device id, 0..65535 (0 is the primary device). Written as one byte in AD_JID form. */
  device?: number;
  /**
   * Raw agent byte, 0..255. The wire's AD_JID "domain type" shares this byte, so an agent is only
   * allowed where it cannot be mistaken for a domain: never on lid, hosted, hosted.lid, msgr or interop,
   * and not 1, 128 or 129 on s.whatsapp.net.
   */
  agent?: number;
  /** Interop integrator id, 0..65535; only on the interop server. */
  integrator?: number;
}

/** Servers whose device JIDs are AD_JIDs: the server is implied by the domain-type byte. */
const AD_SERVERS: ReadonlySet<string> = new Set([
  DEFAULT_USER_SERVER,
  LID_SERVER,
  HOSTED_SERVER,
  HOSTED_LID_SERVER,
]);

const BOT_USER = /^1313555\d{4}$|^131655500\d{2}$/;
const SERVER_SYNTAX = /^[A-Za-z0-9](?:[A-Za-z0-9_-]|\.(?=[A-Za-z0-9]))*$/;

/** Whether `agent` may be stored on a JID of `server` without changing its meaning on the wire. */
function agentAllowed(server: string, agent: number): boolean {
  if (agent === 0) return true;
  if (server === DEFAULT_USER_SERVER) return agent !== 1 && agent !== 128 && agent !== 129;
  return !AD_SERVERS.has(server) && server !== MESSENGER_SERVER && server !== INTEROP_SERVER;
}

function checkInt(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`JID ${name} must be an integer in 0..${max}, got ${value}`);
  }
}

/**
 * Parses a run of ASCII digits in `text[start, end)` as a decimal number not above `max`.
 * Returns -1 when the run is empty, has a non-digit, has more than `maxDigits` digits or exceeds `max`.
 */
export function parseDecimal(
  text: string,
  start: number,
  end: number,
  max: number,
  maxDigits: number,
): number {
  const n = end - start;
  if (n <= 0 || n > maxDigits) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    value = value * 10 + c;
  }
  return value <= max ? value : -1;
}

/**
 * An immutable WhatsApp JID: `user`, `server`, and the numeric `agent`, `device` and `integrator`.
 *
 * Construct one with the typed helpers ({@link Jid.pn}, {@link Jid.lid}, {@link Jid.group}, ...) or
 * {@link Jid.parse}. Pass it as an attribute value (`NodeBuilder.jidAttr`) to have the encoder write it as
 * a JID without formatting and re-parsing it.
 *
 * @example
 * ```ts
 * import { Jid } from "./jid.ts";
 * const jid = Jid.parse("15551234567:3@s.whatsapp.net");
 * jid.device; // 3
 * jid.toNonAd().toString(); // "15551234567@s.whatsapp.net"
 * jid.toSignalAddress(); // "15551234567:3@c.us.0"
 * ```
 */
export class Jid {
  /** User part; empty for a server-only JID such as `s.whatsapp.net`. */
  readonly user: string;
  /** Server part, for example `s.whatsapp.net`, `lid` or `g.us`. */
  readonly server: string;
  /** Raw agent byte (see {@link JidParts.agent}); 0 for nearly every JID. */
  readonly agent: number;
  /** Device id; 0 is the primary device. */
  readonly device: number;
  /** Interop integrator id; 0 outside the interop server. */
  readonly integrator: number;
  #text: string | undefined;

  /**
   * Creates a JID from its parts. Throws a `RangeError` or `TypeError` for parts that cannot form a JID
   * (an empty or malformed server, `@` or `:` in the user, numbers out of range, an agent where the wire
   * format has no room for one, or a device on a server-only JID).
   */
  constructor(user: string, server: string, parts?: JidParts) {
    if (typeof user !== "string" || typeof server !== "string") {
      throw new TypeError("JID user and server must be strings");
    }
    if (!SERVER_SYNTAX.test(server)) throw new RangeError(`invalid JID server ${JSON.stringify(server)}`);
    if (user.includes("@") || user.includes(":")) {
      throw new RangeError(`JID user must not contain '@' or ':': ${JSON.stringify(user)}`);
    }
    const device = parts?.device ?? 0;
    const agent = parts?.agent ?? 0;
    const integrator = parts?.integrator ?? 0;
    checkInt("device", device, 0xffff);
    checkInt("agent", agent, 0xff);
    checkInt("integrator", integrator, 0xffff);
    if (!agentAllowed(server, agent)) {
      throw new RangeError(`agent ${agent} is not allowed on server ${server}`);
    }
    if (integrator !== 0 && server !== INTEROP_SERVER) {
      throw new RangeError(`integrator is only allowed on the ${INTEROP_SERVER} server`);
    }
    if (user === "" && (device !== 0 || agent !== 0 || integrator !== 0)) {
      throw new RangeError("a server-only JID has no device, agent or integrator");
    }
    this.user = user;
    this.server = server;
    this.agent = agent;
    this.device = device;
    this.integrator = integrator;
  }

  /** Phone-number JID `user[:device]@s.whatsapp.net`. */
  static pn(user: string, device = 0): Jid {
    return new Jid(user, DEFAULT_USER_SERVER, { device });
  }

  /** LID JID `user[:device]@lid`. */
  static lid(user: string, device = 0): Jid {
    return new Jid(user, LID_SERVER, { device });
  }

  /** Group JID `id@g.us`. */
  static group(id: string): Jid {
    return new Jid(id, GROUP_SERVER);
  }

  /** Server-only JID such as `s.whatsapp.net` (the `to` of most IQs). */
  static server(name: string): Jid {
    return new Jid("", name);
  }

  /** The status broadcast JID `status@broadcast`. */
  static statusBroadcast(): Jid {
    return new Jid(STATUS_BROADCAST_USER, BROADCAST_SERVER);
  }

  /** Newsletter (channel) JID `id@newsletter`. */
  static newsletter(id: string): Jid {
    return new Jid(id, NEWSLETTER_SERVER);
  }

  /** Bot JID `user@bot`. */
  static bot(user: string): Jid {
    return new Jid(user, BOT_SERVER);
  }

  /** Messenger JID `user[:device]@msgr`. */
  static messenger(user: string, device = 0): Jid {
    return new Jid(user, MESSENGER_SERVER, { device });
  }

  /** Interop JID `integrator-user[:device]@interop`. */
  static interop(user: string, integrator: number, device = 0): Jid {
    return new Jid(user, INTEROP_SERVER, { device, integrator });
  }

  /**
   * Parses any JID string form (see the module documentation). Throws {@link JidParseError} on
   * malformed input: an empty string, a bare word that is not a known server, more than one `@` or `:`,
   * an empty or malformed server, an empty user before `:`, a device that is not a number in 0..65535,
   * or an interop JID without its integrator.
   *
   * @example
   * ```ts
   * import { Jid } from "./jid.ts";
   * Jid.parse("123456789:33@lid").device; // 33
   * Jid.parse("s.whatsapp.net").user; // ""
   * ```
   */
  static parse(text: string): Jid {
    const result = parseOrReason(text);
    if (typeof result === "string") throw new JidParseError(String(text), result);
    return result;
  }

  /** Like {@link Jid.parse} but returns `undefined` instead of throwing. */
  static tryParse(text: string): Jid | undefined {
    const result = parseOrReason(text);
    return typeof result === "string" ? undefined : result;
  }

  /**
   * The canonical string form: `user[.agent:device | :device]@server`, `server` alone when the user is
   * empty, and `integrator-user...@interop` on the interop server. Computed once and cached.
   */
  toString(): string {
    let text = this.#text;
    if (text === undefined) {
      text = formatJid(this);
      this.#text = text;
    }
    return text;
  }

  /** Same as {@link Jid.toString}, so `JSON.stringify` writes the string form. */
  toJSON(): string {
    return this.toString();
  }

  /** Whether both JIDs have the same user, server, agent, device and integrator. */
  equals(other: Jid | undefined | null): boolean {
    return other != null && this.user === other.user && this.server === other.server &&
      this.device === other.device && this.agent === other.agent && this.integrator === other.integrator;
  }

  /** Server is `g.us`. */
  isGroup(): boolean {
    return this.server === GROUP_SERVER;
  }

  /** Server is `lid`. */
  isLid(): boolean {
    return this.server === LID_SERVER;
  }

  /** Server is `s.whatsapp.net` (a phone-number account). */
  isPn(): boolean {
    return this.server === DEFAULT_USER_SERVER;
  }

  /** Server is `broadcast` (a broadcast list or `status@broadcast`). */
  isBroadcast(): boolean {
    return this.server === BROADCAST_SERVER;
  }

  /** Is `status@broadcast`. */
  isStatusBroadcast(): boolean {
    return this.server === BROADCAST_SERVER && this.user === STATUS_BROADCAST_USER;
  }

  /** Server is `newsletter`. */
  isNewsletter(): boolean {
    return this.server === NEWSLETTER_SERVER;
  }

  /** Server is `hosted` or `hosted.lid` (Cloud API devices). */
  isHosted(): boolean {
    return this.server === HOSTED_SERVER || this.server === HOSTED_LID_SERVER;
  }

  /** A bot: the `bot` server, or one of the phone-number ranges WhatsApp reserves for bots. */
  isBot(): boolean {
    return this.server === BOT_SERVER ||
      (this.server === DEFAULT_USER_SERVER && this.device === 0 && BOT_USER.test(this.user));
  }

  /** Has no user part (for example `s.whatsapp.net`). */
  isServerOnly(): boolean {
    return this.user === "";
  }

  /** The same account without agent and device (the integrator is kept). */
  toNonAd(): Jid {
    if (this.device === 0 && this.agent === 0) return this;
    return new Jid(this.user, this.server, { integrator: this.integrator });
  }

  /** Alias of {@link Jid.toNonAd}: the account's user JID, device dropped. */
  toUserJid(): Jid {
    return this.toNonAd();
  }

  /** The same account on another device. */
  withDevice(device: number): Jid {
    if (device === this.device) return this;
    return new Jid(this.user, this.server, { device, agent: this.agent, integrator: this.integrator });
  }

  /** String key of the account (device dropped), for maps keyed by user. */
  userKey(): string {
    return this.device === 0 && this.agent === 0 ? this.toString() : formatJid(this, true);
  }

  /**
   * The Signal protocol address of this device: `{user}[:device]@{server}.0`, where `s.whatsapp.net`
   * is written `c.us` and `.0` is the Signal device id WhatsApp always uses.
   *
   * @example
   * ```ts
   * import { Jid } from "./jid.ts";
   * Jid.parse("5511999887766:33@s.whatsapp.net").toSignalAddress(); // "5511999887766:33@c.us.0"
   * Jid.parse("123456789@lid").toSignalAddress(); // "123456789@lid.0"
   * ```
   */
  toSignalAddress(): string {
    const server = this.server === DEFAULT_USER_SERVER ? LEGACY_USER_SERVER : this.server;
    return this.device === 0 ? `${this.user}@${server}.0` : `${this.user}:${this.device}@${server}.0`;
  }
}

function formatJid(jid: Jid, userOnly = false): string {
  if (jid.user === "") return jid.server;
  let text = jid.server === INTEROP_SERVER ? `${jid.integrator}-${jid.user}` : jid.user;
  if (!userOnly) {
    if (jid.agent !== 0) text += `.${jid.agent}:${jid.device}`;
    else if (jid.device !== 0) text += `:${jid.device}`;
  }
  return `${text}@${jid.server}`;
}

/** Whether a server's device JIDs are written as AD_JID (server implied by the domain byte). */
export function isAdServer(server: string): boolean {
  // Direct comparisons: cheaper than a Set lookup on the encoder's hot path.
  return server === DEFAULT_USER_SERVER || server === LID_SERVER || server === HOSTED_SERVER ||
    server === HOSTED_LID_SERVER;
}

function parseOrReason(text: string): Jid | string {
  if (typeof text !== "string") return "not a string";
  if (text === "") return "empty string";
  const at = text.indexOf("@");
  if (at < 0) {
    return KNOWN_SERVERS.has(text) ? new Jid("", text) : "no '@' and not a known server name";
  }
  if (text.indexOf("@", at + 1) >= 0) return "more than one '@'";
  const server = text.slice(at + 1);
  if (!SERVER_SYNTAX.test(server)) return "empty or malformed server";
  if (at === 0) return new Jid("", server);

  let start = 0;
  let integrator = 0;
  if (server === INTEROP_SERVER) {
    const dash = text.indexOf("-");
    integrator = dash > 0 && dash < at ? parseDecimal(text, 0, dash, 0xffff, 5) : -1;
    if (integrator < 0) return "interop JID must start with '<integrator>-' (0..65535)";
    start = dash + 1;
  }
  // The server syntax has no ':', so every ':' found here is in the user part.
  const colon = text.indexOf(":", start);
  let userEnd = at;
  let device = 0;
  let agent = 0;
  if (colon >= 0) {
    if (text.indexOf(":", colon + 1) >= 0) return "more than one ':'";
    device = parseDecimal(text, colon + 1, at, 0xffff, 5);
    if (device < 0) return "device must be a number in 0..65535";
    userEnd = colon;
    const dot = text.lastIndexOf(".", colon);
    if (dot >= start) {
      const value = parseDecimal(text, dot + 1, colon, 0xff, 3);
      if (value >= 0 && agentAllowed(server, value)) {
        agent = value;
        userEnd = dot;
      }
    }
  }
  if (userEnd === start) return "empty user";
  const user = text.slice(start, userEnd);
  return new Jid(user, server, { device, agent, integrator });
}
