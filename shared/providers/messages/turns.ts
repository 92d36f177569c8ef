// Messages API turns as chat messages, for a provider reached through chat: text and image
// blocks as content parts, tool_use blocks as tool calls, tool_result blocks as tool messages.
// A block with no counterpart is a 400 naming it.
import { invalidField, unsupported } from "../errors.ts";
import { signatureFromId } from "../signature.ts";
import type { ChatMessage, ContentPart, ToolCall } from "../types.ts";
import type { MessagesRequest } from "./request.ts";

type Block = Record<string, unknown>;

const isObject = (value: unknown): value is Block =>
  typeof value === "object" && value !== null && !Array.isArray(value);

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

/** `system`, a string or text blocks, as the system message. */
export function systemMessages(value: unknown): ChatMessage[] {
  if (value === undefined || value === null) return [];
  const text = typeof value === "string" ? value : resultText(value, "system");
  return text === "" ? [] : [{ role: "system", content: text }];
}

/** The turns in order; a tool result must answer a tool_use of an earlier assistant turn. */
export function turnMessages(messages: MessagesRequest["messages"]): ChatMessage[] {
  const calls = new Set<string>();
  return messages.flatMap((message, i) => {
    const at = `messages[${i}].content`;
    const blocks = blocksOf(message.content, at);
    return message.role === "assistant" ? [assistant(blocks, at, calls)] : user(blocks, at, calls);
  });
}
