// A local OpenAI: chat completions (JSON and SSE, with tool calls), embeddings, images and the
// model list, in OpenAI's wire format, checking `Authorization: Bearer <key>`.
import {
  startMock,
  type Answer,
  type JsonAnswer,
  type MockOptions,
  type MockServer,
  type RecordedCall,
} from "./harness.ts";
import { responses } from "./openai-responses.ts";
import { countTokens, replyPieces, WEATHER_ARGUMENT_PIECES } from "./reply.ts";
import { sampleOf } from "./structured.ts";
import { sseEvent } from "./wire.ts";

/** The key the OpenAI mock expects unless told another. */
export const OPENAI_MOCK_KEY = "sk-mock-openai";

const CREATED = 1750000000;
// A 1×1 transparent PNG, for `response_format: "b64_json"`.
const PIXEL =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";

function error(status: number, type: string, code: string | null, message: string): JsonAnswer {
  return { status, json: { error: { message, type, param: null, code } } };
}

const invalid = (message: string) => error(400, "invalid_request_error", null, message);

// OpenAI's words for each status a test can ask for (a 529 gets the 500 body).
const ERRORS: Record<number, JsonAnswer> = {
  400: error(400, "invalid_request_error", "invalid_value", "Invalid value for 'temperature'."),
  401: error(
    401,
    "invalid_request_error",
    "invalid_api_key",
    "Incorrect API key provided: sk-m***.",
  ),
  429: error(
    429,
    "requests",
    "rate_limit_exceeded",
    "Rate limit reached in organization org-mock.",
  ),
  500: error(500, "server_error", null, "The server had an error while processing your request."),
  503: error(
    503,
    "server_error",
    null,
    "The engine is currently overloaded, please try again later.",
  ),
};

interface ChatBody {
  model?: string;
  messages?: {
    role: string;
    content?: unknown;
    tool_calls?: { id?: string }[];
    tool_call_id?: string;
  }[];
  response_format?: { type?: string; json_schema?: { schema?: never } };
  tools?: { function?: { name?: string; parameters?: never } }[];
  tool_choice?: string | { function?: { name?: string } };
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  max_tokens?: number;
  max_completion_tokens?: number;
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((part: { text?: unknown }) => (typeof part.text === "string" ? part.text : ""))
    .join("");
}

/** What the mock will say, whichever way it is sent. */
interface Reply {
  tool: string | undefined;
  pieces: string[];
  finish: "stop" | "length" | "tool_calls";
  /** The tool call's arguments, in the fragments they stream in. */
  args: string[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

function plan(body: ChatBody, messages: NonNullable<ChatBody["messages"]>): Reply {
  const last = messages.at(-1);
  const text = textOf(last?.content);
  const name = body.tools?.[0]?.function?.name;
  // A forced tool (tool_choice required or named) is called with arguments fitting its schema.
  const choice = body.tool_choice;
  const forcedName =
    typeof choice === "object" ? choice.function?.name : choice === "required" ? name : undefined;
  const forced = body.tools?.find((t) => t.function?.name === forcedName)?.function;
  const tool = forced?.name ?? (last?.role === "user" && /weather/i.test(text) ? name : undefined);
  const args = forced ? [JSON.stringify(sampleOf(forced.parameters))] : WEATHER_ARGUMENT_PIECES;
  const format = body.response_format;
  const pieces =
    format?.type === "json_schema"
      ? [JSON.stringify(sampleOf(format.json_schema?.schema))]
      : replyPieces(text, body.max_completion_tokens ?? body.max_tokens);
  const cut = pieces.length < replyPieces(text, undefined).length;
  const completion = tool ? args.length : pieces.length;
  const prompt = countTokens(messages);
  return {
    tool,
    pieces,
    args,
    finish: tool ? "tool_calls" : cut ? "length" : "stop",
    usage: {
      prompt_tokens: prompt,
      completion_tokens: completion,
      total_tokens: prompt + completion,
    },
  };
}

const ID = "chatcmpl-mock000000000000000000001";
const CALL_ID = "call_mock_weather";

function completion(body: ChatBody, reply: Reply): JsonAnswer {
  const call = {
    id: CALL_ID,
    type: "function",
    function: { name: reply.tool, arguments: reply.args.join("") },
  };
  const message = reply.tool
    ? { role: "assistant", content: null, tool_calls: [call], refusal: null, annotations: [] }
    : { role: "assistant", content: reply.pieces.join(""), refusal: null, annotations: [] };
  const choices = [{ index: 0, message, logprobs: null, finish_reason: reply.finish }];
  const json = {
    id: ID,
    object: "chat.completion",
    created: CREATED,
    model: body.model,
    choices,
    usage: reply.usage,
  };
  return { status: 200, json: { ...json, service_tier: "default", system_fingerprint: "fp_mock" } };
}

function stream(body: ChatBody, reply: Reply): Answer {
  // With include_usage every chunk carries `usage: null`, and a last chunk carries the usage.
  const withUsage = body.stream_options?.include_usage === true;
  const chunk = (delta: unknown, finish: string | null = null) => ({
    id: ID,
    object: "chat.completion.chunk",
    created: CREATED,
    model: body.model,
    system_fingerprint: "fp_mock",
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(withUsage ? { usage: null } : {}),
  });
  const opening = {
    index: 0,
    id: CALL_ID,
    type: "function",
    function: { name: reply.tool, arguments: "" },
  };
  const deltas = reply.tool
    ? [
        { role: "assistant", content: null, tool_calls: [opening], refusal: null },
        ...reply.args.map((piece) => ({
          tool_calls: [{ index: 0, function: { arguments: piece } }],
        })),
      ]
    : [
        { role: "assistant", content: "", refusal: null },
        ...reply.pieces.map((piece) => ({ content: piece })),
      ];
  const chunks: unknown[] = [...deltas.map((delta) => chunk(delta)), chunk({}, reply.finish)];
  if (withUsage) chunks.push({ ...chunk({}), choices: [], usage: reply.usage });
  return { sse: [...chunks.map((value) => sseEvent(value)), sseEvent("[DONE]")] };
}

function chat(body: ChatBody): Answer {
  if (!Array.isArray(body.messages)) {
    return invalid("'messages' is a required property");
  }
  const roles = new Set(["system", "developer", "user", "assistant", "tool"]);
  const bad = body.messages.findIndex((message) => !roles.has(message.role));
  if (bad >= 0) {
    return invalid(
      `Invalid value: '${body.messages[bad]!.role}'. Supported values are: 'system', 'assistant', 'user', 'tool', 'function', and 'developer'.`,
    );
  }
  const called = new Set(body.messages.flatMap((m) => (m.tool_calls ?? []).map((c) => c.id)));
  if (body.messages.some((m) => m.role === "tool" && !called.has(m.tool_call_id))) {
    return invalid(
      "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.",
    );
  }
  if (body.stream_options && !body.stream) {
    return invalid("The 'stream_options' parameter is only allowed when 'stream' is enabled.");
  }
  const reply = plan(body, body.messages);
  return body.stream ? stream(body, reply) : completion(body, reply);
}

/** Four numbers per input, fixed by its text, so tests can compare vectors. */
function vector(text: string): number[] {
  let hash = 2166136261;
  for (const char of text) hash = Math.imul(hash ^ char.charCodeAt(0), 16777619) >>> 0;
  return [0, 8, 16, 24].map((shift) => Number((((hash >>> shift) & 255) / 255 - 0.5).toFixed(6)));
}

/** OpenAI's `base64` encoding: the float32 little-endian bytes of the vector. */
const base64 = (vector: number[]) =>
  Buffer.from(new Float32Array(vector).buffer).toString("base64");

function embeddings(body: { model?: string; input?: unknown; encoding_format?: string }): Answer {
  const inputs = [body.input].flat().filter((input) => typeof input === "string");
  if (inputs.length === 0) return invalid("'input' is a required property");
  const data = inputs.map((input, index) => ({
    object: "embedding",
    index,
    embedding: body.encoding_format === "base64" ? base64(vector(input)) : vector(input),
  }));
  const usage = { prompt_tokens: countTokens(inputs), total_tokens: countTokens(inputs) };
  return { status: 200, json: { object: "list", data, model: body.model, usage } };
}

function images(body: { n?: number; response_format?: string }): Answer {
  const data = Array.from({ length: body.n ?? 1 }, (_, i) =>
    body.response_format === "b64_json"
      ? { b64_json: PIXEL }
      : { url: `https://mock.openai.invalid/images/${i}.png` },
  );
  return { status: 200, json: { created: CREATED, data } };
}

const MODELS = {
  object: "list",
  data: ["gpt-4o-mini", "text-embedding-3-small", "dall-e-3"].map((id) => ({
    id,
    object: "model",
    created: CREATED,
    owned_by: "system",
  })),
};

function answer(call: RecordedCall, apiKey: string): Answer {
  if (call.headers.authorization !== `Bearer ${apiKey}`) return ERRORS[401]!;
  const route = `${call.method} ${call.path}`;
  if (route === "POST /v1/chat/completions") return chat(call.body as ChatBody);
  if (route === "POST /v1/responses")
    return responses(call.body as Parameters<typeof responses>[0]);
  if (route === "POST /v1/embeddings") return embeddings(call.body as { input?: unknown });
  if (route === "POST /v1/images/generations") return images(call.body as { n?: number });
  if (route === "GET /v1/models") return { status: 200, json: MODELS };
  return error(404, "invalid_request_error", null, `Invalid URL (${route})`);
}

/**
 * Starts a local OpenAI on a free port. Its `url` ends in `/v1`, as `OPENAI_BASE_URL` does. A
 * request with `tools` whose last message is a user's mentioning "weather" gets a call of the
 * first tool with `{"location": "Paris"}`; any other gets "You said: <last message>", cut to
 * `max_tokens` pieces (finish reason `length`).
 */
export function startOpenAiMock(options: MockOptions = {}): Promise<MockServer> {
  const apiKey = options.apiKey ?? OPENAI_MOCK_KEY;
  return startMock(
    {
      answer: (call) => answer(call, apiKey),
      errorBody: (status) => (ERRORS[status] ?? ERRORS[500]!).json,
    },
    { basePath: "/v1", slowMs: options.slowMs },
  );
}
