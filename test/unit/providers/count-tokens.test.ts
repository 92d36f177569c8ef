import { expect, test } from "vitest";
import { anthropicCountTokens } from "../../../shared/providers/anthropic/count-tokens.ts";
import { PROVIDERS } from "../../../shared/providers/index.ts";
import { countTokensRequest } from "../../../shared/providers/messages/index.ts";
import { refusal } from "./refusal.ts";

const config = { apiKey: "sk-ant-test", baseUrl: "https://api.anthropic.com" };
const body = {
  model: "claude",
  system: [{ type: "text", text: "Be brief.", cache_control: { type: "ephemeral" } }],
  messages: [{ role: "user", content: "hi" }],
  tools: [{ name: "get_weather", input_schema: { type: "object" } }],
  thinking: { type: "enabled", budget_tokens: 2048 },
};

test("a token count needs a model and user or assistant turns, and no max_tokens", () => {
  expect(countTokensRequest(body)).toBe(body);
  expect(refusal(() => countTokensRequest([body]))).toEqual({ status: 400, param: "body" });
  expect(refusal(() => countTokensRequest({ messages: body.messages }))).toEqual({
    status: 400,
    param: "model",
  });
  expect(refusal(() => countTokensRequest({ model: "claude", messages: [] }))).toEqual({
    status: 400,
    param: "messages",
  });
  expect(
    refusal(() => countTokensRequest({ model: "claude", messages: [{ role: "tool" }] })),
  ).toEqual({ status: 400, param: "messages[0].role" });
});

test("the request goes to Anthropic's count_tokens as written, only the model replaced", () => {
  const upstream = anthropicCountTokens.request(
    countTokensRequest(body),
    "claude-haiku-4-5",
    config,
  );
  expect(upstream).toMatchObject({
    url: "https://api.anthropic.com/v1/messages/count_tokens",
    method: "POST",
    headers: { "x-api-key": "sk-ant-test", "anthropic-version": "2023-06-01" },
  });
  expect(JSON.parse(upstream.body!)).toEqual({ ...body, model: "claude-haiku-4-5" });
});

test("Anthropic's count comes back as it gave it; an answer without one is a 502", () => {
  expect(anthropicCountTokens.response({ input_tokens: 42 })).toEqual({ input_tokens: 42 });
  for (const answer of [{}, { input_tokens: "42" }, { input_tokens: 1.5 }, null]) {
    expect(refusal(() => anthropicCountTokens.response(answer))).toEqual({
      status: 502,
      param: undefined,
    });
  }
});

test("only Anthropic counts tokens", () => {
  const counting = [...PROVIDERS.values()].filter((p) => p.countTokens).map((p) => p.name);
  expect(counting).toEqual(["anthropic"]);
});
