import type { ChatChunk, ResponseContext, SseEvent, StreamTranslator, Usage } from "../types.ts";
import { type GoogleError, restate } from "./errors.ts";
import { answerParts, isFunctionCall, thoughtText, toToolCall } from "./response.ts";
import { type GenerateContentResponse, finishReason, toUsage } from "./wire.ts";

type Choice = ChatChunk["choices"][number];

/**
 * Turns Gemini's `streamGenerateContent?alt=sse` into OpenAI chunks. Each event is a whole
 * `GenerateContentResponse` holding the next piece of each candidate: a choice's first chunk
 * carries `role`, text arrives as `content` deltas, a function call arrives whole (Gemini does
 * not split one) as a `tool_calls` delta, and a candidate's `finishReason` closes its choice in a
 * chunk of its own. Every event repeats `usageMetadata` so far; the last one is sent as the
 * usage chunk (no choices) at the end. The stream is complete once every choice that started
 * has finished (or the prompt was blocked); an in-band `{"error":…}` event or an unreadable one
 * ends it as incomplete.
 */
export function geminiStream(context: ResponseContext): StreamTranslator {
  let usage: Usage | undefined;
  let error: string | undefined;
  let calls = 0;
  const started = new Set<number>();
  const finished = new Set<number>();
  // Per choice: how many tool calls it has made, which also numbers their `index`.
  const callsOf = new Map<number, number>();
  const chunk = (choices: Choice[], extra: Partial<ChatChunk> = {}): ChatChunk => ({
    id: context.id,
    object: "chat.completion.chunk",
    created: context.created,
    model: context.model,
    choices,
    ...extra,
  });

  function candidateChunks(response: GenerateContentResponse): ChatChunk[] {
    return (response.candidates ?? []).flatMap((candidate, position) => {
      const index = candidate.index ?? position;
      const parts = answerParts(candidate);
      const text = parts.map((part) => ("text" in part ? part.text : "")).join("");
      const toolCalls = parts.filter(isFunctionCall).map((part) => {
        const n = callsOf.get(index) ?? 0;
        callsOf.set(index, n + 1);
        return { index: n, ...toToolCall(part, context, calls++) };
      });
      const reasoning = thoughtText(candidate);
      const delta: Choice["delta"] = {
        ...(started.has(index) ? {} : { role: "assistant" as const }),
        ...(reasoning !== "" ? { reasoning_content: reasoning } : {}),
        ...(text !== "" ? { content: text } : {}),
        ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
      };
      started.add(index);
      const out: ChatChunk[] = [];
      if (Object.keys(delta).length > 0) {
        out.push(chunk([{ index, delta, finish_reason: null, logprobs: null }]));
      }
      if (candidate.finishReason) {
        finished.add(index);
        const reason = finishReason(candidate.finishReason, (callsOf.get(index) ?? 0) > 0);
        out.push(chunk([{ index, delta: {}, finish_reason: reason, logprobs: null }]));
      }
      return out;
    });
  }

  return {
    push(event: SseEvent): ChatChunk[] {
      if (error !== undefined) return [];
      let response: (GenerateContentResponse & { error?: GoogleError }) | null;
      try {
        response = JSON.parse(event.data) as GenerateContentResponse & { error?: GoogleError };
      } catch {
        response = null;
      }
      if (typeof response !== "object" || response === null || Array.isArray(response)) {
        error = "The upstream provider sent an unreadable stream event";
        return [];
      }
      if (response.error !== undefined) {
        // Restated like an error response: a 5xx (or unknown) code never relays Google's words.
        const code = typeof response.error.code === "number" ? response.error.code : 500;
        error = restate(code, response.error).message;
        return [];
      }
      if (response.usageMetadata) usage = toUsage(response.usageMetadata);
      if (!response.candidates?.length && response.promptFeedback?.blockReason) {
        started.add(0);
        finished.add(0);
        const delta = { role: "assistant" as const };
        return [chunk([{ index: 0, delta, finish_reason: "content_filter", logprobs: null }])];
      }
      return candidateChunks(response);
    },
    finish() {
      if (error !== undefined) return { chunks: [], complete: false, error };
      if (started.size === 0 || [...started].some((index) => !finished.has(index))) {
        return {
          chunks: [],
          complete: false,
          error: "The upstream stream ended before the answer",
        };
      }
      return { chunks: usage ? [chunk([], { usage })] : [], complete: true };
    },
    usage: () => usage,
  };
}
