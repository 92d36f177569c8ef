import { createRedis } from "../../../shared/clients/redis.ts";
import { expect, inject, test } from "vitest";
import { createLogger } from "../../../shared/http/logger.ts";
import {
  BrokenCircuitError,
  CircuitBreaker,
  isBrokenCircuitError,
} from "../../../shared/resilience/breaker/breaker.ts";
import { breakerConfig } from "../../../shared/resilience/breaker/config.ts";
import { MemoryBreakerStore } from "../../../shared/resilience/breaker/memory-store.ts";
import { RedisBreakerStore } from "../../../shared/resilience/breaker/redis-store.ts";
import type { BreakerStore } from "../../../shared/resilience/breaker/store.ts";

const config = breakerConfig({ failureThreshold: 2, resetTimeoutMs: 1_000, slowCallMs: 100 });

/** A real store that counts how often it is asked. */
function counted(store: BreakerStore) {
  const calls = { gate: 0, record: 0 };
  const wrapped: BreakerStore = {
    gate: (n, r) => (calls.gate++, store.gate(n, r)),
    record: (n, r) => (calls.record++, store.record(n, r)),
    stats: (now) => store.stats(now),
    halfOpen: (n, now) => store.halfOpen(n, now),
  };
  return { calls, store: wrapped };
}

function breaker(store: BreakerStore, clock: { now: number }, lines: string[] = []) {
  const log = createLogger({ fn: "test", sink: (l) => lines.push(l) });
  return new CircuitBreaker({
    name: `b-${crypto.randomUUID()}`,
    config,
    store,
    clock: () => clock.now,
    random: () => 0.5,
    log,
  });
}

test("once this isolate has seen the breaker open it refuses without asking the store", async () => {
  const clock = { now: 1_000_000 };
  const { calls, store } = counted(new MemoryBreakerStore());
  const b = breaker(store, clock);
  for (let i = 0; i < 2; i++) await b.report(await b.acquire(), { ok: false, durationMs: 1 });
  const before = { ...calls };
  for (let i = 0; i < 5; i++) await expect(b.acquire()).rejects.toBeInstanceOf(BrokenCircuitError);
  expect(calls).toEqual(before);
  clock.now += 1_000; // the open period is over: ask the store again, and get a probe
  expect(await b.acquire()).toMatchObject({ probe: true });
  expect(calls.gate).toBe(before.gate + 1);
});

test("an isolate that only hears of the trip from the store caches it too", async () => {
  const clock = { now: 1_000_000 };
  const shared = new RedisBreakerStore({
    redis: createRedis({ ...inject("upstash"), timeoutMs: 2000 }),
    prefix: `test:${crypto.randomUUID()}:`,
  });
  const a = breaker(shared, clock);
  const { calls, store } = counted(shared);
  const b = new CircuitBreaker({ name: a.name, config, store, clock: () => clock.now });
  for (let i = 0; i < 2; i++) await a.report(await a.acquire(), { ok: false, durationMs: 1 });
  await expect(b.acquire()).rejects.toThrow("is open");
  await expect(b.acquire()).rejects.toThrow("is open");
  expect(calls.gate).toBe(1);
});

test("the refusal says how long until trying again makes sense", async () => {
  const clock = { now: 1_000_000 };
  const b = breaker(new MemoryBreakerStore(), clock);
  for (let i = 0; i < 2; i++) await b.report(await b.acquire(), { ok: false, durationMs: 1 });
  clock.now += 400;
  const error = await b.acquire().catch((e: unknown) => e);
  expect(isBrokenCircuitError(error) && error.retryAfterMs).toBe(600);
});

test("a call slower than slowCallMs counts as a failure", async () => {
  const clock = { now: 1_000_000 };
  const b = breaker(new MemoryBreakerStore(), clock);
  await b.report(await b.acquire(), { ok: true, durationMs: 101 });
  expect(await b.report(await b.acquire(), { ok: true, durationMs: 500 })).toMatchObject({
    transition: "opened",
  });
});

test("transitions are logged, opening as a warning", async () => {
  const clock = { now: 1_000_000 };
  const lines: string[] = [];
  const b = breaker(new MemoryBreakerStore(), clock, lines);
  for (let i = 0; i < 2; i++) await b.report(await b.acquire(), { ok: false, durationMs: 1 });
  expect(lines.map((l) => JSON.parse(l))).toEqual([
    expect.objectContaining({ level: "warn", msg: "breaker opened", breaker: b.name }),
  ]);
});

test("a report the store cannot take is logged, never thrown", async () => {
  const lines: string[] = [];
  const broken = new RedisBreakerStore({
    redis: createRedis({ url: "http://127.0.0.1:9", token: "t", timeoutMs: 500 }),
    prefix: "x:",
  });
  const b = breaker(broken, { now: 1 }, lines);
  expect(
    await b.report({ generation: 0, probe: false, leaseId: "l" }, { ok: true, durationMs: 1 }),
  ).toBeUndefined();
  expect(JSON.parse(lines[0]!)).toMatchObject({
    level: "warn",
    msg: "breaker outcome not recorded",
  });
});
