import { Hono } from "hono";
import type { Database } from "../../shared/clients/database.ts";
import type { BaseVariables } from "../../shared/http/app.ts";
import { AppError, isAppError } from "../../shared/http/errors.ts";
import { readJson } from "../../shared/http/body.ts";
import type { Logger } from "../../shared/http/logger.ts";
import type { ConfiguredProvider } from "../../shared/providers/index.ts";
import { parseSse } from "../../shared/providers/sse.ts";
import type { UpstreamRequest } from "../../shared/providers/types.ts";
import type { RateLimiter } from "../../shared/resilience/ratelimit/index.ts";
import type { ChainTarget } from "./failover.ts";
import { proxy } from "./proxy.ts";
import { type Routes, resolveModel } from "./routes.ts";
import { firstToken } from "./stream.ts";
import type { CircuitBreaker } from "../../shared/resilience/breaker/breaker.ts";
import type { CallerKey } from "./keys.ts";
import { chatRequest, embeddingsRequest, imagesRequest } from "./validate.ts";

/** Requests are JSON; an image prompt or a long conversation fits well under this. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface AiProxyDeps {
  providers: ReadonlyMap<string, ConfiguredProvider>;
  routes: Routes;
  authenticate(authorization: string | undefined): Promise<CallerKey>;
  /** Requests per minute, one limiter per distinct limit. */
  requestLimiter(perMinute: number): RateLimiter;
  /** Tokens per minute, charged after each response. */
  tokenLimiter(perMinute: number): RateLimiter;
  breaker(provider: string): CircuitBreaker;
  db: Database;
  log: Logger;
  timeouts: { attemptMs: number; firstTokenMs: number; idleMs: number; deadlineMs: number };
}

export type ProxyEnv = { Variables: BaseVariables & { caller: CallerKey } };

/**
 * The OpenAI-compatible proxy: POST /v1/chat/completions (JSON and SSE), GET /v1/models,
 * POST /v1/embeddings, POST /v1/images/generations. Every /v1 request needs a proxy key first.
 */
export function createAiProxyApp(depsFor: (env: object) => AiProxyDeps) {
  const app = new Hono<ProxyEnv>();
  app.use("/v1/*", async function proxyKey(c, next) {
    c.set("caller", await depsFor(c.env ?? {}).authenticate(c.req.header("authorization")));
    await next();
  });

  app.get("/v1/models", (c) => {
    const deps = depsFor(c.env ?? {});
    const configured = new Set(deps.providers.keys());
    const data = Object.keys(deps.routes)
      .filter((name) => resolveModel(name, deps.routes, configured).length > 0)
      .map((id) => ({ id, object: "model", created: 0, owned_by: "breakwater" }));
    return c.json({ object: "list", data });
  });

  app.post("/v1/chat/completions", async (c) => {
    const body = chatRequest(await readJson(c.req.raw, MAX_BODY_BYTES));
    return proxy(
      c,
      depsFor(c.env ?? {}),
      "chat",
      body.model,
      (link, signal, context) => {
        const upstream = translate(link, () =>
          link.provider.chat!.request(body, link.target.model, link.config),
        );
        return call(upstream, signal, async (res) =>
          body.stream
            ? firstToken(
                res.body!.pipeThrough(parseSse()).getReader(),
                link.provider.chat!.stream(context),
              )
            : link.provider.chat!.response(await res.json(), context),
        );
      },
      body.stream ? { includeUsage: body.stream_options?.include_usage === true } : undefined,
    );
  });

  app.post("/v1/embeddings", async (c) => {
    const body = embeddingsRequest(await readJson(c.req.raw, MAX_BODY_BYTES));
    return proxy(c, depsFor(c.env ?? {}), "embeddings", body.model, (link, signal, context) =>
      call(
        translate(link, () =>
          link.provider.embeddings!.request(body, link.target.model, link.config),
        ),
        signal,
        async (res) => link.provider.embeddings!.response(await res.json(), context),
      ),
    );
  });

  app.post("/v1/images/generations", async (c) => {
    const body = imagesRequest(await readJson(c.req.raw, MAX_BODY_BYTES));
    return proxy(c, depsFor(c.env ?? {}), "images", body.model, (link, signal, context) =>
      call(
        translate(link, () => link.provider.images!.request(body, link.target.model, link.config)),
        signal,
        async (res) => link.provider.images!.response(await res.json(), context),
      ),
    );
  });
  return app;
}

/**
 * Builds a provider's request. A translator that fails on input the checks let through is a
 * request this provider cannot take (400, and the chain may try the next), never a network
 * failure to retry or a mark against the provider's breaker.
 */
function translate(link: ChainTarget, build: () => UpstreamRequest): UpstreamRequest {
  try {
    return build();
  } catch (error) {
    if (isAppError(error)) throw error;
    throw new AppError({
      status: 400,
      code: "invalid_request",
      category: "validation",
      message: `The request cannot be translated for ${link.target.provider}`,
    });
  }
}

/** One upstream call: its refusal as the Response, or `read` of its success (inside the attempt's time). */
async function call<T>(
  upstream: { url: string; method: string; headers: Record<string, string>; body?: string },
  signal: AbortSignal,
  read: (res: Response) => Promise<T>,
): Promise<T | Response> {
  let res: Response;
  try {
    res = await fetch(upstream.url, {
      method: upstream.method,
      headers: upstream.headers,
      body: upstream.body ?? null,
      signal,
    });
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    // workerd reports a reset connection as a plain Error; it is a network failure like fetch's
    // own TypeError, and the retry policy and breaker must see it as one.
    throw new TypeError(`The upstream could not be reached: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return res.ok ? read(res) : res;
}
