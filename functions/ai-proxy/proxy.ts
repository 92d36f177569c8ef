import type { Context } from "hono";
import { deferFor } from "../../shared/http/defer.ts";
import { AppError } from "../../shared/http/errors.ts";
import type { ResponseContext, Usage } from "../../shared/providers/types.ts";
import { rateLimitError, rateLimitHeaders } from "../../shared/resilience/ratelimit/index.ts";
import type { AiProxyDeps, ProxyEnv } from "./app.ts";
import { type ChainTarget, runChain } from "./failover.ts";
import { resolveModel } from "./routes.ts";
import { clientStream, type StartedStream } from "./stream.ts";
import { recordUsage } from "./usage.ts";

export type Kind = "chat" | "embeddings" | "images";

/** One attempt against one target: the upstream's refusal as its Response, or the translated value. */
export type Attempt = (
  link: ChainTarget,
  signal: AbortSignal,
  context: ResponseContext,
) => Promise<unknown>;

/** Authenticated, limited, routed, failed over, answered, accounted. */
export async function proxy(
  c: Context<ProxyEnv>,
  deps: AiProxyDeps,
  kind: Kind,
  model: string,
  attempt: Attempt,
  stream?: { includeUsage: boolean },
) {
  const started = Date.now();
  const caller = c.var.caller;
  const supported = new Set(
    [...deps.providers].filter(([, p]) => p.provider[kind]).map(([name]) => name),
  );
  const targets: ChainTarget[] = resolveModel(model, deps.routes, supported).map((target) => ({
    target,
    ...deps.providers.get(target.provider)!,
    breaker: deps.breaker(target.provider),
  }));
  if (targets.length === 0) {
    throw new AppError({
      status: 404,
      code: "model_not_found",
      category: "not_found",
      param: "model",
      message: `The model '${model}' does not exist or is not served here`,
    });
  }
  const tokens = caller.tokensPerMinute ? deps.tokenLimiter(caller.tokensPerMinute) : undefined;
  const overTokens = tokens?.blocked(caller.id);
  if (overTokens) throw rateLimitError(overTokens);
  // The rate limit and the first target's breaker gate leave in the same tick: one Redis round trip.
  const [rate, firstPermit] = await Promise.all([
    deps.requestLimiter(caller.requestsPerMinute).limit(caller.id),
    targets[0]!.breaker.acquire().catch((error: unknown) => error as Error),
  ]);
  if (rate.error)
    c.var.log.warn("rate limit decided without Redis", { source: rate.source, error: rate.error });
  if (!rate.success) throw rateLimitError(rate);

  const defer = deferFor(c);
  const context: ResponseContext = {
    model,
    id: `chatcmpl-${crypto.randomUUID().replaceAll("-", "")}`,
    created: Math.floor(started / 1000),
  };
  const result = await runChain({
    targets,
    firstPermit,
    attemptTimeoutMs: stream ? deps.timeouts.firstTokenMs : deps.timeouts.attemptMs,
    deadline: started + deps.timeouts.deadlineMs,
    signal: c.req.raw.signal,
    defer,
    attempt: (link, signal) => attempt(link, signal, context),
  });
  const upstreamMs = Date.now() - started;
  const record = (status: number, usage?: Usage | undefined) => {
    const served = result.ok ? result.served.target : undefined;
    defer(
      recordUsage(deps.db, c.var.log, {
        requestId: c.var.requestId,
        keyId: caller.id,
        publicModel: model,
        provider: served?.provider ?? null,
        upstreamModel: served?.model ?? null,
        usage,
        latencyMs: Date.now() - started,
        attempts: result.attempts,
        status,
      }),
    );
    if (tokens && usage) defer(tokens.limit(caller.id, usage.total_tokens));
  };
  if (!result.ok) {
    record(result.error.status);
    throw withHeaders(result.error, { "x-breakwater-attempts": String(result.attempts) });
  }
  const headers: Record<string, string> = {
    ...rateLimitHeaders(rate),
    "x-breakwater-provider": `${result.served.target.provider}:${result.served.target.model}`,
    "x-breakwater-attempts": String(result.attempts),
    "server-timing": `upstream;dur=${upstreamMs}, proxy;dur=${Date.now() - started - upstreamMs}`,
  };
  if (stream) {
    const body = clientStream(result.value as StartedStream, {
      includeUsage: stream.includeUsage,
      idleTimeoutMs: deps.timeouts.idleMs,
      onEnd: (end) => record(end.complete ? 200 : 502, end.usage),
    });
    return new Response(body, {
      headers: {
        ...headers,
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache",
      },
    });
  }
  const value = result.value as { usage?: Usage | undefined };
  record(200, value.usage);
  return c.json(value, 200, headers);
}

function withHeaders(error: AppError, headers: Record<string, string>): AppError {
  return new AppError({
    status: error.status,
    code: error.code,
    category: error.category,
    message: error.message,
    ...(error.param ? { param: error.param } : {}),
    headers: { ...error.headers, ...headers },
  });
}
