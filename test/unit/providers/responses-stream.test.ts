import { expect, test } from "vitest";
import { responsesCodec } from "../../../shared/providers/responses/index.ts";
import type { ChatChunk, ChatCompletion } from "../../../shared/providers/types.ts";
import { chunk, context } from "./chat-chunks.ts";
import { openAiResponseStream } from "./client-oracles.ts";

const usage = {
  prompt_tokens: 120,
  completion_tokens: 30,
  total_tokens: 150,
  prompt_tokens_details: { cached_tokens: 100 },
  completion_tokens_details: { reasoning_tokens: 12 },
};

function encode(chunks: ChatChunk[]) {
  const encoder = responsesCodec.encoder(context);
  return [...chunks.flatMap((c) => encoder.chunk(c)), ...encoder.end(usage)];
}

test("reasoning, text and usage stream as events the openai SDK's stream helper accepts", async () => {
  const response = await openAiResponseStream(
    encode([
      chunk({ role: "assistant", reasoning_content: "Think" }),
      chunk({ reasoning_content: "ing." }),
      chunk({ content: "Hello" }),
      chunk({ content: " there" }, "stop"),
    ]),
  );
  expect(response.status).toBe("completed");
  expect(response.output_text).toBe("Hello there");
  expect(response.output[0]).toMatchObject({
    type: "reasoning",
    summary: [{ type: "summary_text", text: "Thinking." }],
  });
  expect(response.usage).toEqual({
    input_tokens: 120,
    input_tokens_details: { cached_tokens: 100 },
    output_tokens: 30,
    output_tokens_details: { reasoning_tokens: 12 },
    total_tokens: 150,
  });
});

test("two tool calls streamed interleaved arrive as two function_call items with whole arguments", async () => {
  const call = (index: number, fields: object) => chunk({ tool_calls: [{ index, ...fields }] });
  const response = await openAiResponseStream(
    encode([
      call(0, { id: "call_a", type: "function", function: { name: "weather", arguments: "" } }),
      call(1, { id: "call_b", type: "function", function: { name: "time", arguments: '{"tz":' } }),
      call(0, { function: { arguments: '{"city":' } }),
      call(1, { function: { arguments: '"CET"}' } }),
      call(0, { function: { arguments: '"Paris"}' } }),
      chunk({}, "tool_calls"),
    ]),
  );
  expect(response.output).toEqual([
    expect.objectContaining({
      type: "function_call",
      call_id: "call_a",
      name: "weather",
      arguments: '{"city":"Paris"}',
      status: "completed",
    }),
    expect.objectContaining({
      type: "function_call",
      call_id: "call_b",
      name: "time",
      arguments: '{"tz":"CET"}',
      status: "completed",
    }),
  ]);
});

test("a thought signature rides in the streamed call_id", async () => {
  const response = await openAiResponseStream(
    encode([
      chunk({
        tool_calls: [
          {
            index: 0,
            id: "call_g_0",
            function: { name: "f", arguments: "{}" },
            extra_content: { google: { thought_signature: "AAEC" } },
          },
        ],
      }),
      chunk({}, "tool_calls"),
    ]),
  );
  expect(response.output[0]).toMatchObject({ call_id: "call_g_0__ts_AAEC" });
});

test("a break ends with an error event, which the SDK raises, and never with response.completed", async () => {
  const encoder = responsesCodec.encoder(context);
  const events = [...encoder.chunk(chunk({ content: "Hel" })), ...encoder.fail("upstream broke")];
  expect(events.map((e) => e.event)).not.toContain("response.completed");
  await expect(openAiResponseStream(events)).rejects.toThrow(/upstream broke/);
});

test("a cut-off answer ends as response.incomplete with max_output_tokens as the reason", () => {
  const events = encode([chunk({ content: "Hel" }, "length")]);
  expect(events.at(-1)).toMatchObject({
    event: "response.incomplete",
    data: {
      response: { status: "incomplete", incomplete_details: { reason: "max_output_tokens" } },
    },
  });
});

test("a completion becomes a response: message, function calls, status and usage", () => {
  const completion: ChatCompletion = {
    id: context.id,
    object: "chat.completion",
    created: context.created,
    model: "smart",
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: "Checking.",
          tool_calls: [
            { id: "call_1", type: "function", function: { name: "f", arguments: "{}" } },
          ],
        },
        finish_reason: "tool_calls",
      },
    ],
    usage,
  };
  const response = responsesCodec.fromCompletion(completion, context);
  expect(response).toMatchObject({
    id: "resp_abc123",
    object: "response",
    status: "completed",
    model: "smart",
    output: [
      { type: "message", role: "assistant", content: [{ type: "output_text", text: "Checking." }] },
      { type: "function_call", call_id: "call_1", name: "f", arguments: "{}" },
    ],
    usage: { input_tokens: 120, input_tokens_details: { cached_tokens: 100 } },
  });
  expect(responsesCodec.usage(response)).toEqual(usage);
});
