// A local Anthropic Messages API: messages (JSON and the SSE event sequence, with tool use), token
// counts and the model list, in Anthropic's wire format, checking `x-api-key` and
// `anthropic-version`.
import {
  startMock,
  type Answer,
  type JsonAnswer,
  type MockOptions,
  type MockServer,
  type RecordedCall,
} from "./harness.ts";
import { countTokens, replyPieces, WEATHER_ARGUMENT_PIECES } from "./reply.ts";
import { sampleOf } from "./structured.ts";
import { sseEvent } from "./wire.ts";

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

type Block = {
  type: string;
  text?: string;
  content?: unknown;
  id?: string;
  tool_use_id?: string;
  cache_control?: unknown;
};

interface MessagesBody {
  model?: string;
  max_tokens?: unknown;
  messages?: { role: string; content: string | Block[] }[];
  tools?: { name?: string; input_schema?: never }[];
  tool_choice?: { type?: string; name?: string };
  stream?: boolean;
  system?: string | Block[];
  thinking?: { type?: string };
  output_config?: { format?: { schema?: never } };
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
  thinking: string | undefined;
  /** The tool_use input, in the fragments it streams in. */
  args: string[];
  input: number;
  /** Input tokens read from the prompt cache: what a `cache_control` breakpoint marks. */
  cached: number;
  output: number;
}

function plan(body: MessagesBody, maxTokens: number): Reply {
  const { text, toolResult } = lastText(body);
  const name = body.tools?.[0]?.name;
  // A forced tool (tool_choice any or tool) is called with input fitting its schema.
  const choice = body.tool_choice;
  const forcedName =
    choice?.type === "tool" ? choice.name : choice?.type === "any" ? name : undefined;
  const forced = body.tools?.find((t) => t.name === forcedName);
  const tool = forced?.name ?? (!toolResult && /weather/i.test(text) ? name : undefined);
  const args = forced ? [JSON.stringify(sampleOf(forced.input_schema))] : WEATHER_ARGUMENT_PIECES;
  const format = body.output_config?.format;
  const pieces = tool
    ? ["I'll check", " the weather."]
    : format
      ? [JSON.stringify(sampleOf(format.schema))]
      : replyPieces(text, maxTokens);
  const cut = pieces.length < replyPieces(text, undefined).length && !format;
  const thinking = body.thinking?.type === "enabled" ? "Let me think." : undefined;
  const marked = [body.system, ...(body.messages ?? []).map((m) => m.content)].flatMap((c) =>
    Array.isArray(c) ? c.filter((block) => block.cache_control) : [],
  );
  const cached = countTokens(marked);
  return {
    tool,
    pieces,
    stopReason: tool ? "tool_use" : cut ? "max_tokens" : "end_turn",
    thinking,
    input: Math.max(1, countTokens(body.messages) - cached),
    cached,
    args,
    output: pieces.length + (tool ? args.length : 0) + (thinking ? 3 : 0),
  };
}

const MESSAGE = { id: "msg_mock0000000000000000001", type: "message", role: "assistant" };
const TOOL_USE = { type: "tool_use", id: "toolu_mock_weather" };
const usage = (reply: Reply, output: number) => ({
  input_tokens: reply.input,
  cache_creation_input_tokens: 0,
  cache_read_input_tokens: reply.cached,
  output_tokens: output,
  ...(reply.thinking ? { output_tokens_details: { thinking_tokens: 3 } } : {}),
});
const SIGNATURE = "EqQBCkYIBxgCKkDmock";

function message(body: MessagesBody, reply: Reply): JsonAnswer {
  const content: unknown[] = [{ type: "text", text: reply.pieces.join("") }];
  if (reply.thinking) {
    content.unshift({ type: "thinking", thinking: reply.thinking, signature: SIGNATURE });
  }
  const input = JSON.parse(reply.args.join("")) as unknown;
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
  const first = reply.thinking ? 1 : 0;
  const events: { type: string; [field: string]: unknown }[] = [
    { type: "message_start", message: { ...start, usage: usage(reply, 1) } },
  ];
  if (reply.thinking) {
    events.push(
      {
        type: "content_block_start",
        index: 0,
        content_block: { type: "thinking", thinking: "", signature: "" },
      },
      delta(0, { type: "thinking_delta", thinking: reply.thinking }),
      delta(0, { type: "signature_delta", signature: SIGNATURE }),
      { type: "content_block_stop", index: 0 },
    );
  }
  events.push(
    { type: "content_block_start", index: first, content_block: { type: "text", text: "" } },
    { type: "ping" },
    ...reply.pieces.map((text) => delta(first, { type: "text_delta", text })),
    { type: "content_block_stop", index: first },
  );
  if (reply.tool) {
    const block = { ...TOOL_USE, name: reply.tool, input: {} };
    events.push(
      { type: "content_block_start", index: first + 1, content_block: block },
      ...reply.args.map((partial_json) =>
        delta(first + 1, { type: "input_json_delta", partial_json }),
      ),
      { type: "content_block_stop", index: first + 1 },
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

/** What Anthropic refuses in the turns themselves: a role it has no word for, an orphan result. */
function refusedTurns(turns: NonNullable<MessagesBody["messages"]>): JsonAnswer | undefined {
  for (const [i, turn] of turns.entries()) {
    if (turn.role !== "user" && turn.role !== "assistant") {
      return invalid(`messages.${i}.role: Input should be 'user' or 'assistant'`);
    }
    const previous = i > 0 ? blocksOf(turns[i - 1]!.content) : [];
    const used = new Set(previous.filter((b) => b.type === "tool_use").map((b) => b.id));
    const orphan = blocksOf(turn.content).find(
      (b) => b.type === "tool_result" && !used.has(b.tool_use_id),
    );
    if (orphan) {
      return invalid(
        `messages.${i}.content.0: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${orphan.tool_use_id}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`,
      );
    }
  }
  return undefined;
}

/** The fields Anthropic's count_tokens takes: a Messages request's, less max_tokens and stream. */
const COUNT_FIELDS = new Set([
  "model",
  "messages",
  "system",
  "tools",
  "tool_choice",
  "thinking",
  "output_config",
  "cache_control",
  "speed",
  "context_management",
  "mcp_servers",
]);

/**
 * The input tokens of a request, as count_tokens reports them: its turns, system prompt and
 * tools, so a count grows with each (deterministic, as the tests need).
 */
export function mockInputTokens(body: { messages?: unknown; system?: unknown; tools?: unknown }) {
  return (
    countTokens(body.messages) +
    (body.system ? countTokens(body.system) : 0) +
    (body.tools ? countTokens(body.tools) : 0)
  );
}

/** Refuses what Anthropic refuses: a missing model or messages, and any field it does not take. */
function countTokensAnswer(body: MessagesBody): Answer {
  if (typeof body.model !== "string") return invalid("model: Field required");
  if (!Array.isArray(body.messages)) return invalid("messages: Field required");
  if (body.messages.length === 0) return invalid("messages: at least one message is required");
  const extra = Object.keys(body).find((field) => !COUNT_FIELDS.has(field));
  if (extra) return invalid(`${extra}: Extra inputs are not permitted`);
  return (
    refusedTurns(body.messages) ?? { status: 200, json: { input_tokens: mockInputTokens(body) } }
  );
}

function messages(body: MessagesBody): Answer {
  if (typeof body.max_tokens !== "number") return invalid("max_tokens: Field required");
  if (!Array.isArray(body.messages)) return invalid("messages: Field required");
  const refused = refusedTurns(body.messages);
  if (refused) return refused;
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
  if (route === "POST /v1/messages/count_tokens") {
    return countTokensAnswer(call.body as MessagesBody);
  }
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
    { slowMs: options.slowMs },
  );
}
