import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { isAppError } from "../../../shared/http/errors.ts";
import { gemini } from "../../../shared/providers/gemini/index.ts";
import type { ChatCompletion } from "../../../shared/providers/types.ts";

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(
    readFileSync(new URL(`../../fixtures/providers/gemini/${name}`, import.meta.url), "utf8"),
  ) as Record<string, unknown>;

const context = {
  model: "smart",
  id: "chatcmpl-0f1e2d3c4b5a69788796a5b4c3d2e1f0",
  created: 1_763_000_000,
};

const respond = (json: unknown, ctx = context): ChatCompletion => gemini.chat!.response(json, ctx);

/** The text fixture with its one candidate's finishReason replaced. */
function finishingWith(reason: string): unknown {
  const json = fixture("generate-content-text.json");
  const [candidate] = json.candidates as Record<string, unknown>[];
  return { ...json, candidates: [{ ...candidate, finishReason: reason }] };
}

test("a text candidate becomes one assistant choice", () => {
  const completion = respond(fixture("generate-content-text.json"));
  expect(completion.choices).toEqual([
    {
      index: 0,
      message: { role: "assistant", content: "The capital of France is Paris.", refusal: null },
      finish_reason: "stop",
      logprobs: null,
    },
  ]);
});

test("the completion carries the proxy's id, creation time and public model name", () => {
  expect(respond(fixture("generate-content-text.json"))).toMatchObject({
    id: context.id,
    object: "chat.completion",
    created: context.created,
    model: "smart",
  });
});

test("usage counts thinking tokens as completion tokens, reports them as reasoning tokens and keeps Google's total", () => {
  expect(respond(fixture("generate-content-text.json")).usage).toEqual({
    prompt_tokens: 9,
    completion_tokens: 32,
    total_tokens: 41,
    completion_tokens_details: { reasoning_tokens: 24 },
  });
});

test("thought summaries are left out and text parts are joined", () => {
  const completion = respond(fixture("generate-content-thoughts.json"));
  expect(completion.choices[0]!.message.content).toBe("The capital of France is Paris.");
});

test("function calls become tool_calls with ids numbered across the response", () => {
  const completion = respond(fixture("generate-content-function-calls.json"));
  expect(completion.choices[0]).toMatchObject({
    message: {
      role: "assistant",
      content: null,
      tool_calls: [
        {
          id: "call_a5b4c3d2e1f0_0",
          type: "function",
          function: { name: "get_weather", arguments: '{"location":"Paris","unit":"celsius"}' },
        },
        {
          id: "call_a5b4c3d2e1f0_1",
          type: "function",
          function: { name: "get_weather", arguments: '{"location":"London","unit":"celsius"}' },
        },
      ],
    },
  });
});

test("a candidate that called functions finishes with tool_calls although Gemini says STOP", () => {
  const completion = respond(fixture("generate-content-function-calls.json"));
  expect(completion.choices[0]!.finish_reason).toBe("tool_calls");
});

test("tool call ids differ between requests", () => {
  const json = fixture("generate-content-function-calls.json");
  const first = respond(json).choices[0]!.message.tool_calls![0]!.id;
  const second = respond(json, { ...context, id: "chatcmpl-ffffffffffffffffffffffffffffffff" })
    .choices[0]!.message.tool_calls![0]!.id;
  expect(first).not.toBe(second);
  expect(second.length).toBeLessThanOrEqual(40);
});

test("each candidate becomes a choice, in order", () => {
  const completion = respond(fixture("generate-content-candidates.json"));
  expect(completion.choices.map((c) => [c.index, c.message.content])).toEqual([
    [0, "Blue."],
    [1, "Green."],
  ]);
});

test("a candidate without an index (proto3 leaves out zero) takes its position", () => {
  const json = fixture("generate-content-candidates.json");
  const candidates = (json.candidates as Record<string, unknown>[]).map(({ index: _, ...c }) => c);
  const completion = respond({ ...json, candidates });
  expect(completion.choices.map((c) => c.index)).toEqual([0, 1]);
});

test("MAX_TOKENS finishes with length and keeps the partial text", () => {
  const completion = respond(fixture("generate-content-max-tokens.json"));
  expect(completion.choices[0]).toMatchObject({
    finish_reason: "length",
    message: { content: "Once upon a time, in a kingdom by the" },
  });
});

test("a candidate stopped for safety has empty content and finishes with content_filter", () => {
  const completion = respond(fixture("generate-content-safety.json"));
  expect(completion.choices[0]).toMatchObject({
    finish_reason: "content_filter",
    message: { content: "" },
  });
});

test.each([
  ["STOP", "stop"],
  ["MAX_TOKENS", "length"],
  ["SAFETY", "content_filter"],
  ["RECITATION", "content_filter"],
  ["PROHIBITED_CONTENT", "content_filter"],
  ["BLOCKLIST", "content_filter"],
  ["SPII", "content_filter"],
  ["OTHER", "stop"],
  ["MALFORMED_FUNCTION_CALL", "stop"],
])("finishReason %s becomes finish_reason %s", (reason, expected) => {
  expect(respond(finishingWith(reason)).choices[0]!.finish_reason).toBe(expected);
});

test("a blocked prompt is one content_filter choice whose refusal names the block reason", () => {
  const completion = respond(fixture("generate-content-blocked-prompt.json"));
  expect(completion.choices).toEqual([
    {
      index: 0,
      message: {
        role: "assistant",
        content: null,
        refusal: "The prompt was blocked by the upstream provider (PROHIBITED_CONTENT)",
      },
      finish_reason: "content_filter",
      logprobs: null,
    },
  ]);
  expect(completion.usage).toEqual({ prompt_tokens: 12, completion_tokens: 0, total_tokens: 12 });
});

test("a body that is not a GenerateContentResponse is a 502", () => {
  for (const json of [null, [], "text", { candidates: "none" }]) {
    let caught: unknown;
    try {
      respond(json);
    } catch (error) {
      caught = error;
    }
    expect(isAppError(caught) && caught.status).toBe(502);
  }
});
