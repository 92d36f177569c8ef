import { readFileSync } from "node:fs";
import { afterAll, beforeAll, expect, test } from "vitest";
import { isAppError } from "../../../shared/http/errors.ts";
import { openai } from "../../../shared/providers/openai/index.ts";
import type {
  ChatChunk,
  ChatRequest,
  ProviderConfig,
  UpstreamRequest,
} from "../../../shared/providers/types.ts";
import { OPENAI_MOCK_KEY, startOpenAiMock } from "../../mocks/openai.ts";
import type { MockServer } from "../../mocks/harness.ts";
import { readSse } from "../../mocks/wire.ts";

const chat = openai.chat!;
const CONFIG: ProviderConfig = { apiKey: "sk-test", baseUrl: "https://api.openai.com/v1" };
const CONTEXT = { model: "chat-default", id: "chatcmpl-proxy123", created: 1800000000 };
const HELLO: ChatRequest = { model: "chat-default", messages: [{ role: "user", content: "hi" }] };

const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/providers/openai/${name}`, import.meta.url), "utf8");

function bodyOf(request: UpstreamRequest): Record<string, unknown> {
  return JSON.parse(request.body!) as Record<string, unknown>;
}

async function replay(sse: string) {
  const translator = chat.stream(CONTEXT);
  const { events } = await readSse(new Response(sse).body!);
  const chunks = events.flatMap((event) => translator.push(event));
  return { chunks, end: translator.finish(), usage: translator.usage() };
}

const contentOf = (chunks: ChatChunk[]) =>
  chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");

test("a chat request goes to /chat/completions with a bearer key and the upstream model", () => {
  const request = chat.request({ ...HELLO, temperature: 0.2, seed: 7 }, "gpt-4o-mini", CONFIG);
  expect(request).toMatchObject({
    url: "https://api.openai.com/v1/chat/completions",
    method: "POST",
    headers: { authorization: "Bearer sk-test", "content-type": "application/json" },
  });
  expect(bodyOf(request)).toEqual({ ...HELLO, model: "gpt-4o-mini", temperature: 0.2, seed: 7 });
});

test("a stream request always asks for usage, keeping the caller's other stream options", () => {
  const body = { ...HELLO, stream: true, stream_options: { include_usage: false, extra: 1 } };
  expect(bodyOf(chat.request(body, "gpt-4o-mini", CONFIG)).stream_options).toEqual({
    include_usage: true,
    extra: 1,
  });
});

test("a non-stream request gets no stream options", () => {
  expect(bodyOf(chat.request(HELLO, "gpt-4o-mini", CONFIG))).not.toHaveProperty("stream_options");
});

test("URLs are the same whether the base URL ends in a slash or not", () => {
  for (const baseUrl of [
    "http://127.0.0.1:9/v1",
    "http://127.0.0.1:9/v1/",
    "http://127.0.0.1:9/v1//",
  ]) {
    const config = { apiKey: "k", baseUrl };
    expect([
      chat.request(HELLO, "m", config).url,
      openai.embeddings!.request({ model: "e", input: "x" }, "m", config).url,
      openai.images!.request({ model: "i", prompt: "x" }, "m", config).url,
      openai.probe(config).url,
    ]).toEqual([
      "http://127.0.0.1:9/v1/chat/completions",
      "http://127.0.0.1:9/v1/embeddings",
      "http://127.0.0.1:9/v1/images/generations",
      "http://127.0.0.1:9/v1/models",
    ]);
  }
});

test("a completion comes back under the public model name with the proxy's id and time", () => {
  const upstream = JSON.parse(fixture("chat-completion.json")) as Record<string, unknown>;
  expect(chat.response(upstream, CONTEXT)).toEqual({ ...upstream, ...CONTEXT });
});

test("an unreadable completion is a 502, not a guess", () => {
  let thrown: unknown;
  try {
    chat.response({ object: "chat.completion" }, CONTEXT);
  } catch (error) {
    thrown = error;
  }
  expect(isAppError(thrown) && thrown.status).toBe(502);
});

test("stream chunks are re-labelled and usage is taken from the usage chunk", async () => {
  const { chunks, end, usage } = await replay(fixture("stream-text.sse"));
  expect(chunks).toHaveLength(6);
  for (const chunk of chunks) expect(chunk).toMatchObject(CONTEXT);
  expect(contentOf(chunks)).toBe("Hello! How can I help?");
  expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { total_tokens: 16 } });
  expect(usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 7, total_tokens: 16 });
  expect(end).toEqual({ chunks: [], complete: true });
});

test("tool call fragments pass through in order", async () => {
  const { chunks, end } = await replay(fixture("stream-tool-calls.sse"));
  const args = chunks
    .flatMap((c) => c.choices[0]?.delta.tool_calls ?? [])
    .map((t) => t.function?.arguments);
  expect(JSON.parse(args.join(""))).toEqual({ location: "Paris" });
  expect(chunks[0]?.choices[0]?.delta.tool_calls?.[0]).toMatchObject({
    id: "call_DdmO9pD3xa9XTPNJ32zg2hcA",
    index: 0,
  });
  expect(end.complete).toBe(true);
});

test("a stream that ends before any finish reason or [DONE] is incomplete", async () => {
  const cut = fixture("stream-text.sse").split("\n\n").slice(0, 3).join("\n\n");
  const { end } = await replay(cut);
  expect(end.complete).toBe(false);
  expect(end.error).toMatch(/ended/);
});

test("a stream with a finish reason but no [DONE] is complete", async () => {
  const noDone = fixture("stream-tool-calls.sse").replace("data: [DONE]", "");
  expect((await replay(noDone)).end.complete).toBe(true);
});

test("an in-band error event makes the stream incomplete without relaying its words", async () => {
  const { chunks, end } = await replay(fixture("stream-in-band-error.sse"));
  expect(contentOf(chunks)).toBe("The answer");
  expect(end.complete).toBe(false);
  expect(end.error).toBe("The upstream provider failed to answer");
});

test("an unreadable stream event makes the stream incomplete", async () => {
  const { end } = await replay('data: {"id":\n\ndata: [DONE]\n\n');
  expect(end.complete).toBe(false);
});

test("embeddings pass through under the public model name", () => {
  const request = openai.embeddings!.request(
    { model: "embed", input: ["a", "b"], dimensions: 3 },
    "text-embedding-3-small",
    CONFIG,
  );
  expect(bodyOf(request)).toEqual({
    model: "text-embedding-3-small",
    input: ["a", "b"],
    dimensions: 3,
  });
  const upstream = JSON.parse(fixture("embeddings.json")) as Record<string, unknown>;
  expect(openai.embeddings!.response(upstream, CONTEXT)).toEqual({
    ...upstream,
    model: "chat-default",
  });
});

test("image generations pass through untouched", () => {
  const request = openai.images!.request(
    { model: "img", prompt: "a lighthouse", n: 1 },
    "dall-e-3",
    CONFIG,
  );
  expect(request.url).toBe("https://api.openai.com/v1/images/generations");
  expect(bodyOf(request)).toEqual({ model: "dall-e-3", prompt: "a lighthouse", n: 1 });
  const upstream = JSON.parse(fixture("images.json")) as unknown;
  expect(openai.images!.response(upstream, CONTEXT)).toEqual(upstream);
});

test("the probe lists models with the bearer key", () => {
  expect(openai.probe(CONFIG)).toEqual({
    url: "https://api.openai.com/v1/models",
    method: "GET",
    headers: { authorization: "Bearer sk-test" },
  });
});

test("a 4xx about the request keeps OpenAI's message and code", () => {
  expect(openai.error(400, fixture("error-context-length.json"))).toEqual({
    message: expect.stringMatching(/^This model's maximum context length is 128000 tokens/),
    code: "context_length_exceeded",
  });
});

test("a 401 is restated without OpenAI's words, which quote part of the key", () => {
  const error = openai.error(401, fixture("error-invalid-api-key.json"));
  expect(error).toEqual({
    message: "The upstream provider rejected the proxy's credentials",
    code: "invalid_api_key",
  });
});

test("a 429 is restated without OpenAI's words, which name the organisation", () => {
  const error = openai.error(429, fixture("error-rate-limit.json"));
  expect(error.code).toBe("rate_limit_exceeded");
  expect(error.message).not.toContain("org-");
});

test("a 5xx gets a generic message, never the body", () => {
  const body = fixture("error-server.json");
  expect(openai.error(500, body)).toEqual({
    message: "The upstream provider failed to answer",
    code: "upstream_error",
  });
  expect(openai.error(502, "<html>bad gateway: 10.0.3.7</html>").message).not.toContain("10.0.3.7");
});

test("a 4xx body that is not OpenAI's JSON is not echoed", () => {
  expect(openai.error(404, "<html>no route to /internal/admin</html>")).toEqual({
    message: "The upstream provider refused the request (HTTP 404)",
    code: "not_found",
  });
});

test("a very long 4xx message is cut", () => {
  const body = JSON.stringify({ error: { message: "x".repeat(10_000), code: "invalid_value" } });
  expect(openai.error(400, body).message).toHaveLength(500);
});

// Against the local OpenAI: what the proxy will see on the wire.
let mock: MockServer;
const mockConfig = () => ({ apiKey: OPENAI_MOCK_KEY, baseUrl: mock.url });

beforeAll(async () => {
  mock = await startOpenAiMock({ slowMs: 300 });
});
afterAll(() => mock.close());

function send(request: UpstreamRequest, signal?: AbortSignal): Promise<Response> {
  return fetch(request.url, {
    method: request.method,
    headers: request.headers,
    body: request.body ?? null,
    signal: signal ?? null,
  });
}

async function streamFromMock(body: ChatRequest) {
  const response = await send(chat.request({ ...body, stream: true }, "gpt-4o-mini", mockConfig()));
  const { events, failed } = await readSse(response.body!);
  const translator = chat.stream(CONTEXT);
  const chunks = events.flatMap((event) => translator.push(event));
  return { response, chunks, failed, end: translator.finish(), usage: translator.usage() };
}

test("the mock streams a reply with usage, and records the key and the body sent", async () => {
  const { chunks, end, usage } = await streamFromMock(HELLO);
  expect(contentOf(chunks)).toBe("You said: hi");
  expect(end.complete).toBe(true);
  expect(usage?.total_tokens).toBeGreaterThan(0);
  const call = mock.calls().at(-1)!;
  expect(call.headers.authorization).toBe(`Bearer ${OPENAI_MOCK_KEY}`);
  expect(call.body).toMatchObject({
    model: "gpt-4o-mini",
    stream_options: { include_usage: true },
  });
});

test("the mock calls the first tool when the last user message mentions weather", async () => {
  const tools = [
    { type: "function", function: { name: "get_weather", parameters: { type: "object" } } },
  ];
  const body = {
    ...HELLO,
    tools,
    messages: [{ role: "user" as const, content: "What's the weather?" }],
  };
  const response = await send(chat.request(body, "gpt-4o-mini", mockConfig()));
  const completion = chat.response(await response.json(), CONTEXT);
  expect(completion.choices[0]).toMatchObject({
    finish_reason: "tool_calls",
    message: {
      tool_calls: [{ function: { name: "get_weather", arguments: '{"location": "Paris"}' } }],
    },
  });
});

test("the mock answers embeddings with a fixed vector per input, and images", async () => {
  const embed = openai.embeddings!.request(
    { model: "e", input: ["a", "b", "a"] },
    "text-embedding-3-small",
    mockConfig(),
  );
  const { data } = openai.embeddings!.response(await (await send(embed)).json(), CONTEXT);
  expect(data).toHaveLength(3);
  expect(data[0]!.embedding).toEqual(data[2]!.embedding);
  expect(data[0]!.embedding).not.toEqual(data[1]!.embedding);
  const draw = openai.images!.request(
    { model: "i", prompt: "p", n: 2, response_format: "b64_json" },
    "dall-e-3",
    mockConfig(),
  );
  const images = openai.images!.response(await (await send(draw)).json(), CONTEXT);
  expect(images.data).toEqual([{ b64_json: expect.any(String) }, { b64_json: expect.any(String) }]);
});

test("the mock refuses a wrong key with OpenAI's 401", async () => {
  const response = await send(openai.probe({ apiKey: "sk-wrong", baseUrl: mock.url }));
  expect(response.status).toBe(401);
  expect(openai.error(401, await response.text()).code).toBe("invalid_api_key");
});

test("failNext 429 answers with Retry-After: 1", async () => {
  mock.failNext("429");
  const response = await send(openai.probe(mockConfig()));
  expect([response.status, response.headers.get("retry-after")]).toEqual([429, "1"]);
  expect(openai.error(429, await response.text()).code).toBe("rate_limit_exceeded");
});

test("failNext 503 twice fails two requests, then the mock answers again", async () => {
  mock.failNext("503", 2);
  const statuses = [];
  for (let i = 0; i < 3; i++) statuses.push((await send(openai.probe(mockConfig()))).status);
  expect(statuses).toEqual([503, 503, 200]);
});

test("failNext 500 answers OpenAI's server error, restated generically", async () => {
  mock.failNext("500");
  const response = await send(chat.request(HELLO, "gpt-4o-mini", mockConfig()));
  expect(response.status).toBe(500);
  expect(openai.error(500, await response.text()).message).toBe(
    "The upstream provider failed to answer",
  );
});

test("failNext hang accepts the request and never answers", async () => {
  mock.failNext("hang");
  const attempt = send(openai.probe(mockConfig()), AbortSignal.timeout(200));
  await expect(attempt).rejects.toMatchObject({ name: "TimeoutError" });
});

test("failNext reset destroys the connection", async () => {
  mock.failNext("reset");
  await expect(send(openai.probe(mockConfig()))).rejects.toThrow(TypeError);
});

test("failNext cut-stream breaks the stream off before its end, which the translator reports", async () => {
  mock.failNext("cut-stream");
  const { response, chunks, failed, end } = await streamFromMock(HELLO);
  expect(response.status).toBe(200);
  expect(failed).toBe(true);
  expect(chunks.length).toBeGreaterThan(0);
  expect(end.complete).toBe(false);
});

test("failNext slow-first-token sends headers at once and the first event after the delay", async () => {
  mock.failNext("slow-first-token");
  const started = performance.now();
  const response = await send(
    chat.request({ ...HELLO, stream: true }, "gpt-4o-mini", mockConfig()),
  );
  const headersAfter = performance.now() - started;
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  await reader.read();
  const firstEventAfter = performance.now() - started;
  await reader.cancel();
  expect(headersAfter).toBeLessThan(250);
  expect(firstEventAfter).toBeGreaterThanOrEqual(280);
});
