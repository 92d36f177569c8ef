import { sseData } from "../../shared/providers/sse.ts";
import type { ChatChunk, SseEvent, StreamTranslator, Usage } from "../../shared/providers/types.ts";

/** A stream that has produced its first token: what the attempt hands to the response. */
export interface StartedStream {
  events: ReadableStreamDefaultReader<SseEvent>;
  translator: StreamTranslator;
  first: ChatChunk[];
}

export interface StreamEnd {
  complete: boolean;
  usage: Usage | undefined;
  error?: string;
}

/**
 * Reads upstream events until the translator yields the first chunk: the point of no return
 * (before it, the chain may still fail over). An upstream that ends first fails the attempt.
 */
export async function firstToken(
  events: ReadableStreamDefaultReader<SseEvent>,
  translator: StreamTranslator,
): Promise<StartedStream> {
  for (;;) {
    const { done, value } = await events.read();
    // A TypeError, like fetch's own network failures: transient, so the chain moves on.
    if (done) throw new TypeError("The upstream stream ended before its first token");
    const first = translator.push(value);
    if (first.length > 0) return { events, translator, first };
  }
}

const encoder = new TextEncoder();
const DONE = encoder.encode("data: [DONE]\n\n");

/** The SSE error event OpenAI's SDKs raise as an APIError: a broken stream never looks finished. */
function errorEvent(message: string): Uint8Array {
  return sseData({
    error: { message, type: "api_error", param: null, code: "upstream_stream_error" },
  });
}

/**
 * The client's side of a started stream: OpenAI chunks, then `[DONE]` if the upstream finished,
 * or an error event if it broke, went quiet for `idleTimeoutMs`, or ended mid-answer. The usage
 * chunk is shown only to a client that asked for it (`stream_options.include_usage`).
 */
export function clientStream(
  started: StartedStream,
  options: { includeUsage: boolean; idleTimeoutMs: number; onEnd: (end: StreamEnd) => void },
): ReadableStream<Uint8Array> {
  const { events, translator } = started;
  const shown = (chunk: ChatChunk) => options.includeUsage || chunk.choices.length > 0;
  let pending = started.first.filter(shown).map((chunk) => sseData(chunk));
  let ended = false;
  const end = (outcome: Omit<StreamEnd, "usage">) => {
    if (ended) return;
    ended = true;
    options.onEnd({ ...outcome, usage: translator.usage() });
  };
  const nextEvent = async () => {
    let timeOut!: (error: Error) => void;
    const idle = new Promise<never>((_, reject) => (timeOut = reject));
    const timer = setTimeout(
      () => timeOut(new Error(`The upstream sent nothing for ${options.idleTimeoutMs} ms`)),
      options.idleTimeoutMs,
    );
    try {
      return await Promise.race([events.read(), idle]);
    } finally {
      clearTimeout(timer);
    }
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      // Enqueue something (or close) on every pull, or a waiting reader would never be woken.
      while (pending.length === 0 && !ended) {
        try {
          const { done, value } = await nextEvent();
          if (!done) {
            pending = translator
              .push(value)
              .filter(shown)
              .map((chunk) => sseData(chunk));
            continue;
          }
          const finish = translator.finish();
          if (finish.complete) {
            pending = [...finish.chunks.filter(shown).map((chunk) => sseData(chunk)), DONE];
            end({ complete: true });
          } else {
            const message = finish.error ?? "The upstream stream ended mid-answer";
            pending = [errorEvent(message)];
            end({ complete: false, error: message });
          }
        } catch (error) {
          const message = error instanceof Error ? error.message : "The upstream stream broke";
          pending = [errorEvent(message)];
          void events.cancel().catch(() => {});
          end({ complete: false, error: message });
        }
      }
      const next = pending.shift();
      if (next) controller.enqueue(next);
      if (pending.length === 0 && ended) controller.close();
    },
    cancel() {
      void events.cancel().catch(() => {});
      end({ complete: false, error: "client disconnected" });
    },
  });
}
