import { afterAll, beforeAll, expect, test } from "vitest";
import { PASS, seededRandom } from "./fault-proxy.ts";
import { type ChaosStack, chat, getJson, ms, quantile, runLoad, startChaosStack } from "./stack.ts";

const REQUESTS = 1000;
const CONCURRENCY = 8;
const OPENAI = "openai:gpt-4o-mini";
const ANTHROPIC = "anthropic:claude-3-5-haiku-latest";

let ai: ChaosStack;
beforeAll(async () => {
  ai = await startChaosStack({ routes: { chain: [OPENAI, ANTHROPIC] } });
}, 60_000);
afterAll(() => ai?.close());

test("one provider returning 50 % 5xx: ≥ 99.9 % succeed through a two-provider chain", async () => {
  // A seeded coin per arrival at OpenAI: half its answers are 500s, the same pattern every run.
  const random = seededRandom(0x5eed);
  const coins = Array.from({ length: 4 * REQUESTS }, () => random() < 0.5);
  // Past the precomputed coins (retries add arrivals), every other answer fails.
  const fails = (index: number) => coins[index] ?? index % 2 === 0;
  ai.proxies.openai.decide(({ index }) =>
    fails(index)
      ? {
          status: 500,
          json: {
            error: {
              message: "The server had an error while processing your request.",
              type: "server_error",
              param: null,
              code: null,
            },
          },
        }
      : PASS,
  );

  const started = performance.now();
  const results = await runLoad({
    count: REQUESTS,
    concurrency: CONCURRENCY,
    budgetMs: 60_000,
    task: (i) => chat(ai.worker.url, "chain", `chaos 5xx ${i}`),
  });
  const wallMs = performance.now() - started;

  const ok = results.filter((r) => r.status === 200);
  const byOpenai = ok.filter((r) => r.provider === OPENAI).length;
  const byAnthropic = ok.filter((r) => r.provider === ANTHROPIC).length;
  const openaiCalls = ai.proxies.openai.calls();
  const injected = openaiCalls.filter((c) => c.action === "fault").length;
  const breaker = (await getJson(`${ai.worker.url}/health/breakers`)).breakers.find(
    (b: { name: string }) => b.name === "openai",
  );
  const rate = ok.length / results.length;
  // With half its answers failing, OpenAI's breaker may open (5 consecutive failed calls, fleet
  // wide) and the rest skip it; the figure says when, and how the chain fared before that.
  const skippedFrom = results.findIndex((r) => r.provider === ANTHROPIC && r.attempts === 1);
  const beforeOpen = skippedFrom === -1 ? results : results.slice(0, skippedFrom);
  const latencies = results.map((r) => r.ms);
  const okBefore = beforeOpen.filter((r) => r.status === 200).length;
  const skipped =
    skippedFrom === -1
      ? ""
      : ` (skipped from request #${skippedFrom + 1}; before that ${okBefore}/${beforeOpen.length} succeeded)`;
  console.log(
    `chaos: 50% 5xx on openai (${injected}/${openaiCalls.length} upstream answers were 500) → ` +
      `${ok.length}/${results.length} succeeded (${(rate * 100).toFixed(3)}%), ` +
      `served by openai ${byOpenai}, by anthropic ${byAnthropic}; ` +
      `p50 ${ms(quantile(latencies, 0.5))}, p99 ${ms(quantile(latencies, 0.99))}; ` +
      `openai breaker ${breaker?.state ?? "unseen"}${skipped}; ${ms(wallMs)} for the run`,
  );
  const failures = results.filter((r) => r.status !== 200);
  if (failures.length > 0) console.log("chaos: failed requests", failures.slice(0, 5));

  expect(results).toHaveLength(REQUESTS);
  // The injected rate really is about half, or the figure would prove nothing.
  expect(injected / openaiCalls.length).toBeGreaterThan(0.4);
  expect(rate).toBeGreaterThanOrEqual(0.999);
}, 90_000);
