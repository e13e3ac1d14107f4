/**
 * A small leveled logger with targets (`Client/Recv`, `Client/Pair`, ...), filtered by a spec such as
 * `info,Client/Recv=debug` (the `WADENO_LOG` environment variable by default).
 *
 * @module
 */

/** Log levels, most severe first. `off` disables a target. */
export type LogLevel = "off" | "error" | "warn" | "info" | "debug" | "trace";

const LEVEL_RANK: Record<LogLevel, number> = { off: 0, error: 1, warn: 2, info: 3, debug: 4, trace: 5 };

/** One log line as handed to a sink. */
export interface LogRecord {
  /** Severity. */
  level: Exclude<LogLevel, "off">;
  /** Subsystem, e.g. `Client/Recv`. */
  target: string;
  /** Human-readable message. */
  message: string;
  /** Optional structured context (an error, ids, counts). */
  fields?: Record<string, unknown>;
  /** Milliseconds since the epoch. */
  time: number;
}

/** Where records go. The default writes one line per record to stderr. */
export type LogSink = (record: LogRecord) => void;

/** A logger bound to one target. */
export interface Logger {
  /** The target this logger writes under. */
  readonly target: string;
  /** A logger for another target sharing this logger's filter and sink. */
  child(target: string): Logger;
  /** True when `level` would be written for this target (use it to skip building costly messages). */
  enabled(level: Exclude<LogLevel, "off">): boolean;
  /** Writes an error record. */
  error(message: string, fields?: Record<string, unknown>): void;
  /** Writes a warning record. */
  warn(message: string, fields?: Record<string, unknown>): void;
  /** Writes an info record. */
  info(message: string, fields?: Record<string, unknown>): void;
  /** Writes a debug record. */
  debug(message: string, fields?: Record<string, unknown>): void;
  /** Writes a trace record. */
  trace(message: string, fields?: Record<string, unknown>): void;
}

/** A parsed filter: a default level plus per-target overrides (longest prefix wins). */
export interface LogFilter {
  /** Level for targets without an override. */
  defaultLevel: LogLevel;
  /** Target prefix to level, e.g. `Client/Recv` -> `debug`. */
  targets: Map<string, LogLevel>;
}

function isLevel(s: string): s is LogLevel {
  return s in LEVEL_RANK;
}

/**
 * Parses a filter spec: comma-separated entries, each either a level (the default) or `target=level`.
 * Unknown levels are ignored rather than failing a bot at start-up.
 *
 * @example
 * ```ts
 * import { parseLogFilter } from "./logger.ts";
 * const f = parseLogFilter("info,Client/Recv=debug");
 * console.log(f.defaultLevel, f.targets.get("Client/Recv")); // info debug
 * ```
 */
export function parseLogFilter(spec: string | undefined, fallback: LogLevel = "warn"): LogFilter {
  const filter: LogFilter = { defaultLevel: fallback, targets: new Map() };
  for (const raw of (spec ?? "").split(",")) {
    const entry = raw.trim();
    if (!entry) continue;
    const eq = entry.indexOf("=");
    if (eq < 0) {
      const level = entry.toLowerCase();
      if (isLevel(level)) filter.defaultLevel = level;
      continue;
    }
    const level = entry.slice(eq + 1).trim().toLowerCase();
    if (isLevel(level)) filter.targets.set(entry.slice(0, eq).trim(), level);
  }
  return filter;
}

function levelFor(filter: LogFilter, target: string): LogLevel {
  let best: LogLevel | undefined;
  let bestLen = -1;
  for (const [prefix, level] of filter.targets) {
    if (prefix.length > bestLen && (target === prefix || target.startsWith(prefix + "/"))) {
      best = level;
      bestLen = prefix.length;
    }
  }
  return best ?? filter.defaultLevel;
}

/** The default sink: one line on stderr, `time level target message {fields}`. */
export const stderrSink: LogSink = (r) => {
  const fields = r.fields ? " " + safeJson(r.fields) : "";
  // An error at error level is printed with its stack, so a failing handler can be found.
  const error = r.level === "error"
    ? Object.values(r.fields ?? {}).find((v) => v instanceof Error)
    : undefined;
  const stack = error instanceof Error && error.stack ? `\n${error.stack}` : "";
  console.error(
    `${new Date(r.time).toISOString()} ${r.level.toUpperCase()} [${r.target}] ${r.message}${fields}${stack}`,
  );
};

function safeJson(fields: Record<string, unknown>): string {
  try {
    return JSON.stringify(fields, (_k, v) => {
      if (v instanceof Error) {
        const out: Record<string, unknown> = { name: v.name, message: v.message };
        if ("code" in v) out.code = (v as { code: unknown }).code;
        if (v.cause !== undefined) {
          out.cause = v.cause instanceof Error ? `${v.cause.name}: ${v.cause.message}` : String(v.cause);
        }
        return out;
      }
      if (typeof v === "bigint") return v.toString();
      if (v instanceof Uint8Array) return `<${v.length} bytes>`;
      return v;
    });
  } catch {
    return "{unserializable fields}";
  }
}

function readEnvFilter(): string | undefined {
  try {
    const state = Deno.permissions.querySync({ name: "env", variable: "WADENO_LOG" }).state;
    return state === "granted" ? Deno.env.get("WADENO_LOG") : undefined;
  } catch {
    return undefined;
  }
}

/** Options for {@linkcode createLogger}. */
export interface LoggerOptions {
  /** Filter spec; defaults to the `WADENO_LOG` environment variable, else `warn`. */
  filter?: string;
  /** Where records go; defaults to {@linkcode stderrSink}. */
  sink?: LogSink;
  /** Root target name. Defaults to `wadeno`. */
  target?: string;
}

/**
 * Creates a logger. Levels per target are resolved once per target and cached.
 *
 * @example
 * ```ts
 * import { createLogger } from "./logger.ts";
 * const records: string[] = [];
 * const log = createLogger({ filter: "debug", sink: (r) => records.push(r.message) }).child("Client/Recv");
 * log.debug("frame", { bytes: 12 });
 * console.log(records); // ["frame"]
 * ```
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const filter = parseLogFilter(options.filter ?? readEnvFilter());
  const sink = options.sink ?? stderrSink;
  const cache = new Map<string, number>();
  const rankOf = (target: string): number => {
    let rank = cache.get(target);
    if (rank === undefined) {
      rank = LEVEL_RANK[levelFor(filter, target)];
      cache.set(target, rank);
    }
    return rank;
  };
  const make = (target: string): Logger => {
    const write = (level: Exclude<LogLevel, "off">, message: string, fields?: Record<string, unknown>) => {
      if (LEVEL_RANK[level] > rankOf(target)) return;
      sink({ level, target, message, fields, time: Date.now() });
    };
    return {
      target,
      child: (t) => make(t),
      enabled: (level) => LEVEL_RANK[level] <= rankOf(target),
      error: (m, f) => write("error", m, f),
      warn: (m, f) => write("warn", m, f),
      info: (m, f) => write("info", m, f),
      debug: (m, f) => write("debug", m, f),
      trace: (m, f) => write("trace", m, f),
    };
  };
  return make(options.target ?? "wadeno");
}

/** A logger that writes nothing (the default in tests). */
export const silentLogger: Logger = createLogger({ filter: "off", sink: () => {} });
