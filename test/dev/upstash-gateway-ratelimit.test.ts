// The real @upstash/ratelimit (2.2.0) against the gateway. Every script it sends starts with
// `#!lua flags=allow-key-locking`, which plain Redis 7 refuses, so these runs depend on the
// gateway's shebang rewrite and its client-SHA mapping.
import { randomUUID } from "node:crypto";
import { Ratelimit } from "@upstash/ratelimit";
import { Redis } from "@upstash/redis";
import { Redis as IORedis } from "ioredis";
import { afterAll, beforeAll, expect, inject, test } from "vitest";
import { type UpstashGateway, startUpstashGateway } from "../../dev/upstash-gateway/index.ts";

const token = `ratelimit-${randomUUID()}`;
const prefix = `gw-ratelimit:${randomUUID()}`;
let gateway: UpstashGateway;
let redis: Redis;
let plainRedis: IORedis;

beforeAll(async () => {
  gateway = await startUpstashGateway({ redisUrl: inject("redisUrl"), token });
  redis = new Redis({ url: gateway.url, token });
  plainRedis = new IORedis(inject("redisUrl"));
});

afterAll(async () => {
  plainRedis?.disconnect();
  await gateway?.close();
});

// Windows this long make crossing a window boundary mid-test practically impossible. The SHAs
// are the `limit` scripts' hashes hard-coded in @upstash/ratelimit 2.2.0
// (SCRIPTS.singleRegion.<algorithm>.limit.hash), which it sends to EVALSHA first.
const algorithms = [
  [
    "slidingWindow",
    Ratelimit.slidingWindow(3, "1000 d"),
    "74740bb3d7792848093cdef586b6b6037c455fd6",
  ],
  ["fixedWindow", Ratelimit.fixedWindow(3, "1000 d"), "b2efc02798c8e9b471a10f9b1d5745db89923ff3"],
  [
    "tokenBucket",
    Ratelimit.tokenBucket(1, "1000 d", 3),
    "d60be5bd3d83482ae229309f1f7425424f891204",
  ],
] as const;

test.each(algorithms)("%s allows 3 requests, then blocks", async (name, limiter, limitSha) => {
  const ratelimit = new Ratelimit({
    redis,
    limiter,
    prefix: `${prefix}:${name}`,
    // Off, so that every verdict, the blocking one included, comes from Redis.
    ephemeralCache: false,
  });

  const verdicts = [];
  for (let i = 0; i < 4; i++) verdicts.push(await ratelimit.limit("caller"));

  expect(verdicts.map(({ success, remaining }) => ({ success, remaining }))).toEqual([
    { success: true, remaining: 2 },
    { success: true, remaining: 1 },
    { success: true, remaining: 0 },
    { success: false, remaining: 0 },
  ]);
  // Not a fail-open verdict (`reason: "timeout"`) standing in for a broken round trip.
  expect(verdicts.map(({ reason }) => reason)).toEqual([
    undefined,
    undefined,
    undefined,
    undefined,
  ]);
  // Redis holds the script only under the rewritten text's SHA; the gateway answers for the
  // client's.
  expect(await plainRedis.script("EXISTS", limitSha)).toEqual([0]);
  expect(await redis.scriptExists(limitSha)).toEqual([1]);
});
