// Redis failing under the limiter: a private redis-server and gateway that the tests stop and
// start (the gateway then answers 503 at once), and a server that never answers (too slow).
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, expect, test, vi } from "vitest";
import { waitFor } from "../../../dev/services/ports.ts";
import { type RedisServer, startRedis } from "../../../dev/services/redis.ts";
import { type UpstashGateway, startUpstashGateway } from "../../../dev/upstash-gateway/index.ts";
import { createRedis } from "../../../shared/clients/redis.ts";
import {
  createRateLimiter,
  type RateLimiterOptions,
} from "../../../shared/resilience/ratelimit/index.ts";

const token = `outage-${randomUUID()}`;
let server: RedisServer;
let gateway: UpstashGateway;
let silent: Server; // accepts requests and never answers them
let silentUrl: string;

beforeAll(async () => {
  server = await startRedis();
  gateway = await startUpstashGateway({ redisUrl: server.url, token });
  silent = createServer(() => {});
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  silentUrl = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
});

afterAll(async () => {
  silent?.closeAllConnections();
  silent?.close();
  await gateway?.close();
  await server?.stop();
});

function limiter(overrides: Partial<RateLimiterOptions> = {}) {
  const redis = createRedis({ url: gateway.url, token, timeoutMs: 500 });
  const options = { redis, prefix: `outage:${randomUUID()}:`, name: "o", limit: 3, windowSec: 60 };
  return createRateLimiter({ ...options, ...overrides });
}

/** Stops redis-server, runs `whileDown`, starts it again and waits until the gateway answers. */
async function withRedisDown(whileDown: () => Promise<void>) {
  await server.stop();
  try {
    await whileDown();
  } finally {
    await server.start();
    const probe = createRedis({ url: gateway.url, token, timeoutMs: 500 });
    await waitFor("the gateway to reach redis-server again", async () => {
      return (await probe.send(["PING"])) === "PONG";
    });
  }
}

test("fails open to the local limiter while Redis is down, which itself limits", async () => {
  const rl = limiter();
  await withRedisDown(async () => {
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await rl.limit("caller"));
    expect(results.map((r) => r.success && r.remaining)).toEqual([2, 1, 0, false]);
    for (const result of results) {
      expect(result.source).toBe("local-fallback");
      expect(String(result.error)).toMatch(/redis-server is unreachable/);
    }
  });
});

test("fails closed when configured: denies, naming the source and the error", async () => {
  const rl = limiter({ onRedisFailure: "closed" });
  await withRedisDown(async () => {
    const before = Date.now();
    const result = await rl.limit("caller");
    expect(result).toMatchObject({ success: false, remaining: 0, source: "fail-closed" });
    expect(result.reset - before).toBeGreaterThanOrEqual(1000);
    expect(result.reset - before).toBeLessThan(2000);
    expect(String(result.error)).toMatch(/redis-server is unreachable/);
  });
});

test("uses Redis again as soon as it answers", async () => {
  const rl = limiter();
  expect(await rl.limit("caller")).toMatchObject({ source: "redis", remaining: 2 });
  await withRedisDown(async () => {
    expect(await rl.limit("caller")).toMatchObject({ source: "local-fallback" });
  });
  // The restarted redis-server is empty: the count starts again.
  expect(await rl.limit("caller")).toMatchObject({ source: "redis", remaining: 2 });
  expect((await rl.limit("caller")).error).toBeUndefined();
});

test("a Redis slower than the client's deadline counts as down (the fetch is aborted)", async () => {
  const redis = createRedis({ url: silentUrl, token, timeoutMs: 100 });
  const rl = limiter({ redis });
  const started = performance.now();
  const result = await rl.limit("caller");
  expect(performance.now() - started).toBeLessThan(900);
  expect(result).toMatchObject({ success: true, remaining: 2, source: "local-fallback" });
  expect((result.error as Error).name).toBe("TimeoutError");
});

test("the local limiter keeps the sliding window's arithmetic", async () => {
  const redis = createRedis({ url: "http://127.0.0.1:9", token, timeoutMs: 500 });
  const rl = limiter({ redis, limit: 10 });
  const window = 1_900_000_020_000; // the start of a 60 s window
  vi.useFakeTimers({ toFake: ["Date"] });
  try {
    vi.setSystemTime(window + 50_000);
    for (let i = 0; i < 10; i++) await rl.limit("caller");
    expect(await rl.limit("caller")).toMatchObject({ success: false, source: "local-fallback" });
    // 25 % into the next window, floor(75 % of 10) = 7 of the previous requests still count.
    vi.setSystemTime(window + 75_000);
    expect(await rl.limit("caller")).toMatchObject({
      success: true,
      remaining: 2,
      reset: window + 120_000,
      source: "local-fallback",
    });
  } finally {
    vi.useRealTimers();
  }
});

test("while Redis's own breaker is open the limiter decides locally without calling Redis", async () => {
  let down = true;
  const requests: string[] = [];
  const redis = createRedis({ url: gateway.url, token, timeoutMs: 500 });
  const original = globalThis.fetch;
  globalThis.fetch = (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    requests.push(String(input));
    return original(input, init);
  }) as typeof fetch;
  try {
    const rl = createRateLimiter({
      redis,
      prefix: `breaker:${randomUUID()}:`,
      name: "b",
      limit: 3,
      windowSec: 60,
      redisDown: () => down,
    });
    const verdict = await rl.limit("caller");
    expect(verdict).toMatchObject({ success: true, source: "local-fallback" });
    expect(requests).toEqual([]);
    down = false;
    expect(await rl.limit("caller")).toMatchObject({ source: "redis" });
    expect(requests).toHaveLength(1);
  } finally {
    globalThis.fetch = original;
  }
});
