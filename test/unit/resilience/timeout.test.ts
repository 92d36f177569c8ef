import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { isTimeoutError, timeout, TimeoutError } from "../../../shared/resilience/timeout.ts";

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** A task that never settles by itself, as a hung upstream; it does see its signal. */
const hang = (seen: AbortSignal[]) => (signal: AbortSignal) => {
  seen.push(signal);
  return new Promise<never>(() => {});
};

/** Settles `promise` into a value so that fake time can pass without unhandled rejections. */
function settle<T>(promise: Promise<T>) {
  const state: { done: boolean; value?: T; error?: unknown } = { done: false };
  promise.then(
    (value) => Object.assign(state, { done: true, value }),
    (error: unknown) => Object.assign(state, { done: true, error }),
  );
  return state;
}

test("the task's value is returned and its timer cleared", async () => {
  await expect(timeout(1_000).execute(async () => "ok")).resolves.toBe("ok");
  expect(vi.getTimerCount()).toBe(0);
});

test("a task's own rejection passes through unchanged and its timer is cleared", async () => {
  const boom = new Error("boom");
  await expect(timeout(1_000).execute(() => Promise.reject(boom))).rejects.toBe(boom);
  expect(vi.getTimerCount()).toBe(0);
});

test("at the limit it rejects with TimeoutError and aborts the task's signal with it", async () => {
  const seen: AbortSignal[] = [];
  const run = settle(timeout(1_000).execute(hang(seen)));
  await vi.advanceTimersByTimeAsync(999);
  expect(run.done).toBe(false);
  expect(seen[0]!.aborted).toBe(false);
  await vi.advanceTimersByTimeAsync(1);
  expect(run.error).toBeInstanceOf(TimeoutError);
  expect(run.error).toMatchObject({ name: "TimeoutError", timeoutMs: 1_000 });
  expect(seen[0]!.reason).toBe(run.error);
  expect(vi.getTimerCount()).toBe(0);
});

test("it rejects at the limit even when the task ignores its signal", async () => {
  const run = settle(timeout(500).execute(() => new Promise(() => {})));
  await vi.advanceTimersByTimeAsync(500);
  expect(isTimeoutError(run.error)).toBe(true);
});

test("the caller's abort rejects at once with the caller's reason, not a timeout", async () => {
  const caller = new AbortController();
  const seen: AbortSignal[] = [];
  const run = settle(timeout(1_000).execute(hang(seen), { signal: caller.signal }));
  await vi.advanceTimersByTimeAsync(10);
  const reason = new Error("client went away");
  caller.abort(reason);
  await vi.advanceTimersByTimeAsync(0);
  expect(run.error).toBe(reason);
  expect(seen[0]!.reason).toBe(reason);
  expect(vi.getTimerCount()).toBe(0);
});

test("an already aborted caller signal rejects without starting the task", async () => {
  const task = vi.fn(async () => "ran");
  const signal = AbortSignal.abort(new Error("gone"));
  await expect(timeout(1_000).execute(task, { signal })).rejects.toThrow("gone");
  expect(task).not.toHaveBeenCalled();
});

test("a request deadline nearer than the limit shortens it", async () => {
  const run = settle(timeout(1_000).execute(hang([]), { deadline: 300 }));
  await vi.advanceTimersByTimeAsync(300);
  expect(run.error).toMatchObject({ name: "TimeoutError", timeoutMs: 300 });
});

test("a deadline already past rejects with TimeoutError without starting the task", async () => {
  vi.setSystemTime(5_000);
  const task = vi.fn(async () => "ran");
  await expect(timeout(1_000).execute(task, { deadline: 5_000 })).rejects.toBeInstanceOf(
    TimeoutError,
  );
  expect(task).not.toHaveBeenCalled();
});

test("an injected clock measures the deadline", async () => {
  const run = settle(timeout(1_000, { now: () => 9_800 }).execute(hang([]), { deadline: 10_000 }));
  await vi.advanceTimersByTimeAsync(200);
  expect(run.error).toMatchObject({ timeoutMs: 200 });
});

test("a copy of TimeoutError from another bundle is recognised by its brand", () => {
  expect(isTimeoutError({ [Symbol.for("breakwater.TimeoutError")]: true })).toBe(true);
  expect(isTimeoutError(new DOMException("late", "TimeoutError"))).toBe(false);
});

test.each([0, -1, Number.NaN, Infinity, 2 ** 31])(
  "a limit of %s ms is refused when built",
  (ms) => {
    expect(() => timeout(ms)).toThrow(RangeError);
  },
);

test("a real fetch to a server that never answers is aborted at the limit", async () => {
  const requests: IncomingMessage[] = [];
  const server = createServer((req) => requests.push(req)); // never responds
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  try {
    let fetching: Promise<Response> | undefined;
    const run = settle(
      timeout(2_000).execute(
        (signal) => (fetching = fetch(`http://127.0.0.1:${port}/`, { signal })),
      ),
    );
    await vi.waitFor(() => expect(requests).toHaveLength(1));
    await vi.advanceTimersByTimeAsync(2_000);
    await vi.waitFor(() => expect(run.done).toBe(true));
    expect(isTimeoutError(run.error)).toBe(true);
    await expect(fetching).rejects.toBe(run.error);
    // The abort reached the socket: the server sees the client hang up.
    await vi.waitFor(() => expect(requests[0]!.socket.destroyed).toBe(true));
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});
