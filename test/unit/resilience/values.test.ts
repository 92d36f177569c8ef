// The shared value store against this run's real Redis (through the Upstash gateway) and in
// memory: one contract.
import { randomUUID } from "node:crypto";
import { describe, expect, inject, test, vi } from "vitest";
import { createRedis } from "../../../shared/clients/redis.ts";
import { createRateLimiter } from "../../../shared/resilience/ratelimit/index.ts";
import {
  type ValueStore,
  memoryValues,
  redisValues,
} from "../../../shared/resilience/values/index.ts";

const redis = () =>
  redisValues(
    createRedis({ url: inject("upstash").url, token: inject("upstash").token, timeoutMs: 2000 }),
    { keyLocking: true },
  );

describe.each([
  ["Redis", redis],
  ["memory", () => memoryValues()],
])("values in %s", (_, make: () => ValueStore) => {
  const key = () => `values-test:${randomUUID()}`;

  test("a missing key reads as null, in order with the others", async () => {
    const store = make();
    const [a, b] = [key(), key()];
    await store.charge(a, 5, { seed: 0, ttlMs: 60_000 });
    expect(await store.read([b, a])).toEqual([null, "5"]);
  });

  test("a charge creates the counter from its seed, later ones add to it, refunds subtract", async () => {
    const store = make();
    const k = key();
    expect(await store.charge(k, 7, { seed: 100, ttlMs: 60_000 })).toBe(107);
    expect(await store.charge(k, 3, { seed: 999, ttlMs: 60_000 })).toBe(110);
    expect(await store.charge(k, -10, { seed: 999, ttlMs: 60_000 })).toBe(100);
    expect(await store.read([k])).toEqual(["100"]);
  });

  test("a counter lives for the lifetime it was created with, not one a later charge names", async () => {
    const store = make();
    const k = key();
    await store.charge(k, 1, { seed: 0, ttlMs: 150 });
    await store.charge(k, 1, { seed: 0, ttlMs: 60_000 });
    await new Promise((r) => setTimeout(r, 250));
    expect(await store.read([k])).toEqual([null]);
  });

  test("a put value reads back as the same string until it expires", async () => {
    const store = make();
    const k = key();
    const value = JSON.stringify({ choices: [{ message: { content: "hi" } }], n: 1 });
    await store.put(k, value, 1000);
    expect(await store.read([k])).toEqual([value]);
    await new Promise((r) => setTimeout(r, 1100));
    expect(await store.read([k])).toEqual([null]);
  });
});

test("a read issued in the same tick as a rate limit shares its one /pipeline request", async () => {
  const url = inject("upstash").url;
  const client = createRedis({ url, token: inject("upstash").token, timeoutMs: 2000 });
  const store = redisValues(client, { keyLocking: true });
  const limiter = createRateLimiter({
    redis: client,
    prefix: `values-rt:${randomUUID()}:`,
    name: "rt",
    limit: 10,
    windowSec: 60,
  });
  await Promise.all([limiter.limit("warm"), store.read(["warm"])]); // scripts loaded
  const spy = vi.spyOn(globalThis, "fetch");
  try {
    await Promise.all([limiter.limit("a"), store.read([`k:${randomUUID()}`, `k:${randomUUID()}`])]);
    const requests = spy.mock.calls.filter(([input]) => String(input).startsWith(url));
    expect(requests).toHaveLength(1);
    expect(JSON.parse(String(requests[0]![1]?.body))).toHaveLength(2);
  } finally {
    spy.mockRestore();
  }
});
