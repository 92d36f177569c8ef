import { afterAll, beforeAll, expect, test } from "vitest";
import { type FaultAction, PASS } from "./fault-proxy.ts";
import { type ChaosStack, chat, ms, startChaosStack } from "./stack.ts";

const DEADLINE_MS = 3000;
const OPENAI = "openai:gpt-4o-mini";
const ANTHROPIC = "anthropic:claude-3-5-haiku-latest";
const GEMINI = "gemini:gemini-2.5-flash";

let ai: ChaosStack;
beforeAll(async () => {
  ai = await startChaosStack({
    routes: {
      "openai-first": [OPENAI, ANTHROPIC],
      "gemini-first": [GEMINI, ANTHROPIC],
      "gemini-only": [GEMINI],
    },
    timeouts: { attemptMs: 1500, deadlineMs: DEADLINE_MS },
  });
}, 60_000);
afterAll(() => ai?.close());

const rateLimited = (retryAfter: number): FaultAction => ({
  status: 429,
  headers: { "retry-after": String(retryAfter) },
  json: { error: { message: "Rate limit reached", type: "requests", code: "rate_limit_exceeded" } },
});

/** The arrival times at a proxy of each request carrying `tag`, in order. */
const arrivals = (proxy: ChaosStack["proxies"]["openai"], tag: string) =>
  proxy
    .calls()
    .filter((c) => c.body.includes(`"${tag}"`))
    .map((c) => c.at);

test("a provider answering 429 with Retry-After: retries wait as told and never exceed the deadline", async () => {
  // 1. Retry-After: 1, once per request, 8 requests at once: each retried on the same provider
  //    no sooner than told, and the whole request well inside the deadline.
  const told = new Set<string>();
  ai.proxies.openai.decide(({ body }) => {
    const tag = /"content":"([^"]+)"/.exec(body)?.[1] ?? "";
    if (told.has(tag)) return PASS;
    told.add(tag);
    return rateLimited(1);
  });
  const waited = await Promise.all(
    Array.from({ length: 8 }, (_, i) => chat(ai.worker.url, "openai-first", `wait ${i}`)),
  );
  const gaps = waited.map((_, i) => {
    const [first, second] = arrivals(ai.proxies.openai, `wait ${i}`);
    return second === undefined || first === undefined ? Number.NaN : second - first;
  });

  // 2. Retry-After: 2 on every answer: the first wait (2 s) fits the 3 s deadline, the second
  //    would not, so the chain moves on to the fallback instead of waiting past it.
  ai.proxies.openai.decide(() => rateLimited(2));
  const squeezed = await chat(ai.worker.url, "openai-first", "squeezed");
  const [s1, s2] = arrivals(ai.proxies.openai, "squeezed");

  // 3. Retry-After longer than the whole deadline: no wait at all. With a fallback it serves at
  //    once; alone, the 429 is passed back at once with the provider's Retry-After.
  ai.proxies.gemini.decide(() => rateLimited(30));
  const beyond = await Promise.all(
    Array.from({ length: 3 }, (_, i) => chat(ai.worker.url, "gemini-first", `beyond ${i}`)),
  );
  const alone = await chat(ai.worker.url, "gemini-only", "alone");
  const geminiCalls = (tag: string) => arrivals(ai.proxies.gemini, tag).length;

  const minGap = Math.min(...gaps);
  const maxTotal = Math.max(...waited.map((r) => r.ms));
  console.log(
    `chaos: 429 Retry-After: 1 → ${waited.filter((r) => r.status === 200 && r.provider === OPENAI).length}/8 ` +
      `served by the same provider, retry ${ms(minGap)}–${ms(Math.max(...gaps))} after the 429, ` +
      `total ≤ ${ms(maxTotal)} (deadline ${ms(DEADLINE_MS)}); Retry-After: 2 twice → waited ${ms(s2! - s1!)}, ` +
      `then ${squeezed.provider} in ${ms(squeezed.ms)}; Retry-After: 30 → fallback in ≤ ${ms(Math.max(...beyond.map((r) => r.ms)))}, ` +
      `no fallback → ${alone.status} (Retry-After: ${alone.retryAfter}) in ${ms(alone.ms)}`,
  );

  expect(waited.map((r) => [r.status, r.provider, r.attempts])).toEqual(
    Array(8).fill([200, OPENAI, 2]),
  );
  // 1 s as told, less a little for the timer's and the clock's granularity.
  expect(minGap).toBeGreaterThanOrEqual(980);
  expect(maxTotal).toBeLessThan(DEADLINE_MS);

  expect(squeezed).toMatchObject({ status: 200, provider: ANTHROPIC });
  expect(s2! - s1!).toBeGreaterThanOrEqual(1980);
  expect(arrivals(ai.proxies.openai, "squeezed")).toHaveLength(2);
  expect(squeezed.ms).toBeLessThan(DEADLINE_MS);

  for (const [i, r] of beyond.entries()) {
    expect(r).toMatchObject({ status: 200, provider: ANTHROPIC });
    expect(geminiCalls(`beyond ${i}`)).toBe(1); // not retried: the wait would pass the deadline
    expect(r.ms).toBeLessThan(1000); // nothing like the 30 s asked for
  }
  expect(alone).toMatchObject({ status: 429, retryAfter: "30" });
  expect(geminiCalls("alone")).toBe(1);
  expect(alone.ms).toBeLessThan(1000);
}, 60_000);
