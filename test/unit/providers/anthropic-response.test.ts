import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { isAppError } from "../../../shared/http/errors.ts";
import { anthropic } from "../../../shared/providers/anthropic/index.ts";

const CONTEXT = { model: "chat-default", id: "chatcmpl-proxy123", created: 1800000000 };

const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/providers/anthropic/${name}`, import.meta.url), "utf8");
const message = (name: string) => JSON.parse(fixture(name)) as Record<string, unknown>;
const complete = (json: unknown) => anthropic.chat!.response(json, CONTEXT);

test("a text message becomes a chat.completion under the public name, its text blocks joined", () => {
  // Usage: 21 input + 4 cache creation + 100 cache read are all prompt tokens.
  expect(complete(message("message-text.json"))).toEqual({
    ...CONTEXT,
    object: "chat.completion",
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: "Hello! The capital of France is Paris.",
          refusal: null,
        },
        finish_reason: "stop",
        logprobs: null,
      },
    ],
    usage: {
      prompt_tokens: 125,
      completion_tokens: 12,
      total_tokens: 137,
      prompt_tokens_details: { cached_tokens: 100, cache_write_tokens: 4 },
    },
  });
});

test("tool_use blocks become tool_calls with JSON-string arguments and null content", () => {
  expect(complete(message("message-tool-use.json")).choices[0]).toMatchObject({
    finish_reason: "tool_calls",
    message: {
      content: null,
      tool_calls: [
        {
          id: "toolu_01A09q90qw90lq917835lq9",
          type: "function",
          function: {
            name: "get_weather",
            arguments: '{"location":"San Francisco, CA","unit":"celsius"}',
          },
        },
        {
          id: "toolu_01B7hZ3kLmNpQr4sTuVw5xYz",
          type: "function",
          function: { name: "get_time", arguments: '{"timezone":"America/Los_Angeles"}' },
        },
      ],
    },
  });
});

test("text beside a tool_use is kept as content", () => {
  const choice = complete(message("message-text-and-tool-use.json")).choices[0]!;
  expect(choice.message.content).toBe("I'll check the current weather in San Francisco for you.");
  expect(choice.message.tool_calls).toHaveLength(1);
});

test.each([
  ["end_turn", "stop"],
  ["stop_sequence", "stop"],
  ["pause_turn", "stop"],
  ["max_tokens", "length"],
  ["model_context_window_exceeded", "length"],
  ["tool_use", "tool_calls"],
  ["refusal", "content_filter"],
  ["some_future_reason", "stop"],
])("stop_reason %s becomes finish_reason %s", (stopReason, finishReason) => {
  const json = { ...message("message-text.json"), stop_reason: stopReason };
  expect(complete(json).choices[0]!.finish_reason).toBe(finishReason);
});

test("a body that is not an Anthropic message is a 502", () => {
  for (const json of [null, { type: "error" }, { type: "message", content: "text" }]) {
    let thrown: unknown;
    try {
      complete(json);
    } catch (error) {
      thrown = error;
    }
    expect(isAppError(thrown) && [thrown.status, thrown.code]).toEqual([
      502,
      "bad_upstream_response",
    ]);
  }
});

test("the probe lists models with Anthropic's headers", () => {
  expect(anthropic.probe({ apiKey: "sk-ant-test", baseUrl: "https://api.anthropic.com/" })).toEqual(
    {
      url: "https://api.anthropic.com/v1/models",
      method: "GET",
      headers: { "x-api-key": "sk-ant-test", "anthropic-version": "2023-06-01" },
    },
  );
});

test("a 400 keeps Anthropic's message", () => {
  expect(anthropic.error(400, fixture("error-invalid-request.json"))).toEqual({
    message: expect.stringMatching(
      /^messages\.1\.content\.0\.tool_result: unexpected `tool_use_id`/,
    ),
    code: "invalid_request",
  });
});

test("a prompt that is too long is coded context_length_exceeded", () => {
  expect(anthropic.error(400, fixture("error-prompt-too-long.json"))).toEqual({
    message: "prompt is too long: 214392 tokens > 200000 maximum",
    code: "context_length_exceeded",
  });
});

test("an authentication_error is invalid_api_key, in our words", () => {
  expect(anthropic.error(401, fixture("error-authentication.json"))).toEqual({
    message: "The upstream provider rejected the proxy's credentials",
    code: "invalid_api_key",
  });
});

test("a 529 overloaded_error gets a generic message", () => {
  expect(anthropic.error(529, fixture("error-overloaded.json"))).toEqual({
    message: "The upstream provider is overloaded",
    code: "overloaded",
  });
});

test("a 5xx never relays the body", () => {
  const error = anthropic.error(500, fixture("error-api.json"));
  expect(error).toEqual({
    message: "The upstream provider failed to answer",
    code: "upstream_error",
  });
  expect(anthropic.error(503, "upstream connect error: 10.1.2.3:443").message).not.toContain(
    "10.1.2.3",
  );
});

test("a 4xx body that is not Anthropic's JSON is not echoed", () => {
  expect(anthropic.error(404, "<html>/internal</html>")).toEqual({
    message: "The upstream provider refused the request (HTTP 404)",
    code: "not_found",
  });
});
