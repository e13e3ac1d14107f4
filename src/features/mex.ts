/**
 * MEX (`client.mex`): WhatsApp's GraphQL over an IQ. A request is a persisted query id and its variables:
 * `<iq xmlns="w:mex" type="get" to="s.whatsapp.net"><query query_id=ID>{"variables":…}</query></iq>`; the
 * answer's `<result>` holds a JSON GraphQL response `{ data, errors }` (reference/protocol-facts.md "MEX",
 * whatsmeow newsletter.go sendMexIQ, Baileys Socket/mex.ts). Newsletters and other newer services are
 * built on it.
 *
 * GraphQL errors become a {@linkcode MexError} (an `IqError` of code `server`): the fatal one chosen as
 * whatsapp-rust does (iq/mex.rs `fatal_error`: the first summary error, else the first with an
 * `error_code`, else the first, as 500). Query ids change between WhatsApp versions; an error that says
 * so is flagged `staleQueryId`.
 *
 * @module
 */

import type { Node } from "../binary/mod.ts";
import type { FeatureContext } from "./context.ts";
import { InputError, IqError } from "./errors.ts";
import { badResponse, type IqSpec, requireChild } from "./iq.ts";

/** Extensions of a GraphQL error. */
export interface MexErrorExtensions {
  /** Numeric error code (HTTP-like). */
  error_code?: number;
  /** Whether this error summarises the request's failure. */
  is_summary?: boolean;
  /** Whether retrying may help. */
  is_retryable?: boolean;
  /** Severity (`CRITICAL`, `WARNING`, ...). */
  severity?: string;
}

/** One GraphQL error. */
export interface MexGraphQLError {
  /** What went wrong. */
  message: string;
  /** Where in the query. */
  path?: (string | number)[];
  /** Extra details. */
  extensions?: MexErrorExtensions;
}

/** A GraphQL response. */
export interface MexResponse {
  /** The data, when there is any. */
  data?: Record<string, unknown> | null;
  /** The errors (empty when none). */
  errors: MexGraphQLError[];
}

/**
 * A MEX request failed with GraphQL errors. `status` is the fatal error's code, `errors` every error.
 *
 * @example
 * ```ts
 * import { MexError } from "@wadeno/client";
 * const e = new MexError("newsletter metadata", "123", [{ message: "not found", extensions: { error_code: 404 } }]);
 * console.log(e.status, e.message); // 404 "newsletter metadata: not found (404)"
 * ```
 */
export class MexError extends IqError {
  /** The query id that was sent. */
  readonly queryId: string;
  /** Every error of the response. */
  readonly errors: MexGraphQLError[];
  /** True when the server said the query id is unknown or outdated (update the id). */
  readonly staleQueryId: boolean;

  /** Creates the error from a response's errors (at least one). */
  constructor(operation: string, queryId: string, errors: MexGraphQLError[], about?: string) {
    const fatal = fatalMexError(errors) ?? { message: "unknown GraphQL error" };
    const status = fatal.extensions?.error_code ?? 500;
    super("server", { operation, about, status, text: fatal.message });
    this.name = "MexError";
    this.queryId = queryId;
    this.errors = errors;
    this.staleQueryId = errors.some((e) => /doc_id|persisted query/i.test(e.message));
  }
}

/** The error that decides a response's failure (see the module notes), or undefined when there is none. */
export function fatalMexError(errors: readonly MexGraphQLError[]): MexGraphQLError | undefined {
  return errors.find((e) => e.extensions?.is_summary) ??
    errors.find((e) => e.extensions?.error_code !== undefined) ??
    (errors[0] ? { ...errors[0], extensions: { ...errors[0].extensions, error_code: 500 } } : undefined);
}

/** The largest JSON variables payload sent (the server refuses larger requests anyway). */
export const MAX_MEX_VARIABLES_BYTES = 256 * 1024;

function readErrors(value: unknown): MexGraphQLError[] {
  if (!Array.isArray(value)) return [];
  return value.slice(0, 100).map((e) => {
    const o = (e && typeof e === "object" ? e : {}) as Record<string, unknown>;
    const ext = o.extensions && typeof o.extensions === "object"
      ? o.extensions as Record<string, unknown>
      : {};
    const extensions: MexErrorExtensions = {};
    if (typeof ext.error_code === "number") extensions.error_code = ext.error_code;
    if (typeof ext.is_summary === "boolean") extensions.is_summary = ext.is_summary;
    if (typeof ext.is_retryable === "boolean") extensions.is_retryable = ext.is_retryable;
    if (typeof ext.severity === "string") extensions.severity = ext.severity;
    const out: MexGraphQLError = { message: typeof o.message === "string" ? o.message : "GraphQL error" };
    if (Array.isArray(o.path)) {
      out.path = o.path.filter((p) => typeof p === "string" || typeof p === "number");
    }
    if (Object.keys(extensions).length) out.extensions = extensions;
    return out;
  });
}

/** Parses the JSON of a `<result>`; throws `IqError` `bad_response` when it is not a GraphQL response. */
export function parseMexResult(
  spec: Pick<IqSpec<unknown>, "operation" | "about">,
  result: Node,
): MexResponse {
  if (result.attrs.format === "argo") {
    throw badResponse(spec, "the result is in the argo format, not JSON", result);
  }
  const content = result.content;
  const text = content instanceof Uint8Array
    ? new TextDecoder().decode(content)
    : typeof content === "string"
    ? content
    : undefined;
  if (text === undefined) throw badResponse(spec, "the <result> carries no JSON", result);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw badResponse(spec, `the <result> is not JSON (${(e as Error).message})`, result);
  }
  if (!json || typeof json !== "object" || Array.isArray(json)) {
    throw badResponse(spec, "the <result> is not a GraphQL response object", result);
  }
  const o = json as Record<string, unknown>;
  const data = o.data && typeof o.data === "object" && !Array.isArray(o.data)
    ? o.data as Record<string, unknown>
    : o.data === null
    ? null
    : undefined;
  return { data, errors: readErrors(o.errors) };
}

/**
 * The IQ of one MEX request. `operation` names it in errors (default `mex <queryId>`).
 *
 * @example
 * ```ts
 * import { mexSpec } from "@wadeno/client";
 * const spec = mexSpec("6563316087068696", { input: { key: "120363@newsletter", type: "JID" } });
 * spec.build().namespace; // "w:mex"
 * ```
 */
export function mexSpec(
  queryId: string,
  variables: Record<string, unknown>,
  operation = `mex ${queryId}`,
): IqSpec<MexResponse> {
  if (typeof queryId !== "string" || !/^\d{1,32}$/.test(queryId)) {
    throw new InputError(
      "invalid_argument",
      "queryId",
      `expected a numeric query id, got ${JSON.stringify(queryId)}`,
    );
  }
  const payload = new TextEncoder().encode(JSON.stringify({ variables }));
  if (payload.length > MAX_MEX_VARIABLES_BYTES) {
    throw new InputError("invalid_argument", "variables", `at most ${MAX_MEX_VARIABLES_BYTES} bytes of JSON`);
  }
  const spec: IqSpec<MexResponse> = {
    operation,
    build: () => ({
      namespace: "w:mex",
      type: "get",
      content: [{ tag: "query", attrs: { query_id: queryId }, content: payload }],
    }),
    parse: (res) => parseMexResult(spec, requireChild(spec, res, "result")),
  };
  return spec;
}

/** Options of {@linkcode Mex.execute}. */
export interface MexExecuteOptions {
  /** Names the request in errors. */
  operation?: string;
  /** What the request is about (a JID), for errors. */
  about?: string;
  /** The key of `data` to return (`xwa2_newsletter`); the whole `data` when absent. */
  dataKey?: string;
  /** Cancels the wait. */
  signal?: AbortSignal;
}

/** The events of the MEX feature (pushed MEX notifications are read by the features they are for). */
export type MexEvents = Record<never, never>;

/** Runs MEX queries and mutations. */
export class Mex {
  readonly #ctx: FeatureContext<MexEvents>;

  /** Creates the feature. */
  constructor(ctx: FeatureContext<MexEvents>) {
    this.#ctx = ctx;
  }

  /**
   * Sends a request and returns the whole GraphQL response, errors included (never a `MexError`).
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export async function example(client: Client) {
   *   const { data, errors } = await client.mex.query("29829202653362039", {
   *     user_ids: ["15551234567@s.whatsapp.net"],
   *   });
   *   if (errors.length) console.log(errors.map((e) => e.message));
   *   else console.log(data);
   * }
   * ```
   */
  query(
    queryId: string,
    variables: Record<string, unknown>,
    options: MexExecuteOptions = {},
  ): Promise<MexResponse> {
    const spec = { ...mexSpec(queryId, variables, options.operation), about: options.about };
    return this.#ctx.execute(spec, { signal: options.signal });
  }

  /**
   * Sends a request and returns its data (or `data[dataKey]`). Rejects with {@linkcode MexError} when the
   * response has errors, with `IqError` `bad_response` when the data is missing.
   *
   * @example
   * ```ts
   * import { type Client, MexError } from "@wadeno/client";
   * export async function example(client: Client) {
   *   try {
   *     const nl = await client.mex.execute<{ id: string }>("6563316087068696", {
   *       input: { key: "120363000000000000@newsletter", type: "JID" },
   *     }, { dataKey: "xwa2_newsletter" });
   *     console.log(nl.id);
   *   } catch (e) {
   *     if (e instanceof MexError && e.staleQueryId) console.log("query id", e.queryId, "is outdated");
   *     else throw e;
   *   }
   * }
   * ```
   */
  async execute<T = unknown>(
    queryId: string,
    variables: Record<string, unknown>,
    options: MexExecuteOptions = {},
  ): Promise<T> {
    const operation = options.operation ?? `mex ${queryId}`;
    const response = await this.query(queryId, variables, { ...options, operation });
    return mexData<T>(response, { queryId, operation, about: options.about, dataKey: options.dataKey });
  }
}

/** The data of a response, or the error it stands for (see {@linkcode Mex.execute}). */
export function mexData<T>(
  response: MexResponse,
  request: { queryId: string; operation: string; about?: string; dataKey?: string },
): T {
  if (response.errors.length) {
    throw new MexError(request.operation, request.queryId, response.errors, request.about);
  }
  const data = request.dataKey ? response.data?.[request.dataKey] : response.data;
  if (data === undefined || data === null) {
    throw new IqError("bad_response", {
      operation: request.operation,
      about: request.about,
      text: `the response has no ${request.dataKey ? `data.${request.dataKey}` : "data"}`,
    });
  }
  return data as T;
}
