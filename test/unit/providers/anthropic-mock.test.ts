import { afterAll, beforeAll, expect, test } from "vitest";
import { anthropic } from "../../../shared/providers/anthropic/index.ts";
import type { ChatRequest, UpstreamRequest } from "../../../shared/providers/types.ts";
import { ANTHROPIC_MOCK_KEY, startAnthropicMock } from "../../mocks/anthropic.ts";
import type { MockServer } from "../../mocks/harness.ts";
import { readSse } from "../../mocks/wire.ts";

const chat = anthropic.chat!;
const CONTEXT = { model: "chat-default", id: "chatcmpl-proxy123", created: 1800000000 };
const WEATHER: ChatRequest = {
  model: "chat-default",
  messages: [{ role: "user", content: "What's the weather in Paris?" }],
  tools: [{ type: "function", function: { name: "get_weather", parameters: { type: "object" } } }],
};

let mock: MockServer;
const config = () => ({ apiKey: ANTHROPIC_MOCK_KEY, baseUrl: mock.url });

beforeAll(async () => {
  mock = await startAnthropicMock();
});
afterAll(() => mock.close());

function send(request: UpstreamRequest): Promise<Response> {
  return fetch(request.url, {
    method: request.method,
    headers: request.headers,
    body: request.body ?? null,
  });
}

async function stream(body: ChatRequest) {
  const response = await send(
    chat.request({ ...body, stream: true }, "claude-sonnet-4-5", config()),
  );
  const { events, failed } = await readSse(response.body!);
  const translator = chat.stream(CONTEXT);
  const chunks = events.flatMap((event) => translator.push(event));
  return { events, chunks, failed, end: translator.finish(), usage: translator.usage() };
}

test("the mock answers a translated request, and records Anthropic's headers", async () => {
  const body: ChatRequest = {
    model: "chat-default",
    messages: [{ role: "user", content: "hello there" }],
  };
  const response = await send(chat.request(body, "claude-sonnet-4-5", config()));
  const completion = chat.response(await response.json(), CONTEXT);
  expect(completion.choices[0]).toMatchObject({
    message: { content: "You said: hello there" },
    finish_reason: "stop",
  });
  expect(completion.usage?.completion_tokens).toBeGreaterThan(0);
  expect(mock.calls().at(-1)).toMatchObject({
    method: "POST",
    path: "/v1/messages",
    headers: { "x-api-key": ANTHROPIC_MOCK_KEY, "anthropic-version": "2023-06-01" },
    body: { model: "claude-sonnet-4-5", max_tokens: 4096 },
  });
});

test("the mock streams Anthropic's event sequence, ping included", async () => {
  const { events, end } = await stream({ model: "m", messages: [{ role: "user", content: "hi" }] });
  expect(events.map((event) => event.event)).toEqual([
    "message_start",
    "content_block_start",
    "ping",
    "content_block_delta",
    "content_block_delta",
    "content_block_delta",
    "content_block_stop",
    "message_delta",
    "message_stop",
  ]);
  expect(end.complete).toBe(true);
});

test("the mock streams a tool call when the last user turn mentions weather", async () => {
  const { chunks, end } = await stream(WEATHER);
  const calls = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []);
  expect(calls[0]).toMatchObject({
    index: 0,
    id: "toolu_mock_weather",
    function: { name: "get_weather" },
  });
  expect(JSON.parse(calls.map((call) => call.function?.arguments).join(""))).toEqual({
    location: "Paris",
  });
  expect(chunks.some((chunk) => chunk.choices[0]?.finish_reason === "tool_calls")).toBe(true);
  expect(end.complete).toBe(true);
});

test("the mock answers a tool result with text instead of calling the tool again", async () => {
  const body: ChatRequest = {
    ...WEATHER,
    messages: [
      ...WEATHER.messages,
      {
        role: "assistant",
        content: null,
        tool_calls: [
          {
            id: "toolu_1",
            type: "function",
            function: { name: "get_weather", arguments: '{"location":"Paris"}' },
          },
        ],
      },
      { role: "tool", tool_call_id: "toolu_1", content: "sunny, 21 °C" },
    ],
  };
  const completion = chat.response(
    await (await send(chat.request(body, "claude-sonnet-4-5", config()))).json(),
    CONTEXT,
  );
  expect(completion.choices[0]).toMatchObject({
    finish_reason: "stop",
    message: { content: "You said: sunny, 21 °C" },
  });
});

test("the mock stops at max_tokens, which becomes finish_reason length", async () => {
  const body: ChatRequest = {
    model: "m",
    messages: [{ role: "user", content: "one two three four" }],
    max_tokens: 2,
  };
  const completion = chat.response(
    await (await send(chat.request(body, "claude-sonnet-4-5", config()))).json(),
    CONTEXT,
  );
  expect(completion.choices[0]).toMatchObject({
    finish_reason: "length",
    message: { content: "You said:" },
  });
});

test("the mock refuses a wrong key with Anthropic's 401", async () => {
  const response = await send(anthropic.probe({ apiKey: "sk-ant-wrong", baseUrl: mock.url }));
  expect(response.status).toBe(401);
  expect(anthropic.error(401, await response.text()).code).toBe("invalid_api_key");
});

test("failNext 529 answers Anthropic's overloaded_error", async () => {
  mock.failNext("529");
  const response = await send(anthropic.probe(config()));
  expect(response.status).toBe(529);
  expect(anthropic.error(529, await response.text())).toEqual({
    message: "The upstream provider is overloaded",
    code: "overloaded",
  });
});

test("failNext 400 answers an invalid_request_error whose message is kept", async () => {
  mock.failNext("400");
  const response = await send(anthropic.probe(config()));
  expect(anthropic.error(response.status, await response.text())).toMatchObject({
    code: "invalid_request",
    message: expect.stringContaining("text content blocks must be non-empty"),
  });
});

test("failNext cut-stream breaks the event sequence off before message_stop", async () => {
  mock.failNext("cut-stream");
  const { events, failed, end } = await stream(WEATHER);
  expect(failed).toBe(true);
  expect(events[0]?.event).toBe("message_start");
  expect(events.some((event) => event.event === "message_stop")).toBe(false);
  expect(end.complete).toBe(false);
});
