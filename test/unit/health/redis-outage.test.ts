import { afterAll, beforeAll, expect, inject, test } from "vitest";
import { startRedis, type RedisServer } from "../../../dev/services/redis.ts";
import { startUpstashGateway, type UpstashGateway } from "../../../dev/upstash-gateway/index.ts";
import { createAllFunctionsApp } from "../../../functions/index.ts";

// A private redis-server, stopped mid-test; the run's shared one is left alone.
let server: RedisServer;
let gateway: UpstashGateway;
beforeAll(async () => {
  server = await startRedis();
  gateway = await startUpstashGateway({ redisUrl: server.url, token: "t" });
});
afterAll(async () => {
  await gateway.close();
  await server.stop();
});

test("with Redis stopped /health is degraded, not down, and healthy again once Redis is back", async () => {
  const env = {
    SUPABASE_URL: inject("supabase").url,
    SUPABASE_SERVICE_ROLE_KEY: inject("supabase").serviceRoleKey,
    UPSTASH_REDIS_REST_URL: gateway.url,
    UPSTASH_REDIS_REST_TOKEN: "t",
  };
  const app = createAllFunctionsApp({ logSink: () => {} });
  expect(await (await app.request("/health", {}, env)).json()).toMatchObject({
    status: "healthy",
    state: "redis",
  });

  await server.stop();
  const down = await app.request("/health", {}, env);
  expect(down.status).toBe(200);
  expect(await down.json()).toMatchObject({
    status: "degraded",
    state: "memory (Redis unreachable)",
    checks: { redis: { healthy: false }, database: { healthy: true } },
  });

  await server.start();
  let body: any;
  for (let tries = 0; tries < 100; tries++) {
    body = await (await app.request("/health", {}, env)).json();
    if (body.status === "healthy") break;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(body).toMatchObject({ status: "healthy", checks: { redis: { healthy: true } } });
}, 20_000);
