import { expect, test } from "vitest";
import { messagesCodec, messagesRequest } from "../../../shared/providers/messages/index.ts";
import type { MessagesRequest } from "../../../shared/providers/messages/request.ts";
import { refusal } from "./refusal.ts";

const base: MessagesRequest = {
  model: "m",
  max_tokens: 100,
  messages: [{ role: "user", content: "hi" }],
};
const toChat = (fields: Partial<MessagesRequest>) => messagesCodec.toChat({ ...base, ...fields });

const weatherTurns = [
  { role: "user", content: "weather in Paris and Rome?" },
  {
    role: "assistant",
    content: [
      { type: "thinking", thinking: "Two calls.", signature: "sig" },
      { type: "text", text: "Checking." },
      { type: "tool_use", id: "toolu_1", name: "weather", input: { city: "Paris" } },
      { type: "tool_use", id: "toolu_2", name: "weather", input: { city: "Rome" } },
    ],
  },
  {
    role: "user",
    content: [
      { type: "tool_result", tool_use_id: "toolu_1", content: "sunny" },
      { type: "tool_result", tool_use_id: "toolu_2", content: [{ type: "text", text: "rain" }] },
      { type: "text", text: "And tomorrow?" },
    ],
  },
];

test("system, max_tokens, stop_sequences, temperature and metadata.user_id carry over", () => {
  expect(
    toChat({
      system: [{ type: "text", text: "Be brief.", cache_control: { type: "ephemeral" } }],
      stop_sequences: ["END"],
      temperature: 0.3,
      metadata: { user_id: "u1" },
    }),
  ).toEqual({
    model: "m",
    messages: [
      { role: "system", content: "Be brief." },
      { role: "user", content: [{ type: "text", text: "hi" }] },
    ],
    max_completion_tokens: 100,
    stop: ["END"],
    temperature: 0.3,
    user: "u1",
  });
});

test("tool_use blocks become tool calls and tool_result blocks tool messages before the turn's text", () => {
  expect(toChat({ messages: weatherTurns }).messages.slice(1)).toEqual([
    {
      role: "assistant",
      content: "Checking.",
      tool_calls: [
        {
          id: "toolu_1",
          type: "function",
          function: { name: "weather", arguments: '{"city":"Paris"}' },
        },
        {
          id: "toolu_2",
          type: "function",
          function: { name: "weather", arguments: '{"city":"Rome"}' },
        },
      ],
    },
    { role: "tool", tool_call_id: "toolu_1", content: "sunny" },
    { role: "tool", tool_call_id: "toolu_2", content: "rain" },
    { role: "user", content: [{ type: "text", text: "And tomorrow?" }] },
  ]);
});

test("a tool_result without its tool_use is a 400 naming it, as Anthropic refuses it", () => {
  const messages = [
    { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_9", content: "x" }] },
  ];
  expect(refusal(() => toChat({ messages }))).toEqual({
    status: 400,
    param: "messages[0].content[0].tool_use_id",
  });
});

test("image blocks (base64 and url) become image_url parts", () => {
  const messages = [
    {
      role: "user",
      content: [
        { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBOR" } },
        { type: "image", source: { type: "url", url: "https://example.com/a.jpg" } },
      ],
    },
  ];
  expect(toChat({ messages }).messages[0]!.content).toEqual([
    { type: "image_url", image_url: { url: "data:image/png;base64,iVBOR" } },
    { type: "image_url", image_url: { url: "https://example.com/a.jpg" } },
  ]);
});

test("custom tools and every tool_choice, with disable_parallel_tool_use, carry over", () => {
  const tools = [{ name: "f", description: "d", input_schema: { type: "object" } }];
  const cases = [
    [{ type: "auto" }, { tool_choice: "auto" }],
    [{ type: "any" }, { tool_choice: "required" }],
    [{ type: "none" }, { tool_choice: "none" }],
    [
      { type: "tool", name: "f", disable_parallel_tool_use: true },
      { tool_choice: { type: "function", function: { name: "f" } }, parallel_tool_calls: false },
    ],
  ] as const;
  for (const [choice, expected] of cases) {
    expect(toChat({ tools, tool_choice: choice })).toMatchObject({
      tools: [
        {
          type: "function",
          function: { name: "f", description: "d", parameters: { type: "object" } },
        },
      ],
      ...expected,
    });
  }
});

test("thinking budgets and output_config.effort become reasoning_effort", () => {
  const effort = (fields: Partial<MessagesRequest>) => toChat(fields).reasoning_effort;
  expect(effort({ thinking: { type: "enabled", budget_tokens: 1024 } })).toBe("low");
  expect(effort({ thinking: { type: "enabled", budget_tokens: 8000 } })).toBe("medium");
  expect(effort({ thinking: { type: "enabled", budget_tokens: 32000 } })).toBe("high");
  expect(effort({ output_config: { effort: "max" } })).toBe("xhigh");
  expect(effort({ thinking: { type: "disabled" } })).toBeUndefined();
});

test("output_config.format becomes a json_schema response_format", () => {
  const schema = { type: "object", properties: { a: { type: "string" } } };
  expect(
    toChat({ output_config: { format: { type: "json_schema", schema } } }).response_format,
  ).toEqual({
    type: "json_schema",
    json_schema: { name: "response", schema, strict: true },
  });
});

test("a server tool, a block and a field with no counterpart are a 400 naming them", () => {
  expect(
    refusal(() => toChat({ tools: [{ type: "web_search_20250305", name: "web_search" }] })),
  ).toEqual({
    status: 400,
    param: "tools[0].type",
  });
  const messages = [{ role: "user", content: [{ type: "document", source: {} }] }];
  expect(refusal(() => toChat({ messages }))).toEqual({
    status: 400,
    param: "messages[0].content[0].type",
  });
  expect(refusal(() => toChat({ top_k: 5 }))).toEqual({ status: 400, param: "top_k" });
});

test("a missing max_tokens and an unknown role are refused as Anthropic refuses them", () => {
  expect(refusal(() => messagesRequest({ model: "m", messages: base.messages }))).toEqual({
    status: 400,
    param: "max_tokens",
  });
  expect(
    refusal(() => messagesRequest({ ...base, messages: [{ role: "system", content: "x" }] })),
  ).toEqual({ status: 400, param: "messages[0].role" });
});
