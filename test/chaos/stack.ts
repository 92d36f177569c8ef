// The chaos scenarios' shared harness: the all-in-one worker over the vendor mocks (optionally
// behind fault proxies), on Redis and PostgreSQL that a scenario may own and stop, and a bounded
// concurrent load driver with the percentile it reports.
import { inject } from "vitest";
import { ANTHROPIC_MOCK_KEY, startAnthropicMock } from "../mocks/anthropic.ts";
import { GEMINI_MOCK_KEY, startGeminiMock } from "../mocks/gemini.ts";
import { OPENAI_MOCK_KEY, startOpenAiMock } from "../mocks/openai.ts";
import { PROXY_KEY } from "../e2e/ai-stack.ts";
import { startWebhookStack } from "../e2e/webhook-stack.ts";
import { type FaultProxy, startFaultProxy } from "./fault-proxy.ts";

export { PROXY_KEY };

export interface ChaosStackOptions {
  /** Routes for this scenario: public model name → `provider:model` chain. */
  routes: Record<string, string[]>;
  /** Short timeouts and a deadline, so faults play out in a test's time. */
  timeouts?: { attemptMs?: number; deadlineMs?: number };
  /** A private PostgreSQL's admin URL (default: this run's). */
  postgresAdminUrl?: string;
  /** A private Upstash gateway (default: this run's). */
  upstash?: { url: string; token: string };
  /** Known key prefix, so a test can read the breaker state in Redis itself. */
  keyPrefix?: string;
}

/**
 * OpenAI, Anthropic and Gemini mocks, each behind a fault proxy (passing everything until told
 * otherwise), and the all-in-one worker in workerd pointed at the proxies.
 */
export async function startChaosStack(options: ChaosStackOptions) {
  const [openai, anthropic, gemini] = await Promise.all([
    startOpenAiMock(),
    startAnthropicMock(),
    startGeminiMock(),
  ]);
  const [openaiProxy, anthropicProxy, geminiProxy] = await Promise.all([
    startFaultProxy(openai.url),
    startFaultProxy(anthropic.url),
    startFaultProxy(gemini.url),
  ]);
  const keyPrefix = options.keyPrefix ?? `chaos-${crypto.randomUUID()}:`;
  const stack = await startWebhookStack({
    postgresAdminUrl: options.postgresAdminUrl ?? inject("postgresAdminUrl"),
    upstash: options.upstash ?? inject("upstash"),
    bindings: {
      OPENAI_API_KEY: OPENAI_MOCK_KEY,
      OPENAI_BASE_URL: openaiProxy.url,
      ANTHROPIC_API_KEY: ANTHROPIC_MOCK_KEY,
      ANTHROPIC_BASE_URL: anthropicProxy.url,
      GEMINI_API_KEY: GEMINI_MOCK_KEY,
      GEMINI_BASE_URL: geminiProxy.url,
      AI_ROUTES: JSON.stringify(options.routes),
      PROXY_API_KEYS: PROXY_KEY,
      // Load, not the rate limit, is under test: well above what any scenario sends.
      AI_REQUESTS_PER_MINUTE: "1000000",
      AI_ATTEMPT_TIMEOUT_MS: String(options.timeouts?.attemptMs ?? 1500),
      AI_FIRST_TOKEN_TIMEOUT_MS: String(options.timeouts?.attemptMs ?? 1500),
      AI_STREAM_IDLE_TIMEOUT_MS: "1000",
      AI_DEADLINE_MS: String(options.timeouts?.deadlineMs ?? 10_000),
      STATE_KEY_PREFIX: keyPrefix,
    },
  });
  const proxies: Record<"openai" | "anthropic" | "gemini", FaultProxy> = {
    openai: openaiProxy,
    anthropic: anthropicProxy,
    gemini: geminiProxy,
  };
  return {
    ...stack,
    keyPrefix,
    mocks: { openai, anthropic, gemini },
    proxies,
    async close() {
      await stack.close();
      await Promise.all([...Object.values(proxies).map((p) => p.close())]);
      await Promise.all([openai.close(), anthropic.close(), gemini.close()]);
    },
  };
}

export type ChaosStack = Awaited<ReturnType<typeof startChaosStack>>;

/** One chat completion as a client sees it. */
export interface ChatOutcome {
  status: number;
  /** `provider:model` that served it (x-breakwater-provider), when it succeeded. */
  provider: string | null;
  attempts: number;
  ms: number;
  retryAfter: string | null;
  /** The network error, when there was no response at all. */
  error?: string;
}

/** POST /v1/chat/completions with plain fetch; `tag` makes the request recognisable upstream. */
export async function chat(url: string, model: string, tag: string): Promise<ChatOutcome> {
  const started = performance.now();
  try {
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${PROXY_KEY}` },
      body: JSON.stringify({ model, max_tokens: 16, messages: [{ role: "user", content: tag }] }),
    });
    await res.arrayBuffer();
    return {
      status: res.status,
      provider: res.headers.get("x-breakwater-provider"),
      attempts: Number(res.headers.get("x-breakwater-attempts") ?? 0),
      ms: performance.now() - started,
      retryAfter: res.headers.get("retry-after"),
    };
  } catch (error) {
    return {
      status: 0,
      provider: null,
      attempts: 0,
      ms: performance.now() - started,
      retryAfter: null,
      error: String(error),
    };
  }
}

/**
 * Runs `task(i)` for i in [0, count) with at most `concurrency` in flight, in order of i, stopping
 * early (and saying so) when `budgetMs` runs out: load is bounded in count and in time.
 */
export async function runLoad<T>(options: {
  count: number;
  concurrency: number;
  budgetMs: number;
  task: (i: number) => Promise<T>;
}): Promise<T[]> {
  const results: T[] = [];
  const stopAt = performance.now() + options.budgetMs;
  let next = 0;
  const lane = async () => {
    while (next < options.count && performance.now() < stopAt) {
      const i = next++;
      results[i] = await options.task(i);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, lane));
  if (next < options.count) {
    throw new Error(
      `load stopped by its ${options.budgetMs} ms budget at ${next}/${options.count}`,
    );
  }
  return results;
}

/**
 * Keeps `task` running on `concurrency` lanes until `stop` settles (or `maxCount` tasks have
 * started: bounded in count as well as in time); returns what they did, in order of start.
 */
export async function loadUntil<T>(
  concurrency: number,
  stop: Promise<unknown>,
  task: (i: number) => Promise<T>,
  maxCount = 20_000,
): Promise<T[]> {
  const results: T[] = [];
  let done = false;
  const stopped = stop.finally(() => (done = true));
  let next = 0;
  const lane = async () => {
    while (!done && next < maxCount) {
      const i = next++;
      results[i] = await task(i);
    }
  };
  await Promise.all([stopped, ...Array.from({ length: concurrency }, lane)]);
  return results;
}

/** The q-quantile (0–1) by nearest rank; 0 for no values. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` every `everyMs` until it returns a value, or throws after `timeoutMs`. */
export async function pollFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  everyMs = 100,
): Promise<T> {
  const stopAt = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (performance.now() >= stopAt) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

/** GET a JSON route of the worker. */
export async function getJson(url: string): Promise<any> {
  const res = await fetch(url);
  return res.json();
}

export const ms = (value: number) => `${Math.round(value)} ms`;
