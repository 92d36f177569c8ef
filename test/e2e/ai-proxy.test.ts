import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { OPENAI_MOCK_KEY } from "../mocks/openai.ts";
import { PROXY_KEY, startAiStack } from "./ai-stack.ts";
import { post as postEarly } from "./webhook-stack.ts";

// The official OpenAI client against the proxy in workerd, with every provider a local mock.
let ai: Awaited<ReturnType<typeof startAiStack>>;
beforeAll(async () => {
  ai = await startAiStack();
}, 30_000);
afterAll(() => ai.close());

const ask = (model: string, content = "hello there") => ({
  model,
  messages: [{ role: "user" as const, content }],
});
const weather = (model: string) => ({
  ...ask(model, "what is the weather in Paris?"),
  tools: [
    {
      type: "function" as const,
      function: {
        name: "get_weather",
        parameters: { type: "object", properties: { location: { type: "string" } } },
      },
    },
  ],
});

async function collect(stream: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>) {
  const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  const text = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
  return {
    chunks,
    text,
    finish: chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0]?.finish_reason,
  };
}

describe.each([
  ["chat-default", "openai:gpt-4o-mini"],
  ["claude", "anthropic:claude-3-5-haiku-latest"],
  ["gemini", "gemini:gemini-2.5-flash"],
])("model %s (served by %s)", (model, served) => {
  test("a completion comes back in OpenAI's shape with usage and the serving target", async () => {
    const { data, response } = await ai.client().chat.completions.create(ask(model)).withResponse();
    expect(data.object).toBe("chat.completion");
    // The upstream model that served, as OpenAI's own answers say it (docs/ai-proxy.md).
    expect(data.model).toBe(served.split(":")[1]);
    expect(data.choices[0]!.message.content).toBeTruthy();
    expect(data.choices[0]!.finish_reason).toBe("stop");
    expect(data.usage!.total_tokens).toBeGreaterThan(0);
    expect(response.headers.get("x-breakwater-provider")).toBe(served);
    expect(response.headers.get("x-breakwater-attempts")).toBe("1");
    expect(response.headers.get("server-timing")).toMatch(/upstream;dur=\d+/);
    expect(response.headers.get("x-request-id")).toBeTruthy();
  });

  test("a stream arrives as chunks that end with a stop and, when asked, usage", async () => {
    const stream = await ai.client().chat.completions.create({
      ...ask(model),
      stream: true,
      stream_options: { include_usage: true },
    });
    const { chunks, text, finish } = await collect(stream);
    expect(text.length).toBeGreaterThan(0);
    expect(finish).toBe("stop");
    expect(chunks.at(-1)!.usage!.total_tokens).toBeGreaterThan(0);
  });

  test("tool calls come back as OpenAI tool_calls", async () => {
    const completion = await ai.client().chat.completions.create(weather(model));
    const call = completion.choices[0]!.message.tool_calls![0]!;
    expect(completion.choices[0]!.finish_reason).toBe("tool_calls");
    expect(call.type === "function" && call.function.name).toBe("get_weather");
    expect(call.type === "function" && JSON.parse(call.function.arguments)).toEqual({
      location: "Paris",
    });
  });
});

test("a stream without include_usage shows no usage chunk", async () => {
  const { chunks } = await collect(
    await ai.client().chat.completions.create({ ...ask("claude"), stream: true }),
  );
  expect(chunks.every((c) => c.choices.length > 0)).toBe(true);
});

test("embeddings from OpenAI and from Gemini", async () => {
  for (const model of ["embed", "embed-gemini"]) {
    const result = await ai.client().embeddings.create({ model, input: ["one", "two"] });
    expect(result.data).toHaveLength(2);
    expect(result.data[0]!.embedding.length).toBeGreaterThan(0);
  }
});

test("images from Fal as URLs or base64", async () => {
  const urls = await ai.client().images.generate({ model: "image", prompt: "a lighthouse", n: 2 });
  expect(urls.data).toHaveLength(2);
  expect(urls.data![0]!.url).toMatch(/^https:\/\//);
  const b64 = await ai
    .client()
    .images.generate({ model: "image", prompt: "a lighthouse", response_format: "b64_json" });
  expect(b64.data![0]!.b64_json).toBeTruthy();
});

test("GET /v1/models lists the public model names", async () => {
  const models = await ai.client().models.list();
  expect(models.data.map((m) => m.id).sort()).toEqual([
    "chat-default",
    "claude",
    "embed",
    "embed-gemini",
    "gemini",
    "image",
  ]);
});

test("the admin routes answer 404 while ADMIN_API_KEY is unset", async () => {
  for (const [method, path] of [
    ["GET", "/admin/keys"],
    ["POST", "/admin/keys"],
    ["DELETE", `/admin/keys/${crypto.randomUUID()}`],
  ] as const) {
    const res = await fetch(`${ai.worker.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${PROXY_KEY}` },
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: "not_found" } });
  }
});

describe("keys", () => {
  test("a missing key is refused with 401 before any upstream call", async () => {
    const before = ai.mocks.openai.calls().length;
    const res = await fetch(`${ai.worker.url}/v1/chat/completions`, {
      method: "POST",
      body: JSON.stringify(ask("chat-default")),
      headers: { "content-type": "application/json" },
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({
      error: { type: "authentication_error", code: "invalid_api_key" },
    });
    expect(ai.mocks.openai.calls().length).toBe(before);
  });

  test("a wrong key raises the SDK's AuthenticationError", async () => {
    await expect(
      ai.client("sk-wrong").chat.completions.create(ask("chat-default")),
    ).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });

  test("a key stored hashed in Postgres works, and stops working once revoked", async () => {
    const key = `bw-db-${crypto.randomUUID()}`;
    const hash = Buffer.from(
      await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key)),
    ).toString("hex");
    await ai.db.query("insert into api_keys (name, key_hash) values ('e2e', $1)", [hash]);
    expect((await ai.client(key).models.list()).data.length).toBeGreaterThan(0);
    await ai.db.query("update api_keys set revoked_at = now() where key_hash = $1", [hash]);
    const revokedKey = `bw-db-${crypto.randomUUID()}`; // a fresh key skips this isolate's 30 s cache
    await expect(ai.client(revokedKey).models.list()).rejects.toBeInstanceOf(
      OpenAI.AuthenticationError,
    );
  });

  test("a key's own requests-per-minute limit answers 429 with Retry-After and RateLimit headers", async () => {
    const key = `bw-db-${crypto.randomUUID()}`;
    const hash = Buffer.from(
      await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key)),
    ).toString("hex");
    await ai.db.query(
      "insert into api_keys (name, key_hash, requests_per_minute) values ('limited', $1, 2)",
      [hash],
    );
    await ai.client(key).chat.completions.create(ask("claude"));
    await ai.client(key).chat.completions.create(ask("claude"));
    const error = await ai
      .client(key)
      .chat.completions.create(ask("claude"))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    const headers = (error as InstanceType<typeof OpenAI.RateLimitError>).headers;
    expect(Number(headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(headers.get("ratelimit-policy")).toMatch(/q=2;w=60/);
  });

  test("the provider's key goes upstream and never back to the caller", async () => {
    const { data, response } = await ai
      .client()
      .chat.completions.create(ask("chat-default"))
      .withResponse();
    expect(ai.mocks.openai.calls().at(-1)!.headers.authorization).toBe(`Bearer ${OPENAI_MOCK_KEY}`);
    expect(JSON.stringify(data) + JSON.stringify([...response.headers])).not.toContain(
      OPENAI_MOCK_KEY,
    );
  });
});

describe("bad input in OpenAI's error shape", () => {
  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${ai.worker.url}/v1/chat/completions`, {
      method: "POST",
      body,
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${PROXY_KEY}`,
        ...headers,
      },
    });

  test("malformed JSON is a 400 invalid_request_error", async () => {
    const res = await post("{nope");
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: { type: "invalid_request_error", code: "invalid_json" },
      requestId: expect.any(String),
    });
  });

  test("a missing model is a 400 naming the param", async () => {
    expect(await (await post(JSON.stringify({ messages: [] }))).json()).toMatchObject({
      error: { param: "model" },
    });
  });

  test("messages of the wrong type are a 400 naming the param", async () => {
    const res = await post(JSON.stringify({ model: "claude", messages: "hi" }));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { param: "messages" } });
  });

  test("an unknown model raises the SDK's NotFoundError", async () => {
    await expect(ai.client().chat.completions.create(ask("no-such-model"))).rejects.toBeInstanceOf(
      OpenAI.NotFoundError,
    );
  });

  test("a body over the limit is a 413, answered before it is read", async () => {
    const body = JSON.stringify({ ...ask("claude"), pad: "x".repeat(5 * 1024 * 1024) });
    const res = await postEarly(`${ai.worker.url}/v1/chat/completions`, body, {
      "content-type": "application/json",
      authorization: `Bearer ${PROXY_KEY}`,
    });
    expect(res.status).toBe(413);
  });

  test("a caller cannot choose an upstream: direct provider:model names are off unless enabled", async () => {
    const before = ai.mocks.openai.calls().length;
    const res = await post(
      JSON.stringify({ ...ask("openai:http://127.0.0.1:1/steal"), base_url: "http://127.0.0.1:1" }),
    );
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: "model_not_found", param: "model" } });
    const direct = await post(JSON.stringify(ask("openai:gpt-4o-mini")));
    expect(direct.status).toBe(404);
    expect(ai.mocks.openai.calls().length).toBe(before);
  });
});
