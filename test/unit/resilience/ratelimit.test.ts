// The limiter against this run's real Redis (through the local Upstash gateway). Only Date is
// faked where time matters: it is the clock the limiter's Lua arithmetic is given.
import { randomUUID } from "node:crypto";
import { afterEach, expect, inject, test, vi } from "vitest";
import { createRedis } from "../../../shared/clients/redis.ts";
import {
  createRateLimiter,
  type RateLimiterOptions,
} from "../../../shared/resilience/ratelimit/index.ts";

const redis = createRedis({ ...inject("upstash"), timeoutMs: 2000 });

function limiter(overrides: Partial<RateLimiterOptions> = {}) {
  const prefix = `test:${randomUUID()}:`;
  const options = { redis, prefix, name: "default", limit: 3, windowSec: 60, ...overrides };
  return { prefix, limiter: createRateLimiter(options) };
}

// The start of a 60 s window (divisible by 60 000), in the future so no real key is in the way.
const WINDOW = 1_900_000_020_000;
const at = (ms: number) => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(ms);
};

afterEach(() => {
  vi.useRealTimers();
});

test("allows `limit` requests, then denies with remaining 0 until the window's end", async () => {
  at(WINDOW + 10_000);
  const { limiter: rl } = limiter();
  const results = [];
  for (let i = 0; i < 4; i++) results.push(await rl.limit("caller"));
  expect(results).toEqual(
    [2, 1, 0, 0].map((remaining, i) => ({
      success: i < 3,
      policy: "default",
      limit: 3,
      windowSec: 60,
      remaining,
      reset: WINDOW + 60_000,
      source: "redis",
    })),
  );
});

test("sliding window: the previous window's requests still count, weighted by overlap", async () => {
  const { limiter: rl } = limiter({ limit: 10 });
  at(WINDOW + 50_000);
  for (let i = 0; i < 10; i++) expect((await rl.limit("caller")).success).toBe(true);

  // 25 % into the next window, 75 % of the previous 10 still count: floor(7.5) = 7.
  at(WINDOW + 75_000);
  expect((await rl.limit("caller")).remaining).toBe(2);
  expect((await rl.limit("caller")).remaining).toBe(1);

  // 75 % in, floor(2.5) = 2 of them count, plus the 2 of this window: 6 left before this one.
  at(WINDOW + 105_000);
  const left = [];
  for (let i = 0; i < 7; i++) left.push(await rl.limit("caller"));
  expect(left.map((r) => r.success && r.remaining)).toEqual([5, 4, 3, 2, 1, 0, false]);
  expect(left[6]).toMatchObject({ source: "redis", reset: WINDOW + 120_000 });
});

test("fixed window option: counts start afresh at the boundary", async () => {
  const { limiter: rl } = limiter({ limit: 10, algorithm: "fixed" });
  at(WINDOW + 59_000);
  for (let i = 0; i < 10; i++) await rl.limit("caller");
  expect(await rl.limit("caller")).toMatchObject({ success: false, source: "redis" });

  at(WINDOW + 61_000);
  expect(await rl.limit("caller")).toMatchObject({ success: true, remaining: 9 });
});

test("identities are counted independently", async () => {
  const { limiter: rl } = limiter({ limit: 1 });
  expect((await rl.limit("alice")).success).toBe(true);
  expect((await rl.limit("alice")).success).toBe(false);
  expect(await rl.limit("bob")).toMatchObject({ success: true, remaining: 0, source: "redis" });
});

test("keys live under the deployment prefix and the policy name", async () => {
  const { prefix, limiter: rl } = limiter({ name: "per-key" });
  await rl.limit("key_123");
  const keys = await redis.send(["KEYS", `${prefix}*`]);
  expect(keys).toEqual([expect.stringMatching(new RegExp(`^${prefix}rl:per-key:key_123:\\d+$`))]);
});

test("a policy the headers cannot express is refused when the limiter is built", () => {
  for (const bad of [{ name: 'a"b' }, { name: "" }, { limit: 0 }, { windowSec: 1.5 }]) {
    expect(() => limiter(bad), JSON.stringify(bad)).toThrow(RangeError);
  }
});
