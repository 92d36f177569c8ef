import { expect, test } from "vitest";
import { messagesCodec } from "../../../shared/providers/messages/index.ts";
import type { ChatChunk, ChatCompletion } from "../../../shared/providers/types.ts";
import { chunk, context } from "./chat-chunks.ts";
import { anthropicMessageStream } from "./client-oracles.ts";

const usage = {
  prompt_tokens: 130,
  completion_tokens: 30,
  total_tokens: 160,
  prompt_tokens_details: { cached_tokens: 100, cache_write_tokens: 10 },
  completion_tokens_details: { reasoning_tokens: 12 },
};

const call = (index: number, fields: object) => chunk({ tool_calls: [{ index, ...fields }] });

function encode(chunks: ChatChunk[]) {
  const encoder = messagesCodec.encoder(context);
  return [...chunks.flatMap((c) => encoder.chunk(c)), ...encoder.end(usage)];
}

test("thinking, text and usage stream as events the Anthropic SDK's stream helper accepts", async () => {
  const message = await anthropicMessageStream(
    encode([
      chunk({ role: "assistant", reasoning_content: "Hmm." }),
      chunk({ content: "Hello" }),
      chunk({ content: " there" }, "stop"),
    ]),
  );
  expect(message.content).toEqual([
    { type: "thinking", thinking: "Hmm.", signature: "" },
    { type: "text", text: "Hello there" },
  ]);
  expect(message.stop_reason).toBe("end_turn");
  expect(message.usage).toMatchObject({
    input_tokens: 20,
    output_tokens: 30,
    cache_read_input_tokens: 100,
    cache_creation_input_tokens: 10,
    output_tokens_details: { thinking_tokens: 12 },
  });
});

test("tool calls streamed interleaved arrive as whole tool_use blocks, one after another", async () => {
  const message = await anthropicMessageStream(
    encode([
      call(0, { id: "call_a", type: "function", function: { name: "weather", arguments: "" } }),
      call(1, { id: "call_b", type: "function", function: { name: "time", arguments: '{"tz":' } }),
      call(0, { function: { arguments: '{"city":' } }),
      call(1, { function: { arguments: '"CET"}' } }),
      call(0, { function: { arguments: '"Paris"}' } }),
      call(2, { id: "call_c", type: "function", function: { name: "date", arguments: "{}" } }),
      chunk({}, "tool_calls"),
    ]),
  );
  expect(message.stop_reason).toBe("tool_use");
  expect(message.content).toEqual([
    { type: "tool_use", id: "call_a", name: "weather", input: { city: "Paris" } },
    { type: "tool_use", id: "call_c", name: "date", input: {} },
    { type: "tool_use", id: "call_b", name: "time", input: { tz: "CET" } },
  ]);
});

test("a break ends with an error event, which the SDK raises, and never with message_stop", async () => {
  const encoder = messagesCodec.encoder(context);
  const events = [...encoder.chunk(chunk({ content: "Hel" })), ...encoder.fail("upstream broke")];
  expect(events.map((e) => e.event)).not.toContain("message_stop");
  await expect(anthropicMessageStream(events)).rejects.toThrow(/upstream broke/);
});

test("a completion becomes a message: text, tool_use with a thought signature in its id, usage", () => {
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
            {
              id: "call_1",
              type: "function",
              function: { name: "f", arguments: '{"a":1}' },
              extra_content: { google: { thought_signature: "AAEC" } },
            },
          ],
        },
        finish_reason: "tool_calls",
      },
    ],
    usage,
  };
  const message = messagesCodec.fromCompletion(completion, context);
  expect(message).toEqual({
    id: "msg_abc123",
    type: "message",
    role: "assistant",
    model: "smart",
    content: [
      { type: "text", text: "Checking." },
      { type: "tool_use", id: "call_1__ts_AAEC", name: "f", input: { a: 1 } },
    ],
    stop_reason: "tool_use",
    stop_sequence: null,
    usage: {
      input_tokens: 20,
      output_tokens: 30,
      cache_creation_input_tokens: 10,
      cache_read_input_tokens: 100,
      output_tokens_details: { thinking_tokens: 12 },
    },
  });
  expect(messagesCodec.usage(message)).toEqual(usage);
});
