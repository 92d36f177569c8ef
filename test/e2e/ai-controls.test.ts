// Per-key controls through the proxy in workerd with the official OpenAI client, over real
// PostgreSQL and Redis: model lists, expiry, direct model names, budgets, tokens per minute and
// the response cache. Keys are made through the admin API, as an operator would.
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ROUTES, startAiStack } from "./ai-stack.ts";

const ADMIN_API_KEY = `admin-${crypto.randomUUID()}`;
let ai: Awaited<ReturnType<typeof startAiStack>>;
beforeAll(async () => {
  ai = await startAiStack({
    ADMIN_API_KEY,
    AI_ROUTES: JSON.stringify({
      ...ROUTES,
      cached: { targets: ["openai:gpt-4o-mini"], cache: { max_age: 60 } },
      "cached-claude": { targets: ["anthropic:claude-3-5-haiku-latest"], cache: { max_age: 60 } },
    }),
  });
}, 30_000);
afterAll(() => ai.close());

async function newKey(fields: Record<string, unknown> = {}) {
  const res = await fetch(`${ai.worker.url}/admin/keys`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_API_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "controls", ...fields }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; key: string };
}

const ask = (model: string, content = "hello there") => ({
  model,
  messages: [{ role: "user" as const, content }],
});

async function refusal(run: Promise<unknown>) {
  try {
    await run;
  } catch (error) {
    if (error instanceof OpenAI.APIError) return { status: error.status, code: error.code };
    throw error;
  }
  throw new Error("expected a refusal");
}

test("a key limited to some models gets 403 model_not_allowed for others, before any upstream call", async () => {
  const { key } = await newKey({ models: ["claude"] });
  const before = ai.mocks.openai.calls().length;
  expect(await refusal(ai.client(key).chat.completions.create(ask("chat-default")))).toEqual({
    status: 403,
    code: "model_not_allowed",
  });
  expect(ai.mocks.openai.calls().length).toBe(before);
  const completion = await ai.client(key).chat.completions.create(ask("claude"));
  expect(completion.choices[0]!.message.content).toBeTruthy();
});

test("an expired key gets 401, even after it worked", async () => {
  const { key } = await newKey({ expires_at: new Date(Date.now() + 1500).toISOString() });
  await ai.client(key).chat.completions.create(ask("claude"));
  await new Promise((r) => setTimeout(r, 1600));
  await expect(ai.client(key).chat.completions.create(ask("claude"))).rejects.toBeInstanceOf(
    OpenAI.AuthenticationError,
  );
});

describe("direct provider:model names", () => {
  test("work for a key allowed them", async () => {
    const { key } = await newKey({ allow_direct_models: true });
    const { response } = await ai
      .client(key)
      .chat.completions.create(ask("anthropic:claude-sonnet-4-5"))
      .withResponse();
    expect(response.headers.get("x-breakwater-provider")).toBe("anthropic:claude-sonnet-4-5");
  });

  test.each(["fal:fal-ai/../../other", "openai:gpt-4o?x=1", "openai:gpt 4o", "openai:%2e%2e"])(
    "%s is refused with 400 naming model, and never sent",
    async (model) => {
      const { key } = await newKey({ allow_direct_models: true });
      const before = ai.mocks.openai.calls().length + ai.mocks.fal.calls().length;
      const res = await fetch(`${ai.worker.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify(ask(model)),
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { param: "model" } });
      expect(ai.mocks.openai.calls().length + ai.mocks.fal.calls().length).toBe(before);
    },
  );
});

test("a key over its budget gets 429 budget_exceeded, with Retry-After until the period ends", async () => {
  // One completion of the mock costs a few millionths of a dollar: this budget is one answer.
  const { key } = await newKey({ budget_usd: 0.000001, budget_period: "day" });
  await ai.client(key).chat.completions.create(ask("chat-default"));
  await new Promise((r) => setTimeout(r, 200)); // the charge runs after the response
  const res = await fetch(`${ai.worker.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(ask("chat-default")),
  });
  expect(res.status).toBe(429);
  expect(await res.json()).toMatchObject({
    error: { code: "budget_exceeded", type: "rate_limit_error" },
  });
  expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
});

test("a key whose spend Postgres already holds is refused on its first request (an empty Redis is rebuilt from ai_usage)", async () => {
  const { key, id } = await newKey({ budget_usd: 1, budget_period: "month" });
  await ai.db.query(
    `insert into public.ai_usage (request_id, key_id, public_model, cost_usd, latency_ms, attempts, status)
     values ('seed', $1, 'chat-default', 1.5, 1, 1, 200)`,
    [`key_${id}`],
  );
  expect(await refusal(ai.client(key).chat.completions.create(ask("chat-default")))).toEqual({
    status: 429,
    code: "budget_exceeded",
  });
});

test("a key over its tokens per minute is refused before the upstream call", async () => {
  const { key } = await newKey({ tokens_per_minute: 5 });
  await ai.client(key).chat.completions.create(ask("chat-default"));
  await new Promise((r) => setTimeout(r, 200));
  const before = ai.mocks.openai.calls().length;
  expect(await refusal(ai.client(key).chat.completions.create(ask("chat-default")))).toEqual({
    status: 429,
    code: "rate_limited",
  });
  expect(ai.mocks.openai.calls().length).toBe(before);
});

describe("the response cache", () => {
  const settle = () => new Promise((r) => setTimeout(r, 300)); // the entry is stored after the response

  test.each(["cached", "cached-claude"])(
    "a repeated request to %s is a hit with no upstream call, as JSON and as a stream",
    async (model) => {
      const { key } = await newKey();
      const question = ask(model, `cache me ${crypto.randomUUID()}`);
      const first = await ai.client(key).chat.completions.create(question).withResponse();
      expect(first.response.headers.get("x-breakwater-cache")).toBe("miss");
      await settle();
      const calls = () => ai.mocks.openai.calls().length + ai.mocks.anthropic.calls().length;
      const before = calls();
      const again = await ai.client(key).chat.completions.create(question).withResponse();
      expect(again.response.headers.get("x-breakwater-cache")).toBe("hit");
      expect(again.data.choices[0]!.message.content).toBe(first.data.choices[0]!.message.content);

      const { data: stream, response } = await ai
        .client(key)
        .chat.completions.create({
          ...question,
          stream: true,
          stream_options: { include_usage: true },
        })
        .withResponse();
      expect(response.headers.get("x-breakwater-cache")).toBe("hit");
      let text = "";
      let usage: OpenAI.CompletionUsage | null | undefined;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? "";
        usage = chunk.usage ?? usage;
      }
      expect(text).toBe(first.data.choices[0]!.message.content);
      expect(usage?.total_tokens).toBe(first.data.usage!.total_tokens);
      expect(calls()).toBe(before);
    },
  );

  test("a streamed miss is kept and answers a JSON request", async () => {
    const { key } = await newKey();
    const question = ask("cached", `stream first ${crypto.randomUUID()}`);
    let text = "";
    for await (const chunk of await ai
      .client(key)
      .chat.completions.create({ ...question, stream: true }))
      text += chunk.choices[0]?.delta.content ?? "";
    await settle();
    const { data, response } = await ai
      .client(key)
      .chat.completions.create(question)
      .withResponse();
    expect(response.headers.get("x-breakwater-cache")).toBe("hit");
    expect(data.choices[0]!.message.content).toBe(text);
  });

  test("hits are recorded in ai_usage with cost 0 and marked", async () => {
    const { key, id } = await newKey();
    const question = ask("cached", `record me ${crypto.randomUUID()}`);
    await ai.client(key).chat.completions.create(question);
    await settle();
    await ai.client(key).chat.completions.create(question);
    await settle();
    const { rows } = await ai.db.query(
      "select cache_hit, cost_usd::float as cost from public.ai_usage where key_id = $1 order by id",
      [`key_${id}`],
    );
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ cache_hit: false });
    expect(rows[0].cost).toBeGreaterThan(0);
    expect(rows[1]).toEqual({ cache_hit: true, cost: 0 });
  });

  test("entries are never shared between keys", async () => {
    const question = ask("cached", `mine ${crypto.randomUUID()}`);
    await ai.client((await newKey()).key).chat.completions.create(question);
    await settle();
    const other = await ai
      .client((await newKey()).key)
      .chat.completions.create(question)
      .withResponse();
    expect(other.response.headers.get("x-breakwater-cache")).toBe("miss");
  });

  test("Responses and Messages requests skip the cache: no header, every one goes upstream", async () => {
    const { key } = await newKey();
    const calls = () => ai.mocks.openai.calls().length + ai.mocks.anthropic.calls().length;
    const headers = { "x-api-key": key, "content-type": "application/json" };
    const input = `not cached ${crypto.randomUUID()}`;
    const requests = [
      { path: "/v1/responses", body: { model: "cached", input } },
      {
        path: "/v1/messages",
        body: { model: "cached", max_tokens: 16, messages: [{ role: "user", content: input }] },
      },
    ];
    for (const { path, body } of requests) {
      for (let i = 0; i < 2; i++) {
        const before = calls();
        const res = await fetch(`${ai.worker.url}${path}`, {
          method: "POST",
          headers,
          body: JSON.stringify(body),
        });
        expect(res.status).toBe(200);
        expect(res.headers.get("x-breakwater-cache")).toBeNull();
        expect(calls()).toBe(before + 1);
        await settle();
      }
    }
  });

  test("no-store skips a route's cache; max-age=N caches where nothing else does; a key's cache_max_age enables it", async () => {
    const { key } = await newKey();
    const header = (value: string) => ({ headers: { "x-breakwater-cache": value } });
    const noStore = await ai
      .client(key)
      .chat.completions.create(ask("cached"), header("no-store"))
      .withResponse();
    expect(noStore.response.headers.get("x-breakwater-cache")).toBeNull();

    const question = ask("claude", `per request ${crypto.randomUUID()}`);
    const plain = await ai.client(key).chat.completions.create(question).withResponse();
    expect(plain.response.headers.get("x-breakwater-cache")).toBeNull();
    await ai.client(key).chat.completions.create(question, header("max-age=30"));
    await settle();
    const hit = await ai
      .client(key)
      .chat.completions.create(question, header("max-age=30"))
      .withResponse();
    expect(hit.response.headers.get("x-breakwater-cache")).toBe("hit");

    const keyed = await newKey({ cache_max_age: 30 });
    const first = await ai.client(keyed.key).chat.completions.create(question).withResponse();
    expect(first.response.headers.get("x-breakwater-cache")).toBe("miss");
  });

  test("errors and cut streams are never kept", async () => {
    const { key } = await newKey();
    const question = ask("cached", `fail me ${crypto.randomUUID()}`);
    ai.mocks.openai.failNext("400", 1);
    await expect(ai.client(key).chat.completions.create(question)).rejects.toBeInstanceOf(
      OpenAI.BadRequestError,
    );
    ai.mocks.openai.failNext("cut-stream", 1);
    await expect(
      (async () => {
        for await (const _ of await ai
          .client(key)
          .chat.completions.create({ ...question, stream: true }));
      })(),
    ).rejects.toThrow();
    await settle();
    const res = await ai.client(key).chat.completions.create(question).withResponse();
    expect(res.response.headers.get("x-breakwater-cache")).toBe("miss");
  });
});
