import { env, exports } from "cloudflare:workers";
import { expect, test } from "vitest";
import { createHealthApp } from "../../../functions/health/app.ts";
import type { HealthDeps } from "../../../functions/health/types.ts";
import type { HealthCheck } from "../../../functions/health/checks.ts";
import { createAllFunctionsApp } from "../../../functions/index.ts";
import { createRootApp } from "../../../shared/http/app.ts";
import { createAlerts } from "../../../shared/alerts/index.ts";
import { createLogger } from "../../../shared/http/logger.ts";
import { createResilienceState } from "../../../shared/resilience/state.ts";

const quiet = { logSink: () => {} };

/** Health over the given checks and an isolate-memory breaker store. */
function healthWith(checks: HealthCheck[], overrides: Partial<HealthDeps> = {}) {
  const log = createLogger({ fn: "test", sink: () => {} });
  const state = createResilienceState({
    redis: undefined,
    keyPrefix: "t:",
    keyLocking: false,
    log,
  });
  const deps: HealthDeps = {
    checks,
    timeoutMs: 50,
    state,
    cronSecret: "cron-secret",
    log,
    alerts: createAlerts({ url: undefined, format: "slack", redis: undefined, prefix: "t:", log }),
    recordRun: async () => {},
    ...overrides,
  };
  return {
    app: createRootApp({ name: "t", ...quiet, apps: [createHealthApp(() => deps)] }),
    state,
  };
}

test("GET /health is healthy with real Redis and PostgreSQL behind the gateways", async () => {
  const res = await exports.default.fetch("http://breakwater.test/health");
  expect(res.status).toBe(200);
  const body = await res.json<any>();
  expect(body).toMatchObject({
    status: "healthy",
    state: "redis",
    checks: { database: { healthy: true }, redis: { healthy: true } },
    breakers: {
      total: expect.any(Number),
      open: expect.any(Number),
      halfOpen: expect.any(Number),
      closed: expect.any(Number),
    },
  });
  expect(body.checks.redis.latencyMs).toBeGreaterThanOrEqual(0);
  expect(Date.parse(body.timestamp)).not.toBeNaN();
});

test("an unreachable database makes /health unhealthy with 503, naming the failed check", async () => {
  const app = createAllFunctionsApp(quiet);
  const res = await app.request("/health", {}, { ...env, SUPABASE_URL: "http://127.0.0.1:9" });
  expect(res.status).toBe(503);
  expect(await res.json()).toMatchObject({
    status: "unhealthy",
    checks: { database: { healthy: false, error: expect.any(String) }, redis: { healthy: true } },
  });
});

test("without Upstash variables health reports the in-isolate memory store", async () => {
  const app = createAllFunctionsApp(quiet);
  const { UPSTASH_REDIS_REST_URL, UPSTASH_REDIS_REST_TOKEN, ...rest } = env;
  const res = await app.request("/health", {}, rest);
  expect(await res.json()).toMatchObject({
    status: "healthy",
    state: "memory (Upstash not configured)",
    checks: { redis: { healthy: true, note: "memory (Upstash not configured)" } },
  });
});

test("an invalid environment answers 500 configuration_error and logs every variable by name", async () => {
  const lines: string[] = [];
  const app = createAllFunctionsApp({ logSink: (l) => lines.push(l) });
  const res = await app.request(
    "/health",
    {},
    { SUPABASE_URL: "not a url", UPSTASH_REDIS_REST_URL: "http://r" },
  );
  expect(res.status).toBe(500);
  const text = await res.text();
  expect(JSON.parse(text)).toMatchObject({ error: { code: "configuration_error" } });
  expect(text).not.toContain("SUPABASE");
  const logged = lines.map((l) => JSON.parse(l)).find((e) => e.level === "error");
  expect(logged.msg).toContain("SUPABASE_URL is not an http(s) URL");
  expect(logged.msg).toContain("SUPABASE_SERVICE_ROLE_KEY is missing");
  expect(logged.msg).toContain(
    "UPSTASH_REDIS_REST_TOKEN must be set together with UPSTASH_REDIS_REST_URL",
  );
});

test("a check that hangs is reported as timed out after the per-check deadline", async () => {
  const { app } = healthWith([
    { name: "upstream", run: () => new Promise<void>(() => {}) },
    { name: "fine", run: async () => {} },
  ]);
  const res = await app.request("/health");
  expect(res.status).toBe(503);
  expect(await res.json()).toMatchObject({
    status: "unhealthy",
    checks: {
      upstream: { healthy: false, error: "timed out after 50 ms" },
      fine: { healthy: true },
    },
  });
});

test("an optional check that fails makes the status degraded, still 200", async () => {
  const { app } = healthWith([
    { name: "gemini", optional: true, run: () => Promise.reject(new Error("503 from upstream")) },
  ]);
  const res = await app.request("/health");
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({
    status: "degraded",
    checks: { gemini: { healthy: false, error: "503 from upstream" } },
  });
});

test("the breaker summary and GET /health/breakers report every breaker", async () => {
  const { app, state } = healthWith([]);
  const open = state.breaker("openai", { failureThreshold: 1 });
  await open.report(await open.acquire(), { ok: false, durationMs: 1 });
  const fine = state.breaker("anthropic");
  await fine.report(await fine.acquire(), { ok: true, durationMs: 1 });

  const health = await (await app.request("/health")).json<any>();
  expect(health.breakers).toEqual({ total: 2, open: 1, halfOpen: 0, closed: 1 });
  const res = await app.request("/health/breakers");
  expect(res.status).toBe(200);
  const body = await res.json<any>();
  expect(body.state).toBe("memory (Upstash not configured)");
  expect(body.breakers).toEqual(
    expect.arrayContaining([
      expect.objectContaining({
        name: "openai",
        state: "open",
        failureCount: 1,
        openUntil: expect.any(Number),
      }),
      expect.objectContaining({
        name: "anthropic",
        state: "closed",
        successCount: 1,
        failureRate: 0,
      }),
    ]),
  );
});

test("the cron route refuses a missing or wrong secret with 401", async () => {
  const { app } = healthWith([]);
  expect((await app.request("/health/cron")).status).toBe(401);
  const wrong = await app.request("/health/cron", { headers: { authorization: "Bearer nope" } });
  expect(wrong.status).toBe(401);
  expect(await wrong.json()).toMatchObject({
    error: { code: "unauthorized", category: "authentication" },
  });
});

test("the cron route refuses everyone when no CRON_SECRET is configured", async () => {
  const { app } = healthWith([], { cronSecret: undefined });
  expect(
    (await app.request("/health/cron", { headers: { authorization: "Bearer " } })).status,
  ).toBe(401);
});

test("the cron route runs with the right secret and records the run", async () => {
  const runs: unknown[] = [];
  const { app } = healthWith([{ name: "fine", run: async () => {} }], {
    recordRun: async (run) => void runs.push(run),
  });
  const res = await app.request("/health/cron", {
    headers: { authorization: "Bearer cron-secret" },
  });
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ status: "healthy" });
  expect(runs).toEqual([
    expect.objectContaining({
      source: "cron",
      status: "healthy",
      checks: { fine: expect.any(Object) },
    }),
  ]);
});
