import type { ChatChunk, ResponseContext, SseEvent, StreamTranslator, Usage } from "../types.ts";
import { openAiError } from "./errors.ts";

/**
 * Re-labels OpenAI's own chunks with the public model name and the proxy's id and creation time.
 * The stream is complete once `[DONE]` or a `finish_reason` has arrived; an in-band
 * `{"error":…}` event or an unreadable one ends it as incomplete.
 */
export function openAiStream(context: ResponseContext): StreamTranslator {
  let usage: Usage | undefined;
  let finished = false;
  let error: string | undefined;
  return {
    push(event: SseEvent): ChatChunk[] {
      if (error !== undefined) return [];
      if (event.data === "[DONE]") {
        finished = true;
        return [];
      }
      let chunk: ChatChunk & { error?: unknown };
      try {
        chunk = JSON.parse(event.data) as ChatChunk & { error?: unknown };
      } catch {
        error = "The upstream provider sent an unreadable stream event";
        return [];
      }
      if (chunk.error !== undefined || !Array.isArray(chunk.choices)) {
        // An in-band failure is a server-side one: restated, never relayed word for word.
        error = openAiError(500, event.data).message;
        return [];
      }
      if (chunk.usage) usage = chunk.usage;
      if (chunk.choices.some((choice) => choice.finish_reason)) finished = true;
      return [{ ...chunk, id: context.id, created: context.created, model: context.model }];
    },
    finish() {
      if (error !== undefined) return { chunks: [], complete: false, error };
      if (!finished) {
        return {
          chunks: [],
          complete: false,
          error: "The upstream stream ended before the answer",
        };
      }
      return { chunks: [], complete: true };
    },
    usage: () => usage,
  };
}
