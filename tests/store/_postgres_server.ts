// A real PostgreSQL server for tests and benches: initdb in a temporary directory, `postgres` listening on
// 127.0.0.1 on a free port (no Unix socket outside the temp dir), stopped and removed at the end.
//
// The binaries are looked up on PATH, then in Debian's /usr/lib/postgresql/<version>/bin (newest first),
// then /usr/local/pgsql/bin. initdb and postgres refuse to run as root, so as root the server runs as the
// `postgres` user (or `nobody` when that user does not exist) through `setpriv`, in a directory that user
// owns. `.ci/run` installs the distribution's server when none is found; a test that needs the server and
// cannot start it fails with the reason (it never skips).
//
// One server per test file: `usePostgres()` starts it in a `beforeAll` hook and stops it in `afterAll`;
// every test takes its own database from `freshDatabase()`.
import pg from "pg";

/** A running server. */
export interface PostgresServer {
  /** `postgres://wadeno@127.0.0.1:<port>/postgres`, the maintenance database. */
  readonly url: string;
  /** The TCP port on 127.0.0.1. */
  readonly port: number;
  /** The data directory's parent (removed by `stop`). */
  readonly dir: string;
  /** Creates an empty database and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Fast shutdown, then removes the directory. Idempotent. */
  stop(): Promise<void>;
  /** Immediate shutdown and removal without waiting, for `unload` handlers (benches). */
  stopSync(): void;
}

/** Options for {@linkcode startPostgres}. */
export interface StartOptions {
  /**
   * Keep fsync and synchronous commit on (the server's defaults), for benches that compare durable commits.
   * Tests leave it off: the process killed in a crash test is the client, never the server, so what a
   * committed transaction holds is in the server either way.
   */
  durable?: boolean;
  /** How long to wait for initdb and for the server to accept connections. Default 30 s. */
  timeoutMs?: number;
}

const BINARIES = ["initdb", "postgres"] as const;

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/** The directory holding initdb and postgres, or an error naming every place looked in. */
export async function findPostgresBin(): Promise<string> {
  const tried: string[] = [];
  const candidates: string[] = [];
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) if (dir) candidates.push(dir);
  try {
    const versions: number[] = [];
    for await (const e of Deno.readDir("/usr/lib/postgresql")) {
      if (/^\d+$/.test(e.name)) versions.push(Number(e.name));
    }
    for (const v of versions.sort((a, b) => b - a)) candidates.push(`/usr/lib/postgresql/${v}/bin`);
  } catch {
    // No Debian layout on this machine.
  }
  candidates.push("/usr/local/pgsql/bin");
  for (const dir of candidates) {
    tried.push(dir);
    let all = true;
    for (const bin of BINARIES) if (!(await isFile(`${dir}/${bin}`))) all = false;
    if (all) return dir;
  }
  throw new Error(
    `PostgreSQL server binaries (${BINARIES.join(", ")}) not found in ${tried.join(", ")}; ` +
      "install the distribution's package (apt-get install -y postgresql) or run .ci/run, which does",
  );
}

interface RunAs {
  /** The command prefix (empty when not root). */
  prefix: string[];
  uid?: number;
  gid?: number;
}

async function unprivilegedUser(): Promise<RunAs> {
  if (Deno.uid() !== 0) return { prefix: [] };
  const passwd = await Deno.readTextFile("/etc/passwd");
  for (const name of ["postgres", "nobody"]) {
    const line = passwd.split("\n").find((l) => l.startsWith(`${name}:`));
    if (line === undefined) continue;
    const [, , uid, gid] = line.split(":");
    return {
      prefix: ["setpriv", `--reuid=${uid}`, `--regid=${gid}`, "--clear-groups", "--"],
      uid: Number(uid),
      gid: Number(gid),
    };
  }
  throw new Error("running as root, and neither a postgres nor a nobody user exists to run the server as");
}

async function run(cmd: string[], what: string, signal: AbortSignal): Promise<void> {
  const out = await new Deno.Command(cmd[0], { args: cmd.slice(1), stdout: "piped", stderr: "piped", signal })
    .output();
  if (!out.success) {
    const text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
    throw new Error(`${what} failed (exit ${out.code}): ${text.trim().slice(-2000)}`);
  }
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Starts a fresh server; throws with the reason when it cannot. */
export async function startPostgres(options: StartOptions = {}): Promise<PostgresServer> {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 30_000);
  const bin = await findPostgresBin();
  const as = await unprivilegedUser();
  const dir = await Deno.makeTempDir({ prefix: "wadeno-pg-" });
  try {
    if (as.uid !== undefined) await Deno.chown(dir, as.uid, as.gid!);
    const data = `${dir}/data`;
    await run(
      [
        ...as.prefix,
        `${bin}/initdb`,
        "-D",
        data,
        "-U",
        "wadeno",
        "-A",
        "trust",
        "-E",
        "UTF8",
        "--locale=C",
        "--no-sync",
        "--no-instructions",
      ],
      "initdb",
      timeout,
    );
    const settings = [
      "listen_addresses=127.0.0.1",
      `unix_socket_directories=${dir}`,
      "max_connections=300",
      "shared_buffers=32MB",
      ...(options.durable ? [] : ["fsync=off", "synchronous_commit=off", "full_page_writes=off"]),
    ];
    // A port picked free may be taken before the server binds it: try a few.
    let lastError: unknown;
    for (let attempt = 0; attempt < 4; attempt++) {
      const port = freePort();
      try {
        const child = await startServer(as.prefix, bin, data, port, settings, timeout);
        return serverHandle(child, dir, port);
      } catch (e) {
        lastError = e;
        if (!String(e).includes("could not bind") && !String(e).includes("in use")) break;
      }
    }
    throw lastError;
  } catch (e) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw new Error(`PostgreSQL could not start: ${e instanceof Error ? e.message : e}`, { cause: e });
  }
}

async function startServer(
  prefix: string[],
  bin: string,
  data: string,
  port: number,
  settings: string[],
  timeout: AbortSignal,
): Promise<Deno.ChildProcess> {
  const cmd = [...prefix, `${bin}/postgres`, "-D", data, "-p", String(port)];
  for (const s of settings) cmd.push("-c", s);
  const child = new Deno.Command(cmd[0], { args: cmd.slice(1), stdout: "null", stderr: "piped" }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let log = "";
  const onAbort = () => child.kill("SIGKILL");
  timeout.addEventListener("abort", onAbort, { once: true });
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`postgres exited before accepting connections: ${log.slice(-2000)}`);
      log += value;
      if (log.includes("ready to accept connections")) break;
    }
  } catch (e) {
    child.kill("SIGKILL");
    await child.status;
    throw timeout.aborted ? new Error(`postgres did not start in time: ${log.slice(-2000)}`) : e;
  } finally {
    timeout.removeEventListener("abort", onAbort);
  }
  // Keep draining the log so the server never blocks on a full pipe.
  (async () => {
    try {
      for (;;) if ((await reader.read()).done) break;
    } catch {
      // The server was stopped.
    }
  })();
  return child;
}

function serverHandle(child: Deno.ChildProcess, dir: string, port: number): PostgresServer {
  const url = `postgres://wadeno@127.0.0.1:${port}/postgres`;
  let count = 0;
  let stopped: Promise<void> | undefined;
  return {
    url,
    port,
    dir,
    async createDatabase(name = `t${Date.now().toString(36)}_${count++}`) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name}"`);
      } finally {
        await client.end();
      }
      return `postgres://wadeno@127.0.0.1:${port}/${name}`;
    },
    stop() {
      stopped ??= (async () => {
        try {
          child.kill("SIGINT"); // fast shutdown: disconnect clients, checkpoint, exit
        } catch {
          // Already gone.
        }
        await child.status;
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      })();
      return stopped;
    },
    stopSync() {
      try {
        child.kill("SIGQUIT"); // immediate shutdown: every backend exits at once
      } catch {
        // Already gone.
      }
      try {
        Deno.removeSync(dir, { recursive: true });
      } catch {
        // The server may still be writing its last files; the OS temp cleaner gets the rest.
      }
    },
  };
}

/**
 * Registers a server for the calling test file: started before its first test, stopped after its last.
 * `freshDatabase()` returns a new database's URL, or throws why the server could not start.
 */
export function usePostgres(
  options: StartOptions = {},
): { freshDatabase(): Promise<string>; server(): PostgresServer } {
  let server: PostgresServer | undefined;
  let failure: unknown;
  Deno.test.beforeAll(async () => {
    try {
      server = await startPostgres(options);
    } catch (e) {
      failure = e;
    }
  });
  Deno.test.afterAll(async () => {
    await server?.stop();
  });
  const get = () => {
    if (server === undefined) {
      throw failure ?? new Error("PostgreSQL server not started (beforeAll did not run)");
    }
    return server;
  };
  return { freshDatabase: () => get().createDatabase(), server: get };
}
