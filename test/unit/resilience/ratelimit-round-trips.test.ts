// HTTP requests to Upstash per limit(), counted at `fetch`. A private gateway (over this run's
// redis-server) starts with an empty script cache, so the first-call cost is deterministic.
// @upstash/redis auto-pipelines: commands issued within two microtask ticks of each other go out
// as one /pipeline request, reads and writes in separate batches.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, inject, test, vi } from "vitest";
import { type UpstashGateway, startUpstashGateway } from "../../../dev/upstash-gateway/index.ts";
import { createRedis } from "../../../shared/clients/redis.ts";
import { createRateLimiter } from "../../../shared/resilience/ratelimit/index.ts";

const token = `round-trips-${randomUUID()}`;
let gateway: UpstashGateway;
let redis: ReturnType<typeof createRedis>;

beforeAll(async () => {
  gateway = await startUpstashGateway({ redisUrl: inject("redisUrl"), token });
  redis = createRedis({ url: gateway.url, token, timeoutMs: 2000 });
});
afterAll(() => gateway?.close());

const limiter = (limit = 100) =>
  createRateLimiter({ redis, prefix: `rt:${randomUUID()}:`, name: "rt", limit, windowSec: 60 });

/** Runs `fn` and returns, per HTTP request to the gateway, its commands' names. */
async function requestsOf(fn: () => Promise<unknown>): Promise<string[][]> {
  const spy = vi.spyOn(globalThis, "fetch");
  let calls: Parameters<typeof fetch>[];
  try {
    await fn();
  } finally {
    calls = [...spy.mock.calls];
    spy.mockRestore(); // which also forgets the calls
  }
  return calls
    .filter(([input]) => String(input).startsWith(gateway.url))
    .map(([, init]) => (JSON.parse(String(init?.body)) as string[][]).map(([name]) => name!));
}

// A stand-in for the breaker's gate: a script that writes, called by SHA like the breaker does.
const gateScript = "return redis.call('INCR', KEYS[1])";
const readScript = "return redis.call('GET', KEYS[1])";

test("the first limit() costs EVALSHA then EVAL (NOSCRIPT), every later one a single EVALSHA", async () => {
  const rl = limiter();
  expect(await requestsOf(() => rl.limit("a"))).toEqual([["evalsha"], ["eval"]]);
  expect(await requestsOf(() => rl.limit("a"))).toEqual([["evalsha"]]);
  expect(await requestsOf(() => limiter().limit("b"))).toEqual([["evalsha"]]);
});

test("a blocked identity is answered from the ephemeral cache without a Redis request", async () => {
  const rl = limiter(1);
  await rl.limit("a");
  let denied;
  expect(await requestsOf(async () => (denied = await rl.limit("a")))).toEqual([["evalsha"]]);
  expect(denied).toMatchObject({ success: false, source: "redis" });
  let cached;
  expect(await requestsOf(async () => (cached = await rl.limit("a")))).toEqual([]);
  expect(cached).toMatchObject({ success: false, remaining: 0, source: "cache" });
});

test("limit() and a gate EVALSHA issued in the same tick share one /pipeline request", async () => {
  const rl = limiter();
  const gate = await redis.scriptLoad(gateScript);
  await rl.limit("warm");
  const key = `rt:${randomUUID()}`;
  const both = () => Promise.all([rl.limit("a"), redis.evalsha(gate, [key], [])]);
  expect(await requestsOf(both)).toEqual([["evalsha", "evalsha"]]);
  const gateFirst = () => Promise.all([redis.evalsha(gate, [key], []), rl.limit("a")]);
  expect(await requestsOf(gateFirst)).toEqual([["evalsha", "evalsha"]]);
});

test("a read command issued with limit() goes in a second request: reads batch apart", async () => {
  const rl = limiter();
  const read = await redis.scriptLoad(readScript);
  await rl.limit("warm");
  const key = `rt:${randomUUID()}`;
  for (const command of [() => redis.get(key), () => redis.evalshaRo(read, [key], [])]) {
    const requests = await requestsOf(() => Promise.all([rl.limit("a"), command()]));
    expect(requests).toHaveLength(2);
  }
});

test("a gate issued more than two microtask ticks after limit() misses the batch", async () => {
  const rl = limiter();
  const gate = await redis.scriptLoad(gateScript);
  await rl.limit("warm");
  const after = (ticks: number) => async () => {
    const limited = rl.limit("a");
    for (let i = 0; i < ticks; i++) await Promise.resolve();
    await Promise.all([limited, redis.evalsha(gate, [`rt:${randomUUID()}`], [])]);
  };
  expect(await requestsOf(after(2))).toEqual([["evalsha", "evalsha"]]);
  expect(await requestsOf(after(3))).toEqual([["evalsha"], ["evalsha"]]);
});
