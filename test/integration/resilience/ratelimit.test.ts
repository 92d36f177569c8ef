// The limiter inside workerd, guarding routes of the real root app, over this run's Redis.
import { env } from "cloudflare:workers";
import { Hono, type MiddlewareHandler } from "hono";
import { expect, test } from "vitest";
import { createRedis } from "../../../shared/clients/redis.ts";
import { type BaseVariables, createRootApp } from "../../../shared/http/app.ts";
import {
  createRateLimiter,
  type RateLimiter,
  type RateLimiterOptions,
  rateLimitError,
  rateLimitHeaders,
} from "../../../shared/resilience/ratelimit/index.ts";

/** What a function would do: limit per API key, log a verdict Redis did not give, set headers. */
function rateLimited(limiter: RateLimiter): MiddlewareHandler<{ Variables: BaseVariables }> {
  return async function rateLimit(c, next) {
    const result = await limiter.limit(c.req.header("x-api-key-id") ?? "anonymous");
    if (result.error !== undefined) {
      c.var.log.warn("rate limit decided without Redis", {
        source: result.source,
        error: result.error,
      });
    }
    if (!result.success) throw rateLimitError(result);
    for (const [name, value] of Object.entries(rateLimitHeaders(result))) c.header(name, value);
    await next();
  };
}

function setup(overrides: Partial<RateLimiterOptions> = {}) {
  const redis = createRedis({
    url: env.UPSTASH_REDIS_REST_URL,
    token: env.UPSTASH_REDIS_REST_TOKEN,
    timeoutMs: 1000,
  });
  const limiter = createRateLimiter({
    ...{ redis, prefix: `it:${crypto.randomUUID()}:`, name: "per-key", limit: 2, windowSec: 60 },
    ...overrides,
  });
  const fn = new Hono<{ Variables: BaseVariables }>();
  fn.use(rateLimited(limiter));
  fn.get("/things", (c) => c.json({ ok: true }));
  fn.post("/v1/chat/completions", (c) => c.json({ ok: true }));
  const lines: string[] = [];
  const app = createRootApp({ name: "test", apps: [fn], logSink: (l) => lines.push(l) });
  return { app, lines };
}

const asKey = (id: string, init: RequestInit = {}) => ({
  ...init,
  headers: { "x-api-key-id": id },
});

test("allows the limit with RateLimit headers, then answers 429 in the general envelope", async () => {
  const { app } = setup();
  const first = await app.request("/things", asKey("key_1"));
  expect(first.status).toBe(200);
  expect(first.headers.get("ratelimit-policy")).toBe('"per-key";q=2;w=60');
  expect(first.headers.get("ratelimit")).toMatch(/^"per-key";r=1;t=\d+$/);
  expect(first.headers.get("x-ratelimit-remaining")).toBe("1");
  expect(first.headers.get("retry-after")).toBeNull();
  expect((await app.request("/things", asKey("key_1"))).status).toBe(200);

  const denied = await app.request("/things", asKey("key_1"));
  expect(denied.status).toBe(429);
  const t = Number(/;t=(\d+)$/.exec(denied.headers.get("ratelimit") ?? "")?.[1]);
  expect(denied.headers.get("ratelimit")).toBe(`"per-key";r=0;t=${t}`);
  expect(Number(denied.headers.get("retry-after"))).toBe(Math.max(1, t));
  expect(denied.headers.get("x-ratelimit-remaining")).toBe("0");
  expect(await denied.json()).toMatchObject({
    success: false,
    error: {
      code: "rate_limited",
      category: "rate_limit",
      details: { policy: "per-key", limit: 2, windowSec: 60, retryAfterSec: Math.max(1, t) },
      requestId: denied.headers.get("x-request-id"),
      path: "/things",
    },
  });
  // Another key is counted on its own.
  expect((await app.request("/things", asKey("key_2"))).status).toBe(200);
});

test("under /v1 the 429 keeps OpenAI's error shape, headers included", async () => {
  const { app } = setup({ limit: 1 });
  const post = () => app.request("/v1/chat/completions", asKey("key_1", { method: "POST" }));
  expect((await post()).status).toBe(200);
  const denied = await post();
  expect(denied.status).toBe(429);
  expect(Number(denied.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  expect(denied.headers.get("ratelimit-policy")).toBe('"per-key";q=1;w=60');
  expect(await denied.json()).toEqual({
    error: {
      message: expect.any(String),
      type: "rate_limit_error",
      param: null,
      code: "rate_limited",
    },
    requestId: denied.headers.get("x-request-id"),
  });
});

test("with Redis unreachable the route keeps limiting in the isolate, and says so in the log", async () => {
  const redis = createRedis({ url: "http://127.0.0.1:9", token: "none", timeoutMs: 1000 });
  const { app, lines } = setup({ redis, limit: 1 });
  expect((await app.request("/things", asKey("key_1"))).status).toBe(200);
  expect((await app.request("/things", asKey("key_1"))).status).toBe(429);
  const warnings = lines.map((l) => JSON.parse(l)).filter((l) => l.level === "warn");
  expect(warnings).toHaveLength(2);
  for (const warning of warnings) {
    expect(warning).toMatchObject({
      msg: "rate limit decided without Redis",
      source: "local-fallback",
      error: { name: expect.any(String), message: expect.any(String) },
    });
  }
});

test("fail-closed denies while Redis is unreachable", async () => {
  const redis = createRedis({ url: "http://127.0.0.1:9", token: "none", timeoutMs: 1000 });
  const { app, lines } = setup({ redis, onRedisFailure: "closed" });
  const denied = await app.request("/things", asKey("key_1"));
  expect(denied.status).toBe(429);
  expect(denied.headers.get("retry-after")).toBe("1");
  expect(lines.some((l) => JSON.parse(l).source === "fail-closed")).toBe(true);
});
