/**
 * FakeWhatsApp's account registry: accounts (a phone number, a LID, the account identity key the phone
 * signs companions with) and their devices (device 0 is the phone, companions get ids from 1 on), with
 * the keys each device registered: Noise static key (checked at login), identity, registration id,
 * signed prekey and one-time prekeys. Device 0 (the phone) exists from the start, with keys (see
 * primary_device.ts), whether or not `VirtualPhone.client()` ever runs it.
 *
 * @module
 */

import { Jid } from "../binary/mod.ts";
import { generateKeyPair, type KeyPair } from "../crypto/mod.ts";
import type { DeviceProps } from "../proto/mod.ts";
import { makePrimary, type PrimaryKeys } from "./primary_device.ts";
import type { ServerConnection } from "./server_connection.ts";

/** One device's subscription to an account's presence. */
export interface PresenceSubscription {
  /** The connection it subscribed on (the subscription ends with it). */
  conn: ServerConnection;
  /** True when it named the account by LID (presence then comes from the LID). */
  lid: boolean;
  /** The trusted-contact token it presented, if any. */
  token?: Uint8Array;
}

/** A business account's public profile as FakeWhatsApp serves it (`w:biz`, usync `<business>`). */
export interface ServerBusinessProfile {
  /** The verified name (in usync `<business><verified_name>` and business notifications). */
  verifiedName?: string;
  /** Street address. */
  address?: string;
  /** Email. */
  email?: string;
  /** Description. */
  description?: string;
  /** Websites. */
  websites?: string[];
  /** Categories. */
  categories?: { id: string; name: string }[];
}

/** A signed prekey as a device uploaded it. */
export interface ServerSignedPreKey {
  /** Key id. */
  keyId: number;
  /** Public key (32 bytes). */
  publicKey: Uint8Array;
  /** XEdDSA signature by the identity key (64 bytes). */
  signature: Uint8Array;
}

/** One registered device of an account. */
export interface ServerDevice {
  /** Device id (0 = the phone). */
  id: number;
  /** The device's Noise static public key; login must present the same one. */
  noiseKey?: Uint8Array;
  /** Signal identity public key. */
  identityKey: Uint8Array;
  /** Signal registration id. */
  registrationId: number;
  /** Current signed prekey. */
  signedPreKey: ServerSignedPreKey;
  /** One-time prekeys the server still holds, by id. */
  preKeys: Map<number, Uint8Array>;
  /** The ADV key index the phone gave this device. */
  keyIndex: number;
  /** The platform the device registered with. */
  platform: string;
  /** The device props a companion registered with (what history it asked for), when it sent them. */
  deviceProps?: DeviceProps;
}

/** An account: a phone number with its devices. */
export interface Account {
  /** Phone number digits (the JID user). */
  phone: string;
  /** The account's LID user. */
  lid: string;
  /** The account identity (the phone's Signal identity; signs companions). */
  identity: KeyPair;
  /** Devices by id. */
  devices: Map<number, ServerDevice>;
  /** The next companion device id. */
  nextDeviceId: number;
  /** The next ADV key index. */
  nextKeyIndex: number;
  /** Push name (updated from the `pushName` of a device's ClientPayload when it logs in). */
  pushName: string;
  /**
   * Phone numbers of the accounts this one exchanged messages with (filled by message routing). An
   * identity change of one of this account's devices is announced to their devices.
   */
  contacts: Set<string>;
  /** When the device list last changed, in seconds (usync's `<key-index-list ts>`). */
  deviceListTs: number;
  /** JIDs (LID or PN user JIDs, as strings) this account blocked (the current form stores LIDs). */
  blocklist: Set<string>;
  /** Privacy settings changed from their defaults, by category name. */
  privacy: Map<string, string>;
  /** Device 0's private keys, for the phone's client when a test starts it. */
  primary: PrimaryKeys;
  /** True while one of the account's devices announced itself available (and stayed connected). */
  online: boolean;
  /** When the account was last online, in seconds (0 for never). */
  lastSeen: number;
  /**
   * Devices subscribed to this account's presence (by PN device JID): the connection they subscribed
   * on, whether they named us by LID, and the tc token they presented.
   */
  presenceSubscribers: Map<string, PresenceSubscription>;
  /** The about text and when it was set (seconds; 0 for never). */
  about: { text: string; t: number };
  /** The default disappearing-messages timer (seconds) and when it was set. */
  disappearing: { duration: number; t: number };
  /** The business profile, for business accounts. */
  business?: ServerBusinessProfile;
  /** The trusted-contact tokens this account issued, by the holder's LID user. */
  issuedTcTokens: Map<string, { token: Uint8Array; t: number }>;
}

/** The phone-number JID of a device. */
export function devicePn(account: Account, deviceId: number): Jid {
  return Jid.pn(account.phone, deviceId);
}

/** The LID of a device. */
export function deviceLid(account: Account, deviceId: number): Jid {
  return Jid.lid(account.lid, deviceId);
}

/** All accounts of one FakeWhatsApp, by phone number and by LID. */
export class AccountRegistry {
  readonly #byPhone = new Map<string, Account>();
  readonly #byLid = new Map<string, Account>();
  #nextLid = 100_000_000_000_000 + Math.floor(Math.random() * 1_000_000_000);

  /** The account for a phone number, created (with a fresh identity and LID) when missing. */
  getOrCreate(phone: string): Account {
    let account = this.#byPhone.get(phone);
    if (!account) {
      const lid = String(this.#nextLid++);
      const identity = generateKeyPair();
      const pushName = `Phone ${phone}`;
      const primary = makePrimary(phone, lid, identity, pushName);
      account = {
        phone,
        lid,
        identity,
        devices: new Map([[0, primary.record]]),
        nextDeviceId: 1,
        nextKeyIndex: 1,
        pushName,
        contacts: new Set(),
        deviceListTs: Math.floor(Date.now() / 1000),
        blocklist: new Set(),
        privacy: new Map(),
        primary: primary.keys,
        online: false,
        lastSeen: 0,
        presenceSubscribers: new Map(),
        about: { text: "", t: 0 },
        disappearing: { duration: 0, t: 0 },
        issuedTcTokens: new Map(),
      };
      this.#byPhone.set(phone, account);
      this.#byLid.set(account.lid, account);
    }
    return account;
  }

  /** The account for a phone number, if any. */
  byPhone(phone: string): Account | undefined {
    return this.#byPhone.get(phone);
  }

  /** The account owning a JID (PN or LID user part), if any. */
  byJid(jid: Jid): Account | undefined {
    return jid.isLid() ? this.#byLid.get(jid.user) : this.#byPhone.get(jid.user);
  }

  /** The device a JID names, if registered. */
  device(jid: Jid): { account: Account; device: ServerDevice } | undefined {
    const account = this.byJid(jid);
    const device = account?.devices.get(jid.device);
    return account && device ? { account, device } : undefined;
  }

  /** The phone-number JID of the device a PN or LID device JID names (`undefined` for unknown accounts). */
  pnDevice(jid: Jid): Jid | undefined {
    const account = this.byJid(jid);
    return account ? devicePn(account, jid.device) : undefined;
  }

  /** Every account. */
  all(): IterableIterator<Account> {
    return this.#byPhone.values();
  }
}
