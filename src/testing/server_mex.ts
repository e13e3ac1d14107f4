/**
 * FakeWhatsApp's MEX endpoint: `<iq xmlns="w:mex" type="get"><query query_id=ID>{"variables":…}</query>`
 * answered with `<result>{"data":…}</result>` or, for a failure, `<result>{"errors":[…]}</result>` (GraphQL
 * errors travel inside a successful IQ, as on the real service; reference/protocol-facts.md "MEX",
 * protocol-facts-features.md 6.2). Each feature's server side brings its operations by query id (every
 * id the known libraries use; see server_features.ts); an unknown id gets the "persisted query not found" error real clients take as a stale id.
 *
 * | IQ error | when |
 * | --- | --- |
 * | 401 | the connection is not logged in |
 * | 400 | not `get`, no `<query query_id>`, or the content is not `{"variables": {…}}` JSON |
 *
 * @module
 */

import { getChild, type Node, type NodeInput } from "../binary/mod.ts";
import type { MexGraphQLError } from "../features/mex.ts";
import type { Account } from "./accounts.ts";
import { type FakeWhatsApp, iqError, iqResult } from "./fake_whatsapp.ts";
import type { ServerConnection } from "./server_connection.ts";
import type { ServerFeature } from "./server_feature.ts";

/** What a MEX operation answers: its data, or GraphQL errors. */
export interface MexServerAnswer {
  /** The `data` object. */
  data?: Record<string, unknown>;
  /** The errors, when it failed. */
  errors?: MexGraphQLError[];
}

/** One MEX operation of the fake server. */
export type MexServerHandler = (
  wa: FakeWhatsApp,
  conn: ServerConnection,
  account: Account,
  variables: Record<string, unknown>,
) => MexServerAnswer | Promise<MexServerAnswer>;

/** A GraphQL failure with an error code, marked as the summary (what clients report). */
export function mexFailure(code: number, message: string): MexServerAnswer {
  return { errors: [{ message, extensions: { error_code: code, is_summary: true, severity: "CRITICAL" } }] };
}

function readVariables(node: Node): Record<string, unknown> | undefined {
  const content = node.content;
  if (!(content instanceof Uint8Array) && typeof content !== "string") return undefined;
  try {
    const json = JSON.parse(typeof content === "string" ? content : new TextDecoder().decode(content));
    const variables = json?.variables;
    return variables && typeof variables === "object" && !Array.isArray(variables) ? variables : undefined;
  } catch {
    return undefined;
  }
}

async function mexIq(
  operations: ReadonlyMap<string, MexServerHandler>,
  wa: FakeWhatsApp,
  conn: ServerConnection,
  node: Node,
): Promise<NodeInput> {
  const account = conn.device && wa.accounts.byJid(conn.device);
  if (!account) return iqError(node, 401, "not-authorized");
  const query = getChild(node, "query");
  const queryId = query?.attrs.query_id;
  const variables = query && readVariables(query);
  if (node.attrs.type !== "get" || !query || !queryId || !variables) return iqError(node, 400, "bad-request");
  const handler = operations.get(queryId);
  const answer = handler
    ? await handler(wa, conn, account, variables)
    : mexFailure(400, `Persisted query not found for doc_id ${queryId}`);
  const body = answer.errors?.length ? { data: null, errors: answer.errors } : { data: answer.data ?? {} };
  return iqResult(node, [{
    tag: "result",
    attrs: {},
    content: new TextEncoder().encode(JSON.stringify(body)),
  }]);
}

/** The MEX endpoint's server side, answering the given operations (query id → handler). */
export function createMexFeature(operations: Iterable<readonly [string, MexServerHandler]>): ServerFeature {
  const table = new Map(operations);
  return {
    name: "mex",
    iq: { "w:mex": (wa, conn, node) => mexIq(table, wa, conn, node) },
  };
}
