import { afterAll, beforeAll, expect, test } from "vitest";
import { startRedis, type RedisServer } from "../../../dev/services/redis.ts";
import { startUpstashGateway, type UpstashGateway } from "../../../dev/upstash-gateway/index.ts";
import { createRedis } from "../../../shared/clients/redis.ts";
import { createLogger } from "../../../shared/http/logger.ts";
import { CircuitBreaker } from "../../../shared/resilience/breaker/breaker.ts";
import { breakerConfig } from "../../../shared/resilience/breaker/config.ts";
import { FallbackBreakerStore } from "../../../shared/resilience/breaker/fallback-store.ts";
import { RedisBreakerStore } from "../../../shared/resilience/breaker/redis-store.ts";

// This file stops its own redis-server; the run's shared one is left alone.
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

const config = breakerConfig({ failureThreshold: 2, resetTimeoutMs: 60_000 });

function setup(clock: { now: number }) {
  const lines: string[] = [];
  const redis = createRedis({ url: gateway.url, token: "t", timeoutMs: 150 });
  const store = new FallbackBreakerStore(
    new RedisBreakerStore({ redis, prefix: `fb:${crypto.randomUUID()}:` }),
    {
      log: createLogger({ fn: "test", sink: (l) => lines.push(l) }),
      clock: () => clock.now,
    },
  );
  const b = new CircuitBreaker({ name: "upstream", config, store, clock: () => clock.now });
  return { store, b, lines, redis };
}

test("with Redis stopped, guarded calls keep being admitted from memory, and Redis is used again once it is back", async () => {
  const clock = { now: Date.now() };
  const { store, b, lines } = setup(clock);
  await b.report(await b.acquire(), { ok: true, durationMs: 1 });
  expect(store.mode).toBe("redis");

  await server.stop();
  for (let i = 0; i < 5; i++) expect(await b.acquire()).toMatchObject({ probe: false });
  expect(store.mode).toBe("memory");
  expect(lines.map((l) => JSON.parse(l).msg)).toContain(
    "breaker state store unreachable: using in-isolate memory",
  );

  await server.start();
  // Redis's own breaker lets a trial call through every 5 s; the gateway reconnects meanwhile.
  for (let tries = 0; store.mode === "memory" && tries < 40; tries++) {
    clock.now += 5_000;
    await b.acquire();
    if (store.mode === "memory") await new Promise((r) => setTimeout(r, 50));
  }
  expect(store.mode).toBe("redis");
  expect(lines.map((l) => JSON.parse(l).msg)).toContain(
    "breaker state store recovered: using Redis",
  );
});

test("while Redis is down the memory store keeps the breaker's semantics", async () => {
  const clock = { now: Date.now() };
  const { b } = setup(clock);
  await server.stop();
  try {
    for (let i = 0; i < 2; i++) await b.report(await b.acquire(), { ok: false, durationMs: 1 });
    await expect(b.acquire()).rejects.toThrow("is open");
  } finally {
    await server.start();
  }
});

test("after three failed Redis calls, Redis is not tried again until its own breaker's reset", async () => {
  const clock = { now: Date.now() };
  const { b } = setup(clock);
  await server.stop();
  try {
    const timings: number[] = [];
    for (let i = 0; i < 6; i++) {
      const started = performance.now();
      await b.acquire();
      timings.push(performance.now() - started);
    }
    // The first calls pay a refused connection; once Redis's breaker is open, none do.
    expect(Math.max(...timings.slice(3))).toBeLessThan(5);
  } finally {
    await server.start();
  }
});
