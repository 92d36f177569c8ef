// A local Anthropic Messages API: messages (JSON and the SSE event sequence, with tool use) and
// the model list, in Anthropic's wire format, checking `x-api-key` and `anthropic-version`.
import {
  countTokens,
  replyPieces,
  sseEvent,
  startMock,
  WEATHER_ARGUMENT_PIECES,
  type Answer,
  type JsonAnswer,
  type MockOptions,
  type MockServer,
  type RecordedCall,
} from "./server.ts";

/** The key the Anthropic mock expects unless told another. */
export const ANTHROPIC_MOCK_KEY = "sk-ant-mock";

function error(status: number, type: string, message: string): JsonAnswer {
  return {
    status,
    json: { type: "error", error: { type, message }, request_id: "req_mock0000000000000001" },
  };
}

const invalid = (message: string) => error(400, "invalid_request_error", message);

// Anthropic's words for each status a test can ask for.
const ERRORS: Record<number, JsonAnswer> = {
  400: error(
    400,
    "invalid_request_error",
    "messages.0.content: text content blocks must be non-empty",
  ),
  401: error(401, "authentication_error", "invalid x-api-key"),
  429: error(
    429,
    "rate_limit_error",
    "This request would exceed the rate limit for your organization (mock) of 50 requests per minute.",
  ),
  500: error(500, "api_error", "Internal server error"),
  503: error(503, "api_error", "Service unavailable"),
  529: error(529, "overloaded_error", "Overloaded"),
};

type Block = { type: string; text?: string; content?: unknown };

interface MessagesBody {
  model?: string;
  max_tokens?: unknown;
  messages?: { role: string; content: string | Block[] }[];
  tools?: { name?: string }[];
  stream?: boolean;
}

function blocksOf(content: string | Block[] | undefined): Block[] {
  return typeof content === "string" ? [{ type: "text", text: content }] : (content ?? []);
}

/** What the mock replies to: the last user text, or the result of the tool it called. */
function lastText(body: MessagesBody): { text: string; toolResult: boolean } {
  const blocks = blocksOf(body.messages?.at(-1)?.content);
  const result = blocks.find((block) => block.type === "tool_result");
  if (result) return { text: String(result.content), toolResult: true };
  return { text: blocks.map((block) => block.text ?? "").join(""), toolResult: false };
}

/** What the mock will say, whichever way it is sent. */
interface Reply {
  tool: string | undefined;
  pieces: string[];
  stopReason: "end_turn" | "max_tokens" | "tool_use";
  input: number;
  output: number;
}

function plan(body: MessagesBody, maxTokens: number): Reply {
  const { text, toolResult } = lastText(body);
  const name = body.tools?.[0]?.name;
  const tool = !toolResult && /weather/i.test(text) ? name : undefined;
  const pieces = tool ? ["I'll check", " the weather."] : replyPieces(text, maxTokens);
  const cut = pieces.length < replyPieces(text, undefined).length;
  return {
    tool,
    pieces,
    stopReason: tool ? "tool_use" : cut ? "max_tokens" : "end_turn",
    input: countTokens(body.messages),
    output: pieces.length + (tool ? WEATHER_ARGUMENT_PIECES.length : 0),
  };
}

const MESSAGE = { id: "msg_mock0000000000000000001", type: "message", role: "assistant" };
const TOOL_USE = { type: "tool_use", id: "toolu_mock_weather" };
const usage = (reply: Reply, output: number) => ({
  input_tokens: reply.input,
  cache_creation_input_tokens: 0,
  cache_read_input_tokens: 0,
  output_tokens: output,
});

function message(body: MessagesBody, reply: Reply): JsonAnswer {
  const content: unknown[] = [{ type: "text", text: reply.pieces.join("") }];
  const input = JSON.parse(WEATHER_ARGUMENT_PIECES.join("")) as unknown;
  if (reply.tool) content.push({ ...TOOL_USE, name: reply.tool, input });
  const stop = { stop_reason: reply.stopReason, stop_sequence: null };
  return {
    status: 200,
    json: { ...MESSAGE, model: body.model, content, ...stop, usage: usage(reply, reply.output) },
  };
}

/** Anthropic's event sequence; each event is named after its `type`. */
function stream(body: MessagesBody, reply: Reply): Answer {
  const start = {
    ...MESSAGE,
    model: body.model,
    content: [],
    stop_reason: null,
    stop_sequence: null,
  };
  const delta = (index: number, value: object) => ({
    type: "content_block_delta",
    index,
    delta: value,
  });
  const events: { type: string; [field: string]: unknown }[] = [
    { type: "message_start", message: { ...start, usage: usage(reply, 1) } },
    { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
    { type: "ping" },
    ...reply.pieces.map((text) => delta(0, { type: "text_delta", text })),
    { type: "content_block_stop", index: 0 },
  ];
  if (reply.tool) {
    const block = { ...TOOL_USE, name: reply.tool, input: {} };
    events.push(
      { type: "content_block_start", index: 1, content_block: block },
      ...WEATHER_ARGUMENT_PIECES.map((partial_json) =>
        delta(1, { type: "input_json_delta", partial_json }),
      ),
      { type: "content_block_stop", index: 1 },
    );
  }
  events.push(
    {
      type: "message_delta",
      delta: { stop_reason: reply.stopReason, stop_sequence: null },
      usage: { output_tokens: reply.output },
    },
    { type: "message_stop" },
  );
  return { sse: events.map((event) => sseEvent(event, event.type)) };
}

function messages(body: MessagesBody): Answer {
  if (typeof body.max_tokens !== "number") return invalid("max_tokens: Field required");
  if (!Array.isArray(body.messages)) return invalid("messages: Field required");
  const reply = plan(body, body.max_tokens);
  return body.stream ? stream(body, reply) : message(body, reply);
}

const MODELS = {
  data: [
    {
      type: "model",
      id: "claude-sonnet-4-5-20250929",
      display_name: "Claude Sonnet 4.5",
      created_at: "2025-09-29T00:00:00Z",
    },
  ],
  has_more: false,
  first_id: "claude-sonnet-4-5-20250929",
  last_id: "claude-sonnet-4-5-20250929",
};

function answer(call: RecordedCall, apiKey: string): Answer {
  if (call.headers["x-api-key"] !== apiKey) return ERRORS[401]!;
  if (!call.headers["anthropic-version"]) return invalid("anthropic-version: header is required");
  const route = `${call.method} ${call.path}`;
  if (route === "POST /v1/messages") return messages(call.body as MessagesBody);
  if (route === "GET /v1/models") return { status: 200, json: MODELS };
  return error(404, "not_found_error", "Not Found");
}

/**
 * Starts a local Anthropic on a free port. Its `url` has no `/v1`, as `ANTHROPIC_BASE_URL`. A
 * request with `tools` whose last user turn mentions "weather" (and is not a tool result) gets
 * text and a `tool_use` of the first tool with `{"location": "Paris"}`; any other gets
 * "You said: <last text>", cut to `max_tokens` pieces (stop reason `max_tokens`).
 */
export function startAnthropicMock(options: MockOptions = {}): Promise<MockServer> {
  const apiKey = options.apiKey ?? ANTHROPIC_MOCK_KEY;
  return startMock(
    {
      answer: (call) => answer(call, apiKey),
      errorBody: (status) => (ERRORS[status] ?? ERRORS[500]!).json,
    },
    "",
    options,
  );
}
