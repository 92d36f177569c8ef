import { env } from "cloudflare:workers";
import { expect, test } from "vitest";
import { isTimeoutError, timeout } from "../../../shared/resilience/timeout.ts";

// A real request that hangs: the Upstash gateway reads the whole body before it answers, and this
// body never ends. Only the body differs from the control request, which is answered at once.
function pipeline(body: BodyInit, signal?: AbortSignal) {
  return fetch(`${env.UPSTASH_REDIS_REST_URL}/pipeline`, {
    method: "POST",
    headers: { authorization: `Bearer ${env.UPSTASH_REDIS_REST_TOKEN}` },
    body,
    signal: signal ?? null,
  });
}

const endless = (cancelled: unknown[]) =>
  new ReadableStream<Uint8Array>({
    start: (controller) => controller.enqueue(new TextEncoder().encode('[["PING"]')),
    cancel: (reason) => void cancelled.push(reason),
  });

test("the same request with a complete body is answered within the limit", async () => {
  const res = await timeout(2_000).execute((signal) => pipeline('[["PING"]]', signal));
  expect(await res.json()).toEqual([{ result: "PONG" }]);
});

test("in workerd the timeout aborts a real hanging fetch with its TimeoutError", async () => {
  let fetching: Promise<Response> | undefined;
  let given: AbortSignal | undefined;
  const cancelled: unknown[] = [];
  const started = Date.now();
  const run = timeout(300).execute((signal) => {
    given = signal;
    return (fetching = pipeline(endless(cancelled), signal));
  });
  const error = await run.catch((e: unknown) => e);
  expect(isTimeoutError(error)).toBe(true);
  expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  expect(given?.aborted).toBe(true);
  expect(given?.reason).toBe(error);
  // The fetch itself was aborted. workerd rejects it with a copy of the reason (same name and
  // message, but neither the prototype nor the brand), which is why the policy rejects with the
  // signal's own reason instead of waiting for the task's rejection.
  const fetchError = await fetching!.catch((e: unknown) => e);
  expect(fetchError).toMatchObject({ name: "TimeoutError", message: (error as Error).message });
  // And it tore the request down: workerd cancelled the body it was still streaming upstream.
  expect(cancelled).toHaveLength(1);
});
