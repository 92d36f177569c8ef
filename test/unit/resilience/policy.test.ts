import { afterEach, beforeEach, expect, test, vi } from "vitest";
import {
  CircuitBreaker,
  isBrokenCircuitError,
} from "../../../shared/resilience/breaker/breaker.ts";
import { breakerConfig } from "../../../shared/resilience/breaker/config.ts";
import { MemoryBreakerStore } from "../../../shared/resilience/breaker/memory-store.ts";
import { guard } from "../../../shared/resilience/policy.ts";
import { retry } from "../../../shared/resilience/retry.ts";
import { isTimeoutError } from "../../../shared/resilience/timeout.ts";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

function setup() {
  const breaker = new CircuitBreaker({
    name: "upstream",
    config: breakerConfig({ failureThreshold: 2, resetTimeoutMs: 10_000 }),
    store: new MemoryBreakerStore(),
  });
  const deferred: Promise<unknown>[] = [];
  const options = {
    breaker,
    retry: retry({ initialDelayMs: 100, maxDelayMs: 100, retries: 2, random: () => 1 }),
    attemptTimeoutMs: 1_000,
    defer: (p: Promise<unknown>) => void deferred.push(p),
    isFailure: (r: Response) => r.status >= 500,
  };
  return { breaker, options, deferred, settle: () => Promise.all(deferred) };
}

test("the breaker sees one outcome per call, after the retries, through defer", async () => {
  const { options, deferred, settle } = setup();
  let attempts = 0;
  const call = guard(
    options,
    { deadlineMs: 10_000 },
    async () => new Response(null, { status: ++attempts < 3 ? 503 : 200 }),
  );
  await vi.runAllTimersAsync();
  const { value, stats } = await call;
  expect(value.status).toBe(200);
  expect(stats!.attempts).toBe(3);
  expect(deferred).toHaveLength(1);
  expect(await settle()).toEqual([expect.objectContaining({ state: "closed" })]);
});

test("an attempt that hangs is timed out and retried, inside the same guarded call", async () => {
  const { options } = setup();
  let attempts = 0;
  const call = guard(options, { deadlineMs: 10_000 }, async ({ signal }) => {
    if (++attempts === 1) {
      await new Promise((_, reject) =>
        signal.addEventListener("abort", () => reject(signal.reason)),
      );
    }
    return new Response("ok");
  });
  await vi.runAllTimersAsync();
  expect((await call).stats!.attempts).toBe(2);
});

test("calls that end in failure open the breaker, and then it refuses without calling", async () => {
  const { options, settle } = setup();
  const task = vi.fn(async () => new Response(null, { status: 500 }));
  for (let i = 0; i < 2; i++) {
    const call = guard(options, { deadlineMs: 10_000 }, task);
    await vi.runAllTimersAsync();
    expect((await call).value.status).toBe(500);
  }
  await settle();
  const calls = task.mock.calls.length;
  const refused = await guard(options, { deadlineMs: 10_000 }, task).catch((e: unknown) => e);
  expect(isBrokenCircuitError(refused)).toBe(true);
  expect(task.mock.calls.length).toBe(calls);
});

test("the fallback answers when the breaker refuses", async () => {
  const { breaker, options, settle } = setup();
  for (let i = 0; i < 2; i++) breaker.report(await breaker.acquire(), { ok: false, durationMs: 1 });
  await settle();
  const { value } = await guard(
    { ...options, fallback: () => new Response("cached") },
    { deadlineMs: 10_000 },
    async () => new Response("live"),
  );
  expect(await value.text()).toBe("cached");
});

test("the fallback answers when every attempt fails, and sees the error", async () => {
  const { options } = setup();
  const seen: unknown[] = [];
  const call = guard(
    {
      ...options,
      attemptTimeoutMs: 50,
      fallback: (error) => (seen.push(error), new Response("fallback")),
    },
    { deadlineMs: 10_000 },
    () => new Promise<Response>(() => {}),
  );
  await vi.runAllTimersAsync();
  expect(await (await call).value.text()).toBe("fallback");
  expect(isTimeoutError((seen[0] as Error).cause)).toBe(true);
});

test("an error of our own in the task does not count against the upstream", async () => {
  const { options, settle } = setup();
  for (let i = 0; i < 3; i++) {
    await guard(options, { deadlineMs: 10_000 }, async () => {
      throw new RangeError("our bug");
    }).catch(() => {});
  }
  expect(await settle()).toEqual([
    expect.objectContaining({ state: "closed" }),
    expect.objectContaining({ state: "closed" }),
    expect.objectContaining({ state: "closed" }),
  ]);
});

test("a call the caller aborted reports nothing to the breaker", async () => {
  const { options, deferred } = setup();
  const caller = new AbortController();
  const call = guard(options, { deadlineMs: 10_000, signal: caller.signal }, ({ signal }) => {
    caller.abort(new Error("client went away"));
    return Promise.reject(signal.reason);
  });
  await expect(call).rejects.toThrow();
  expect(deferred).toHaveLength(0);
});

test("without a retry policy the call is made once, and its own error counts against the breaker", async () => {
  const { options, deferred, settle } = setup();
  const { retry: _retry, ...once } = options;
  let attempts = 0;
  const failure = new TypeError("connection reset");
  const failing = () =>
    guard(once, { deadlineMs: 10_000 }, async () => {
      attempts++;
      throw failure;
    }).catch((error: unknown) => error);
  expect(await failing()).toBe(failure);
  expect(await failing()).toBe(failure);
  expect(attempts).toBe(2);
  expect(deferred).toHaveLength(2);
  // Two failed calls, failure threshold 2: the second report opens the breaker.
  expect((await settle()).at(-1)).toMatchObject({ state: "open", transition: "opened" });
});
