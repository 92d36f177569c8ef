import OpenAI from "openai";
import { afterEach, beforeEach, expect, test } from "vitest";
import { startAiStack } from "./ai-stack.ts";

// A fresh stack per test: breakers live in Redis under the stack's own prefix, so one test's
// failures never open a breaker for the next.
let ai: Awaited<ReturnType<typeof startAiStack>>;
beforeEach(async () => {
  ai = await startAiStack();
}, 30_000);
afterEach(() => ai.close());

const ask = { model: "chat-default", messages: [{ role: "user" as const, content: "hello" }] };

async function served() {
  const started = performance.now();
  const { data, response } = await ai.client().chat.completions.create(ask).withResponse();
  return {
    data,
    provider: response.headers.get("x-breakwater-provider"),
    attempts: Number(response.headers.get("x-breakwater-attempts")),
    ms: performance.now() - started,
  };
}

test.each(["500", "503", "reset"] as const)(
  "OpenAI failing with %s twice: one retry, then Anthropic serves",
  async (mode) => {
    ai.mocks.openai.failNext(mode, 2);
    const result = await served();
    expect(result.provider).toBe("anthropic:claude-3-5-haiku-latest");
    expect(result.attempts).toBe(3);
    expect(result.data.choices[0]!.message.content).toBeTruthy();
  },
);

test("a 429 with Retry-After is waited for, then retried on the same provider", async () => {
  ai.mocks.openai.failNext("429", 1);
  const result = await served();
  expect(result.provider).toBe("openai:gpt-4o-mini");
  expect(result.attempts).toBe(2);
  expect(result.ms).toBeGreaterThanOrEqual(950); // Retry-After: 1
});

test("a provider that hangs is cut off by the attempt timeout and the next one serves", async () => {
  ai.mocks.openai.failNext("hang", 2);
  const result = await served();
  expect(result.provider).toBe("anthropic:claude-3-5-haiku-latest");
  expect(result.ms).toBeLessThan(2 * 1500 + 1000); // two attempts of 1.5 s, then Anthropic
});

test("an upstream 400 about the request is returned as is, with no failover", async () => {
  ai.mocks.openai.failNext("400", 1);
  await expect(ai.client().chat.completions.create(ask)).rejects.toBeInstanceOf(
    OpenAI.BadRequestError,
  );
  expect(ai.mocks.anthropic.calls()).toHaveLength(0);
});

test("once OpenAI's breaker opens, requests skip it without a single upstream call", async () => {
  ai.mocks.openai.failNext("500", 10);
  // The breaker sees one outcome per call (after its retry): the 5th failed call opens it.
  for (let i = 0; i < 5; i++) await served();
  await new Promise((r) => setTimeout(r, 200)); // outcomes are reported after the response
  const before = ai.mocks.openai.calls().length;
  const result = await served();
  expect(result.provider).toBe("anthropic:claude-3-5-haiku-latest");
  expect(result.attempts).toBe(1);
  expect(ai.mocks.openai.calls().length).toBe(before);
});

test("a stream cut mid-way ends with an error the SDK raises, never a hang or a false finish", async () => {
  ai.mocks.openai.failNext("cut-stream", 1);
  const stream = await ai.client().chat.completions.create({ ...ask, stream: true });
  const received: string[] = [];
  const error = await (async () => {
    for await (const chunk of stream) received.push(chunk.choices[0]?.delta.content ?? "");
  })().catch((e: unknown) => e);
  expect(error).toBeInstanceOf(OpenAI.APIError);
  expect(received.join("").length).toBeGreaterThan(0); // no failover after the first byte
});

test("a stream whose first token is too slow fails over before anything reached the client", async () => {
  ai.mocks.openai.failNext("slow-first-token", 2);
  const { data: stream, response } = await ai
    .client()
    .chat.completions.create({ ...ask, stream: true })
    .withResponse();
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  expect(response.headers.get("x-breakwater-provider")).toBe("anthropic:claude-3-5-haiku-latest");
  expect(chunks.some((c) => c.choices[0]?.finish_reason === "stop")).toBe(true);
});

test("every provider failing gives a 502 in OpenAI's shape, never an upstream body", async () => {
  ai.mocks.openai.failNext("500", 2);
  ai.mocks.anthropic.failNext("529", 2);
  ai.mocks.gemini.failNext("503", 2);
  const error = await ai
    .client()
    .chat.completions.create(ask)
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(OpenAI.InternalServerError);
  expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
});

test("each request's usage is recorded after the response", async () => {
  const { data, response } = await ai.client().chat.completions.create(ask).withResponse();
  const requestId = response.headers.get("x-request-id");
  let rows: Record<string, unknown>[] = [];
  for (let i = 0; i < 50 && rows.length === 0; i++) {
    rows = (await ai.db.query("select * from ai_usage where request_id = $1", [requestId])).rows;
    if (rows.length === 0) await new Promise((r) => setTimeout(r, 50));
  }
  expect(rows).toEqual([
    expect.objectContaining({
      public_model: "chat-default",
      provider: "openai",
      upstream_model: "gpt-4o-mini",
      prompt_tokens: data.usage!.prompt_tokens,
      completion_tokens: data.usage!.completion_tokens,
      attempts: 1,
      status: 200,
    }),
  ]);
  expect(Number(rows[0]!.cost_usd)).toBeGreaterThan(0);
  expect(String(rows[0]!.key_id)).toMatch(/^env_/);
});
