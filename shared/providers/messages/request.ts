// A Messages API request as a chat request: its fields here (tools, tool_choice, reasoning,
// structured output), its turns in turns.ts.
import { invalidField, unsupported } from "../errors.ts";
import type { ChatRequest } from "../types.ts";
import { systemMessages, turnMessages } from "./turns.ts";

/** An Anthropic Messages API request, as far as the proxy reads it. */
export type MessagesRequest = {
  model: string;
  max_tokens: number;
  messages: { role: string; content: string | unknown[] }[];
  stream?: boolean;
  [field: string]: unknown;
};

type Block = Record<string, unknown>;

// Fields translated into chat, and fields that change nothing about the answer. Anything else
// (top_k, container, mcp_servers, …) is refused by name.
const TRANSLATED = new Set([
  "model",
  "max_tokens",
  "messages",
  "system",
  "metadata",
  "stop_sequences",
  "stream",
  "temperature",
  "top_p",
  "tools",
  "tool_choice",
  "thinking",
  "output_config",
]);
const NO_EFFECT = new Set(["service_tier", "inference_geo"]);

const isObject = (value: unknown): value is Block =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Anthropic's thinking budget as OpenAI's effort: the same three steps the reverse uses. */
export function effortOfBudget(budget: number): "low" | "medium" | "high" {
  return budget <= 2048 ? "low" : budget <= 8192 ? "medium" : "high";
}

function tools(list: unknown): unknown[] | undefined {
  if (list === undefined || list === null) return undefined;
  if (!Array.isArray(list)) throw invalidField("tools", "'tools' must be an array");
  return list.map((tool: unknown, i) => {
    const t = tool as Block | null;
    if (
      typeof t?.name !== "string" ||
      (t.type !== undefined && t.type !== null && t.type !== "custom")
    ) {
      throw unsupported(
        `tools[${i}].type`,
        `Only custom tools can be served here, not ${String(t?.type)}`,
      );
    }
    return {
      type: "function",
      function: {
        name: t.name,
        ...(typeof t.description === "string" ? { description: t.description } : {}),
        ...(isObject(t.input_schema) ? { parameters: t.input_schema } : {}),
        ...(typeof t.strict === "boolean" ? { strict: t.strict } : {}),
      },
    };
  });
}

function toolChoice(choice: unknown): Partial<ChatRequest> {
  if (choice === undefined || choice === null) return {};
  const c = choice as Block;
  const single = c.disable_parallel_tool_use === true ? { parallel_tool_calls: false } : {};
  if (c.type === "auto") return { tool_choice: "auto", ...single };
  if (c.type === "none") return { tool_choice: "none" };
  if (c.type === "any") return { tool_choice: "required", ...single };
  if (c.type === "tool" && typeof c.name === "string") {
    return { tool_choice: { type: "function", function: { name: c.name } }, ...single };
  }
  throw invalidField("tool_choice", "tool_choice must be auto, any, tool or none");
}

function reasoning(body: MessagesRequest): Partial<ChatRequest> {
  const thinking = body.thinking as Block | null | undefined;
  const effort = (body.output_config as Block | null | undefined)?.effort;
  if (typeof effort === "string") return { reasoning_effort: effort === "max" ? "xhigh" : effort };
  if (thinking?.type === "enabled" && typeof thinking.budget_tokens === "number") {
    return { reasoning_effort: effortOfBudget(thinking.budget_tokens) };
  }
  if (thinking?.type === "adaptive") return { reasoning_effort: "medium" };
  return {};
}

function responseFormat(body: MessagesRequest): Partial<ChatRequest> {
  const format = (body.output_config as Block | null | undefined)?.format as
    Block | null | undefined;
  if (format === undefined || format === null) return {};
  if (format.type !== "json_schema" || !isObject(format.schema)) {
    throw unsupported(
      "output_config.format",
      "output_config.format must be a json_schema with a schema",
    );
  }
  return {
    response_format: {
      type: "json_schema",
      json_schema: { name: "response", schema: format.schema, strict: true },
    },
  };
}

/**
 * A Messages API request as a chat request, for a provider reached through chat: `system` as
 * the system message, turns as messages (tool_use as tool calls, tool_result as tool messages,
 * image blocks as image_url parts), custom tools, tool_choice (with disable_parallel_tool_use),
 * `thinking` and `output_config.effort` as `reasoning_effort`, `output_config.format` as
 * `response_format`. A field or block with no counterpart is a 400 naming it.
 */
export function messagesToChat(body: MessagesRequest): ChatRequest {
  for (const [field, value] of Object.entries(body)) {
    if (!TRANSLATED.has(field) && !NO_EFFECT.has(field) && value !== undefined && value !== null) {
      throw unsupported(field, `'${field}' has no counterpart at this provider`);
    }
  }
  const turns = turnMessages(body.messages);
  const stop = body.stop_sequences;
  const userId = (body.metadata as Block | null | undefined)?.user_id;
  const chatTools = tools(body.tools);
  return {
    model: body.model,
    messages: [...systemMessages(body.system), ...turns],
    max_completion_tokens: body.max_tokens,
    ...(Array.isArray(stop) && stop.length > 0 ? { stop: stop as string[] } : {}),
    ...(typeof body.temperature === "number" ? { temperature: body.temperature } : {}),
    ...(typeof body.top_p === "number" ? { top_p: body.top_p } : {}),
    ...(chatTools?.length ? { tools: chatTools, ...toolChoice(body.tool_choice) } : {}),
    ...reasoning(body),
    ...responseFormat(body),
    ...(typeof userId === "string" ? { user: userId } : {}),
    ...(body.stream === true ? { stream: true } : {}),
  };
}
