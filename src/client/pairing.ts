/**
 * Linking the companion: the server's `pair-device` refs become rotating QR codes (60 s for the first,
 * 20 s for each later one); `pairWithCode` runs the two pair-code stages; `pair-success` is verified and
 * countersigned. QR and pair code run at the same time; whichever the user completes first wins.
 *
 * @module
 */

import {
  attrJid,
  childBytes,
  contentBytes,
  getChild,
  getChildren,
  Jid,
  type Node,
  type NodeInput,
} from "../binary/mod.ts";
import { generateKeyPair, type KeyPair } from "../crypto/mod.ts";
import type { ClientCore } from "./core.ts";
import { ConnectionError } from "../features/errors.ts";
import {
  buildCompanionKeyBundle,
  generatePairCode,
  makeQrData,
  normalizePairCode,
  normalizePhoneNumber,
  PAIR_CODE_VALIDITY_MS,
  PairCodeError,
  PairError,
  unwrapWithPairCode,
  verifyAndSignPairing,
  wrapWithPairCode,
} from "./pair_crypto.ts";

/** Options for {@linkcode Pairing.pairWithCode} (and `Client.pairWithCode`). */
export interface PairCodeOptions {
  /** The account's phone number in international format (`+1 555 123 4567` or `15551234567`). */
  phoneNumber: string;
  /** Use this code (8 characters from the pair-code alphabet) instead of a random one. */
  customCode?: string;
  /** Ask the phone to show a notification. Default true. */
  showPushNotification?: boolean;
  /** Client type character sent as `companion_platform_id` (`1` Chrome ... `9` other web). Default `1`. */
  platformId?: string;
  /** How the companion is named on the phone (`Browser (OS)`). Default `Chrome (Linux)`. */
  platformDisplay?: string;
  /** Cancels waiting for the connection to be ready for pairing. */
  signal?: AbortSignal;
}

interface PendingCode {
  code: string;
  ephemeral: KeyPair;
  ref: Uint8Array;
  jid: Jid;
  expiresAt: number;
}

/** True when `from` names the server itself (`s.whatsapp.net`, possibly decoded as `@s.whatsapp.net`). */
export function isServerAddress(from: string | undefined): boolean {
  return from === "s.whatsapp.net" || from === "@s.whatsapp.net";
}

/** The pairing state machine of one client (reset for each connection). */
export class Pairing {
  readonly #core: ClientCore;
  #qrTimer: ReturnType<typeof setTimeout> | undefined;
  #qrCodes: string[] = [];
  // Callers of waitUntilReady: settled by the next pair-device, or by stop(); a dropped connection
  // leaves them waiting for the reconnect's pair-device.
  readonly #readyWaiters = new Set<{ resolve(): void; reject(e: Error): void }>();
  #isReady = false;
  #code: PendingCode | undefined;
  #qrExpired = false;

  /** Creates the state machine. */
  constructor(core: ClientCore) {
    this.#core = core;
  }

  get #log() {
    return this.#core.log.child("Client/Pair");
  }

  /**
   * Resolves once the server has asked to pair (it sent `pair-device`); survives reconnects and rejects
   * only on {@linkcode Pairing.stop} or when `signal` aborts.
   */
  waitUntilReady(signal?: AbortSignal): Promise<void> {
    if (this.#isReady) return Promise.resolve();
    if (signal?.aborted) return Promise.reject(signal.reason);
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    const waiter = {
      resolve: () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      },
      reject: (e: Error) => {
        signal?.removeEventListener("abort", onAbort);
        reject(e);
      },
    };
    const onAbort = () => {
      this.#readyWaiters.delete(waiter);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    this.#readyWaiters.add(waiter);
    return promise;
  }

  /** Stops timers and forgets per-connection state (the connection closed; the client may reconnect). */
  reset(): void {
    clearTimeout(this.#qrTimer);
    this.#qrTimer = undefined;
    this.#qrCodes = [];
    this.#isReady = false;
  }

  /** The client stopped for good: anyone waiting to pair is told why. */
  stop(error: Error): void {
    this.reset();
    for (const waiter of [...this.#readyWaiters]) waiter.reject(error);
    this.#readyWaiters.clear();
  }

  /** `<iq type=set><pair-device><ref/>...</pair-device></iq>` from the server. */
  async handlePairDevice(node: Node): Promise<void> {
    await this.#core.sendNode({
      tag: "iq",
      attrs: { to: node.attrs.from, id: node.attrs.id, type: "result" },
    });
    const device = this.#core.device;
    this.#qrCodes = getChildren(getChild(node, "pair-device")!, "ref").flatMap((ref) => {
      const bytes = contentBytes(ref);
      return bytes ? [new TextDecoder().decode(bytes)] : [];
    }).map((ref) =>
      makeQrData({
        ref,
        noisePublicKey: device.noiseKey.publicKey,
        identityPublicKey: device.identityKey.publicKey,
        advSecret: device.advSecretKey,
        clientType: "9",
      })
    );
    this.#qrExpired = false;
    this.#isReady = true;
    for (const waiter of [...this.#readyWaiters]) waiter.resolve();
    this.#readyWaiters.clear();
    this.#log.info(`server sent ${this.#qrCodes.length} QR refs`);
    this.#nextQr(true);
  }

  #nextQr(first: boolean): void {
    const code = this.#qrCodes.shift();
    if (code === undefined) {
      this.#qrTimer = undefined;
      this.#qrExpired = true;
      this.#log.warn("all QR codes for this session have expired");
      this.#core.emit("pairingQrExpired", {});
      if (!this.#code || this.#code.expiresAt < Date.now()) this.#endWithQrExpired();
      return;
    }
    const timeoutMs = first ? this.#core.timings.qrFirstMs : this.#core.timings.qrNextMs;
    this.#core.emit("pairingQrCode", { code, timeoutMs });
    this.#qrTimer = setTimeout(() => this.#nextQr(false), timeoutMs);
  }

  #endWithQrExpired(): void {
    this.#core.endConnection({
      action: "stop",
      reason: "QR codes expired",
      error: new ConnectionError(
        "qr_expired",
        "pairing timed out: no QR code was scanned and no pair code entered",
      ),
    });
  }

  /** `<iq type=set><pair-success>...</pair-success></iq>` from the server. */
  async handlePairSuccess(node: Node): Promise<void> {
    clearTimeout(this.#qrTimer);
    this.#qrTimer = undefined;
    this.#code = undefined;
    const core = this.#core;
    const success = getChild(node, "pair-success")!;
    const deviceNode = getChild(success, "device");
    const businessName = getChild(success, "biz")?.attrs.name ?? "";
    const platform = getChild(success, "platform")?.attrs.name ?? "";
    let jid: Jid | undefined;
    let lid: Jid | undefined;
    try {
      jid = deviceNode ? attrJid(deviceNode, "jid") : undefined;
      lid = deviceNode?.attrs.lid ? attrJid(deviceNode, "lid") : undefined;
      const identityBytes = childBytes(success, "device-identity");
      if (!jid || !identityBytes) {
        throw new PairError(500, "internal-error", "pair-success lacks <device jid> or <device-identity>");
      }
      const verified = verifyAndSignPairing(identityBytes, core.device.advSecretKey, core.device.identityKey);
      await core.updateDevice((d) => {
        d.pn = jid;
        d.lid = lid;
        d.account = verified.account;
        d.platform = platform;
        d.businessName = businessName;
      });
      // The primary phone's identity is the account key: trust it for its PN and LID device-0 addresses.
      const primaryAddresses = [Jid.pn(jid.user).toSignalAddress()];
      if (lid) primaryAddresses.push(Jid.lid(lid.user).toSignalAddress());
      for (const address of primaryAddresses) {
        await core.store.saveIdentity(address, verified.primaryIdentityKey);
      }
      if (lid) {
        const now = Math.floor(Date.now() / 1000);
        await core.store.putLidMapping({
          lid: lid.user,
          phoneNumber: jid.user,
          createdAt: now,
          updatedAt: now,
          learningSource: "pairing",
        });
      }
      await core.store.flush();
      const reply: NodeInput = {
        tag: "iq",
        attrs: { to: "s.whatsapp.net", type: "result", id: node.attrs.id },
        content: [{
          tag: "pair-device-sign",
          attrs: {},
          content: [{
            tag: "device-identity",
            attrs: { "key-index": String(verified.details.keyIndex ?? 0) },
            content: verified.selfSigned,
          }],
        }],
      };
      await core.sendNode(reply);
      this.#log.info(`paired as ${jid}`);
      core.emit("pairSuccess", { jid, lid, businessName, platform });
    } catch (e) {
      const error = e instanceof PairError
        ? e
        : new PairError(500, "internal-error", `pairing failed: ${(e as Error).message}`, { cause: e });
      this.#log.error(`pairing refused: ${error.message}`);
      await core.sendNode({
        tag: "iq",
        attrs: { to: "s.whatsapp.net", type: "error", id: node.attrs.id },
        content: [{ tag: "error", attrs: { code: String(error.status), text: error.text } }],
      }).catch((sendError) => this.#log.warn("could not send the pair error reply", { error: sendError }));
      core.emit("pairError", { jid: jid ?? Jid.server("s.whatsapp.net"), lid, businessName, platform, error });
      core.endConnection({
        action: "stop",
        reason: "pairing refused",
        error: new ConnectionError("pair_error", error.message, error.status, { cause: error }),
      });
    }
  }

  /** Stage 1 of pair-code linking; returns the 8-character code to type on the phone. */
  async pairWithCode(options: PairCodeOptions): Promise<string> {
    const phone = normalizePhoneNumber(options.phoneNumber);
    const code = options.customCode !== undefined
      ? normalizePairCode(options.customCode)
      : generatePairCode();
    await this.waitUntilReady(options.signal);
    const ephemeral = generateKeyPair();
    const wrapped = await wrapWithPairCode(code, ephemeral.publicKey);
    const jid = Jid.pn(phone);
    const res = await this.#core.query({
      namespace: "md",
      type: "set",
      content: [{
        tag: "link_code_companion_reg",
        attrs: {
          jid,
          stage: "companion_hello",
          should_show_push_notification: String(options.showPushNotification ?? true),
        },
        content: [
          { tag: "link_code_pairing_wrapped_companion_ephemeral_pub", attrs: {}, content: wrapped },
          { tag: "companion_server_auth_key_pub", attrs: {}, content: this.#core.device.noiseKey.publicKey },
          { tag: "companion_platform_id", attrs: {}, content: options.platformId ?? "1" },
          {
            tag: "companion_platform_display",
            attrs: {},
            content: options.platformDisplay ?? "Chrome (Linux)",
          },
          { tag: "link_code_pairing_nonce", attrs: {}, content: new Uint8Array([0]) },
        ],
      }],
    });
    const reg = getChild(res, "link_code_companion_reg");
    const ref = reg && childBytes(reg, "link_code_pairing_ref");
    if (!ref) {
      throw new PairCodeError("missing_pairing_ref", "the server's answer has no link_code_pairing_ref");
    }
    this.#code = { code, ephemeral, ref: ref.slice(), jid, expiresAt: Date.now() + PAIR_CODE_VALIDITY_MS };
    this.#log.info("pair code issued", { phone });
    this.#core.emit("pairingCode", { code, timeoutMs: PAIR_CODE_VALIDITY_MS });
    return code;
  }

  /** Stage 2: `<notification type="link_code_companion_reg">` after the code was typed on the phone. */
  async handleLinkCodeNotification(node: Node): Promise<void> {
    const reg = getChild(node, "link_code_companion_reg");
    const pending = this.#code;
    if (!reg) throw new PairCodeError("invalid_wrapped_data", "notification lacks <link_code_companion_reg>");
    if (!pending) {
      throw new PairCodeError("not_waiting", "a pair-code notification arrived but no pair code is pending");
    }
    const ref = childBytes(reg, "link_code_pairing_ref");
    if (!ref || new TextDecoder().decode(ref) !== new TextDecoder().decode(pending.ref)) {
      throw new PairCodeError("invalid_wrapped_data", "pair-code notification names a different pairing ref");
    }
    const wrappedPrimary = childBytes(reg, "link_code_pairing_wrapped_primary_ephemeral_pub");
    const primaryIdentity = childBytes(reg, "primary_identity_pub");
    if (!wrappedPrimary || wrappedPrimary.length < 80) {
      throw new PairCodeError(
        "invalid_wrapped_data",
        `wrapped primary ephemeral key must be 80 bytes, got ${wrappedPrimary?.length ?? 0}`,
      );
    }
    if (!primaryIdentity || primaryIdentity.length !== 32) {
      throw new PairCodeError(
        "invalid_wrapped_data",
        `primary identity key must be 32 bytes, got ${primaryIdentity?.length ?? 0}`,
      );
    }
    const primaryEphemeral = await unwrapWithPairCode(pending.code, wrappedPrimary);
    const bundle = buildCompanionKeyBundle(
      pending.ephemeral,
      this.#core.device.identityKey,
      primaryEphemeral,
      primaryIdentity,
    );
    await this.#core.updateDevice((d) => {
      d.advSecretKey = bundle.advSecret;
    });
    await this.#core.query({
      namespace: "md",
      type: "set",
      content: [{
        tag: "link_code_companion_reg",
        attrs: { jid: pending.jid, stage: "companion_finish" },
        content: [
          { tag: "link_code_pairing_wrapped_key_bundle", attrs: {}, content: bundle.wrappedBundle },
          { tag: "companion_identity_public", attrs: {}, content: this.#core.device.identityKey.publicKey },
          { tag: "link_code_pairing_ref", attrs: {}, content: pending.ref },
        ],
      }],
    });
    this.#log.info("pair code accepted by the phone, waiting for pair-success");
    if (this.#qrExpired) this.#qrExpired = false;
  }
}
