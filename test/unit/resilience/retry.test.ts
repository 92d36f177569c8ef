import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import {
  type AttemptContext,
  isRetryError,
  RETRY_PRESETS,
  retry,
  type RetryCall,
  RetryError,
  type RetryEvent,
  type RetryOptions,
} from "../../../shared/resilience/retry.ts";
import { isTimeoutError, timeout, TimeoutError } from "../../../shared/resilience/timeout.ts";

// floor(ALMOST_ONE · ceiling) is ceiling − 1: the top of the full-jitter range.
const ALMOST_ONE = 1 - 2 ** -30;
const BUDGET: RetryCall = { deadlineMs: 600_000 };

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

function policy(options: Partial<RetryOptions> = {}) {
  const events: RetryEvent[] = [];
  const base = { ...RETRY_PRESETS.quick, random: () => 0 };
  const onRetry = (event: RetryEvent) => events.push(event);
  return { events, policy: retry({ ...base, onRetry, ...options }) };
}

const status = (code: number, headers: Record<string, string> = {}) =>
  new Response(null, { status: code, headers });

/** A task that plays `script` in order: a number is a status, a Response is returned, else thrown. */
function scripted(...script: unknown[]) {
  const calls: { at: number; context: AttemptContext }[] = [];
  const fn = async (context: AttemptContext) => {
    calls.push({ at: Date.now(), context });
    const step = script[calls.length - 1] ?? 200;
    if (typeof step === "number") return status(step);
    if (step instanceof Response) return step;
    throw step;
  };
  return { fn, calls };
}

/** Runs to the end while fake time passes; a rejection comes back as `error`. */
async function run<T>(
  p: ReturnType<typeof retry>,
  fn: (context: AttemptContext) => Promise<T>,
  call: RetryCall = BUDGET,
) {
  const outcome = p.execute(fn, call).then(
    ({ value, stats }) => ({ value, stats, error: undefined }),
    (error: unknown) => ({ value: undefined, stats: (error as RetryError).stats, error }),
  );
  await vi.runAllTimersAsync();
  return outcome;
}

describe("presets and backoff", () => {
  test("the presets are docs/resilience.md's numbers", () => {
    expect(RETRY_PRESETS).toEqual({
      quick: { initialDelayMs: 500, maxDelayMs: 5_000, retries: 2 },
      standard: { initialDelayMs: 1_000, maxDelayMs: 30_000, retries: 3 },
      slow: { initialDelayMs: 2_000, maxDelayMs: 60_000, retries: 5 },
      aggressive: { initialDelayMs: 100, maxDelayMs: 5_000, retries: 3 },
    });
  });

  test.each([
    ["quick", [499, 999]],
    ["standard", [999, 1_999, 3_999]],
    ["slow", [1_999, 3_999, 7_999, 15_999, 31_999]],
    ["aggressive", [99, 199, 399]],
  ] as const)(
    "preset %s retries with doubling delays %j at the top of the jitter",
    async (name, delays) => {
      const { policy: p, events } = policy({ ...RETRY_PRESETS[name], random: () => ALMOST_ONE });
      const { fn, calls } = scripted(...Array<number>(10).fill(503));
      await run(p, fn);
      expect(events.map((e) => e.delayMs)).toEqual(delays);
      expect(calls).toHaveLength(delays.length + 1);
    },
  );

  test("full jitter with random 0 retries at once", async () => {
    const { fn, calls } = scripted(503, 503, 503);
    await run(policy().policy, fn);
    expect(calls.map((c) => c.at)).toEqual([0, 0, 0]);
  });

  test("full jitter stays under the doubling ceiling, capped at maxDelay", async () => {
    const options = { initialDelayMs: 100, maxDelayMs: 250, retries: 4, random: () => ALMOST_ONE };
    const { policy: p, events } = policy(options);
    await run(p, scripted(503, 503, 503, 503, 503).fn);
    expect(events.map((e) => e.delayMs)).toEqual([99, 199, 249, 249]);
  });

  test("the delay is the random fraction of the ceiling", async () => {
    const { policy: p, events } = policy({ ...RETRY_PRESETS.standard, random: () => 0.5 });
    await run(p, scripted(503, 503, 503).fn);
    expect(events.map((e) => e.delayMs)).toEqual([500, 1_000, 2_000]);
  });

  test.each([
    { initialDelayMs: 0 },
    { maxDelayMs: 100 },
    { retries: -1 },
    { retries: 1.5 },
    { initialDelayMs: Number.NaN },
  ])("bad options %j are refused when the policy is built", (bad) => {
    expect(() => retry({ ...RETRY_PRESETS.quick, ...bad })).toThrow(RangeError);
  });
});

describe("what is retried", () => {
  test.each([408, 429, 500, 502, 503, 504])("status %i is retried", async (code) => {
    const { fn, calls } = scripted(code, 200);
    const { value } = await run(policy().policy, fn);
    expect(value?.status).toBe(200);
    expect(calls).toHaveLength(2);
  });

  test.each([400, 401, 403, 404, 409, 422])("status %i is returned untried", async (code) => {
    const { fn, calls } = scripted(code, 200);
    const { value, stats } = await run(policy().policy, fn);
    expect(value?.status).toBe(code);
    expect(calls).toHaveLength(1);
    expect(stats.errors).toEqual([]);
  });

  test("a retryable status is returned as the value once the retries run out", async () => {
    const { value, stats } = await run(policy().policy, scripted(503, 502, 504, 200).fn);
    expect(value?.status).toBe(504);
    expect(stats.attempts).toBe(3);
  });

  test.each([
    ["fetch's TypeError", new TypeError("fetch failed")],
    ["a per-attempt TimeoutError", new TimeoutError(1_000)],
    ...["ECONNRESET", "ETIMEDOUT", "ENOTFOUND", "ECONNREFUSED"].flatMap((code) => [
      [`${code} on the error`, Object.assign(new Error("socket"), { code })],
      [`${code} on its cause`, new Error("request failed", { cause: { code } })],
    ]),
  ])("a network error is retried: %s", async (_, error) => {
    const { fn, calls } = scripted(error, 200);
    const { value, stats } = await run(policy().policy, fn);
    expect(value?.status).toBe(200);
    expect(calls).toHaveLength(2);
    expect(stats.errors).toEqual([{ attempt: 1, error }]);
  });

  test.each([
    ["a plain Error", new Error("bug")],
    ["an abort that is not the caller's", new DOMException("stop", "AbortError")],
    ["another socket code", Object.assign(new Error("denied"), { code: "EACCES" })],
  ])("other errors end the run at once: %s", async (_, error) => {
    const { fn, calls } = scripted(error, 200);
    const { error: thrown } = await run(policy().policy, fn);
    expect(thrown).toBeInstanceOf(RetryError);
    expect((thrown as RetryError).cause).toBe(error);
    expect(calls).toHaveLength(1);
  });

  test("a thrown error the retries cannot fix ends in RetryError with the last error", async () => {
    const last = new TypeError("third");
    const { error } = await run(
      policy().policy,
      scripted(new TypeError("1"), new TypeError("2"), last).fn,
    );
    expect(isRetryError(error)).toBe(true);
    expect((error as RetryError).cause).toBe(last);
    expect((error as RetryError).stats.attempts).toBe(3);
  });
});

describe("timeouts and the caller's signal", () => {
  test("an attempt aborted by its per-attempt timeout is retried", async () => {
    const attempt = timeout(1_000);
    const fn = (context: AttemptContext) =>
      attempt.execute(
        () => (context.attempt === 1 ? new Promise<string>(() => {}) : Promise.resolve("ok")),
        context,
      );
    const { value, stats } = await run(policy().policy, fn);
    expect(value).toBe("ok");
    expect(stats.attempts).toBe(2);
    expect(isTimeoutError((stats.errors[0] as { error: unknown }).error)).toBe(true);
  });

  test("an attempt aborted by the caller is not retried, even when the reason is a timeout", async () => {
    // An outer timeout (a whole-request limit) aborts with a TimeoutError too: still the caller's.
    const caller = new AbortController();
    const reason = new TimeoutError(100);
    setTimeout(() => caller.abort(reason), 100);
    const task = vi.fn(() => new Promise<string>(() => {}));
    const fn = (context: AttemptContext) => timeout(1_000).execute(task, context);
    const { error } = await run(policy().policy, fn, { ...BUDGET, signal: caller.signal });
    expect((error as RetryError).cause).toBe(reason);
    expect(task).toHaveBeenCalledTimes(1);
  });

  test("a caller's abort ends the run even if the attempt still returns a retryable status", async () => {
    const caller = new AbortController();
    const { policy: p, events } = policy({ random: () => ALMOST_ONE });
    const fn = async () => {
      caller.abort(new Error("gone"));
      return status(503);
    };
    const { value } = await run(p, fn, { ...BUDGET, signal: caller.signal });
    expect(value?.status).toBe(503);
    expect(events).toEqual([]);
    expect(Date.now()).toBe(0);
  });

  test("the caller's abort during a wait ends the run at once", async () => {
    const caller = new AbortController();
    setTimeout(() => caller.abort(new Error("gone")), 100);
    const { policy: p } = policy({ random: () => ALMOST_ONE });
    const { fn, calls } = scripted(503, 200);
    const { error } = await run(p, fn, { ...BUDGET, signal: caller.signal });
    expect((error as RetryError).cause).toEqual(new Error("gone"));
    expect(calls).toHaveLength(1);
    expect(Date.now()).toBe(100);
    expect(vi.getTimerCount()).toBe(0);
  });

  test("an already aborted caller signal runs nothing", async () => {
    const { fn, calls } = scripted(200);
    const signal = AbortSignal.abort(new Error("gone"));
    const { error } = await run(policy().policy, fn, { ...BUDGET, signal });
    expect(isRetryError(error)).toBe(true);
    expect(calls).toHaveLength(0);
  });

  test("each attempt gets its number, the caller's signal and the absolute deadline", async () => {
    vi.setSystemTime(1_000);
    const { signal } = new AbortController();
    const { fn, calls } = scripted(503, 200);
    await run(policy().policy, fn, { deadlineMs: 4_000, signal });
    expect(calls.map((c) => c.context)).toEqual([
      { attempt: 1, signal, deadline: 5_000 },
      { attempt: 2, signal, deadline: 5_000 },
    ]);
  });

  test("no timer is left behind after a success", async () => {
    const fn = (context: AttemptContext) => timeout(1_000).execute(async () => "ok", context);
    expect(await retry(RETRY_PRESETS.quick).execute(fn, BUDGET)).toMatchObject({ value: "ok" });
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe("Retry-After and the deadline", () => {
  test("Retry-After in seconds is waited before the next attempt", async () => {
    const { fn, calls } = scripted(status(503, { "retry-after": "7" }), 200);
    await run(policy().policy, fn);
    expect(calls.map((c) => c.at)).toEqual([0, 7_000]);
  });

  test("a Retry-After HTTP-date is waited for", async () => {
    const start = Date.UTC(2026, 0, 1);
    vi.setSystemTime(start);
    const at = new Date(start + 12_000).toUTCString();
    const { fn, calls } = scripted(status(429, { "retry-after": at }), 200);
    await run(policy().policy, fn);
    expect(calls.map((c) => c.at - start)).toEqual([0, 12_000]);
  });

  test("retry-after-ms is waited for", async () => {
    const { fn, calls } = scripted(status(429, { "retry-after-ms": "2500" }), 200);
    await run(policy().policy, fn);
    expect(calls.map((c) => c.at)).toEqual([0, 2_500]);
  });

  test("the server's Retry-After wins over maxDelay", async () => {
    const { fn, calls } = scripted(status(503, { "retry-after": "20" }), 200);
    await run(policy().policy, fn); // quick: maxDelay 5 s
    expect(calls.map((c) => c.at)).toEqual([0, 20_000]);
  });

  test("a Retry-After shorter than the backoff does not shorten it", async () => {
    const { policy: p, events } = policy({ random: () => ALMOST_ONE });
    await run(p, scripted(status(503, { "retry-after-ms": "100" }), 200).fn);
    expect(events[0]!.delayMs).toBe(499);
  });

  test("a Retry-After past the deadline stops at once, without sleeping", async () => {
    const { policy: p, events } = policy();
    const { fn, calls } = scripted(status(503, { "retry-after": "30" }), 200);
    const { value, stats } = await run(p, fn, { deadlineMs: 10_000 });
    expect(value?.status).toBe(503);
    expect(calls).toHaveLength(1);
    expect(events).toEqual([]);
    expect(stats.totalDelayMs).toBe(0);
    expect(Date.now()).toBe(0);
  });

  test("the backoff never sleeps past the deadline", async () => {
    const options = {
      initialDelayMs: 800,
      maxDelayMs: 10_000,
      retries: 5,
      random: () => ALMOST_ONE,
    };
    const { fn, calls } = scripted(new TypeError("a"), new TypeError("b"), 200);
    const { error } = await run(policy(options).policy, fn, { deadlineMs: 1_000 });
    expect(calls.map((c) => c.at)).toEqual([0, 799]); // the next wait, 1 599 ms, would end at 2 398
    expect((error as RetryError).stats.attempts).toBe(2);
    expect(Date.now()).toBe(799);
  });

  test("an absolute deadline bounds the waits like a budget", async () => {
    vi.setSystemTime(50_000);
    const { fn, calls } = scripted(status(503, { "retry-after": "3" }), 200);
    await run(policy().policy, fn, { deadline: 52_000 });
    expect(calls).toHaveLength(1);
  });

  test("a call without a deadline is refused", async () => {
    const p = retry(RETRY_PRESETS.quick);
    await expect(p.execute(async () => "x", {} as RetryCall)).rejects.toThrow(RangeError);
  });
});

describe("idempotency, hooks and stats", () => {
  test("a non-idempotent call is not retried", async () => {
    const { fn, calls } = scripted(503, 200);
    const { value } = await run(policy().policy, fn, { ...BUDGET, idempotent: false });
    expect(value?.status).toBe(503);
    expect(calls).toHaveLength(1);
  });

  test("a non-idempotent call with an idempotency key is retried", async () => {
    const { fn, calls } = scripted(503, 200);
    const call = { ...BUDGET, idempotent: false, idempotencyKey: "req_123" };
    expect((await run(policy().policy, fn, call)).value?.status).toBe(200);
    expect(calls).toHaveLength(2);
  });

  test("onRetry hears of each retry: the failed attempt, the delay and the failure", async () => {
    const error = new TypeError("fetch failed");
    const response = status(502);
    const { policy: p, events } = policy({ random: () => 0.5 });
    await run(p, scripted(error, response, 200).fn);
    expect(events).toEqual([
      { attempt: 1, delayMs: 250, error },
      { attempt: 2, delayMs: 500, response },
    ]);
  });

  test("a retried response's body is cancelled, releasing its connection", async () => {
    const cancel = vi.fn();
    const body = new ReadableStream({ cancel });
    await run(policy().policy, scripted(new Response(body, { status: 503 }), 200).fn);
    expect(cancel).toHaveBeenCalledOnce();
  });

  test("stats count the attempts, the time waited and every failure", async () => {
    const error = new TypeError("fetch failed");
    const { policy: p } = policy({ ...RETRY_PRESETS.standard, random: () => 0.5 });
    const { stats } = await run(p, scripted(error, 503, 200).fn);
    expect(stats).toEqual({
      attempts: 3,
      totalDelayMs: 500 + 1_000,
      errors: [
        { attempt: 1, error },
        { attempt: 2, status: 503 },
      ],
    });
  });

  test("a copy of RetryError from another bundle is recognised by its brand", () => {
    expect(isRetryError({ [Symbol.for("breakwater.RetryError")]: true })).toBe(true);
    expect(isRetryError(new Error("Gave up"))).toBe(false);
  });
});
