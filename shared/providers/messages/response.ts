import { idWithSignature } from "../signature.ts";
import type { ChatCompletion, FinishReason, ResponseContext, ToolCall, Usage } from "../types.ts";
import { fromMessagesUsage, toMessagesUsage, type MessagesUsage } from "../usage.ts";

const STOP: Record<string, string> = {
  stop: "end_turn",
  length: "max_tokens",
  tool_calls: "tool_use",
  content_filter: "refusal",
};

/** OpenAI's finish reason as Anthropic's stop reason. */
export const stopReason = (finish: FinishReason | string | null): string =>
  (finish && STOP[finish]) || "end_turn";

/** `msg_…` from the proxy's request id. */
export const messageId = (context: ResponseContext) =>
  `msg_${context.id.replace(/^chatcmpl-/, "")}`;

/** A tool call as a tool_use block: arguments as an object, a thought signature in the id. */
export function toolUseBlock(call: ToolCall) {
  let input: unknown;
  try {
    input = JSON.parse(call.function.arguments || "{}");
  } catch {
    input = {};
  }
  return { type: "tool_use", id: idWithSignature(call), name: call.function.name, input };
}

/** Anthropic's message envelope around content, stop reason and usage. */
export function messageObject(
  context: ResponseContext,
  fields: { content: unknown[]; stop_reason: string | null; usage: MessagesUsage },
) {
  return {
    id: messageId(context),
    type: "message",
    role: "assistant",
    model: context.model,
    content: fields.content,
    stop_reason: fields.stop_reason,
    stop_sequence: null,
    usage: fields.usage,
  };
}

const NO_USAGE: Usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };

/**
 * A chat completion as an Anthropic message: reasoning as a thinking block (unsigned: it is not
 * Anthropic's), the text as a text block, each tool call as a tool_use block.
 */
export function completionToMessage(completion: ChatCompletion, context: ResponseContext) {
  const choice = completion.choices[0];
  const message = choice?.message;
  const content: unknown[] = [];
  if (message?.reasoning_content) {
    content.push({ type: "thinking", thinking: message.reasoning_content, signature: "" });
  }
  const text = typeof message?.content === "string" ? message.content : (message?.refusal ?? "");
  if (text !== "") content.push({ type: "text", text });
  for (const call of message?.tool_calls ?? []) content.push(toolUseBlock(call));
  return messageObject(context, {
    content,
    stop_reason: stopReason(choice?.finish_reason ?? "stop"),
    usage: toMessagesUsage(completion.usage ?? NO_USAGE),
  });
}

/** The usage of a message, in chat terms. */
export function messageUsage(answer: unknown): Usage | undefined {
  return fromMessagesUsage((answer as { usage?: MessagesUsage } | null)?.usage);
}
