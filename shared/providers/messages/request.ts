import { invalidField, unsupported } from "../errors.ts";
import { signatureFromId } from "../signature.ts";
import type { ChatMessage, ChatRequest, ContentPart, ToolCall } from "../types.ts";

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

function blocksOf(content: unknown, at: string): Block[] {
  if (typeof content === "string") return [{ type: "text", text: content }];
  if (!Array.isArray(content)) throw invalidField(at, `${at} must be a string or a list of blocks`);
  return content.map((block: unknown, j) => {
    if (!isObject(block)) throw invalidField(`${at}[${j}]`, `${at}[${j}] must be a block`);
    return block;
  });
}

function image(block: Block, at: string): ContentPart {
  const source = block.source as Block | undefined;
  if (source?.type === "base64" && typeof source.data === "string") {
    return {
      type: "image_url",
      image_url: { url: `data:${String(source.media_type)};base64,${source.data}` },
    };
  }
  if (source?.type === "url" && typeof source.url === "string") {
    return { type: "image_url", image_url: { url: source.url } };
  }
  throw unsupported(`${at}.source`, "Images must be base64 or url sources here");
}

function refuseBlock(block: Block, at: string): never {
  throw unsupported(
    `${at}.type`,
    `${String(block.type)} blocks have no counterpart at this provider`,
  );
}

function resultText(content: unknown, at: string): string {
  return blocksOf(content ?? "", at)
    .map((block, j) =>
      block.type === "text" && typeof block.text === "string"
        ? block.text
        : refuseBlock(block, `${at}[${j}]`),
    )
    .join("");
}

function assistant(blocks: Block[], at: string, calls: Set<string>): ChatMessage {
  let text = "";
  const toolCalls: ToolCall[] = [];
  blocks.forEach((block, j) => {
    if (block.type === "text" && typeof block.text === "string") text += block.text;
    else if (
      block.type === "tool_use" &&
      typeof block.id === "string" &&
      typeof block.name === "string"
    ) {
      const call = signatureFromId(block.id);
      calls.add(call.id);
      toolCalls.push({
        ...call,
        type: "function",
        function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) },
      });
    } else if (block.type !== "thinking" && block.type !== "redacted_thinking") {
      // Earlier thinking is the model's own scratch work: other providers have no place for it.
      refuseBlock(block, `${at}[${j}]`);
    }
  });
  return {
    role: "assistant",
    content: toolCalls.length > 0 && text === "" ? null : text,
    ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
  };
}

/** A user turn: its tool results as tool messages first, then its text and images. */
function user(blocks: Block[], at: string, calls: Set<string>): ChatMessage[] {
  const results: ChatMessage[] = [];
  const parts: ContentPart[] = [];
  blocks.forEach((block, j) => {
    const param = `${at}[${j}]`;
    if (block.type === "text" && typeof block.text === "string")
      parts.push({ type: "text", text: block.text });
    else if (block.type === "image") parts.push(image(block, param));
    else if (block.type === "tool_result") {
      const id = typeof block.tool_use_id === "string" ? signatureFromId(block.tool_use_id).id : "";
      // As Anthropic refuses it: a result must answer a tool_use of the turn before.
      if (!calls.has(id)) {
        throw invalidField(
          `${param}.tool_use_id`,
          `${param} answers no tool_use of an earlier assistant turn`,
        );
      }
      results.push({
        role: "tool",
        tool_call_id: id,
        content: resultText(block.content, `${param}.content`),
      });
    } else refuseBlock(block, param);
  });
  return parts.length > 0 ? [...results, { role: "user", content: parts }] : results;
}

function system(value: unknown): ChatMessage[] {
  if (value === undefined || value === null) return [];
  const text = typeof value === "string" ? value : resultText(value, "system");
  return text === "" ? [] : [{ role: "system", content: text }];
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
  const calls = new Set<string>();
  const turns = body.messages.flatMap((message, i) => {
    const at = `messages[${i}].content`;
    const blocks = blocksOf(message.content, at);
    return message.role === "assistant" ? [assistant(blocks, at, calls)] : user(blocks, at, calls);
  });
  const stop = body.stop_sequences;
  const userId = (body.metadata as Block | null | undefined)?.user_id;
  const chatTools = tools(body.tools);
  return {
    model: body.model,
    messages: [...system(body.system), ...turns],
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
