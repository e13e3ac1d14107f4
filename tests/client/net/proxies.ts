/**
 * Real proxy servers from npm for the tests, on 127.0.0.1 port 0: proxy-chain (HTTP CONNECT, with or
 * without Basic credentials) and @pondwader/socks5-server (SOCKS5, optionally username/password). Both
 * resolve names under `.test` to 127.0.0.1 themselves, so a client that reaches `fakewa.test` can only
 * have come through them: nothing on this machine resolves `.test` (RFC 2606) otherwise.
 */

import * as dns from "node:dns";
import type { Socket } from "node:net";
import { Server as ProxyChainServer } from "npm:proxy-chain@3.0.1";
import { createServer, defaultConnectionHandler } from "npm:@pondwader/socks5-server@1.0.10";

/** Credentials for a proxy. */
export interface Credentials {
  username: string;
  password: string;
}

/** A running proxy. */
export interface TestProxy {
  /** Port on 127.0.0.1. */
  port: number;
  /** `host:port` of every tunnel the proxy opened, in order, as the client named the target. */
  tunnels: string[];
  /** Stops the proxy and drops its connections. */
  [Symbol.asyncDispose](): Promise<void>;
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | dns.LookupAddress[],
  family?: number,
) => void;

/** node's dns.lookup, with every `.test` name answered as 127.0.0.1. */
function testLookup(hostname: string, options: unknown, callback?: LookupCallback): void {
  const cb = (typeof options === "function" ? options : callback) as LookupCallback;
  const opts = (typeof options === "object" && options !== null ? options : {}) as dns.LookupOptions;
  if (hostname.endsWith(".test")) {
    if (opts.all) cb(null, [{ address: "127.0.0.1", family: 4 }]);
    else cb(null, "127.0.0.1", 4);
    return;
  }
  dns.lookup(hostname, opts, cb as never);
}

/** proxy-chain as an HTTP CONNECT proxy; with `auth`, other credentials get 407. */
export async function startHttpProxy(auth?: Credentials): Promise<TestProxy> {
  const tunnels: string[] = [];
  const server = new ProxyChainServer({
    host: "127.0.0.1",
    port: 0,
    prepareRequestFunction: ({ username, password, hostname, port }) => {
      if (auth && (username !== auth.username || password !== auth.password)) {
        return { requestAuthentication: true };
      }
      tunnels.push(`${hostname}:${port}`);
      return { dnsLookup: testLookup as typeof dns.lookup };
    },
  });
  await server.listen();
  return { port: server.port, tunnels, [Symbol.asyncDispose]: () => server.close(true) };
}

/** @pondwader/socks5-server; with `auth`, only those credentials are accepted. */
export async function startSocksProxy(auth?: Credentials): Promise<TestProxy> {
  const tunnels: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer(auth ? { auth } : {});
  server.setConnectionHandler((connection, sendStatus) => {
    tunnels.push(`${connection.destAddress}:${connection.destPort}`);
    sockets.add(connection.socket as Socket);
    if (connection.destAddress.endsWith(".test")) connection.destAddress = "127.0.0.1";
    return defaultConnectionHandler(connection, sendStatus);
  });
  const { promise, resolve } = Promise.withResolvers<void>();
  server.listen(0, "127.0.0.1", () => resolve());
  await promise;
  // The package keeps its net.Server private; its address is the only thing read from it.
  const inner = (server as unknown as { server: { address(): { port: number } } }).server;
  return {
    port: inner.address().port,
    tunnels,
    [Symbol.asyncDispose]: async () => {
      for (const socket of sockets) socket.destroy();
      const closed = Promise.withResolvers<void>();
      server.close(() => closed.resolve());
      await closed.promise;
    },
  };
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
export function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}
