/**
 * FakeWhatsApp's side of linking a companion: a connection that registers (ClientPayload with
 * `devicePairingData`) gets `pair-device` refs; a virtual phone scans one of the QR codes or enters a
 * pair code; the server forwards the phone's signed device identity in `pair-success`, checks the
 * companion's countersignature in `pair-device-sign`, registers the device, and restarts the stream
 * with a 515 so the companion logs in.
 *
 * @module
 */

import { childBytes, getChild, type Jid, type Node, type NodeInput, readUint } from "../binary/mod.ts";
import { generateKeyPair, randomBytes } from "../crypto/mod.ts";
import { DeviceProps, DevicePropsPlatformType } from "../proto/mod.ts";
import {
  openCompanionKeyBundle,
  PairError,
  parseQrData,
  signCompanion,
  unwrapWithPairCode,
  verifyDeviceSignature,
  wrapWithPairCode,
} from "../client/pair_crypto.ts";
import { type Account, deviceLid, devicePn, type ServerSignedPreKey } from "./accounts.ts";
import { equal, type FakeWhatsApp, iqError, iqResult } from "./fake_whatsapp.ts";
import type { ServerConnection } from "./server_connection.ts";

/** Number of refs in `pair-device` (about 160 s of QR codes at 60 + 5 x 20 s). */
export const QR_REF_COUNT = 6;

/** How a virtual phone behaves while pairing (for negative tests). */
export interface PhonePairOptions {
  /** Sign the companion with a key that is not the account key (the companion must refuse). */
  forgeAccountSignature?: boolean;
  /** Give up waiting for the companion after this long. Default 30 s. */
  timeoutMs?: number;
}

/** A companion that finished pairing. */
export interface PairedDevice {
  /** The companion's phone-number JID with its device id. */
  jid: Jid;
  /** The companion's LID with its device id. */
  lid: Jid;
  /** The device id. */
  deviceId: number;
}

interface FinishRequest {
  wrappedBundle: Uint8Array;
  companionIdentity: Uint8Array;
  reply: (node: NodeInput) => void;
  request: Node;
}

interface Registration {
  conn: ServerConnection;
  identityKey: Uint8Array;
  registrationId: number;
  signedPreKey: ServerSignedPreKey;
  noiseKey: Uint8Array;
  platform: string;
  deviceProps?: DeviceProps;
  refs: string[];
  busy: boolean;
  code?: {
    phone: string;
    wrappedEphemeral: Uint8Array;
    ref: string;
    finish?: PromiseWithResolvers<FinishRequest>;
  };
}

/** The pairing flows of one FakeWhatsApp. */
export class ServerPairing {
  readonly #wa: FakeWhatsApp;
  readonly #byRef = new Map<string, Registration>();
  readonly #byConn = new Map<ServerConnection, Registration>();
  readonly #byPhone = new Map<string, Registration>();

  /** Creates the flows for a server. */
  constructor(wa: FakeWhatsApp) {
    this.#wa = wa;
  }

  /** A new registering connection: remember its keys and send it QR refs. */
  async startRegistration(conn: ServerConnection): Promise<void> {
    const data = conn.info!.payload.devicePairingData!;
    let platform = "unknown";
    let deviceProps: DeviceProps | undefined;
    try {
      const props = DeviceProps.decode(data.deviceProps?.slice() ?? new Uint8Array());
      platform = Object.entries(DevicePropsPlatformType).find(([, v]) => v === props.platformType)?.[0] ??
        platform;
      deviceProps = props;
    } catch { /* device props are informational only */ }
    const reg: Registration = {
      conn,
      identityKey: data.eIdent?.slice() ?? new Uint8Array(),
      registrationId: readUint(data.eRegid),
      signedPreKey: {
        keyId: readUint(data.eSkeyId),
        publicKey: data.eSkeyVal?.slice() ?? new Uint8Array(),
        signature: data.eSkeySig?.slice() ?? new Uint8Array(),
      },
      noiseKey: conn.info!.clientStatic.slice(),
      platform,
      deviceProps,
      refs: Array.from({ length: QR_REF_COUNT }, () => `2@${randomBytes(24).toBase64()}`),
      busy: false,
    };
    this.#byConn.set(conn, reg);
    for (const ref of reg.refs) this.#byRef.set(ref, reg);
    const enc = new TextEncoder();
    await this.#wa.requestFromClient(conn, {
      tag: "iq",
      attrs: { from: "s.whatsapp.net", type: "set", id: this.#wa.newId() },
      content: [{
        tag: "pair-device",
        attrs: {},
        content: reg.refs.map((ref) => ({ tag: "ref", attrs: {}, content: enc.encode(ref) })),
      }],
    }).catch(() => {});
  }

  /** Forgets a connection that closed. */
  forget(conn: ServerConnection): void {
    const reg = this.#byConn.get(conn);
    if (!reg) return;
    this.#byConn.delete(conn);
    for (const ref of reg.refs) this.#byRef.delete(ref);
    if (reg.code && this.#byPhone.get(reg.code.phone) === reg) this.#byPhone.delete(reg.code.phone);
    reg.code?.finish?.reject(new Error("the companion disconnected"));
  }

  /** Drops all pending registrations (server stopping). */
  stop(): void {
    for (const conn of [...this.#byConn.keys()]) this.forget(conn);
  }

  /** `iq xmlns="md"`: pair-code stages and device removal. */
  async handleMdIq(conn: ServerConnection, node: Node): Promise<NodeInput> {
    const reg = getChild(node, "link_code_companion_reg");
    if (reg?.attrs.stage === "companion_hello") return this.#companionHello(conn, node, reg);
    if (reg?.attrs.stage === "companion_finish") return await this.#companionFinish(conn, node, reg);
    const remove = getChild(node, "remove-companion-device");
    if (remove && conn.device) {
      const found = this.#wa.accounts.device(conn.device);
      if (found) found.account.devices.delete(found.device.id);
      // The connection ends once the result is on the wire (see handleServerIq).
      conn.closeAfterReply = true;
      return iqResult(node);
    }
    return iqError(node, 400, "bad-request");
  }

  #companionHello(conn: ServerConnection, node: Node, reg: Node): NodeInput {
    const registration = this.#byConn.get(conn);
    const wrapped = childBytes(reg, "link_code_pairing_wrapped_companion_ephemeral_pub");
    const phone = (reg.attrs.jid ?? "").split("@")[0];
    const display = childBytes(reg, "companion_platform_display");
    if (!registration) return iqError(node, 400, "not-registering");
    if (!wrapped || wrapped.length !== 80 || !phone) return iqError(node, 400, "bad-request");
    if (!display?.length) return iqError(node, 400, "bad-request");
    const noise = childBytes(reg, "companion_server_auth_key_pub");
    if (!noise || !equal(noise, registration.noiseKey)) return iqError(node, 400, "bad-request");
    const ref = `2@${randomBytes(16).toBase64()}`;
    registration.code = { phone, wrappedEphemeral: wrapped.slice(), ref };
    this.#byPhone.set(phone, registration);
    return iqResult(node, [{
      tag: "link_code_companion_reg",
      attrs: {},
      content: [{ tag: "link_code_pairing_ref", attrs: {}, content: new TextEncoder().encode(ref) }],
    }]);
  }

  async #companionFinish(conn: ServerConnection, node: Node, reg: Node): Promise<NodeInput> {
    const registration = this.#byConn.get(conn);
    const finish = registration?.code?.finish;
    const wrappedBundle = childBytes(reg, "link_code_pairing_wrapped_key_bundle");
    const companionIdentity = childBytes(reg, "companion_identity_public");
    if (!registration || !finish) return iqError(node, 404, "no-pending-pairing");
    if (!wrappedBundle || !companionIdentity) return iqError(node, 400, "bad-request");
    const { promise, resolve } = Promise.withResolvers<NodeInput>();
    finish.resolve({
      wrappedBundle: wrappedBundle.slice(),
      companionIdentity: companionIdentity.slice(),
      reply: resolve,
      request: node,
    });
    return await promise;
  }

  /** The phone scanned a QR code: pair the companion that shows it. */
  async scanQr(account: Account, qr: string, options: PhonePairOptions = {}): Promise<PairedDevice> {
    const data = parseQrData(qr);
    const reg = this.#byRef.get(data.ref);
    if (!reg || reg.conn.isClosed) {
      throw new PairError(404, "unknown-ref", "no companion is showing this QR code");
    }
    if (!equal(data.noisePublicKey, reg.noiseKey) || !equal(data.identityPublicKey, reg.identityKey)) {
      throw new PairError(400, "key-mismatch", "QR keys do not match the registering companion");
    }
    return await this.#complete(reg, account, data.advSecret, options);
  }

  /** The phone's user typed a pair code: run stage 2 and pair. */
  async enterPairCode(account: Account, code: string, options: PhonePairOptions = {}): Promise<PairedDevice> {
    const reg = this.#byPhone.get(account.phone);
    if (!reg?.code || reg.conn.isClosed) {
      throw new PairError(
        404,
        "no-pending-code",
        `no companion is waiting for a pair code for ${account.phone}`,
      );
    }
    const pending = reg.code;
    const companionEphemeral = await unwrapWithPairCode(
      code.replace(/-/g, "").toUpperCase(),
      pending.wrappedEphemeral,
    );
    const primaryEphemeral = generateKeyPair();
    const wrappedPrimary = await wrapWithPairCode(
      code.replace(/-/g, "").toUpperCase(),
      primaryEphemeral.publicKey,
    );
    pending.finish = Promise.withResolvers<FinishRequest>();
    pending.finish.promise.catch(() => {});
    await reg.conn.send({
      tag: "notification",
      attrs: {
        from: "s.whatsapp.net",
        type: "link_code_companion_reg",
        id: this.#wa.newId(),
        t: String(Math.floor(Date.now() / 1000)),
      },
      content: [{
        tag: "link_code_companion_reg",
        attrs: {},
        content: [
          { tag: "link_code_pairing_ref", attrs: {}, content: new TextEncoder().encode(pending.ref) },
          { tag: "link_code_pairing_wrapped_primary_ephemeral_pub", attrs: {}, content: wrappedPrimary },
          { tag: "primary_identity_pub", attrs: {}, content: account.identity.publicKey },
        ],
      }],
    });
    const finish = await withTimeout(pending.finish.promise, options.timeoutMs ?? 30_000, "companion_finish");
    let advSecret: Uint8Array;
    try {
      const opened = openCompanionKeyBundle(
        primaryEphemeral,
        account.identity,
        companionEphemeral,
        finish.wrappedBundle,
      );
      if (
        !equal(opened.companionIdentityPub, reg.identityKey) ||
        !equal(finish.companionIdentity, reg.identityKey)
      ) {
        throw new PairError(400, "identity-mismatch", "the key bundle names another companion identity");
      }
      advSecret = opened.advSecret;
    } catch (e) {
      finish.reply(iqError(finish.request, 400, "bad-key-bundle"));
      throw e instanceof PairError ? e : new PairError(
        400,
        "bad-key-bundle",
        `cannot open the companion's key bundle (wrong code?): ${(e as Error).message}`,
        { cause: e },
      );
    }
    finish.reply(iqResult(finish.request));
    return await this.#complete(reg, account, advSecret, options);
  }

  async #complete(
    reg: Registration,
    account: Account,
    advSecret: Uint8Array,
    options: PhonePairOptions,
  ): Promise<PairedDevice> {
    if (reg.busy) throw new PairError(409, "busy", "this companion is already being paired");
    reg.busy = true;
    try {
      const keyIndex = account.nextKeyIndex++;
      const deviceId = account.nextDeviceId;
      const signer = options.forgeAccountSignature
        ? { publicKey: account.identity.publicKey, privateKey: generateKeyPair().privateKey }
        : account.identity;
      const container = signCompanion({
        primaryIdentity: signer,
        companionIdentityKey: reg.identityKey,
        advSecret,
        keyIndex,
      });
      const response = await withTimeout(
        this.#wa.requestFromClient(reg.conn, {
          tag: "iq",
          attrs: {
            from: "s.whatsapp.net",
            type: "set",
            id: this.#wa.newId(),
            t: String(Math.floor(Date.now() / 1000)),
          },
          content: [{
            tag: "pair-success",
            attrs: {},
            content: [
              { tag: "device-identity", attrs: {}, content: container },
              {
                tag: "device",
                attrs: { jid: devicePn(account, deviceId), lid: deviceLid(account, deviceId) },
              },
              { tag: "platform", attrs: { name: "android" } },
            ],
          }],
        }),
        options.timeoutMs ?? 30_000,
        "pair-device-sign",
      );
      if (response.attrs.type === "error") {
        const err = getChild(response, "error");
        throw new PairError(
          Number(err?.attrs.code ?? 0),
          err?.attrs.text ?? "",
          `the companion refused to pair: ${err?.attrs.code} ${err?.attrs.text}`,
        );
      }
      const signed = childBytes(getChild(response, "pair-device-sign") ?? response, "device-identity");
      if (!signed) throw new PairError(400, "bad-request", "pair-device-sign lacks the device identity");
      verifyDeviceSignature(signed, reg.identityKey, account.identity.publicKey);
      const device = this.#wa.registerDevice(account, {
        noiseKey: reg.noiseKey,
        identityKey: reg.identityKey,
        registrationId: reg.registrationId,
        signedPreKey: reg.signedPreKey,
        preKeys: new Map(),
        keyIndex,
        platform: reg.platform,
        ...(reg.deviceProps === undefined ? {} : { deviceProps: reg.deviceProps }),
      });
      this.forget(reg.conn);
      await reg.conn.send({ tag: "stream:error", attrs: { code: "515" } });
      reg.conn.close();
      this.#wa.phone(account.phone).companionLinked(device.id);
      return { jid: devicePn(account, device.id), lid: deviceLid(account, device.id), deviceId: device.id };
    } finally {
      reg.busy = false;
    }
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PairError(408, "timeout", `timed out waiting for ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
