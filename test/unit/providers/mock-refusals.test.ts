// The vendor mocks refuse what the real APIs refuse, so a translation that would be refused
// upstream is refused in the tests too.
import OpenAI from "openai";
import { afterAll, beforeAll, expect, test } from "vitest";
import { ANTHROPIC_MOCK_KEY, startAnthropicMock } from "../../mocks/anthropic.ts";
import { GEMINI_MOCK_KEY, startGeminiMock } from "../../mocks/gemini.ts";
import { OPENAI_MOCK_KEY, startOpenAiMock } from "../../mocks/openai.ts";

type Mock = { url: string; close(): Promise<void> };
let openai: Mock;
let anthropic: Mock;
let gemini: Mock;

beforeAll(async () => {
  [openai, anthropic, gemini] = await Promise.all([
    startOpenAiMock(),
    startAnthropicMock(),
    startGeminiMock(),
  ]);
});
afterAll(() => Promise.all([openai, anthropic, gemini].map((mock) => mock.close())));

const post = (url: string, headers: Record<string, string>, body: unknown) =>
  fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
const toOpenAi = (path: string, body: unknown) =>
  post(`${openai.url}${path}`, { authorization: `Bearer ${OPENAI_MOCK_KEY}` }, body);
const toAnthropic = (path: string, body: unknown) =>
  post(
    `${anthropic.url}${path}`,
    { "x-api-key": ANTHROPIC_MOCK_KEY, "anthropic-version": "2023-06-01" },
    body,
  );
const toGemini = (body: unknown) =>
  post(
    `${gemini.url}/v1beta/models/gemini-2.5-flash:generateContent`,
    { "x-goog-api-key": GEMINI_MOCK_KEY },
    body,
  );

test("Anthropic: a tool_result without its tool_use, an unknown role, no max_tokens: 400", async () => {
  const orphan = {
    model: "claude",
    max_tokens: 10,
    messages: [{ role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_x" }] }],
  };
  const role = { model: "claude", max_tokens: 10, messages: [{ role: "tool", content: "x" }] };
  const noMax = { model: "claude", messages: [{ role: "user", content: "hi" }] };
  for (const body of [orphan, role, noMax]) {
    const res = await toAnthropic("/v1/messages", body);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      type: "error",
      error: { type: "invalid_request_error" },
    });
  }
});

test("Anthropic: count_tokens answers input_tokens, the same for the same request, more with a system prompt and tools", async () => {
  const count = async (body: object) => {
    const res = await toAnthropic("/v1/messages/count_tokens", body);
    expect(res.status).toBe(200);
    return ((await res.json()) as { input_tokens: number }).input_tokens;
  };
  const turns = { model: "claude", messages: [{ role: "user", content: "hi" }] };
  const alone = await count(turns);
  expect(alone).toBeGreaterThan(0);
  expect(await count(turns)).toBe(alone);
  const withSystem = await count({ ...turns, system: "Answer in French." });
  expect(withSystem).toBeGreaterThan(alone);
  const tools = [{ name: "get_weather", input_schema: { type: "object" } }];
  expect(await count({ ...turns, system: "Answer in French.", tools })).toBeGreaterThan(withSystem);
});

test("Anthropic: count_tokens without a model or messages, with max_tokens or stream, or an orphan tool_result: 400", async () => {
  const turns = [{ role: "user", content: "hi" }];
  const orphan = [{ role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_x" }] }];
  const bodies = [
    { messages: turns },
    { model: "claude" },
    { model: "claude", messages: [] },
    { model: "claude", messages: turns, max_tokens: 10 },
    { model: "claude", messages: turns, stream: true },
    { model: "claude", messages: orphan },
  ];
  for (const body of bodies) {
    const res = await toAnthropic("/v1/messages/count_tokens", body);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      type: "error",
      error: { type: "invalid_request_error" },
    });
  }
});

test("Gemini: an unknown role and a replayed call without its thought signature: 400", async () => {
  const role = { contents: [{ role: "function", parts: [{ text: "x" }] }] };
  const unsigned = {
    contents: [
      { role: "user", parts: [{ text: "weather?" }] },
      { role: "model", parts: [{ functionCall: { name: "get_weather", args: {} } }] },
      { role: "user", parts: [{ functionResponse: { name: "get_weather", response: {} } }] },
    ],
  };
  for (const body of [role, unsigned]) {
    const res = await toGemini(body);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { status: "INVALID_ARGUMENT" } });
  }
});

test("OpenAI: an unknown role and a tool message answering no call: 400", async () => {
  const role = { model: "gpt", messages: [{ role: "function", content: "x" }] };
  const orphan = {
    model: "gpt",
    messages: [{ role: "tool", tool_call_id: "call_x", content: "x" }],
  };
  for (const body of [role, orphan]) {
    const res = await toOpenAi("/chat/completions", body);
    expect(res.status).toBe(400);
  }
});

test("OpenAI: the Responses stream is one the openai SDK's stream helper accepts", async () => {
  const client = new OpenAI({ apiKey: OPENAI_MOCK_KEY, baseURL: openai.url });
  const response = await client.responses.stream({ model: "gpt", input: "hello" }).finalResponse();
  expect(response.output_text).toBe("You said: hello");
  expect(response.usage?.input_tokens).toBeGreaterThan(0);
});
