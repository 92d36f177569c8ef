// What the controls cost in Redis, and what they do without it: the proxy in workerd over a
// Redis gateway of its own (its request count is the proxy's Redis round trips), and over an
// Upstash URL where nothing answers.
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { freePort } from "../../dev/services/ports.ts";
import { type UpstashGateway, startUpstashGateway } from "../../dev/upstash-gateway/index.ts";
import { ROUTES, startAiStack } from "./ai-stack.ts";

const ADMIN_API_KEY = `admin-${crypto.randomUUID()}`;
const routes = JSON.stringify({
  ...ROUTES,
  cached: { targets: ["openai:gpt-4o-mini"], cache: { max_age: 60 } },
});

async function newKey(url: string, fields: Record<string, unknown>) {
  const res = await fetch(`${url}/admin/keys`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_API_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "redis", ...fields }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { key: string }).key;
}

const ask = (model: string) => ({
  model,
  messages: [{ role: "user" as const, content: `question ${crypto.randomUUID()}` }],
});

describe("Redis round trips before the upstream call", () => {
  let ai: Awaited<ReturnType<typeof startAiStack>>;
  let upstash: UpstashGateway;
  beforeAll(async () => {
    upstash = await startUpstashGateway({ redisUrl: inject("redisUrl"), token: "rt" });
    ai = await startAiStack({
      UPSTASH_REDIS_REST_URL: upstash.url,
      UPSTASH_REDIS_REST_TOKEN: "rt",
      ADMIN_API_KEY,
      AI_ROUTES: routes,
      AI_ATTEMPT_TIMEOUT_MS: "5000",
    });
  }, 30_000);
  afterAll(async () => {
    await ai.close();
    await upstash.close();
  });

  /** Redis requests made between sending `model` and the upstream's (held) answer. */
  async function beforeUpstream(key: string, model: string) {
    await ai.client(key).chat.completions.create(ask(model)); // key looked up, scripts loaded
    // Its breaker success is held for the next gate or flushed within 1 s: let it flush first.
    await new Promise((r) => setTimeout(r, 1300));
    ai.mocks.openai.failNext("slow-first-token", 1); // the mock holds its answer for 2 s
    const before = upstash.requestCount();
    const pending = ai.client(key).chat.completions.create(ask(model)).withResponse();
    await new Promise((r) => setTimeout(r, 1000));
    const during = upstash.requestCount() - before;
    const { response } = await pending;
    return { during, cache: response.headers.get("x-breakwater-cache") };
  }

  test("a key with no controls: 1", async () => {
    const key = await newKey(ai.worker.url, {});
    expect(await beforeUpstream(key, "chat-default")).toEqual({ during: 1, cache: null });
  });

  test("a key with a budget and tokens per minute, on a cacheable route, missing the cache: still 1", async () => {
    const key = await newKey(ai.worker.url, {
      budget_usd: 5,
      budget_period: "month",
      tokens_per_minute: 100_000,
    });
    const result = await beforeUpstream(key, "cached");
    console.log(
      `budget + tokens per minute + cache miss: ${result.during} Redis round trip(s) before the upstream call`,
    );
    expect(result).toEqual({ during: 1, cache: "miss" });
  });
});

describe("with Redis unreachable", () => {
  let ai: Awaited<ReturnType<typeof startAiStack>>;
  beforeAll(async () => {
    ai = await startAiStack({
      UPSTASH_REDIS_REST_URL: `http://127.0.0.1:${await freePort()}`,
      UPSTASH_REDIS_REST_TOKEN: "nobody",
      ADMIN_API_KEY,
    });
  }, 30_000);
  afterAll(() => ai.close());

  test("a budgeted key is refused 503 budget_unavailable: spend cannot be checked", async () => {
    const key = await newKey(ai.worker.url, { budget_usd: 5, budget_period: "day" });
    const before = ai.mocks.openai.calls().length;
    const error = await ai
      .client(key)
      .chat.completions.create(ask("chat-default"))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error).toMatchObject({ status: 503, code: "budget_unavailable" });
    expect(ai.mocks.openai.calls().length).toBe(before);
  });

  test("keys without a budget are served, tokens per minute counted in the isolate", async () => {
    for (const fields of [{}, { tokens_per_minute: 100_000 }]) {
      const key = await newKey(ai.worker.url, fields);
      const completion = await ai.client(key).chat.completions.create(ask("chat-default"));
      expect(completion.choices[0]!.message.content).toBeTruthy();
    }
  });
});
