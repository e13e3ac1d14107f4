/**
 * What to do when a connection could not even be opened: most failures (the network, a server that
 * restarts) are worth retrying with backoff, but some never get better by waiting and stop the client at
 * once with a `ConnectionError` that says why: a missing Deno permission (naming the flag), a proxy or TLS
 * setup that is wrong, a certificate chain that does not verify, and a handshake or a proxy that keeps
 * failing for a reason other than the network.
 *
 * @module
 */

import { ConnectionError } from "../features/errors.ts";
import { NoiseError } from "../noise/mod.ts";
import type { ConnectionOutcome } from "./core.ts";
import { TransportError } from "./transport.ts";

/** Connection attempts in a row that a proxy refused or that could not reach it, before giving up. */
export const MAX_PROXY_FAILURES = 10;

/** The first error in `e`'s cause chain (itself included) that `test` accepts. */
export function findCause(e: unknown, test: (cause: unknown) => boolean): unknown {
  for (let c = e, depth = 0; c !== undefined && depth < 8; c = (c as { cause?: unknown })?.cause, depth++) {
    if (test(c)) return c;
  }
  return undefined;
}

/** Counts failures to open a connection in a row and classifies each one. */
export class OpenFailures {
  readonly #maxHandshakeFailures: number;
  #handshakeFailures = 0;
  #proxyFailures = 0;

  /** Gives up after `maxHandshakeFailures` handshakes in a row that failed for a non-network reason. */
  constructor(maxHandshakeFailures: number) {
    this.#maxHandshakeFailures = maxHandshakeFailures;
  }

  /** A connection opened: the counts start over. */
  reset(): void {
    this.#handshakeFailures = 0;
    this.#proxyFailures = 0;
  }

  /** What to do after `e` failed an attempt (`aborted`: the caller stopped the client meanwhile). */
  classify(e: unknown, aborted: boolean): ConnectionOutcome {
    const reason = `connect failed: ${(e as Error)?.message ?? String(e)}`;
    if (aborted) return { action: "stop", reason };
    const stop = (error: ConnectionError): ConnectionOutcome => ({ action: "stop", reason, error });
    const denied = findCause(
      e,
      (c) => c instanceof Deno.errors.NotCapable || c instanceof Deno.errors.PermissionDenied,
    );
    if (denied) {
      return stop(
        new ConnectionError(
          "permission_denied",
          `missing a Deno permission: ${(denied as Error).message}`,
          undefined,
          {
            cause: e,
          },
        ),
      );
    }
    if (e instanceof TransportError && !e.retryable) {
      return stop(new ConnectionError("transport", e.message, undefined, { cause: e }));
    }
    if (e instanceof TransportError && (e.code === "proxy_unreachable" || e.code === "proxy_refused")) {
      if (++this.#proxyFailures >= MAX_PROXY_FAILURES) {
        return stop(
          new ConnectionError(
            "transport",
            `${e.message} (${this.#proxyFailures} attempts in a row)`,
            undefined,
            {
              cause: e,
            },
          ),
        );
      }
    }
    if (e instanceof NoiseError && e.code.startsWith("cert_")) {
      return stop(
        new ConnectionError(
          "certificate",
          `the server's certificate does not verify: ${e.message}`,
          undefined,
          {
            cause: e,
          },
        ),
      );
    }
    if (e instanceof NoiseError && e.code !== "closed" && e.code !== "handshake_aborted") {
      if (++this.#handshakeFailures >= this.#maxHandshakeFailures) {
        return stop(
          new ConnectionError(
            "handshake_failed",
            `the Noise handshake failed ${this.#handshakeFailures} times in a row: ${e.message}`,
            undefined,
            { cause: e },
          ),
        );
      }
    }
    return { action: "backoff", reason };
  }
}
