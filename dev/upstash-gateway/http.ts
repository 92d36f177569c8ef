import type { IncomingMessage, ServerResponse } from "node:http";
import { toResult } from "./encoding.ts";
import { GatewayError } from "./errors.ts";
import type { Executor, Outcome } from "./executor.ts";
import { commandFromPath, parseJson, toCommand, toCommands } from "./parse.ts";
import type { CommandArgs } from "./scripts.ts";

/** What the gateway needs to answer requests. */
export interface HandlerOptions {
  /** The one token accepted, as `Authorization: Bearer <token>` or `?_token=<token>`. */
  token: string;
  executor: Executor;
}

interface Reply {
  status: number;
  body: unknown;
}

/** Upstash allows these; anything else is 405. */
const METHODS = new Set(["GET", "HEAD", "POST", "PUT"]);

/** Endpoints that take an array of commands, by path. */
const BATCHES: Record<string, (executor: Executor, commands: CommandArgs[]) => Promise<Outcome[]>> =
  {
    "/pipeline": (executor, commands) => executor.pipeline(commands),
    "/multi-exec": (executor, commands) => executor.transaction(commands),
  };

function tokenOf(req: IncomingMessage, query: URLSearchParams): string | undefined {
  const header = req.headers.authorization;
  if (header !== undefined) return /^Bearer (.+)$/i.exec(header)?.[1];
  return query.get("_token") ?? undefined;
}

const toJson = (outcome: Outcome, base64: boolean) =>
  "error" in outcome ? { error: outcome.error } : { result: toResult(outcome.result, base64) };

async function answer(req: IncomingMessage, { token, executor }: HandlerOptions): Promise<Reply> {
  const method = req.method ?? "GET";
  if (!METHODS.has(method)) throw new GatewayError(405, "Method Not Allowed");
  // Split by hand: URL would resolve "." and ".." segments, which are arguments here.
  const target = req.url ?? "/";
  const queryAt = target.includes("?") ? target.indexOf("?") : target.length;
  const path = target.slice(0, queryAt);
  const query = new URLSearchParams(target.slice(queryAt + 1));
  if (tokenOf(req, query) !== token) throw new GatewayError(401, "Unauthorized");
  const base64 = String(req.headers["upstash-encoding"]).toLowerCase() === "base64";
  const body = Buffer.concat(await req.toArray());
  const hasBody = method === "POST" || method === "PUT";

  const batch = BATCHES[path];
  if (batch) {
    if (!hasBody) throw new GatewayError(405, "Method Not Allowed");
    const outcomes = await batch(executor, toCommands(parseJson(body)));
    return { status: 200, body: outcomes.map((outcome) => toJson(outcome, base64)) };
  }
  const command =
    path === "/"
      ? toCommand(hasBody ? parseJson(body) : undefined)
      : commandFromPath(path, query, body);
  const outcome = await executor.command(command);
  return { status: "error" in outcome ? 400 : 200, body: toJson(outcome, base64) };
}

function errorReply(error: unknown): Reply {
  if (error instanceof GatewayError) {
    return { status: error.status, body: { error: error.message } };
  }
  console.error("[upstash-gateway]", error);
  const message = error instanceof Error ? error.message : String(error);
  return { status: 500, body: { error: `ERR internal gateway error: ${message}` } };
}

/**
 * The gateway's request listener: authenticates, runs the command or batch, and answers in
 * Upstash's JSON. Every failure becomes an `{"error"}` response here, in one place.
 */
export function createHandler(options: HandlerOptions) {
  return function upstashGateway(req: IncomingMessage, res: ServerResponse): void {
    void answer(req, options)
      .catch(errorReply)
      .then(({ status, body }) => {
        res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
      });
  };
}
