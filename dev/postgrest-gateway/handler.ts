import type { IncomingMessage, ServerResponse } from "node:http";
import type pg from "pg";
import { type ApiKeys, type ApiRole, authenticate } from "./auth.ts";
import { callStatement, runCall } from "./call.ts";
import { GatewayError, fromDatabaseError, isDatabaseError, pgrstError } from "./errors.ts";
import { type CallShape, matchRoutine, noSuchFunction } from "./match.ts";
import {
  type Arguments,
  argumentsJson,
  bodyArguments,
  checkProfile,
  wantsCount,
  negotiate,
  queryArguments,
} from "./request.ts";
import { type Routine, type RoutineCache, routineCache } from "./schema.ts";

/** What every request needs, built once per gateway. */
interface HandlerContext {
  pool: pg.Pool;
  routines: RoutineCache;
  keys: ApiKeys;
}

const SCHEMA = "public";

function functionName(pathname: string): string {
  const name = /^\/rest\/v1\/rpc\/([^/]+)\/?$/.exec(pathname)?.[1];
  try {
    if (name) return decodeURIComponent(name);
  } catch {
    // A malformed escape is no function name; answered below like any unknown path.
  }
  throw pgrstError(404, "PGRST125", "Invalid path specified in request URL", {
    hint: "This local gateway serves only /rest/v1/rpc/<function>.",
  });
}

async function findRoutine(
  routines: RoutineCache,
  name: string,
  shape: CallShape,
): Promise<Routine> {
  const cached = matchRoutine(await routines.overloads(name), shape);
  if (cached) return cached;
  // Not in the cache: a migration may have created it since, so look once more.
  const overloads = await routines.reload(name);
  const routine = matchRoutine(overloads, shape);
  if (!routine) throw noSuchFunction(`${SCHEMA}.${name}`, shape, overloads);
  return routine;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

// What PostgREST sets for the function to read (request.jwt.claims, request.headers, …).
function settings(req: IncomingMessage, role: ApiRole, path: string): Record<string, string> {
  const headers = Object.entries(req.headers)
    .filter(([name]) => name !== "cookie")
    .map(([name, value]) => [name, Array.isArray(value) ? value.join(", ") : (value ?? "")]);
  return {
    search_path: "public, extensions",
    role,
    "request.jwt.claims": JSON.stringify({ role }),
    "request.method": req.method ?? "",
    "request.path": path,
    "request.headers": JSON.stringify(Object.fromEntries(headers)),
  };
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body = "") {
  res.writeHead(status, headers);
  res.end(body);
}

interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  role: ApiRole;
}

async function serve(context: HandlerContext, { req, res, url, role }: Exchange): Promise<void> {
  const name = functionName(url.pathname);
  const method = req.method ?? "GET";
  if (method !== "GET" && method !== "HEAD" && method !== "POST") {
    throw pgrstError(405, "PGRST101", `Cannot use the ${method} method on RPC`);
  }
  checkProfile(req.headers);
  const media = negotiate(req.headers.accept);
  const post = method === "POST";
  const query = queryArguments(url.searchParams);
  if (post && query.keys.size > 0) {
    throw pgrstError(400, "PGRST100", "Filters are not supported by this local RPC gateway", {
      details: `Unexpected query parameters: ${[...query.keys].join(", ")}`,
    });
  }
  const args: Arguments = post
    ? bodyArguments(req.headers["content-type"], await readBody(req))
    : query;
  const routine = await findRoutine(context.routines, name, { keys: args.keys, jsonBody: post });
  const result = await runCall(context.pool, {
    statement: callStatement(
      routine,
      { json: argumentsJson(args, routine), keys: args.keys },
      media.single,
    ),
    single: media.single,
    readOnly: !post || routine.volatility !== "v",
    settings: settings(req, role, url.pathname.slice("/rest/v1".length)),
  });
  const range = result.rows > 0 ? `0-${result.rows - 1}` : "*";
  const headers = { "Content-Range": `${range}/${wantsCount(req.headers) ? result.rows : "*"}` };
  // PostgREST answers a void function with 204 and no body at all.
  if (routine.returnsVoid) return send(res, 204, headers);
  send(
    res,
    200,
    { ...headers, "Content-Type": media.contentType },
    method === "HEAD" ? "" : result.body,
  );
}

function errorFor(error: unknown, authenticated: boolean): GatewayError {
  if (error instanceof GatewayError) return error;
  if (isDatabaseError(error)) return fromDatabaseError(error, authenticated);
  console.error("[postgrest-gateway] unexpected failure:", error);
  return pgrstError(500, "PGRSTX00", "Internal error in the local RPC gateway", {
    details: error instanceof Error ? error.message : String(error),
  });
}

/** The request listener: Supabase's API gateway (routing, API keys) in front of PostgREST's RPC. */
export function createHandler(pool: pg.Pool, keys: ApiKeys) {
  const context: HandlerContext = { pool, keys, routines: routineCache(pool, SCHEMA) };
  return async function postgrestGateway(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let role: ApiRole | undefined;
    try {
      const url = new URL(req.url ?? "/", "http://gateway.invalid");
      if (!url.pathname.startsWith("/rest/v1/")) {
        throw new GatewayError(404, { message: "no Route matched with those values" });
      }
      role = authenticate(req.headers, url.searchParams, context.keys);
      await serve(context, { req, res, url, role });
    } catch (caught) {
      // PostgREST calls a request authenticated when it runs as any role but the anonymous one.
      const error = errorFor(caught, role !== undefined && role !== "anon");
      if (res.headersSent) return void res.destroy();
      send(
        res,
        error.status,
        { "Content-Type": "application/json; charset=utf-8", ...error.headers },
        JSON.stringify(error.body),
      );
    }
  };
}
