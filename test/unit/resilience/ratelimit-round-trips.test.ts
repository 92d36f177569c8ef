// HTTP requests to Upstash per limit(), counted at `fetch`. A private gateway (over this run's
// redis-server) starts with an empty script cache, so the first-call cost is deterministic.
// The client batches: commands issued within a few microtask turns of each other go out as one
// /pipeline request, reads and writes alike.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, inject, test, vi } from "vitest";
import { type UpstashGateway, startUpstashGateway } from "../../../dev/upstash-gateway/index.ts";
import { BATCH_TURNS, createRedis } from "../../../shared/clients/redis.ts";
import { createRateLimiter } from "../../../shared/resilience/ratelimit/index.ts";

const token = `round-trips-${randomUUID()}`;
let gateway: UpstashGateway;
let redis: ReturnType<typeof createRedis>;

beforeAll(async () => {
  gateway = await startUpstashGateway({ redisUrl: inject("redisUrl"), token });
  redis = createRedis({ url: gateway.url, token, timeoutMs: 2000 });
});
afterAll(() => gateway?.close());

// With Upstash's key-locking flag, as deployments send it: the gateway keeps those scripts in a
// registry of its own, so a private gateway's first call is always a NOSCRIPT.
const limiter = (limit = 100) =>
  createRateLimiter({
    redis,
    keyLocking: true,
    prefix: `rt:${randomUUID()}:`,
    name: "rt",
    limit,
    windowSec: 60,
  });

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

test("the first limit() costs EVALSHA then EVAL (NOSCRIPT), every later one a single EVALSHA", async () => {
  const rl = limiter();
  expect(await requestsOf(() => rl.limit("a"))).toEqual([["EVALSHA"], ["EVAL"]]);
  expect(await requestsOf(() => rl.limit("a"))).toEqual([["EVALSHA"]]);
  expect(await requestsOf(() => limiter().limit("b"))).toEqual([["EVALSHA"]]);
});

test("a blocked identity is answered from the ephemeral cache without a Redis request", async () => {
  const rl = limiter(1);
  await rl.limit("a");
  let denied;
  expect(await requestsOf(async () => (denied = await rl.limit("a")))).toEqual([["EVALSHA"]]);
  expect(denied).toMatchObject({ success: false, source: "redis" });
  let cached;
  expect(await requestsOf(async () => (cached = await rl.limit("a")))).toEqual([]);
  expect(cached).toMatchObject({ success: false, remaining: 0, source: "cache" });
});

const load = async (script: string) => String(await redis.send(["SCRIPT", "LOAD", script]));

test("limit() and a gate EVALSHA issued in the same tick share one /pipeline request", async () => {
  const rl = limiter();
  const gate = await load(gateScript);
  await rl.limit("warm");
  const key = `rt:${randomUUID()}`;
  const evalGate = () => redis.send(["EVALSHA", gate, 1, key]);
  const both = () => Promise.all([rl.limit("a"), evalGate()]);
  expect(await requestsOf(both)).toEqual([["EVALSHA", "EVALSHA"]]);
  const gateFirst = () => Promise.all([evalGate(), rl.limit("a")]);
  expect(await requestsOf(gateFirst)).toEqual([["EVALSHA", "EVALSHA"]]);
});

test("a read issued with limit() shares its request too", async () => {
  const rl = limiter();
  await rl.limit("warm");
  const read = () => redis.send(["GET", `rt:${randomUUID()}`]);
  expect(await requestsOf(() => Promise.all([rl.limit("a"), read()]))).toEqual([
    ["EVALSHA", "GET"],
  ]);
});

test("a command issued more microtask turns after limit() than a batch waits misses it", async () => {
  const rl = limiter();
  const gate = await load(gateScript);
  await rl.limit("warm");
  const after = (turns: number) => async () => {
    const limited = rl.limit("a");
    for (let i = 0; i < turns; i++) await Promise.resolve();
    await Promise.all([limited, redis.send(["EVALSHA", gate, 1, `rt:${randomUUID()}`])]);
  };
  expect(await requestsOf(after(BATCH_TURNS - 1))).toEqual([["EVALSHA", "EVALSHA"]]);
  expect(await requestsOf(after(BATCH_TURNS))).toEqual([["EVALSHA"], ["EVALSHA"]]);
});
