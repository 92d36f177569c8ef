import { afterAll, beforeAll, expect, test } from "vitest";
import { startRedis, type RedisServer } from "../../../dev/services/redis.ts";
import { startUpstashGateway, type UpstashGateway } from "../../../dev/upstash-gateway/index.ts";
import { createStatusApp } from "../../../functions/health/status.ts";
import { statusDeps } from "../../../functions/health/deps.ts";
import { createRootApp } from "../../../shared/http/app.ts";
import { resilienceState } from "../../../shared/resilience/state.ts";
import { hourlyCounters } from "../../../shared/telemetry/counters.ts";
import { useMigratedDatabase } from "../webhooks/sql-database.ts";

// The status routes in process over a private Redis (behind its own Upstash gateway) and a fresh
// database (behind its own PostgREST gateway), so each gateway's request count is this file's.
const sql = useMigratedDatabase("health_status");
let redis: RedisServer;
let upstash: UpstashGateway;
beforeAll(async () => {
  redis = await startRedis();
  upstash = await startUpstashGateway({ redisUrl: redis.url, token: "t" });
}, 30_000);
afterAll(async () => {
  await upstash.close();
  await redis.stop();
});

const app = createRootApp({ name: "t", logSink: () => {}, apps: [createStatusApp(statusDeps)] });
const auth = (password: string) => ({ authorization: `Basic ${btoa(`anyone:${password}`)}` });

function env(extra: Record<string, string> = {}) {
  return {
    SUPABASE_URL: sql.gateway.url,
    SUPABASE_SERVICE_ROLE_KEY: sql.serviceRoleKey,
    UPSTASH_REDIS_REST_URL: upstash.url,
    UPSTASH_REDIS_REST_TOKEN: "t",
    UPSTASH_LUA_KEY_LOCKING: "false",
    STATE_KEY_PREFIX: `status-${crypto.randomUUID()}:`,
    ...extra,
  };
}

test("without STATUS_PASSWORD, /status and /status.json do not exist (404)", async () => {
  const bindings = env();
  for (const path of ["/status", "/status.json"]) {
    const res = await app.request(path, { headers: auth("anything") }, bindings);
    expect(res.status).toBe(404);
  }
});

test("any user name with the right password is let in; a malformed Authorization is a 401", async () => {
  const bindings = env({ STATUS_PASSWORD: "pw-1" });
  const ok = await app.request("/status.json", { headers: auth("pw-1") }, bindings);
  expect(ok.status).toBe(200);
  for (const authorization of ["Basic !!!", "Bearer pw-1", `Basic ${btoa("no-colon")}`]) {
    const res = await app.request("/status.json", { headers: { authorization } }, bindings);
    expect(res.status).toBe(401);
  }
});

test("the page is HTML under a strict CSP that admits only its own nonce'd style", async () => {
  const res = await app.request("/status", { headers: auth("pw") }, env({ STATUS_PASSWORD: "pw" }));
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/html/);
  const csp = res.headers.get("content-security-policy")!;
  const nonce = /'nonce-([0-9a-f]+)'/.exec(csp)![1];
  expect(csp).toMatch(/^default-src 'none'; style-src 'nonce-[0-9a-f]+';/);
  const page = await res.text();
  expect(page).toContain(`<style nonce="${nonce}">`);
  expect(page).not.toMatch(/<script|<link|src=|https?:\/\/(?!www\.w3\.org)/);
});

test("one page costs one Postgres and one Redis round trip", async () => {
  const bindings = env({ STATUS_PASSWORD: "pw" });
  // A breaker with a recorded failure and this hour's webhook counters, as the functions leave them.
  const state = resilienceState(bindings);
  const breaker = state.breaker("openai");
  await breaker.report(await breaker.acquire(), { ok: false, durationMs: 5 });
  await hourlyCounters(bindings).add(["stripe:received", "stripe:refused"]);

  const [postgres, redisTrips] = [sql.gateway.requestCount(), upstash.requestCount()];
  const res = await app.request("/status.json", { headers: auth("pw") }, bindings);
  const report = (await res.json()) as any;
  expect(report.breakers).toMatchObject([{ name: "openai", state: "closed", failureCount: 1 }]);
  expect(report.webhooks[0]).toMatchObject({ provider: "stripe", received: 1, refused: 1 });
  expect({
    postgres: sql.gateway.requestCount() - postgres,
    redis: upstash.requestCount() - redisTrips,
  }).toEqual({ postgres: 1, redis: 1 });
});

test("without Upstash the page shows this isolate's breakers and counters from memory", async () => {
  const bindings = {
    SUPABASE_URL: sql.gateway.url,
    SUPABASE_SERVICE_ROLE_KEY: sql.serviceRoleKey,
    STATUS_PASSWORD: "pw",
  };
  const breaker = resilienceState(bindings).breaker("anthropic");
  await breaker.report(await breaker.acquire(), { ok: true, durationMs: 5 });
  await hourlyCounters(bindings).add(["twilio:received", "twilio:duplicate"]);
  const res = await app.request("/status.json", { headers: auth("pw") }, bindings);
  const report = (await res.json()) as any;
  expect(report.state).toBe("memory (Upstash not configured)");
  expect(report.breakers).toMatchObject([{ name: "anthropic", successCount: 1 }]);
  expect(report.webhooks[1]).toMatchObject({ provider: "twilio", received: 1, duplicates: 1 });
});
