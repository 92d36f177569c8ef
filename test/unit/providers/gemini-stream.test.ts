import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { gemini } from "../../../shared/providers/gemini/index.ts";
import { parseSse } from "../../../shared/providers/sse.ts";
import type { ChatChunk, SseEvent } from "../../../shared/providers/types.ts";

const context = {
  model: "smart",
  id: "chatcmpl-00000000000000000000aaaabbbbcccc",
  created: 1_763_000_000,
};

async function events(text: string): Promise<SseEvent[]> {
  const source = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(text));
      controller.close();
    },
  });
  const out: SseEvent[] = [];
  for await (const event of source.pipeThrough(parseSse())) out.push(event);
  return out;
}

/** A recorded stream through the SSE parser and a fresh translator. */
async function translate(text: string) {
  const translator = gemini.chat!.stream(context);
  const chunks: ChatChunk[] = [];
  for (const event of await events(text)) chunks.push(...translator.push(event));
  const finish = translator.finish();
  return { chunks, finish, usage: translator.usage() };
}

const recorded = (name: string) =>
  translate(
    readFileSync(new URL(`../../fixtures/providers/gemini/${name}`, import.meta.url), "utf8"),
  );

const sse = (...values: unknown[]) =>
  values.map((v) => `data: ${JSON.stringify(v)}\r\n\r\n`).join("");

test("text fragments become content deltas after a first chunk that carries the role", async () => {
  const { chunks } = await recorded("stream-text.sse");
  expect(chunks.slice(0, 3).map((c) => c.choices[0]!.delta)).toEqual([
    { role: "assistant", content: "The capital" },
    { content: " of France is" },
    { content: " Paris.\n" },
  ]);
});

test("every chunk carries the proxy's id, creation time and public model name", async () => {
  const { chunks, finish } = await recorded("stream-text.sse");
  for (const chunk of [...chunks, ...finish.chunks]) {
    expect(chunk).toMatchObject({
      id: context.id,
      object: "chat.completion.chunk",
      created: context.created,
      model: "smart",
    });
  }
});

test("the finish reason arrives in a chunk of its own, and the stream is complete", async () => {
  const { chunks, finish } = await recorded("stream-text.sse");
  expect(chunks.at(-1)!.choices).toEqual([
    { index: 0, delta: {}, finish_reason: "stop", logprobs: null },
  ]);
  expect(finish.complete).toBe(true);
});

test("the last usageMetadata becomes a usage chunk without choices at the end", async () => {
  const { finish, usage } = await recorded("stream-text.sse");
  const expected = { prompt_tokens: 9, completion_tokens: 8, total_tokens: 17 };
  expect(finish.chunks).toEqual([
    {
      id: context.id,
      object: "chat.completion.chunk",
      created: context.created,
      model: "smart",
      choices: [],
      usage: expected,
    },
  ]);
  expect(usage).toEqual(expected);
});

test("a streamed function call is one whole tool_calls delta, with its thought signature, and finishes as tool_calls", async () => {
  const { chunks, finish } = await recorded("stream-function-call.sse");
  expect(chunks.map((c) => c.choices[0])).toEqual([
    {
      index: 0,
      delta: {
        role: "assistant",
        tool_calls: [
          {
            index: 0,
            id: "call_aaaabbbbcccc_0",
            type: "function",
            function: { name: "get_weather", arguments: '{"location":"Paris","unit":"celsius"}' },
            extra_content: {
              google: {
                thought_signature: "CiQBcsjafBq3w1sUq6aZ5rA8R9pJ0mJtHkG6p2wEYcW3n0cGgJYKXgFyyNp8",
              },
            },
          },
        ],
      },
      finish_reason: null,
      logprobs: null,
    },
    { index: 0, delta: {}, finish_reason: "tool_calls", logprobs: null },
  ]);
  expect(finish.complete).toBe(true);
});

test("thinking tokens of a stream count as completion tokens and are reported as reasoning tokens", async () => {
  const { usage } = await recorded("stream-function-call.sse");
  expect(usage).toEqual({
    prompt_tokens: 74,
    completion_tokens: 63,
    total_tokens: 137,
    completion_tokens_details: { reasoning_tokens: 45 },
  });
});

test("a stream that ends without a finishReason is incomplete and owes no usage chunk", async () => {
  const { chunks, finish, usage } = await recorded("stream-truncated.sse");
  expect(chunks).toHaveLength(2);
  expect(finish).toEqual({
    chunks: [],
    complete: false,
    error: "The upstream stream ended before the answer",
  });
  expect(usage).toEqual({ prompt_tokens: 6, completion_tokens: 0, total_tokens: 6 });
});

test("an in-band error event ends the stream incomplete, in the proxy's words", async () => {
  const { chunks, finish } = await recorded("stream-error.sse");
  expect(chunks).toHaveLength(1);
  expect(finish).toEqual({
    chunks: [],
    complete: false,
    error: "The upstream provider failed to answer",
  });
  expect(finish.error).not.toContain("overloaded");
});

test("an unreadable event ends the stream incomplete and later events are ignored", async () => {
  const translator = gemini.chat!.stream(context);
  expect(translator.push({ data: "{not json" })).toEqual([]);
  const later = JSON.parse(
    '{"candidates":[{"content":{"parts":[{"text":"late"}],"role":"model"},"finishReason":"STOP"}]}',
  ) as unknown;
  expect(translator.push({ data: JSON.stringify(later) })).toEqual([]);
  expect(translator.finish()).toEqual({
    chunks: [],
    complete: false,
    error: "The upstream provider sent an unreadable stream event",
  });
});

test("a blocked prompt ends the stream with content_filter, complete", async () => {
  const { chunks, finish } = await recorded("stream-blocked-prompt.sse");
  expect(chunks.map((c) => c.choices[0])).toEqual([
    { index: 0, delta: { role: "assistant" }, finish_reason: "content_filter", logprobs: null },
  ]);
  expect(finish.complete).toBe(true);
});

test("each candidate streams as its own choice and the stream completes when all have finished", async () => {
  const fragment = (finishReason?: string) => ({
    candidates: [
      {
        content: { parts: [{ text: "A" }], role: "model" },
        ...(finishReason ? { finishReason } : {}),
      },
      { content: { parts: [{ text: "B" }], role: "model" }, index: 1 },
    ],
  });
  const half = await translate(sse(fragment("STOP")));
  expect(
    half.chunks.map((c) => [c.choices[0]!.index, c.choices[0]!.delta, c.choices[0]!.finish_reason]),
  ).toEqual([
    [0, { role: "assistant", content: "A" }, null],
    [0, {}, "stop"],
    [1, { role: "assistant", content: "B" }, null],
  ]);
  expect(half.finish.complete).toBe(false);
});

test("a stream with no events at all is incomplete", async () => {
  const { finish } = await translate("");
  expect(finish.complete).toBe(false);
});
