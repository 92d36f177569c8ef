import type { ChatCompletion, ChatMessage, ResponseContext } from "../types.ts";
import { unreadableResponse } from "./errors.ts";
import {
  type Candidate,
  type GenerateContentResponse,
  type Part,
  finishReason,
  toolCallId,
  toUsage,
} from "./wire.ts";

type ToolCall = NonNullable<ChatMessage["tool_calls"]>[number];

/** The answer's parts: thought summaries are the model's scratch work, not its answer. */
export function answerParts(candidate: Candidate): Part[] {
  return (candidate.content?.parts ?? []).filter((part) => !("thought" in part && part.thought));
}

/** The thought summaries of a candidate, joined: its `reasoning_content`. */
export function thoughtText(candidate: Candidate): string {
  return (candidate.content?.parts ?? [])
    .map((part) => ("thought" in part && part.thought ? part.text : ""))
    .join("");
}

type FunctionCallPart = Extract<Part, { functionCall: unknown }>;

/** Whether a part is a function call. */
export const isFunctionCall = (part: Part): part is FunctionCallPart => "functionCall" in part;

/** A function call as an OpenAI tool call, its id the `n`th of this response. */
export function toToolCall(part: FunctionCallPart, context: ResponseContext, n: number): ToolCall {
  const { name, args } = part.functionCall;
  return {
    id: toolCallId(context.id, n),
    type: "function",
    function: { name, arguments: JSON.stringify(args ?? {}) },
    // Kept so the next turn can send it back (see REPLAYED_SIGNATURE for calls that lost it).
    ...(part.thoughtSignature
      ? { extra_content: { google: { thought_signature: part.thoughtSignature } } }
      : {}),
  };
}

/** A 200 without candidates: Google's contract is that the prompt itself was blocked. */
export function blockedPrompt(response: GenerateContentResponse): string {
  return `The prompt was blocked by the upstream provider (${response.promptFeedback?.blockReason ?? "unspecified"})`;
}

function record(json: unknown): GenerateContentResponse {
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw unreadableResponse();
  const response = json as GenerateContentResponse;
  if (response.candidates !== undefined && !Array.isArray(response.candidates))
    throw unreadableResponse();
  return response;
}

/**
 * A Gemini `GenerateContentResponse` as an OpenAI `chat.completion`: one choice per candidate,
 * its text parts joined, its function calls as `tool_calls` (ids `call_…_<n>`, numbered across
 * the response). A blocked prompt (no candidates) is answered 200 with one `content_filter`
 * choice whose `refusal` names Gemini's `blockReason`, as OpenAI reports filtered output, rather
 * than an error: the request was valid and was served, and the caller can branch on the reason.
 */
export function geminiChatResponse(json: unknown, context: ResponseContext): ChatCompletion {
  const response = record(json);
  let calls = 0;
  const candidates = response.candidates ?? [];
  const choices: ChatCompletion["choices"] = candidates.map((candidate, position) => {
    const parts = answerParts(candidate);
    const reasoning = thoughtText(candidate);
    const texts = parts.flatMap((part) => ("text" in part ? [part.text] : []));
    const toolCalls = parts
      .filter(isFunctionCall)
      .map((part) => toToolCall(part, context, calls++));
    return {
      index: candidate.index ?? position,
      message: {
        role: "assistant",
        content: texts.length > 0 || toolCalls.length === 0 ? texts.join("") : null,
        ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        ...(reasoning !== "" ? { reasoning_content: reasoning } : {}),
        refusal: null,
      },
      finish_reason: finishReason(candidate.finishReason ?? "STOP", toolCalls.length > 0),
      logprobs: null,
    };
  });
  if (candidates.length === 0) {
    choices.push({
      index: 0,
      message: { role: "assistant", content: null, refusal: blockedPrompt(response) },
      finish_reason: "content_filter",
      logprobs: null,
    });
  }
  return {
    id: context.id,
    object: "chat.completion",
    created: context.created,
    model: context.model,
    choices,
    ...(response.usageMetadata ? { usage: toUsage(response.usageMetadata) } : {}),
  };
}
