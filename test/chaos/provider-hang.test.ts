import { afterAll, beforeAll, expect, test } from "vitest";
import { type ChaosStack, chat, getJson, ms, quantile, runLoad, startChaosStack } from "./stack.ts";

const ATTEMPT_TIMEOUT_MS = 1000;
// The chain retries a target once (functions/ai-proxy/failover.ts) after a full-jitter backoff
// of at most 200 ms, so a hanging target costs at most two timeouts and that backoff.
const ATTEMPTS = 2;
const MAX_BACKOFF_MS = 200;
// Scheduling noise on a 2-core machine with several workerd processes running.
const MARGIN_MS = 400;
const CONCURRENCY = 8;
const OPENAI = "openai:gpt-4o-mini";
const ANTHROPIC = "anthropic:claude-3-5-haiku-latest";

let ai: ChaosStack;
beforeAll(async () => {
  ai = await startChaosStack({
    routes: { chain: [OPENAI, ANTHROPIC], fallback: [ANTHROPIC] },
    timeouts: { attemptMs: ATTEMPT_TIMEOUT_MS, deadlineMs: 10_000 },
  });
}, 60_000);
afterAll(() => ai?.close());

test("one provider hanging: p99 bounded by its timeouts plus the fallback's latency; the open breaker skips it", async () => {
  // The fallback's own latency under the same load, measured first: the bound is built on it.
  const baseline = await runLoad({
    count: 80,
    concurrency: CONCURRENCY,
    budgetMs: 30_000,
    task: (i) => chat(ai.worker.url, "fallback", `baseline ${i}`),
  });
  expect(baseline.every((r) => r.status === 200)).toBe(true);
  const fallbackP99 = quantile(
    baseline.map((r) => r.ms),
    0.99,
  );

  ai.proxies.openai.decide(() => ({ hang: true }));
  const during = await runLoad({
    count: 200,
    concurrency: CONCURRENCY,
    budgetMs: 60_000,
    task: (i) => chat(ai.worker.url, "chain", `hang ${i}`),
  });
  const hungCalls = ai.proxies.openai.calls().length;
  const breakers = (await getJson(`${ai.worker.url}/health/breakers`)).breakers as {
    name: string;
    state: string;
  }[];
  const openaiState = breakers.find((b) => b.name === "openai")?.state;

  // Once open, the breaker is cached in the isolate: no upstream call, no wait.
  const after = await runLoad({
    count: 100,
    concurrency: CONCURRENCY,
    budgetMs: 30_000,
    task: (i) => chat(ai.worker.url, "chain", `after ${i}`),
  });
  const callsAfter = ai.proxies.openai.calls().length - hungCalls;

  const p99 = quantile(
    during.map((r) => r.ms),
    0.99,
  );
  const bound = ATTEMPTS * ATTEMPT_TIMEOUT_MS + MAX_BACKOFF_MS + fallbackP99 + MARGIN_MS;
  const slow = during.filter((r) => r.ms >= ATTEMPT_TIMEOUT_MS).length;
  const afterP99 = quantile(
    after.map((r) => r.ms),
    0.99,
  );
  const afterByFallback = after.filter(
    (r) => r.status === 200 && r.provider === ANTHROPIC && r.attempts === 1,
  ).length;
  console.log(
    `chaos: openai hanging (attempt timeout ${ms(ATTEMPT_TIMEOUT_MS)}) → ` +
      `${during.filter((r) => r.status === 200).length}/${during.length} succeeded, p99 ${ms(p99)} ` +
      `(bound ${ATTEMPTS}×${ATTEMPT_TIMEOUT_MS} + ${MAX_BACKOFF_MS} backoff + fallback p99 ${ms(fallbackP99)} + ${MARGIN_MS} = ${ms(bound)}), ` +
      `${slow} requests waited on it, ${hungCalls} hung upstream calls before the breaker opened (${openaiState}); ` +
      `after: ${afterByFallback}/${after.length} served by anthropic in 1 attempt, p99 ${ms(afterP99)}, ` +
      `${callsAfter} calls to the hanging provider`,
  );

  expect(during.every((r) => r.status === 200)).toBe(true);
  expect(p99).toBeLessThanOrEqual(bound);
  expect(openaiState).toBe("open");
  // Only the calls admitted before the 5th failure was recorded reached the hanging provider.
  expect(hungCalls).toBeLessThanOrEqual(ATTEMPTS * 2 * CONCURRENCY);
  expect(callsAfter).toBe(0);
  expect(afterByFallback).toBe(after.length);
  expect(afterP99).toBeLessThan(ATTEMPT_TIMEOUT_MS / 2);
}, 120_000);
