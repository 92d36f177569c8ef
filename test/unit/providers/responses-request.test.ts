import { expect, test } from "vitest";
import { isAppError } from "../../../shared/http/errors.ts";
import { responsesCodec } from "../../../shared/providers/responses/index.ts";
import type { ResponsesRequest } from "../../../shared/providers/responses/request.ts";

const toChat = (fields: Partial<ResponsesRequest>) =>
  responsesCodec.toChat({ model: "m", input: "hi", ...fields });

function refusal(fields: Partial<ResponsesRequest>) {
  try {
    toChat(fields);
  } catch (error) {
    if (isAppError(error)) return { status: error.status, param: error.param };
    throw error;
  }
  throw new Error("not refused");
}

test("a string input is one user message, and instructions the system message before it", () => {
  expect(toChat({ instructions: "Be brief." }).messages).toEqual([
    { role: "system", content: "Be brief." },
    { role: "user", content: "hi" },
  ]);
});

test("input_text and input_image parts (https and data: URLs) become text and image_url parts", () => {
  const input = [
    {
      role: "user",
      content: [
        { type: "input_text", text: "What is this?" },
        { type: "input_image", image_url: "https://example.com/cat.png", detail: "low" },
        { type: "input_image", image_url: "data:image/png;base64,iVBORw0KGgo=" },
      ],
    },
  ];
  expect(toChat({ input }).messages[0]).toEqual({
    role: "user",
    content: [
      { type: "text", text: "What is this?" },
      { type: "image_url", image_url: { url: "https://example.com/cat.png", detail: "low" } },
      { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
    ],
  });
});

test("parallel function calls join one assistant message; their outputs are tool messages", () => {
  const input = [
    { role: "user", content: "weather in Paris and Rome?" },
    { type: "function_call", call_id: "call_1", name: "weather", arguments: '{"city":"Paris"}' },
    { type: "function_call", call_id: "call_2", name: "weather", arguments: '{"city":"Rome"}' },
    { type: "function_call_output", call_id: "call_1", output: "sunny" },
    { type: "function_call_output", call_id: "call_2", output: "rain" },
  ];
  expect(toChat({ input }).messages.slice(1)).toEqual([
    {
      role: "assistant",
      content: null,
      tool_calls: [
        {
          id: "call_1",
          type: "function",
          function: { name: "weather", arguments: '{"city":"Paris"}' },
        },
        {
          id: "call_2",
          type: "function",
          function: { name: "weather", arguments: '{"city":"Rome"}' },
        },
      ],
    },
    { role: "tool", tool_call_id: "call_1", content: "sunny" },
    { role: "tool", tool_call_id: "call_2", content: "rain" },
  ]);
});

test("a call id carrying a thought signature gives it back to the call, and the bare id to both", () => {
  const input = [
    { type: "function_call", call_id: "call_x_0__ts_AAEC", name: "f", arguments: "{}" },
    { type: "function_call_output", call_id: "call_x_0__ts_AAEC", output: "ok" },
  ];
  const [call, output] = toChat({ input }).messages;
  expect(call!.tool_calls![0]).toMatchObject({
    id: "call_x_0",
    extra_content: { google: { thought_signature: "AAEC" } },
  });
  expect(output!.tool_call_id).toBe("call_x_0");
});

test("function tools, every tool_choice and parallel_tool_calls carry over", () => {
  const tools = [{ type: "function", name: "f", description: "d", parameters: { type: "object" } }];
  const chatTools = [
    { type: "function", function: { name: "f", description: "d", parameters: { type: "object" } } },
  ];
  for (const [choice, expected] of [
    ["none", "none"],
    ["auto", "auto"],
    ["required", "required"],
    [
      { type: "function", name: "f" },
      { type: "function", function: { name: "f" } },
    ],
  ] as const) {
    expect(toChat({ tools, tool_choice: choice, parallel_tool_calls: false })).toMatchObject({
      tools: chatTools,
      tool_choice: expected,
      parallel_tool_calls: false,
    });
  }
});

test("text.format json_schema and json_object become response_format", () => {
  const schema = { type: "object", properties: { a: { type: "string" } } };
  expect(
    toChat({ text: { format: { type: "json_schema", name: "A", schema, strict: true } } })
      .response_format,
  ).toEqual({ type: "json_schema", json_schema: { name: "A", schema, strict: true } });
  expect(toChat({ text: { format: { type: "json_object" } } }).response_format).toEqual({
    type: "json_object",
  });
});

test("reasoning.effort, max_output_tokens, temperature and top_p carry over", () => {
  expect(
    toChat({ reasoning: { effort: "high" }, max_output_tokens: 50, temperature: 0.2, top_p: 0.9 }),
  ).toMatchObject({
    reasoning_effort: "high",
    max_completion_tokens: 50,
    temperature: 0.2,
    top_p: 0.9,
  });
});

test("fields that need OpenAI's stored state are a 400 naming them", () => {
  expect(refusal({ previous_response_id: "resp_1" })).toEqual({
    status: 400,
    param: "previous_response_id",
  });
  expect(refusal({ store: true })).toEqual({ status: 400, param: "store" });
  expect(refusal({ input: [{ type: "item_reference", id: "msg_1" }] })).toEqual({
    status: 400,
    param: "input[0].type",
  });
});

test("a hosted tool, an unknown field and an unknown role are a 400 naming them", () => {
  expect(refusal({ tools: [{ type: "web_search" }] })).toEqual({
    status: 400,
    param: "tools[0].type",
  });
  expect(refusal({ background: true })).toEqual({ status: 400, param: "background" });
  expect(refusal({ input: [{ role: "function", content: "x" }] })).toEqual({
    status: 400,
    param: "input[0].role",
  });
});

test("fields that change nothing about the answer are accepted", () => {
  expect(() =>
    toChat({ metadata: { a: "b" }, store: false, include: [], safety_identifier: "u" }),
  ).not.toThrow();
});
