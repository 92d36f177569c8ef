import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { CircuitBreaker } from "../../../shared/resilience/breaker/breaker.ts";
import { breakerConfig } from "../../../shared/resilience/breaker/config.ts";
import { MemoryBreakerStore } from "../../../shared/resilience/breaker/memory-store.ts";
import type { BreakerStore, RecordRequest } from "../../../shared/resilience/breaker/store.ts";
import { SUCCESS_FLUSH_MS } from "../../../shared/resilience/state.ts";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

/** A memory store that logs each call, in the order the breaker issued them. */
function setup() {
  const memory = new MemoryBreakerStore();
  const calls: string[] = [];
  const records: RecordRequest[] = [];
  const store: BreakerStore = {
    gate: (name, request) => (calls.push("gate"), memory.gate(name, request)),
    record: (name, request) => (
      calls.push("record"),
      records.push(request),
      memory.record(name, request)
    ),
    stats: (now) => memory.stats(now),
    halfOpen: (name, now) => memory.halfOpen(name, now),
  };
  const breaker = new CircuitBreaker({
    name: "upstream",
    config: breakerConfig({ failureThreshold: 3, resetTimeoutMs: 10_000, successThreshold: 1 }),
    store,
    successFlushMs: SUCCESS_FLUSH_MS,
  });
  const successes = async () => (await memory.stats(Date.now()))[0]?.successCount ?? 0;
  return { breaker, calls, records, successes };
}

const OK = { ok: true, durationMs: 5 };

test("a success costs no store call of its own: it rides the next gate, in the same tick", async () => {
  const { breaker, calls, records, successes } = setup();
  for (let i = 0; i < 3; i++) void breaker.report(await breaker.acquire(), OK);
  expect(calls).toEqual(["gate", "record", "gate", "record", "gate"]);
  // Each gate carried the successes held since the one before it.
  expect(records.map((r) => r.calls)).toEqual([1, 1]);
  expect(await successes()).toBe(2);
});

test("a held success reaches the store within the flush period, and not before", async () => {
  const { breaker, calls, successes } = setup();
  const reported = breaker.report(await breaker.acquire(), OK);
  await vi.advanceTimersByTimeAsync(SUCCESS_FLUSH_MS - 1);
  expect(calls).toEqual(["gate"]);
  expect(await successes()).toBe(0);
  await vi.advanceTimersByTimeAsync(1);
  expect(await reported).toMatchObject({ state: "closed" });
  expect(calls).toEqual(["gate", "record"]);
  expect(await successes()).toBe(1);
});

test("successes held together are recorded as one report of that many calls", async () => {
  const { breaker, records, successes } = setup();
  const permits = await Promise.all([1, 2, 3, 4].map(() => breaker.acquire()));
  const reported = permits.map((permit) => breaker.report(permit, OK));
  await vi.advanceTimersByTimeAsync(SUCCESS_FLUSH_MS);
  await Promise.all(reported);
  expect(records.map((r) => r.calls)).toEqual([4]);
  expect(await successes()).toBe(4);
});

test("failures are never held: the staleness only delays successes, so a breaker opens early, never late", async () => {
  const { breaker, calls, successes } = setup();
  const [held, ...failing] = await Promise.all([1, 2, 3, 4].map(() => breaker.acquire()));
  void breaker.report(held!, OK);
  calls.length = 0;
  const results = await Promise.all(
    failing.map((permit) => breaker.report(permit, { ok: false, durationMs: 5 })),
  );
  expect(calls).toEqual(["record", "record", "record"]);
  // The held success (older than the failures) would have reset the run; unflushed, it did not.
  expect(await successes()).toBe(0);
  expect(results.at(-1)).toMatchObject({ state: "open", transition: "opened" });
});

test("a half-open probe's success is reported at once: it is what closes the breaker", async () => {
  const { breaker, calls } = setup();
  const failing = await Promise.all([1, 2, 3].map(() => breaker.acquire()));
  await Promise.all(failing.map((permit) => breaker.report(permit, { ok: false, durationMs: 1 })));
  await vi.advanceTimersByTimeAsync(20_000);
  const probe = await breaker.acquire();
  expect(probe.probe).toBe(true);
  calls.length = 0;
  expect(await breaker.report(probe, OK)).toMatchObject({ transition: "closed" });
  expect(calls).toEqual(["record"]);
});

test("successes that keep coming make no flush of their own: each batch goes with the next gate", async () => {
  const { breaker, calls } = setup();
  for (let i = 0; i < 10; i++) {
    void breaker.report(await breaker.acquire(), OK);
    await vi.advanceTimersByTimeAsync(SUCCESS_FLUSH_MS / 2);
  }
  // One gate per call, each carrying the one success held before it; no timer flushed alone.
  expect(calls.filter((call) => call === "gate")).toHaveLength(10);
  expect(calls.filter((call) => call === "record")).toHaveLength(9);
});
