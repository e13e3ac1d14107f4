/** Shared setup for the people end-to-end tests: event collectors and a paired bot with phones. */

import type { Client } from "../../src/client/client.ts";
import type { ClientEvents } from "../../src/client/events.ts";
import { messageText } from "../../src/features/message_builders.ts";
import type { MessageEvent } from "../../src/features/message_info.ts";
import type { FakeWhatsApp } from "../../src/testing/mod.ts";
import { deadline, newClient, pairByQr, startServer } from "./helpers.ts";

/** Collects one event of a client; `next` resolves with the first (past or future) that matches. */
export class Collected<K extends keyof ClientEvents> {
  readonly all: ClientEvents[K][] = [];
  readonly #waiters = new Set<() => void>();
  readonly #name: K;

  constructor(client: Client, name: K) {
    this.#name = name;
    client.on(name, (e) => {
      this.all.push(e);
      for (const wake of [...this.#waiters]) wake();
    });
  }

  next(match: (e: ClientEvents[K]) => boolean = () => true, signal = deadline()): Promise<ClientEvents[K]> {
    const found = this.all.find(match);
    if (found) return Promise.resolve(found);
    const { promise, resolve, reject } = Promise.withResolvers<ClientEvents[K]>();
    const check = () => {
      const e = this.all.find(match);
      if (!e) return;
      this.#waiters.delete(check);
      resolve(e);
    };
    this.#waiters.add(check);
    signal.addEventListener("abort", () => {
      this.#waiters.delete(check);
      reject(new Error(`no matching ${String(this.#name)} event in time (have ${this.all.length})`));
    }, { once: true });
    return promise;
  }
}

/** Matches a message event by its text. */
export const withText = (t: string) => (e: MessageEvent) => messageText(e.message) === t;

/** A server with a paired bot (push name `Bot`) and the phones of other accounts. */
export async function botWithPhones(
  numbers: string[],
  botNumber = "15557000099",
): Promise<{ wa: FakeWhatsApp; bot: Client; phones: Client[]; [Symbol.asyncDispose](): Promise<void> }> {
  const wa = await startServer();
  const phones = await Promise.all(numbers.map((n) => wa.phone(n).client()));
  const bot = await newClient(wa, { pushName: "Bot" });
  await pairByQr(bot, wa.phone(botNumber));
  return {
    wa,
    bot,
    phones,
    async [Symbol.asyncDispose]() {
      await bot.disconnect();
      await wa.stop();
    },
  };
}

/** Makes two accounts contacts on the server (as exchanging a message does). */
export function befriend(wa: FakeWhatsApp, a: string, b: string): void {
  wa.phone(a).account.contacts.add(b);
  wa.phone(b).account.contacts.add(a);
}
