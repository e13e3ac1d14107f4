/**
 * Privacy (`client.privacy`): who sees our last seen, online state, profile photo and about text, who
 * may add us to groups, call us or message us, whether we send read receipts, and the default
 * disappearing-messages timer for new chats.
 *
 * - Read: `iq(privacy,get) <privacy/>` → `<privacy><category name value/>…</privacy>`.
 * - Change: `iq(privacy,set) <privacy><category name value/></privacy>`.
 * - Default timer: `iq(disappearing_mode,set) <disappearing_mode duration/>`.
 * - Changes from our other devices: `<notification type="account_sync">` with `<privacy>` (the changed
 *   categories) or `<disappearing_mode duration t/>`; a contact's new default timer:
 *   `<notification type="disappearing_mode" from><disappearing_mode duration t/>` (no duration = off).
 *
 * Shapes and values from reference/protocol-facts-features.md 5.4 (whatsmeow privacysettings.go;
 * Baileys `privacyQuery`, messages-recv.js `account_sync`; whatsapp-rust
 * `handle_disappearing_mode_notification`).
 *
 * @module
 */

import { getChild, getChildren, Jid, type Node } from "../binary/mod.ts";
import type { FeatureContext } from "./context.ts";
import { checkDisappearingTimer } from "./disappearing.ts";
import { InputError } from "./errors.ts";
import { type IqSpec, requireChild } from "./iq.ts";

/** The values each privacy setting takes, by the name this library uses. */
export interface PrivacyValues {
  /** Who sees our last-seen time (wire `last`). */
  lastSeen: "all" | "contacts" | "contact_blacklist" | "none";
  /** Who sees that we are online (wire `online`). */
  online: "all" | "match_last_seen";
  /** Who sees our profile photo (wire `profile`). */
  profilePhoto: "all" | "contacts" | "contact_blacklist" | "none";
  /** Who sees our about text (wire `status`). */
  about: "all" | "contacts" | "contact_blacklist" | "none";
  /** Who may add us to groups (wire `groupadd`). */
  groupAdd: "all" | "contacts" | "contact_blacklist" | "none";
  /** Whether we send read receipts (wire `readreceipts`). */
  readReceipts: "all" | "none";
  /** Who may call us (wire `calladd`). */
  callAdd: "all" | "known";
  /** Who may message us (wire `messages`). */
  messages: "all" | "contacts";
}

/** A privacy setting's name. */
export type PrivacySettingName = keyof PrivacyValues;

/** Our privacy settings (a setting the server did not list is absent). */
export type PrivacySettings = Partial<PrivacyValues> & {
  /** Categories this library does not name (`defense`, `stickers`, ...), by wire name. */
  other: Record<string, string>;
};

/** Wire category names by setting name. */
export const PRIVACY_CATEGORIES: Readonly<Record<PrivacySettingName, string>> = {
  lastSeen: "last",
  online: "online",
  profilePhoto: "profile",
  about: "status",
  groupAdd: "groupadd",
  readReceipts: "readreceipts",
  callAdd: "calladd",
  messages: "messages",
};

const ALLOWED: Readonly<Record<PrivacySettingName, readonly string[]>> = {
  lastSeen: ["all", "contacts", "contact_blacklist", "none"],
  online: ["all", "match_last_seen"],
  profilePhoto: ["all", "contacts", "contact_blacklist", "none"],
  about: ["all", "contacts", "contact_blacklist", "none"],
  groupAdd: ["all", "contacts", "contact_blacklist", "none"],
  readReceipts: ["all", "none"],
  callAdd: ["all", "known"],
  messages: ["all", "contacts"],
};

const BY_CATEGORY: ReadonlyMap<string, PrivacySettingName> = new Map(
  Object.entries(PRIVACY_CATEGORIES).map(([name, wire]) => [wire, name as PrivacySettingName]),
);

/** Reads `<privacy><category name value/>…</privacy>` into settings. */
export function parsePrivacySettings(privacy: Node): PrivacySettings {
  const out: PrivacySettings = { other: {} };
  for (const category of getChildren(privacy, "category")) {
    const { name, value } = category.attrs;
    if (!name || value === undefined) continue;
    const known = BY_CATEGORY.get(name);
    if (known) (out as Record<string, unknown>)[known] = value;
    else out.other[name] = value;
  }
  return out;
}

/** The privacy settings query. */
export function privacySettingsSpec(): IqSpec<PrivacySettings> {
  const spec: IqSpec<PrivacySettings> = {
    operation: "privacy settings",
    build: () => ({ namespace: "privacy", type: "get", content: [{ tag: "privacy", attrs: {} }] }),
    parse: (res: Node) => parsePrivacySettings(requireChild(spec, res, "privacy")),
  };
  return spec;
}

/**
 * Changes one privacy setting; throws {@linkcode InputError} for a value the setting does not take.
 *
 * @example
 * ```ts
 * import { setPrivacySpec } from "./privacy.ts";
 * const spec = setPrivacySpec("lastSeen", "none");
 * spec.build().content; // [{ tag: "privacy", attrs: {}, content: [{ tag: "category", attrs: { name: "last", value: "none" } }] }]
 * ```
 */
export function setPrivacySpec<K extends PrivacySettingName>(name: K, value: PrivacyValues[K]): IqSpec<void> {
  const allowed = ALLOWED[name];
  if (!allowed) {
    throw new InputError("invalid_argument", "name", `unknown privacy setting ${String(name)}`);
  }
  if (!allowed.includes(value)) {
    throw new InputError("invalid_argument", "value", `${name} takes ${allowed.join(", ")}, got ${value}`);
  }
  return {
    operation: `set privacy ${name}`,
    build: () => ({
      namespace: "privacy",
      type: "set",
      content: [{
        tag: "privacy",
        attrs: {},
        content: [{ tag: "category", attrs: { name: PRIVACY_CATEGORIES[name], value } }],
      }],
    }),
    parse: () => undefined,
  };
}

/** Sets the default disappearing-messages timer for new chats (0, 86400, 604800 or 7776000 s). */
export function defaultDisappearingSpec(seconds: number): IqSpec<void> {
  checkDisappearingTimer(seconds);
  return {
    operation: "set the default disappearing-messages timer",
    build: () => ({
      namespace: "disappearing_mode",
      type: "set",
      content: [{ tag: "disappearing_mode", attrs: { duration: String(seconds) } }],
    }),
    parse: () => undefined,
  };
}

/** Payload of `disappearingModeChanged`: a default disappearing-messages timer changed. */
export interface DisappearingModeChangedEvent {
  /** Whose default: a contact's, or ours (changed on another of our devices). */
  from: Jid;
  /** The timer in seconds (0 = off). */
  duration: number;
  /** When it was set. */
  settingTimestamp: Date;
}

/** Payload of `privacySettingsUpdate`: another of our devices changed privacy settings. */
export interface PrivacySettingsUpdateEvent {
  /** The settings that changed, with their new values. */
  changed: PrivacySettings;
}

/** The events of the privacy feature. */
export interface PrivacyEvents {
  /** A contact's (or our own) default disappearing-messages timer changed. */
  disappearingModeChanged: DisappearingModeChangedEvent;
  /** Our privacy settings changed on another device. */
  privacySettingsUpdate: PrivacySettingsUpdateEvent;
}

/** Reads `<disappearing_mode duration t/>`; `undefined` without a valid `t` (it is required). */
export function parseDisappearingMode(node: Node, from: Jid): DisappearingModeChangedEvent | undefined {
  const t = Number(node.attrs.t);
  if (!Number.isSafeInteger(t) || t <= 0) return undefined;
  const duration = Number(node.attrs.duration ?? 0);
  return {
    from: from.toNonAd(),
    duration: Number.isSafeInteger(duration) && duration >= 0 ? duration : 0,
    settingTimestamp: new Date(t * 1000),
  };
}

/** Privacy settings and the default disappearing timer. */
export class Privacy {
  readonly #ctx: FeatureContext<PrivacyEvents>;
  #cached: PrivacySettings | undefined;
  // The newest setting time seen per account, so an out-of-order older change is not reported.
  readonly #lastTimer = new Map<string, number>();

  /** Creates the feature and subscribes to privacy and disappearing-mode notifications. */
  constructor(ctx: FeatureContext<PrivacyEvents>) {
    this.#ctx = ctx;
    ctx.onStanza({ tag: "notification", type: "disappearing_mode" }, async (node) => {
      const from = node.attrs.from ? Jid.tryParse(node.attrs.from) : undefined;
      const mode = getChild(node, "disappearing_mode");
      const event = from && mode ? parseDisappearingMode(mode, from) : undefined;
      if (event) await this.#emitTimer(event);
      else ctx.log.warn("dropping a malformed disappearing_mode notification", { attrs: node.attrs });
    });
    ctx.onStanza({ tag: "notification", type: "account_sync" }, async (node) => {
      const privacy = getChild(node, "privacy");
      if (privacy) {
        const changed = parsePrivacySettings(privacy);
        if (this.#cached) {
          this.#cached = { ...this.#cached, ...changed, other: { ...this.#cached.other, ...changed.other } };
        }
        await ctx.emit("privacySettingsUpdate", { changed });
      }
      const mode = getChild(node, "disappearing_mode");
      const own = ctx.ownJid;
      const event = mode && own ? parseDisappearingMode(mode, own) : undefined;
      if (event) await this.#emitTimer(event);
    });
  }

  /**
   * Our privacy settings (fetched once, then kept up to date by our own changes and notifications).
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export async function example(client: Client) {
   *   const { lastSeen, readReceipts } = await client.privacy.get();
   *   console.log(lastSeen, readReceipts);
   * }
   * ```
   */
  async get(options: { refresh?: boolean; signal?: AbortSignal } = {}): Promise<PrivacySettings> {
    if (this.#cached && !options.refresh) return structuredClone(this.#cached);
    this.#cached = await this.#ctx.execute(privacySettingsSpec(), options);
    return structuredClone(this.#cached);
  }

  /**
   * Changes one setting.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export async function example(client: Client) {
   *   await client.privacy.set("lastSeen", "none");
   *   await client.privacy.set("groupAdd", "contacts");
   * }
   * ```
   */
  async set<K extends PrivacySettingName>(
    name: K,
    value: PrivacyValues[K],
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    await this.#ctx.execute(setPrivacySpec(name, value), options);
    if (this.#cached) (this.#cached as Record<string, unknown>)[name] = value;
  }

  /**
   * Sets the disappearing-messages timer new chats start with (0 turns it off).
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export async function example(client: Client) {
   *   await client.privacy.setDefaultDisappearingTimer(86_400); // 24 hours
   * }
   * ```
   */
  async setDefaultDisappearingTimer(seconds: number, options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.#ctx.execute(defaultDisappearingSpec(seconds), options);
  }

  async #emitTimer(event: DisappearingModeChangedEvent): Promise<void> {
    const key = event.from.toString();
    const t = event.settingTimestamp.getTime();
    if ((this.#lastTimer.get(key) ?? 0) > t) return;
    if (this.#lastTimer.size >= 10_000) this.#lastTimer.delete(this.#lastTimer.keys().next().value!);
    this.#lastTimer.set(key, t);
    await this.#ctx.emit("disappearingModeChanged", event);
  }
}
