import { env, exports } from "cloudflare:workers";
import { expect, test } from "vitest";
import { createHealthApp } from "../../../functions/health/app.ts";
import { createAllFunctionsApp } from "../../../functions/index.ts";
import { createRootApp } from "../../../shared/http/app.ts";

test("GET /health is healthy with real Redis and PostgreSQL behind the gateways", async () => {
  const res = await exports.default.fetch("http://breakwater.test/health");
  expect(res.status).toBe(200);
  const body = await res.json<any>();
  expect(body).toMatchObject({
    status: "healthy",
    checks: { database: { healthy: true }, state: { healthy: true } },
  });
  expect(body.checks.state.note).toBeUndefined(); // Redis, not the memory fallback
  expect(Date.parse(body.timestamp)).not.toBeNaN();
});

test("an unreachable database makes /health unhealthy with 503, naming the failed check", async () => {
  const app = createAllFunctionsApp({ logSink: () => {} });
  const res = await app.request("/health", {}, { ...env, SUPABASE_URL: "http://127.0.0.1:9" });
  expect(res.status).toBe(503);
  expect(await res.json()).toMatchObject({
    status: "unhealthy",
    checks: { database: { healthy: false, error: expect.any(String) }, state: { healthy: true } },
  });
});

test("without Upstash variables the state check reports the in-isolate memory store", async () => {
  const app = createAllFunctionsApp({ logSink: () => {} });
  const { UPSTASH_REDIS_REST_URL, UPSTASH_REDIS_REST_TOKEN, ...rest } = env;
  const res = await app.request("/health", {}, rest);
  expect(await res.json()).toMatchObject({
    status: "healthy",
    checks: { state: { healthy: true, note: expect.stringContaining("memory") } },
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
  const hang = { name: "upstream", run: () => new Promise<void>(() => {}) };
  const fine = { name: "fine", run: async () => {} };
  const app = createRootApp({
    name: "t",
    logSink: () => {},
    apps: [createHealthApp(() => ({ checks: [hang, fine], timeoutMs: 50 }))],
  });
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
  const down = {
    name: "gemini",
    optional: true,
    run: async () => Promise.reject(new Error("503 from upstream")),
  };
  const app = createRootApp({
    name: "t",
    logSink: () => {},
    apps: [createHealthApp(() => ({ checks: [down], timeoutMs: 50 }))],
  });
  const res = await app.request("/health");
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({
    status: "degraded",
    checks: { gemini: { healthy: false, error: "503 from upstream" } },
  });
});
