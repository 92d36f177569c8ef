import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { type AppError, isAppError } from "../../../shared/http/errors.ts";
import { gemini } from "../../../shared/providers/gemini/index.ts";
import type { ChatMessage, ChatRequest } from "../../../shared/providers/types.ts";

const fixture = (name: string): unknown =>
  JSON.parse(
    readFileSync(new URL(`../../fixtures/providers/gemini/${name}`, import.meta.url), "utf8"),
  );

const config = { apiKey: "gemini-key-123", baseUrl: "https://generativelanguage.googleapis.com" };

function request(fields: Partial<ChatRequest>) {
  const body = { model: "smart", messages: [{ role: "user", content: "Hi" }], ...fields };
  return gemini.chat!.request(body as ChatRequest, "gemini-2.5-flash", config);
}

function sent(fields: Partial<ChatRequest>): Record<string, unknown> {
  return JSON.parse(request(fields).body!) as Record<string, unknown>;
}

function refusal(fields: Partial<ChatRequest>): AppError {
  try {
    request(fields);
  } catch (error) {
    if (isAppError(error)) return error;
    throw error;
  }
  throw new Error("the request was not refused");
}

const toolCall = (id: string, name: string, args: string) => ({
  id,
  type: "function" as const,
  function: { name, arguments: args },
});

const weatherTool = (parameters: unknown) => ({
  type: "function",
  function: { name: "get_weather", parameters },
});

test("a full conversation maps to the recorded Gemini request", () => {
  const body = fixture("chat-request.json") as ChatRequest;
  const upstream = gemini.chat!.request(body, "gemini-2.5-flash", config);
  expect(JSON.parse(upstream.body!)).toEqual(fixture("generate-content-request.json"));
});

describe("messages", () => {
  test("system and developer messages become systemInstruction, wherever they stand", () => {
    const body = sent({
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hi" },
        { role: "developer", content: [{ type: "text", text: "Use French." }] },
      ],
    });
    expect(body.systemInstruction).toEqual({
      parts: [{ text: "Be brief." }, { text: "Use French." }],
    });
    expect(body.contents).toEqual([{ role: "user", parts: [{ text: "Hi" }] }]);
  });

  test("assistant turns have role model and consecutive turns of one role are merged", () => {
    const body = sent({
      messages: [
        { role: "user", content: "One" },
        { role: "user", content: "Two" },
        { role: "assistant", content: "Three" },
      ],
    });
    expect(body.contents).toEqual([
      { role: "user", parts: [{ text: "One" }, { text: "Two" }] },
      { role: "model", parts: [{ text: "Three" }] },
    ]);
  });

  test("an assistant turn with nothing in it is dropped", () => {
    const body = sent({
      messages: [
        { role: "user", content: "Hi" },
        { role: "assistant", content: "" },
      ],
    });
    expect(body.contents).toEqual([{ role: "user", parts: [{ text: "Hi" }] }]);
  });

  test("a base64 data: image goes inline with its MIME type", () => {
    const url = "data:image/webp;base64,UklGRiIAAABXRUJQ";
    const body = sent({
      messages: [{ role: "user", content: [{ type: "image_url", image_url: { url } }] }],
    });
    expect(body.contents).toEqual([
      {
        role: "user",
        parts: [{ inlineData: { mimeType: "image/webp", data: "UklGRiIAAABXRUJQ" } }],
      },
    ]);
  });

  test("an https image goes as fileData, with a MIME type when its extension says one", () => {
    const urls = ["https://example.com/cat.JPG?size=large", "https://example.com/photo"];
    const body = sent({
      messages: [
        {
          role: "user",
          content: urls.map((url) => ({ type: "image_url" as const, image_url: { url } })),
        },
      ],
    });
    expect(body.contents).toEqual([
      {
        role: "user",
        parts: [
          { fileData: { fileUri: urls[0], mimeType: "image/jpeg" } },
          { fileData: { fileUri: urls[1] } },
        ],
      },
    ]);
  });

  test("an image that is neither https nor a base64 data: URL is refused", () => {
    const url = "http://example.com/cat.png";
    const error = refusal({
      messages: [{ role: "user", content: [{ type: "image_url", image_url: { url } }] }],
    });
    expect(error).toMatchObject({
      status: 400,
      code: "invalid_image_url",
      param: "messages[0].content[0].image_url.url",
    });
  });

  test("assistant tool calls become functionCall parts with parsed args and the replay signature", () => {
    const body = sent({
      messages: [
        { role: "user", content: "Weather?" },
        {
          role: "assistant",
          content: "Checking.",
          tool_calls: [toolCall("call_1", "get_weather", '{"location":"Oslo"}')],
        },
      ],
    });
    expect((body.contents as unknown[])[1]).toEqual({
      role: "model",
      parts: [
        { text: "Checking." },
        {
          functionCall: { name: "get_weather", args: { location: "Oslo" } },
          thoughtSignature: "skip_thought_signature_validator",
        },
      ],
    });
  });

  test("tool call arguments that are not a JSON object are refused", () => {
    const error = refusal({
      messages: [
        { role: "user", content: "Weather?" },
        { role: "assistant", tool_calls: [toolCall("call_1", "get_weather", "[1,2]")] },
      ],
    });
    expect(error).toMatchObject({
      status: 400,
      code: "invalid_request",
      param: "messages[1].tool_calls[0].function.arguments",
    });
  });

  test("a tool result is a functionResponse named after its call, plain text wrapped as output", () => {
    const body = sent({
      messages: [
        { role: "user", content: "Weather?" },
        { role: "assistant", tool_calls: [toolCall("call_1", "get_weather", "{}")] },
        { role: "tool", tool_call_id: "call_1", content: "Sunny, 21 degrees" },
      ],
    });
    expect((body.contents as unknown[])[2]).toEqual({
      role: "user",
      parts: [
        {
          functionResponse: { name: "get_weather", response: { output: "Sunny, 21 degrees" } },
        },
      ],
    });
  });

  test("the results of parallel calls share one user turn, in order", () => {
    const messages: ChatMessage[] = [
      { role: "user", content: "Weather in Oslo and Rome?" },
      {
        role: "assistant",
        tool_calls: [
          toolCall("call_1", "get_weather", '{"location":"Oslo"}'),
          toolCall("call_2", "get_time", '{"location":"Rome"}'),
        ],
      },
      { role: "tool", tool_call_id: "call_1", content: '{"temperature":3}' },
      { role: "tool", tool_call_id: "call_2", content: '{"time":"10:00"}' },
    ];
    const body = sent({ messages });
    expect((body.contents as unknown[])[2]).toEqual({
      role: "user",
      parts: [
        { functionResponse: { name: "get_weather", response: { temperature: 3 } } },
        { functionResponse: { name: "get_time", response: { time: "10:00" } } },
      ],
    });
  });

  test("a tool message answering no earlier call is refused", () => {
    const error = refusal({
      messages: [
        { role: "user", content: "Hi" },
        { role: "tool", tool_call_id: "call_404", content: "{}" },
      ],
    });
    expect(error).toMatchObject({
      status: 400,
      code: "invalid_request",
      param: "messages[1].tool_call_id",
    });
  });
});

describe("tools", () => {
  test("tool schemas lose the keywords Gemini refuses", () => {
    const body = sent({
      tools: [
        weatherTool({
          $schema: "https://json-schema.org/draft/2020-12/schema",
          type: "object",
          properties: {
            location: { type: "string", format: "uri", minLength: 2 },
            days: { type: "integer", exclusiveMinimum: 0, multipleOf: 1, enum: [1, 3, 7] },
            when: { type: "string", format: "date-time" },
            tags: { type: "array", items: { type: "string" }, uniqueItems: true },
          },
          required: ["location"],
          additionalProperties: false,
        }),
      ],
    });
    expect(body.tools).toEqual([
      {
        functionDeclarations: [
          {
            name: "get_weather",
            parameters: {
              type: "OBJECT",
              properties: {
                location: { type: "STRING", minLength: 2 },
                days: { type: "INTEGER", enum: ["1", "3", "7"] },
                when: { type: "STRING", format: "date-time" },
                tags: { type: "ARRAY", items: { type: "STRING" } },
              },
              required: ["location"],
            },
          },
        ],
      },
    ]);
  });

  test("local $refs are inlined, oneOf read as anyOf, and const as a one-value enum", () => {
    const body = sent({
      tools: [
        weatherTool({
          type: "object",
          $defs: { Place: { type: "object", properties: { city: { type: "string" } } } },
          properties: {
            place: { $ref: "#/$defs/Place", description: "Where" },
            unit: { oneOf: [{ const: "C" }, { const: "F" }] },
            mode: { allOf: [{ type: "string" }], description: "How" },
          },
        }),
      ],
    });
    const [tools] = body.tools as { functionDeclarations: { parameters: unknown }[] }[];
    expect(tools!.functionDeclarations[0]!.parameters).toEqual({
      type: "OBJECT",
      properties: {
        place: {
          type: "OBJECT",
          description: "Where",
          properties: { city: { type: "STRING" } },
        },
        unit: { anyOf: [{ enum: ["C"] }, { enum: ["F"] }] },
        mode: { type: "STRING", description: "How" },
      },
    });
  });

  test("a self-referencing schema stops at the cycle instead of recursing forever", () => {
    const body = sent({
      tools: [
        weatherTool({
          type: "object",
          properties: { node: { $ref: "#/$defs/Node" } },
          $defs: { Node: { type: "object", properties: { next: { $ref: "#/$defs/Node" } } } },
        }),
      ],
    });
    const [tools] = body.tools as { functionDeclarations: { parameters: unknown }[] }[];
    expect(tools!.functionDeclarations[0]!.parameters).toEqual({
      type: "OBJECT",
      properties: { node: { type: "OBJECT", properties: { next: {} } } },
    });
  });

  test("a tool that takes no parameters declares none", () => {
    const body = sent({ tools: [weatherTool({ type: "object", properties: {} })] });
    expect(body.tools).toEqual([{ functionDeclarations: [{ name: "get_weather" }] }]);
  });

  test("tools other than functions are refused", () => {
    const error = refusal({ tools: [{ type: "web_search" }] });
    expect(error).toMatchObject({ status: 400, code: "unsupported_parameter", param: "tools[0]" });
  });

  test.each([
    ["auto", { mode: "AUTO" }],
    ["none", { mode: "NONE" }],
    ["required", { mode: "ANY" }],
    [
      { type: "function", function: { name: "get_weather" } },
      { mode: "ANY", allowedFunctionNames: ["get_weather"] },
    ],
  ])("tool_choice %j becomes functionCallingConfig %j", (choice, config) => {
    const body = sent({ tools: [weatherTool(undefined)], tool_choice: choice });
    expect(body.toolConfig).toEqual({ functionCallingConfig: config });
  });

  test("tool_choice without tools is not sent", () => {
    expect(sent({ tool_choice: "required" })).not.toHaveProperty("toolConfig");
  });
});

describe("generationConfig", () => {
  test("sampling options map to generationConfig", () => {
    const body = sent({
      max_tokens: 100,
      temperature: 1.3,
      top_p: 0.5,
      stop: ["a", "b"],
      n: 3,
      seed: 7,
    });
    expect(body.generationConfig).toEqual({
      maxOutputTokens: 100,
      temperature: 1.3,
      topP: 0.5,
      stopSequences: ["a", "b"],
      candidateCount: 3,
      seed: 7,
    });
  });

  test("max_completion_tokens wins over max_tokens", () => {
    const body = sent({ max_tokens: 100, max_completion_tokens: 50 });
    expect(body.generationConfig).toEqual({ maxOutputTokens: 50 });
  });

  test("a request that sets nothing sends no generationConfig", () => {
    expect(sent({})).not.toHaveProperty("generationConfig");
  });

  test("response_format json_object asks for application/json", () => {
    const body = sent({ response_format: { type: "json_object" } });
    expect(body.generationConfig).toEqual({ responseMimeType: "application/json" });
  });

  test("response_format json_schema sends the schema untouched as responseJsonSchema", () => {
    const schema = {
      type: "object",
      properties: { answer: { type: "string" } },
      required: ["answer"],
      additionalProperties: false,
    };
    const body = sent({
      response_format: { type: "json_schema", json_schema: { name: "a", strict: true, schema } },
    });
    expect(body.generationConfig).toEqual({
      responseMimeType: "application/json",
      responseJsonSchema: schema,
    });
  });

  test("response_format text adds nothing", () => {
    expect(sent({ response_format: { type: "text" } })).not.toHaveProperty("generationConfig");
  });
});

describe("the upstream call", () => {
  test("a chat request posts to generateContent with the key in x-goog-api-key", () => {
    expect(request({})).toMatchObject({
      url: "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent",
      method: "POST",
      headers: { "x-goog-api-key": "gemini-key-123", "content-type": "application/json" },
    });
  });

  test("a stream request calls streamGenerateContent with alt=sse", () => {
    expect(request({ stream: true }).url).toBe(
      "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
    );
  });

  test("the key is never in the URL", () => {
    expect(request({ stream: true }).url).not.toContain(config.apiKey);
  });

  test("base URLs with and without a trailing slash give the same URL", () => {
    const body = { model: "m", messages: [{ role: "user" as const, content: "Hi" }] };
    const urls = ["http://127.0.0.1:9999", "http://127.0.0.1:9999/", "http://127.0.0.1:9999//"].map(
      (baseUrl) => gemini.chat!.request(body, "gemini-2.5-flash", { ...config, baseUrl }).url,
    );
    expect(new Set(urls)).toEqual(
      new Set(["http://127.0.0.1:9999/v1beta/models/gemini-2.5-flash:generateContent"]),
    );
  });

  test("a model named with Google's models/ prefix is not prefixed twice", () => {
    const body = { model: "m", messages: [{ role: "user" as const, content: "Hi" }] };
    const upstream = gemini.chat!.request(body, "models/gemini-2.5-flash", config);
    expect(upstream.url).toBe(
      "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent",
    );
  });
});
