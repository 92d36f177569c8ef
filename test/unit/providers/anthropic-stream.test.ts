import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { anthropic } from "../../../shared/providers/anthropic/index.ts";
import type { ChatChunk } from "../../../shared/providers/types.ts";
import { readSse } from "../../mocks/wire.ts";

const CONTEXT = { model: "chat-default", id: "chatcmpl-proxy123", created: 1800000000 };

const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/providers/anthropic/${name}`, import.meta.url), "utf8");

async function replay(sse: string) {
  const translator = anthropic.chat!.stream(CONTEXT);
  const { events } = await readSse(new Response(sse).body!);
  const chunks = events.flatMap((event) => translator.push(event));
  return { chunks, end: translator.finish(), usage: translator.usage(), translator };
}

const deltas = (chunks: ChatChunk[]) =>
  chunks.flatMap((chunk) => chunk.choices.map((c) => c.delta));
const text = (chunks: ChatChunk[]) =>
  deltas(chunks)
    .map((d) => d.content ?? "")
    .join("");
const toolCalls = (chunks: ChatChunk[]) => deltas(chunks).flatMap((d) => d.tool_calls ?? []);

test("a text stream becomes a role chunk, content deltas, a finish chunk and a usage chunk", async () => {
  const { chunks, end } = await replay(fixture("stream-text.sse"));
  const chunk = (delta: object, finish: string | null = null) => ({
    ...CONTEXT,
    object: "chat.completion.chunk",
    choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
  });
  expect(chunks).toEqual([
    chunk({ role: "assistant", content: "" }),
    chunk({ content: "Hello" }),
    chunk({ content: "! How can" }),
    chunk({ content: " I help you today?" }),
    chunk({}, "stop"),
    {
      ...CONTEXT,
      object: "chat.completion.chunk",
      choices: [],
      usage: {
        prompt_tokens: 35,
        completion_tokens: 12,
        total_tokens: 47,
        prompt_tokens_details: { cached_tokens: 10 },
      },
    },
  ]);
  expect(end).toEqual({ chunks: [], complete: true });
});

test("tool_use blocks stream as numbered tool_calls whose JSON fragments rebuild the input", async () => {
  const { chunks, end } = await replay(fixture("stream-tool-use.sse"));
  const calls = toolCalls(chunks);
  expect(calls[0]).toEqual({
    index: 0,
    id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6",
    type: "function",
    function: { name: "get_weather", arguments: "" },
  });
  const argumentsOf = (index: number) =>
    calls
      .filter((call) => call.index === index)
      .map((call) => call.function?.arguments)
      .join("");
  expect(JSON.parse(argumentsOf(0))).toEqual({ location: "San Francisco, CA" });
  expect(calls.find((call) => call.index === 1)).toMatchObject({
    id: "toolu_01B7hZ3kLmNpQr4sTuVw5xYz",
    function: { name: "get_time" },
  });
  expect(JSON.parse(argumentsOf(1))).toEqual({ timezone: "America/Los_Angeles" });
  expect(text(chunks)).toBe("Okay, let's check the weather for San Francisco, CA:");
  expect(chunks.find((chunk) => chunk.choices[0]?.finish_reason)?.choices[0]?.finish_reason).toBe(
    "tool_calls",
  );
  expect(end.complete).toBe(true);
});

test("an empty input_json_delta yields no chunk", async () => {
  const { chunks } = await replay(fixture("stream-tool-use.sse"));
  expect(toolCalls(chunks).filter((call) => call.function?.arguments === "" && !call.id)).toEqual(
    [],
  );
});

test("usage joins message_start's input with message_delta's output", async () => {
  const { usage } = await replay(fixture("stream-tool-use.sse"));
  expect(usage).toEqual({ prompt_tokens: 472, completion_tokens: 89, total_tokens: 561 });
});

test("ping events yield nothing", () => {
  const translator = anthropic.chat!.stream(CONTEXT);
  expect(translator.push({ event: "ping", data: '{"type": "ping"}' })).toEqual([]);
});

test("an in-band overloaded error makes the stream incomplete, in our words", async () => {
  const { chunks, end } = await replay(fixture("stream-overloaded.sse"));
  expect(text(chunks)).toBe("Once upon");
  expect(end).toEqual({
    chunks: [],
    complete: false,
    error: "The upstream provider is overloaded",
  });
});

test("events after an in-band error are ignored", async () => {
  const after = fixture("stream-overloaded.sse") + fixture("stream-text.sse");
  const { chunks, end } = await replay(after);
  expect(text(chunks)).toBe("Once upon");
  expect(end.complete).toBe(false);
});

test("a stream cut before message_stop is incomplete, with usage as far as reported", async () => {
  const events = fixture("stream-text.sse").trimEnd().split("\n\n");
  const { chunks, end, usage } = await replay(events.slice(0, -1).join("\n\n"));
  expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe("stop");
  expect(end.complete).toBe(false);
  expect(end.error).toMatch(/ended/);
  expect(usage?.completion_tokens).toBe(12);
});

test("usage is unknown before message_start", () => {
  expect(anthropic.chat!.stream(CONTEXT).usage()).toBeUndefined();
});

test("an unreadable event makes the stream incomplete", async () => {
  const { end } = await replay('event: message_start\ndata: {"type":"message_st\n\n');
  expect(end.complete).toBe(false);
});
