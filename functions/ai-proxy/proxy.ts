import type { Context } from "hono";
import { readJson } from "../../shared/http/body.ts";
import { deferFor } from "../../shared/http/defer.ts";
import { AppError } from "../../shared/http/errors.ts";
import type { Usage } from "../../shared/providers/types.ts";
import { rateLimitHeaders } from "../../shared/resilience/ratelimit/index.ts";
import { attemptSpans } from "../../shared/telemetry/genai.ts";
import { SpanKind, traced } from "../../shared/telemetry/trace.ts";
import { admit } from "./admission.ts";
import { cachePlan, readEntry } from "./cache.ts";
import { keeper, replayed } from "./cache-answer.ts";
import type { Endpoint } from "./endpoints.ts";
import { runChain } from "./failover.ts";
import { respond } from "./respond.ts";
import type { AiProxyDeps, AiProxyEnv } from "./types.ts";
import { type Answer, callUpstream } from "./upstream.ts";
import { authorizeModel } from "./keys.ts";
import { costUsd } from "./usage.ts";

const REDIS_SPAN = { kind: SpanKind.client, attributes: { "db.system.name": "redis" } };
const POSTGRES_SPAN = { kind: SpanKind.client, attributes: { "db.system.name": "postgresql" } };

/** Requests are JSON; an image prompt or a long conversation fits well under this. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface ProxyOptions {
  c: Context<AiProxyEnv>;
  endpoint: Endpoint;
}

/**
 * One proxied request, top to bottom: checked (shape, the key's models), routed, admitted (rate
 * limit, first breaker, budget, tokens per minute and cache lookup in one Redis round trip),
 * answered from the cache or failed over along its chain, and accounted after the response
 * (spend and tokens charged, one usage row).
 */
export async function proxy({ c, endpoint }: ProxyOptions): Promise<Response> {
  const started = Date.now();
  const deps = c.get("deps");
  const caller = c.get("caller");
  const log = c.get("log");
  const body = endpoint.validate(await readJson(c.req.raw, MAX_BODY_BYTES));
  authorizeModel(caller, body.model);
  const answer = endpoint.answer(body);
  const allowDirect = deps.allowDirectModels || caller.allowDirectModels;
  const targets = deps.targets(endpoint.capability, body.model, allowDirect);
  if (targets.length === 0) throw unserved(deps, endpoint, body.model, allowDirect);
  const route = Object.hasOwn(deps.routes, body.model) ? deps.routes[body.model] : undefined;
  const cache = endpoint.cacheable
    ? await cachePlan({
        header: c.req.header("x-breakwater-cache"),
        route: route?.cache,
        caller,
        capSec: deps.cache.capSec,
        prefix: deps.cache.prefix,
        endpoint: endpoint.path,
        model: body.model,
        body,
      })
    : undefined;
  const quota = endpoint.metered ? deps.quota(caller) : undefined;
  const trace = c.get("trace");
  // Rate limit, first breaker gate, quotas and cache lookup: one Redis round trip, one span.
  const { rate, firstPermit, cached } = await traced(trace, "ai.admission", REDIS_SPAN, () =>
    admit(deps, caller, targets[0]!, { quota, cacheKey: cache?.key }),
  );
  if (rate.error)
    log.warn("rate limit decided without Redis", { source: rate.source, error: rate.error });

  const defer = deferFor(c);
  const hit = readEntry(cached);
  if (hit) {
    const [provider = null, upstreamModel = null] = hit.provider.split(/:(.*)/);
    const sending = deps.usage.record({
      requestId: c.get("requestId"),
      keyId: caller.id,
      publicModel: body.model,
      provider,
      upstreamModel,
      usage: (hit.body as { usage?: Usage }).usage,
      latencyMs: Date.now() - started,
      attempts: 0,
      status: 200,
      cacheHit: true,
    });
    if (sending) defer(sending);
    const headers = {
      ...rateLimitHeaders(rate),
      "x-breakwater-provider": hit.provider,
      "x-breakwater-attempts": "0",
    };
    return replayed(c, hit, { answer, headers: { ...headers, "x-breakwater-cache": "hit" } });
  }
  const spans = attemptSpans(trace, endpoint.capability);
  const result = await runChain<Answer>({
    targets,
    firstPermit,
    attemptTimeoutMs: answer.stream ? deps.timeouts.firstTokenMs : deps.timeouts.attemptMs,
    deadline: started + deps.timeouts.deadlineMs,
    signal: c.req.raw.signal,
    defer,
    attempt: (link, signal) =>
      spans.run(link.target, (traceparent) =>
        callUpstream({ endpoint, body, answer, link, signal, traceparent }),
      ),
  });
  // Targets before the one that served (all of them, when none did) that got no call.
  const passed = result.ok ? targets.slice(0, targets.indexOf(result.served)) : targets;
  spans.skipped(
    passed.map((link) => link.target),
    (index) => (index === 0 ? firstPermit instanceof Error : passed[index]!.breaker.knownOpen),
  );
  const upstreamMs = Date.now() - started;
  const served = result.ok ? result.served.target : undefined;
  // After the response: reading usage from passed-through bytes included.
  const account = (status: number, usageOf: () => Usage | undefined) => {
    if (!endpoint.metered) return spans.served(undefined);
    defer(
      Promise.resolve().then(() => {
        const usage = usageOf();
        if (quota && served && usage) {
          const costUsdNow = costUsd(served.provider, served.model, usage);
          defer(quota.charge({ tokens: usage.total_tokens, costUsd: costUsdNow }));
        }
        // The usage row's span starts before the serving attempt's ends: one trace, one export.
        return traced(trace, "ai.usage.record", POSTGRES_SPAN, async () => {
          spans.served(usage);
          await deps.usage.record({
            requestId: c.get("requestId"),
            keyId: caller.id,
            publicModel: body.model,
            provider: served?.provider ?? null,
            upstreamModel: served?.model ?? null,
            usage,
            latencyMs: Date.now() - started,
            attempts: result.attempts,
            status,
          });
        });
      }),
    );
  };
  if (!result.ok) {
    account(result.error.status, () => undefined);
    throw withHeaders(result.error, { "x-breakwater-attempts": String(result.attempts) });
  }
  return respond(c, result.value, {
    headers: {
      ...rateLimitHeaders(rate),
      "x-breakwater-provider": `${served!.provider}:${served!.model}`,
      "x-breakwater-attempts": String(result.attempts),
      "server-timing": `upstream;dur=${upstreamMs}, proxy;dur=${Date.now() - started - upstreamMs}`,
      ...(cache ? { "x-breakwater-cache": "miss" } : {}),
    },
    idleTimeoutMs: deps.timeouts.idleMs,
    account,
    keep:
      cache &&
      keeper({
        plan: cache,
        provider: `${served!.provider}:${served!.model}`,
        put: deps.shared.put,
        defer,
      }),
  });
}

/** No target for the model here: unknown, or served by the endpoint's companion but not by it. */
function unserved(
  deps: AiProxyDeps,
  endpoint: Endpoint,
  model: string,
  allowDirect: boolean,
): AppError {
  const { companion } = endpoint;
  return companion && deps.targets(companion.capability, model, allowDirect).length > 0
    ? companion.refusal(model)
    : modelNotFound(model);
}

function modelNotFound(model: string): AppError {
  return new AppError({
    status: 404,
    code: "model_not_found",
    category: "not_found",
    param: "model",
    message: `The model '${model}' does not exist or is not served here`,
  });
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
