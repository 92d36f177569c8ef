// The OpenAI mock's Responses API: JSON, and the SSE event sequence OpenAI streams, with function
// calls, structured output and usage; `previous_response_id` served from the mock's memory.
import type { Answer, JsonAnswer } from "./harness.ts";
import { countTokens, replyPieces, WEATHER_ARGUMENT_PIECES } from "./reply.ts";
import { sampleOf } from "./structured.ts";
import { sseEvent } from "./wire.ts";

type Item = { type?: string; role?: string; content?: unknown; output?: unknown };

interface ResponsesBody {
  model?: string;
  input?: string | Item[];
  tools?: { type?: string; name?: string }[];
  text?: { format?: { type?: string; schema?: never } };
  reasoning?: { effort?: string };
  max_output_tokens?: number;
  stream?: boolean;
  previous_response_id?: string;
}

const CREATED = 1750000000;
const ID = "resp_mock0000000000000000001";
const invalid = (message: string, param: string | null = null): JsonAnswer => ({
  status: 400,
  json: { error: { message, type: "invalid_request_error", param, code: null } },
});

const ROLES = new Set(["user", "assistant", "system", "developer"]);

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((part: { text?: unknown }) => (typeof part.text === "string" ? part.text : ""))
    .join("");
}

function output(body: ResponsesBody): { items: object[]; text: string } {
  const items =
    typeof body.input === "string" ? [{ role: "user", content: body.input }] : (body.input ?? []);
  const last = items.at(-1);
  const tool = body.tools?.find((t) => t.type === "function")?.name;
  const reasoning = body.reasoning?.effort
    ? [
        {
          id: "rs_mock_1",
          type: "reasoning",
          summary: [{ type: "summary_text", text: "Thinking it over." }],
        },
      ]
    : [];
  if (tool && last?.type !== "function_call_output" && /weather/i.test(textOf(last?.content))) {
    const call = {
      id: "fc_mock_1",
      type: "function_call",
      status: "completed",
      call_id: "call_mock_weather",
      name: tool,
      arguments: WEATHER_ARGUMENT_PIECES.join(""),
    };
    return { items: [...reasoning, call], text: "" };
  }
  const format = body.text?.format;
  const text =
    last?.type === "function_call_output"
      ? `The tool answered ${textOf(last.output) || String(last.output)}.`
      : format?.type === "json_schema"
        ? JSON.stringify(sampleOf(format.schema))
        : format?.type === "json_object"
          ? '{"answer":"Paris"}'
          : replyPieces(textOf(last?.content), body.max_output_tokens).join("");
  const message = {
    id: "msg_mock_1",
    type: "message",
    status: "completed",
    role: "assistant",
    content: [{ type: "output_text", text, annotations: [], logprobs: [] }],
  };
  return { items: [...reasoning, message], text };
}

function response(body: ResponsesBody, items: object[], status: string) {
  const input = countTokens(body.input);
  const out = countTokens(items);
  const reasoning = items.some((item) => (item as Item).type === "reasoning") ? 3 : 0;
  return {
    id: ID,
    object: "response",
    created_at: CREATED,
    status,
    error: null,
    incomplete_details: null,
    model: body.model,
    output: items,
    parallel_tool_calls: true,
    tool_choice: "auto",
    tools: body.tools ?? [],
    usage:
      status === "completed"
        ? {
            input_tokens: input,
            input_tokens_details: { cached_tokens: 0 },
            output_tokens: out,
            output_tokens_details: { reasoning_tokens: reasoning },
            total_tokens: input + out,
          }
        : null,
  };
}

function stream(body: ResponsesBody, items: object[]): Answer {
  let sequence = 0;
  const events: string[] = [];
  const emit = (type: string, fields: object) =>
    events.push(sseEvent({ type, sequence_number: sequence++, ...fields }, type));
  emit("response.created", { response: response(body, [], "in_progress") });
  emit("response.in_progress", { response: response(body, [], "in_progress") });
  items.forEach((whole, output_index) => {
    const item = whole as Item & { id: string; arguments?: string; content?: { text: string }[] };
    const at = { item_id: item.id, output_index };
    if (item.type === "message") {
      const text = item.content![0]!.text;
      emit("response.output_item.added", {
        output_index,
        item: { ...item, status: "in_progress", content: [] },
      });
      const part = { type: "output_text", text: "", annotations: [], logprobs: [] };
      emit("response.content_part.added", { ...at, content_index: 0, part });
      for (const delta of text.split(/(?=\s)/)) {
        emit("response.output_text.delta", { ...at, content_index: 0, delta, logprobs: [] });
      }
      emit("response.output_text.done", { ...at, content_index: 0, text, logprobs: [] });
      emit("response.content_part.done", { ...at, content_index: 0, part: { ...part, text } });
    } else if (item.type === "function_call") {
      emit("response.output_item.added", {
        output_index,
        item: { ...item, status: "in_progress", arguments: "" },
      });
      for (const delta of WEATHER_ARGUMENT_PIECES) {
        emit("response.function_call_arguments.delta", { ...at, delta });
      }
      emit("response.function_call_arguments.done", { ...at, arguments: item.arguments });
    } else {
      emit("response.output_item.added", { output_index, item: { ...item, summary: [] } });
    }
    emit("response.output_item.done", { output_index, item });
  });
  emit("response.completed", { response: response(body, items, "completed") });
  return { sse: events };
}

/** POST /v1/responses, refusing what OpenAI refuses: no input, an unknown role, an unknown chain. */
export function responses(body: ResponsesBody): Answer {
  if (body.input === undefined) return invalid("Missing required parameter: 'input'.", "input");
  if (body.previous_response_id !== undefined && body.previous_response_id !== ID) {
    return {
      status: 404,
      json: {
        error: {
          message: `Previous response with id '${body.previous_response_id}' not found.`,
          type: "invalid_request_error",
          param: "previous_response_id",
          code: "previous_response_not_found",
        },
      },
    };
  }
  const items = Array.isArray(body.input) ? body.input : [];
  const bad = items.findIndex(
    (item) => (item.type ?? "message") === "message" && !ROLES.has(String(item.role)),
  );
  if (bad >= 0) {
    return invalid(
      `Invalid value: '${String(items[bad]!.role)}'. Supported values are: 'assistant', 'system', 'developer', and 'user'.`,
      `input[${bad}].role`,
    );
  }
  const { items: out } = output(body);
  return body.stream ? stream(body, out) : { status: 200, json: response(body, out, "completed") };
}
