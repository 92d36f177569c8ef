import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { gemini } from "../../../shared/providers/gemini/index.ts";
import { parseSse } from "../../../shared/providers/sse.ts";
import type {
  ChatChunk,
  ChatRequest,
  ProviderConfig,
  UpstreamRequest,
} from "../../../shared/providers/types.ts";
import {
  GEMINI_MOCK_KEY,
  GEMINI_MOCK_PIECES,
  type MockServer,
  startGeminiMock,
} from "../../mocks/gemini.ts";

const context = {
  model: "smart",
  id: "chatcmpl-0000000000000000000000000000abcd",
  created: 1_763_000_000,
};
const MODEL = "gemini-2.5-flash";

let mock: MockServer;
let config: ProviderConfig;

beforeEach(async () => {
  mock = await startGeminiMock({ slowMs: 300 });
  config = { apiKey: GEMINI_MOCK_KEY, baseUrl: mock.url };
});
afterEach(() => mock.close());

const send = (upstream: UpstreamRequest, signal?: AbortSignal) =>
  fetch(upstream.url, {
    method: upstream.method,
    headers: upstream.headers,
    ...(upstream.body !== undefined ? { body: upstream.body } : {}),
    ...(signal ? { signal } : {}),
  });

const chat = (fields: Partial<ChatRequest> = {}) =>
  gemini.chat!.request(
    { model: "smart", messages: [{ role: "user", content: "Say something." }], ...fields },
    MODEL,
    config,
  );

/** A streamed answer through parseSse and the translator, as the proxy reads it. */
async function stream(response: Response) {
  const translator = gemini.chat!.stream(context);
  const chunks: ChatChunk[] = [];
  let broke: unknown;
  try {
    for await (const event of response.body!.pipeThrough(parseSse()))
      chunks.push(...translator.push(event));
  } catch (error) {
    broke = error;
  }
  return { chunks, finish: translator.finish(), broke };
}

describe("normal answers", () => {
  test("a chat request round-trips as a chat.completion with usage", async () => {
    const response = await send(chat());
    const completion = gemini.chat!.response(await response.json(), context);
    expect(completion.choices[0]!.message.content).toBe(GEMINI_MOCK_PIECES.join(""));
    expect(completion.choices[0]!.finish_reason).toBe("stop");
    expect(completion.usage!.completion_tokens).toBeGreaterThan(0);
  });

  test("a stream arrives as real SSE in several events, ending complete with usage", async () => {
    const response = await send(chat({ stream: true }));
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const { chunks, finish } = await stream(response);
    expect(chunks.map((c) => c.choices[0]!.delta.content ?? "").join("")).toBe(
      GEMINI_MOCK_PIECES.join(""),
    );
    expect(chunks.filter((c) => c.choices[0]!.delta.content)).toHaveLength(3);
    expect(finish.complete).toBe(true);
    expect(finish.chunks[0]!.usage!.total_tokens).toBeGreaterThan(0);
  });

  test("tools and a question about the weather get a function call back", async () => {
    const tools = [
      {
        type: "function",
        function: {
          name: "get_weather",
          parameters: { type: "object", properties: { location: { type: "string" } } },
        },
      },
    ];
    const response = await send(
      chat({ tools, messages: [{ role: "user", content: "What's the weather?" }] }),
    );
    const completion = gemini.chat!.response(await response.json(), context);
    expect(completion.choices[0]).toMatchObject({
      finish_reason: "tool_calls",
      message: {
        tool_calls: [{ function: { name: "get_weather", arguments: '{"location":"Paris"}' } }],
      },
    });
  });

  test("max tokens below the answer's length finish with length", async () => {
    const response = await send(chat({ max_tokens: 2 }));
    const completion = gemini.chat!.response(await response.json(), context);
    expect(completion.choices[0]).toMatchObject({
      finish_reason: "length",
      message: { content: "This is" },
    });
  });

  test("embeddings round-trip with one fixed vector per input", async () => {
    const upstream = gemini.embeddings!.request(
      { model: "e", input: ["alpha", "beta", "alpha"], dimensions: 4 },
      "gemini-embedding-001",
      config,
    );
    const list = gemini.embeddings!.response(await (await send(upstream)).json(), context);
    expect(list.data.map((d) => d.embedding.length)).toEqual([4, 4, 4]);
    expect(list.data[0]!.embedding).toEqual(list.data[2]!.embedding);
    expect(list.data[0]!.embedding).not.toEqual(list.data[1]!.embedding);
  });

  test("the probe is answered with a one-model list", async () => {
    const response = await send(gemini.probe(config));
    expect(response.status).toBe(200);
    expect(((await response.json()) as { models: unknown[] }).models).toHaveLength(1);
  });

  test("requests are recorded: the key in its header, alt=sse, the body, and no key in the URL", async () => {
    await (await send(chat({ stream: true }))).text();
    const [call] = mock.calls();
    expect(call).toMatchObject({
      method: "POST",
      path: `/v1beta/models/${MODEL}:streamGenerateContent`,
      query: { alt: "sse" },
      headers: { "x-goog-api-key": GEMINI_MOCK_KEY },
      body: { contents: [{ role: "user", parts: [{ text: "Say something." }] }] },
    });
    expect(call!.query).not.toHaveProperty("key");
  });
});

describe("the key check", () => {
  test("a wrong key gets Google's 400 API_KEY_INVALID, restated as invalid_api_key", async () => {
    const response = await send(
      gemini.chat!.request({ model: "m", messages: [{ role: "user", content: "Hi" }] }, MODEL, {
        ...config,
        apiKey: "wrong",
      }),
    );
    expect(response.status).toBe(400);
    expect(gemini.error(400, await response.text()).code).toBe("invalid_api_key");
  });

  test("a key sent only in the URL counts as missing: 403 PERMISSION_DENIED", async () => {
    const response = await fetch(`${mock.url}/v1beta/models?key=${GEMINI_MOCK_KEY}`);
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ error: { status: "PERMISSION_DENIED" } });
  });
});

describe("failNext", () => {
  test.each([
    ["500", "upstream_error"],
    ["503", "overloaded"],
    ["429", "rate_limit_exceeded"],
    ["401", "invalid_api_key"],
    ["400", "invalid_request"],
  ] as const)("%s answers that status with Google's error body", async (mode, code) => {
    mock.failNext(mode);
    const response = await send(chat());
    expect(response.status).toBe(Number(mode));
    expect(gemini.error(response.status, await response.text()).code).toBe(code);
  });

  test("429 says Retry-After: 1", async () => {
    mock.failNext("429");
    expect((await send(chat())).headers.get("retry-after")).toBe("1");
  });

  test("a failure applies to the given number of requests, then answers are normal again", async () => {
    mock.failNext("503", 2);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await send(chat())).status);
    expect(statuses).toEqual([503, 503, 200]);
    expect(mock.calls()).toHaveLength(3);
  });

  test("hang accepts the request and never answers", async () => {
    mock.failNext("hang");
    const error = await send(chat(), AbortSignal.timeout(300)).catch((e: unknown) => e);
    expect((error as Error).name).toBe("TimeoutError");
    expect(mock.calls()).toHaveLength(1);
  });

  test("reset destroys the socket before any answer", async () => {
    mock.failNext("reset");
    const error = await send(chat()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
  });

  test("cut-stream sends some events, then drops the connection: the stream is incomplete", async () => {
    mock.failNext("cut-stream");
    const { chunks, finish, broke } = await stream(await send(chat({ stream: true })));
    expect(chunks.length).toBeGreaterThan(0);
    expect(broke).toBeInstanceOf(TypeError);
    expect(finish.complete).toBe(false);
  });

  test("slow-first-token sends the headers at once and the first event late", async () => {
    mock.failNext("slow-first-token");
    const started = Date.now();
    const response = await send(chat({ stream: true }));
    const headersAfter = Date.now() - started;
    const reader = response.body!.pipeThrough(parseSse()).getReader();
    await reader.read();
    const firstEventAfter = Date.now() - started;
    await reader.cancel();
    expect(headersAfter).toBeLessThan(250);
    expect(firstEventAfter).toBeGreaterThanOrEqual(280);
  });
});
