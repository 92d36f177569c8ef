import type { ChatCompletion, ChatMessage, ResponseContext } from "../types.ts";
import { unreadableResponse } from "./errors.ts";
import { finishReason, toUsage, type AnthropicUsage } from "./wire.ts";

interface AnthropicMessage {
  type: "message";
  content: {
    type: string;
    text?: string;
    thinking?: string;
    id?: string;
    name?: string;
    input?: unknown;
  }[];
  stop_reason: string | null;
  usage?: AnthropicUsage;
}

function isMessage(json: unknown): json is AnthropicMessage {
  const message = json as Partial<AnthropicMessage> | null;
  return message?.type === "message" && Array.isArray(message.content);
}

/**
 * An Anthropic message as a `chat.completion`: text blocks joined, `tool_use` blocks as
 * `tool_calls` (input as a JSON string), thinking as `reasoning_content`; redacted thinking and
 * server tool blocks are not OpenAI's and are left out.
 */
export function anthropicResponse(json: unknown, context: ResponseContext): ChatCompletion {
  if (!isMessage(json)) throw unreadableResponse();
  let text = "";
  let reasoning = "";
  const calls: NonNullable<ChatMessage["tool_calls"]> = [];
  for (const block of json.content) {
    if (block.type === "text") text += block.text ?? "";
    if (block.type === "thinking") reasoning += block.thinking ?? "";
    if (block.type === "tool_use") {
      calls.push({
        id: String(block.id),
        type: "function",
        function: { name: String(block.name), arguments: JSON.stringify(block.input ?? {}) },
      });
    }
  }
  return {
    id: context.id,
    object: "chat.completion",
    created: context.created,
    model: context.model,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          // As OpenAI does: no text beside tool calls is `null`, not "".
          content: text === "" && calls.length > 0 ? null : text,
          refusal: null,
          ...(calls.length > 0 ? { tool_calls: calls } : {}),
          ...(reasoning !== "" ? { reasoning_content: reasoning } : {}),
        },
        finish_reason: finishReason(json.stop_reason),
        logprobs: null,
      },
    ],
    usage: toUsage(json.usage ?? {}),
  };
}
