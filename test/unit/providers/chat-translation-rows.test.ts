// The "nothing lost in translation" rows of the chat translators, each way: what the caller
// asked for reaches Anthropic and Gemini in their own terms, and what they answer comes back.
import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { isAppError } from "../../../shared/http/errors.ts";
import { anthropic } from "../../../shared/providers/anthropic/index.ts";
import { gemini } from "../../../shared/providers/gemini/index.ts";
import type { ChatRequest, SseEvent } from "../../../shared/providers/types.ts";

const config = { apiKey: "k", baseUrl: "https://upstream.invalid" };
const context = { model: "smart", id: "chatcmpl-abc", created: 1 };
const ask = (fields: Partial<ChatRequest>): ChatRequest => ({
  model: "smart",
  messages: [{ role: "user", content: "hi" }],
  ...fields,
});
const toAnthropic = (fields: Partial<ChatRequest>) =>
  JSON.parse(anthropic.chat!.request(ask(fields), "claude", config).body!);
const toGemini = (fields: Partial<ChatRequest>) =>
  JSON.parse(gemini.chat!.request(ask(fields), "gemini-2.5-flash", config).body!);

function refusedParam(run: () => unknown) {
  try {
    run();
  } catch (error) {
    if (isAppError(error)) return [error.status, error.param];
  }
  return undefined;
}

const schema = { type: "object", properties: { city: { type: "string" } }, required: ["city"] };
const jsonSchema = { type: "json_schema", json_schema: { name: "City", schema, strict: true } };

test("json_schema becomes Anthropic's native structured output", () => {
  expect(toAnthropic({ response_format: jsonSchema }).output_config).toEqual({
    format: { type: "json_schema", schema },
  });
});

test("json_object, which Anthropic has no schema-less form of, is a 400 naming response_format", () => {
  const run = () => toAnthropic({ response_format: { type: "json_object" } });
  expect(refusedParam(run)).toEqual([400, "response_format"]);
});

test("json_schema and json_object become Gemini's JSON mime type, with the schema", () => {
  expect(toGemini({ response_format: jsonSchema }).generationConfig).toMatchObject({
    responseMimeType: "application/json",
    responseJsonSchema: schema,
  });
  expect(toGemini({ response_format: { type: "json_object" } }).generationConfig).toEqual({
    responseMimeType: "application/json",
  });
});

test("reasoning_effort becomes an Anthropic thinking budget on top of the answer's tokens", () => {
  expect(toAnthropic({ reasoning_effort: "high", max_completion_tokens: 1000 })).toMatchObject({
    max_tokens: 25576,
    thinking: { type: "enabled", budget_tokens: 24576 },
  });
  expect(toAnthropic({}).thinking).toBeUndefined();
});

test("temperature beside reasoning_effort is a 400 for Anthropic, which refuses the pair", () => {
  const run = () => toAnthropic({ reasoning_effort: "low", temperature: 0.2 });
  expect(refusedParam(run)).toEqual([400, "temperature"]);
});

test("reasoning_effort becomes Gemini's thinkingConfig, with thought summaries asked for", () => {
  expect(toGemini({ reasoning_effort: "low" }).generationConfig.thinkingConfig).toEqual({
    thinkingBudget: 1024,
    includeThoughts: true,
  });
  expect(toGemini({ reasoning_effort: "none" }).generationConfig.thinkingConfig).toEqual({
    thinkingBudget: 0,
    includeThoughts: false,
  });
});

test("cache_control on a text part reaches Anthropic on its block", () => {
  const messages: ChatRequest["messages"] = [
    {
      role: "user",
      content: [{ type: "text", text: "long context", cache_control: { type: "ephemeral" } }],
    },
  ];
  expect(toAnthropic({ messages }).messages[0].content).toEqual([
    { type: "text", text: "long context", cache_control: { type: "ephemeral" } },
  ]);
});

test("Anthropic thinking comes back as reasoning_content, answer and stream", () => {
  const message = {
    type: "message",
    content: [
      { type: "thinking", thinking: "Paris, surely.", signature: "sig" },
      { type: "text", text: "Paris." },
    ],
    stop_reason: "end_turn",
    usage: { input_tokens: 5, output_tokens: 9, output_tokens_details: { thinking_tokens: 4 } },
  };
  const completion = anthropic.chat!.response(message, context);
  expect(completion.choices[0]!.message).toMatchObject({
    content: "Paris.",
    reasoning_content: "Paris, surely.",
  });
  expect(completion.usage?.completion_tokens_details).toEqual({ reasoning_tokens: 4 });
  const stream = anthropic.chat!.stream(context);
  const delta = { type: "thinking_delta", thinking: "Paris" };
  const event: SseEvent = {
    data: JSON.stringify({ type: "content_block_delta", index: 0, delta }),
  };
  expect(stream.push(event)[0]!.choices[0]!.delta).toEqual({ reasoning_content: "Paris" });
});

test("Gemini thought summaries come back as reasoning_content, apart from the answer", () => {
  const json = JSON.parse(
    readFileSync(
      new URL("../../fixtures/providers/gemini/generate-content-thoughts.json", import.meta.url),
      "utf8",
    ),
  );
  const message = gemini.chat!.response(json, context).choices[0]!.message;
  expect(message.content).toBe("The capital of France is Paris.");
  expect(message.reasoning_content).toMatch(/^\*\*Recalling the capital\*\*/);
});
