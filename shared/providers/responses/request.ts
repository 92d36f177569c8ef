// A Responses API request as a chat request: its fields here (tools, tool_choice, text.format,
// reasoning, limits), its input items in input.ts.
import { invalidField, unsupported } from "../errors.ts";
import type { ChatRequest } from "../types.ts";
import { inputMessages } from "./input.ts";

/** An OpenAI Responses API request, as far as the proxy reads it. */
export type ResponsesRequest = {
  model: string;
  input: string | unknown[];
  instructions?: string | null;
  stream?: boolean;
  [field: string]: unknown;
};

type Item = Record<string, unknown>;

// Fields translated into chat, and fields that change nothing about the answer. Anything else
// (previous_response_id, conversation, background, prompt, …) is refused by name.
const TRANSLATED = new Set([
  "model",
  "input",
  "instructions",
  "tools",
  "tool_choice",
  "parallel_tool_calls",
  "text",
  "reasoning",
  "max_output_tokens",
  "temperature",
  "top_p",
  "stream",
  "user",
]);
const NO_EFFECT = new Set([
  "metadata",
  "stream_options",
  "safety_identifier",
  "prompt_cache_key",
  "prompt_cache_retention",
  "service_tier",
  "include",
]);

const isObject = (value: unknown): value is Item =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function refuseUnknown(body: ResponsesRequest): void {
  for (const [field, value] of Object.entries(body)) {
    if (TRANSLATED.has(field) || NO_EFFECT.has(field) || value === null || value === undefined)
      continue;
    // A stored response or a truncation policy needs OpenAI's own server state.
    if (field === "store" && value === false) continue;
    if (field === "truncation" && value === "disabled") continue;
    const why =
      field === "previous_response_id" || field === "store" || field === "conversation"
        ? "needs a conversation stored at OpenAI"
        : "has no counterpart at this provider";
    throw unsupported(field, `'${field}' ${why}: route this model to OpenAI to use it`);
  }
}

function tools(list: unknown): unknown[] | undefined {
  if (list === undefined || list === null) return undefined;
  if (!Array.isArray(list)) throw invalidField("tools", "'tools' must be an array");
  return list.map((tool: unknown, i) => {
    const t = tool as Item | null;
    if (t?.type !== "function" || typeof t.name !== "string") {
      throw unsupported(
        `tools[${i}].type`,
        `Only function tools can be served here, not ${String(t?.type)}`,
      );
    }
    const { name, description, parameters, strict } = t;
    return {
      type: "function",
      function: {
        name,
        ...(typeof description === "string" ? { description } : {}),
        ...(isObject(parameters) ? { parameters } : {}),
        ...(typeof strict === "boolean" ? { strict } : {}),
      },
    };
  });
}

function toolChoice(choice: unknown): unknown {
  if (choice === undefined || choice === null) return undefined;
  if (choice === "none" || choice === "auto" || choice === "required") return choice;
  const named = choice as Item;
  if (named.type === "function" && typeof named.name === "string") {
    return { type: "function", function: { name: named.name } };
  }
  throw unsupported("tool_choice", "This tool_choice has no counterpart at this provider");
}

function responseFormat(textField: unknown): unknown {
  if (textField === undefined || textField === null) return undefined;
  const { format, verbosity, ...rest } = textField as Item;
  const extra = Object.keys(rest)[0];
  if (extra)
    throw unsupported(`text.${extra}`, `'text.${extra}' has no counterpart at this provider`);
  if (verbosity !== undefined && verbosity !== null && verbosity !== "medium") {
    throw unsupported("text.verbosity", "'text.verbosity' has no counterpart at this provider");
  }
  const f = format as Item | undefined;
  if (f === undefined || f === null || f.type === "text") return undefined;
  if (f.type === "json_object") return { type: "json_object" };
  if (f.type === "json_schema" && isObject(f.schema)) {
    const { type: _type, ...schema } = f;
    return { type: "json_schema", json_schema: { name: f.name ?? "response", ...schema } };
  }
  throw unsupported(
    "text.format",
    "text.format must be text, json_object or json_schema with a schema",
  );
}

/**
 * A Responses API request as a chat request, for a provider reached through chat: instructions
 * as the system message, input items as messages (function calls and their outputs as tool
 * calls and tool messages), function tools, tool_choice, `text.format` as `response_format`,
 * `reasoning.effort` as `reasoning_effort`, `max_output_tokens` as `max_completion_tokens`.
 * A field that needs OpenAI's stored state or has no counterpart is a 400 naming it.
 */
export function responsesToChat(body: ResponsesRequest): ChatRequest {
  refuseUnknown(body);
  const instructions =
    typeof body.instructions === "string" && body.instructions !== ""
      ? [{ role: "system" as const, content: body.instructions }]
      : [];
  const reasoning = body.reasoning as { effort?: unknown } | null | undefined;
  const chatTools = tools(body.tools);
  const choice = toolChoice(body.tool_choice);
  const format = responseFormat(body.text);
  const chat: ChatRequest = {
    model: body.model,
    messages: [...instructions, ...inputMessages(body.input)],
    ...(chatTools?.length ? { tools: chatTools } : {}),
    ...(choice !== undefined && chatTools?.length ? { tool_choice: choice } : {}),
    ...(typeof body.parallel_tool_calls === "boolean"
      ? { parallel_tool_calls: body.parallel_tool_calls }
      : {}),
    ...(format !== undefined ? { response_format: format } : {}),
    ...(typeof reasoning?.effort === "string" ? { reasoning_effort: reasoning.effort } : {}),
    ...(typeof body.max_output_tokens === "number"
      ? { max_completion_tokens: body.max_output_tokens }
      : {}),
    ...(typeof body.temperature === "number" ? { temperature: body.temperature } : {}),
    ...(typeof body.top_p === "number" ? { top_p: body.top_p } : {}),
    ...(typeof body.user === "string" ? { user: body.user } : {}),
    ...(body.stream === true ? { stream: true } : {}),
  };
  return chat;
}
