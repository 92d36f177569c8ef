import { expect, test } from "vitest";
import { isAppError } from "../../../shared/http/errors.ts";
import { anthropic } from "../../../shared/providers/anthropic/index.ts";
import type { ChatMessage, ChatRequest } from "../../../shared/providers/types.ts";

const CONFIG = { apiKey: "sk-ant-test", baseUrl: "https://api.anthropic.com" };
const WEATHER_TOOL = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Current weather",
    parameters: {
      type: "object",
      properties: { location: { type: "string" } },
      required: ["location"],
    },
  },
};

function translate(body: Partial<ChatRequest>): Record<string, unknown> {
  const request = anthropic.chat!.request(
    { model: "public", messages: [{ role: "user", content: "hi" }], ...body },
    "claude-sonnet-4-5",
    CONFIG,
  );
  return JSON.parse(request.body!) as Record<string, unknown>;
}

const turns = (...messages: ChatMessage[]) => translate({ messages }).messages as unknown[];

function refusal(body: Partial<ChatRequest>) {
  try {
    translate(body);
  } catch (error) {
    if (isAppError(error)) return { status: error.status, code: error.code, param: error.param };
    throw error;
  }
  throw new Error("the request was not refused");
}

test("a chat request goes to /v1/messages with Anthropic's key and version headers", () => {
  expect(
    anthropic.chat!.request({ model: "p", messages: [] }, "claude-sonnet-4-5", CONFIG),
  ).toMatchObject({
    url: "https://api.anthropic.com/v1/messages",
    method: "POST",
    headers: {
      "x-api-key": "sk-ant-test",
      "anthropic-version": "2023-06-01",
      "content-type": "application/json",
    },
  });
});

test("URLs are the same whether the base URL ends in a slash or not", () => {
  for (const baseUrl of ["http://127.0.0.1:9", "http://127.0.0.1:9/", "http://127.0.0.1:9//"]) {
    const config = { apiKey: "k", baseUrl };
    expect(anthropic.chat!.request({ model: "p", messages: [] }, "m", config).url).toBe(
      "http://127.0.0.1:9/v1/messages",
    );
    expect(anthropic.probe(config).url).toBe("http://127.0.0.1:9/v1/models");
  }
});

test("the upstream model replaces the public one, and max_tokens defaults to 4096", () => {
  expect(translate({})).toEqual({
    model: "claude-sonnet-4-5",
    max_tokens: 4096,
    messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }],
  });
});

test("max_completion_tokens wins over max_tokens", () => {
  expect(translate({ max_tokens: 100 }).max_tokens).toBe(100);
  expect(translate({ max_tokens: 100, max_completion_tokens: 50 }).max_tokens).toBe(50);
});

test("system and developer messages, wherever they stand, become the system prompt", () => {
  const body = translate({
    messages: [
      { role: "system", content: "Be brief." },
      { role: "user", content: "hi" },
      { role: "developer", content: [{ type: "text", text: "Answer in French." }] },
    ],
  });
  expect(body.system).toBe("Be brief.\n\nAnswer in French.");
  expect(body.messages).toEqual([{ role: "user", content: [{ type: "text", text: "hi" }] }]);
});

test("a data: image URL becomes a base64 image source", () => {
  const content = [
    { type: "text" as const, text: "What is this?" },
    {
      type: "image_url" as const,
      image_url: { url: "data:image/png;base64,iVBORw0KGgo=", detail: "high" },
    },
  ];
  expect(turns({ role: "user", content })).toEqual([
    {
      role: "user",
      content: [
        { type: "text", text: "What is this?" },
        {
          type: "image",
          source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" },
        },
      ],
    },
  ]);
});

test("a data: URL of image/jpg is sent as image/jpeg, which is what Anthropic accepts", () => {
  const content = [
    { type: "image_url" as const, image_url: { url: "data:image/jpg;base64,/9j/4AAQ" } },
  ];
  expect(turns({ role: "user", content })).toEqual([
    {
      role: "user",
      content: [
        { type: "image", source: { type: "base64", media_type: "image/jpeg", data: "/9j/4AAQ" } },
      ],
    },
  ]);
});

test("an https image URL becomes a url image source", () => {
  const content = [
    { type: "image_url" as const, image_url: { url: "https://example.com/cat.jpg" } },
  ];
  expect(turns({ role: "user", content })).toEqual([
    {
      role: "user",
      content: [{ type: "image", source: { type: "url", url: "https://example.com/cat.jpg" } }],
    },
  ]);
});

test("an image URL Anthropic cannot take is refused with the part's path", () => {
  for (const url of [
    "http://example.com/cat.jpg",
    "data:image/svg+xml;base64,PHN2Zz4=",
    "file:///etc/passwd",
  ]) {
    const content = [{ type: "image_url" as const, image_url: { url } }];
    expect(refusal({ messages: [{ role: "user", content }] })).toEqual({
      status: 400,
      code: "invalid_image_url",
      param: "messages[0].content[0].image_url.url",
    });
  }
});

test("a content part Anthropic has no block for is refused", () => {
  const content = [
    { type: "input_audio", input_audio: { data: "", format: "wav" } },
  ] as unknown as ChatMessage["content"];
  expect(refusal({ messages: [{ role: "user", content }] })).toMatchObject({
    status: 400,
    param: "messages[0].content[0].type",
  });
});

test("assistant tool calls become tool_use blocks with parsed input", () => {
  const assistant: ChatMessage = {
    role: "assistant",
    content: "Let me look.",
    tool_calls: [
      {
        id: "call_1",
        type: "function",
        function: { name: "get_weather", arguments: '{"location":"Paris"}' },
      },
      { id: "call_2", type: "function", function: { name: "get_time", arguments: "" } },
    ],
  };
  expect(turns({ role: "user", content: "weather?" }, assistant)[1]).toEqual({
    role: "assistant",
    content: [
      { type: "text", text: "Let me look." },
      { type: "tool_use", id: "call_1", name: "get_weather", input: { location: "Paris" } },
      { type: "tool_use", id: "call_2", name: "get_time", input: {} },
    ],
  });
});

test("tool call arguments that are not a JSON object are refused", () => {
  const assistant: ChatMessage = {
    role: "assistant",
    tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "[1," } }],
  };
  expect(refusal({ messages: [{ role: "user", content: "x" }, assistant] })).toMatchObject({
    status: 400,
    param: "messages[1].tool_calls[0].function.arguments",
  });
});

test("a tool call without an id is refused", () => {
  const call = { type: "function", function: { name: "f", arguments: "{}" } };
  const assistant = { role: "assistant", tool_calls: [call] } as unknown as ChatMessage;
  expect(refusal({ messages: [{ role: "user", content: "x" }, assistant] })).toMatchObject({
    status: 400,
    param: "messages[1].tool_calls[0]",
  });
});

test("tool results travel as tool_result blocks in one user turn, merged with what follows", () => {
  const call = (id: string) => ({
    id,
    type: "function" as const,
    function: { name: "f", arguments: "{}" },
  });
  const result = turns(
    { role: "user", content: "go" },
    { role: "assistant", content: null, tool_calls: [call("c1"), call("c2")] },
    { role: "tool", tool_call_id: "c1", content: "sunny" },
    { role: "tool", tool_call_id: "c2", content: [{ type: "text", text: "12:00" }] },
    { role: "user", content: "thanks" },
  );
  expect(result).toEqual([
    { role: "user", content: [{ type: "text", text: "go" }] },
    {
      role: "assistant",
      content: [
        { type: "tool_use", id: "c1", name: "f", input: {} },
        { type: "tool_use", id: "c2", name: "f", input: {} },
      ],
    },
    {
      role: "user",
      content: [
        { type: "tool_result", tool_use_id: "c1", content: "sunny" },
        { type: "tool_result", tool_use_id: "c2", content: "12:00" },
        { type: "text", text: "thanks" },
      ],
    },
  ]);
});

test("consecutive user turns are merged and an empty assistant turn is dropped", () => {
  expect(
    turns(
      { role: "user", content: "a" },
      { role: "assistant", content: "" },
      { role: "user", content: "b" },
    ),
  ).toEqual([
    {
      role: "user",
      content: [
        { type: "text", text: "a" },
        { type: "text", text: "b" },
      ],
    },
  ]);
});

test("function tools become Anthropic tools with an input_schema", () => {
  const bare = { type: "function", function: { name: "now" } };
  expect(translate({ tools: [WEATHER_TOOL, bare] }).tools).toEqual([
    {
      name: "get_weather",
      description: "Current weather",
      input_schema: WEATHER_TOOL.function.parameters,
    },
    { name: "now", input_schema: { type: "object", properties: {} } },
  ]);
});

test("a tool that is not a function tool is refused", () => {
  expect(refusal({ tools: [{ type: "custom", custom: { name: "x" } }] })).toMatchObject({
    status: 400,
    param: "tools[0]",
  });
});

test.each([
  ["auto", { type: "auto" }],
  ["none", { type: "none" }],
  ["required", { type: "any" }],
  [
    { type: "function", function: { name: "get_weather" } },
    { type: "tool", name: "get_weather" },
  ],
])("tool_choice %j becomes %j", (choice, expected) => {
  expect(translate({ tools: [WEATHER_TOOL], tool_choice: choice }).tool_choice).toEqual(expected);
});

test("parallel_tool_calls: false disables parallel tool use", () => {
  expect(translate({ tools: [WEATHER_TOOL], parallel_tool_calls: false }).tool_choice).toEqual({
    type: "auto",
    disable_parallel_tool_use: true,
  });
});

test("stop becomes stop_sequences, a string as a list of one", () => {
  expect(translate({ stop: "END" }).stop_sequences).toEqual(["END"]);
  expect(translate({ stop: ["a", "b"] }).stop_sequences).toEqual(["a", "b"]);
});

test("temperature above Anthropic's 1 is lowered to 1; top_p, stream and user carry over", () => {
  expect(
    translate({
      temperature: 1.7,
      top_p: 0.9,
      stream: true,
      stream_options: { include_usage: true },
      user: "u-1",
    }),
  ).toMatchObject({
    temperature: 1,
    top_p: 0.9,
    stream: true,
    metadata: { user_id: "u-1" },
  });
  expect(translate({ temperature: 0.3 }).temperature).toBe(0.3);
  expect(translate({ stream: true })).not.toHaveProperty("stream_options");
});

test("n above 1 is refused as an unsupported parameter", () => {
  expect(refusal({ n: 2 })).toEqual({ status: 400, code: "unsupported_parameter", param: "n" });
  expect(translate({ n: 1 })).not.toHaveProperty("n");
});

test("JSON response formats are refused; the text format is accepted", () => {
  for (const type of ["json_object", "json_schema"]) {
    expect(refusal({ response_format: { type } })).toEqual({
      status: 400,
      code: "unsupported_parameter",
      param: "response_format",
    });
  }
  expect(translate({ response_format: { type: "text" } })).not.toHaveProperty("response_format");
});
