import type { ApiStream, ClientEvent } from "../../shared/providers/api.ts";
import { sseData, sseEvent } from "../../shared/providers/sse.ts";
import type { ChatChunk, SseEvent, StreamTranslator, Usage } from "../../shared/providers/types.ts";
import { idleTimer } from "../../shared/resilience/timeout.ts";

/** The event that ends an OpenAI stream. */
export const DONE = new TextEncoder().encode("data: [DONE]\n\n");

/**
 * An upstream stream as the client will see it, one upstream read at a time: passed through
 * (passthrough.ts) or translated (below).
 */
export interface Relay {
  /** The bytes the client gets for the next upstream piece (maybe none); undefined at the end. */
  next(): Promise<Uint8Array[] | undefined>;
  /** Whether an answer token has gone by: the point of no return for the fallback chain. */
  started(): boolean;
  /** At the upstream's end: what is still owed (`[DONE]` included), and whether it was whole. */
  finish(): { tail: Uint8Array[]; complete: boolean; error?: string };
  usage(): Usage | undefined;
  cancel(reason: Error): void;
  /** The caller's API's error event for a break; OpenAI's chat error event if not given. */
  failure?(message: string): Uint8Array[];
}

/** A stream that has produced its first token: what the attempt hands to the response. */
export interface StartedStream {
  relay: Relay;
  head: Uint8Array[];
}

export interface StreamEnd {
  complete: boolean;
  usage: Usage | undefined;
  error?: string;
}

/**
 * Cancels an upstream stream and lets go of its reader. In workerd a reader left locked to a
 * stream that broke keeps the whole request (its context, request, response, signals) alive
 * for good: the bench's soak found it, one request's worth per broken stream.
 */
export function cancelUpstream(reader: ReadableStreamDefaultReader<unknown>, reason: Error): void {
  void reader.cancel(reason).catch(() => {});
  reader.releaseLock();
}

/** OpenAI chunks from another provider's events; the usage chunk only for a caller who asked. */
export function translatedRelay(
  events: ReadableStreamDefaultReader<SseEvent>,
  options: { translator: StreamTranslator; includeUsage: boolean },
): Relay {
  const { translator, includeUsage } = options;
  const shown = (chunk: ChatChunk) => includeUsage || chunk.choices.length > 0;
  let started = false;
  const bytes = (chunks: ChatChunk[]) => chunks.filter(shown).map((chunk) => sseData(chunk));
  return {
    async next() {
      const { done, value } = await events.read();
      if (done) return undefined;
      const chunks = translator.push(value);
      if (chunks.length > 0) started = true;
      return bytes(chunks);
    },
    started: () => started,
    finish() {
      const { chunks, complete, error } = translator.finish();
      if (!complete) return { tail: [], complete, ...(error ? { error } : {}) };
      return { tail: [...bytes(chunks), DONE], complete };
    },
    usage: () => translator.usage(),
    cancel: (reason) => cancelUpstream(events, reason),
  };
}

/**
 * Reads until the first token (before it, the chain may still fail over). An upstream that ends
 * first fails the attempt.
 */
export async function firstToken(relay: Relay): Promise<StartedStream> {
  const head: Uint8Array[] = [];
  while (!relay.started()) {
    const bytes = await relay.next();
    // A TypeError, like fetch's own network failures: transient, so the chain moves on.
    if (!bytes) throw new TypeError("The upstream stream ended before its first token");
    head.push(...bytes);
  }
  return { relay, head };
}

/** The SSE error event OpenAI's SDKs raise as an APIError: a broken stream never looks finished. */
function errorEvent(message: string): Uint8Array {
  return sseData({
    error: { message, type: "api_error", param: null, code: "upstream_stream_error" },
  });
}

/**
 * The client's side of a started stream: the relay's bytes, then `[DONE]` if the upstream
 * finished, or an error event if it broke, went quiet for `idleTimeoutMs`, or ended mid-answer.
 */
export function clientStream(
  started: StartedStream,
  options: { idleTimeoutMs: number; onEnd: (end: StreamEnd) => void },
): ReadableStream<Uint8Array> {
  const { relay } = started;
  let pending = started.head;
  let ended = false;
  let idle: string | undefined;
  const watch = idleTimer(options.idleTimeoutMs, () => {
    idle = `The upstream sent nothing for ${options.idleTimeoutMs} ms`;
    relay.cancel(new Error(idle));
  });
  const end = (outcome: Omit<StreamEnd, "usage">) => {
    if (ended) return;
    ended = true;
    watch.stop();
    options.onEnd({ ...outcome, usage: relay.usage() });
  };
  const fail = (message: string) => {
    pending = relay.failure?.(message) ?? [errorEvent(message)];
    end({ complete: false, error: message });
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      // Enqueue something (or close) on every pull, or a waiting reader would never be woken.
      while (pending.length === 0 && !ended) {
        try {
          const bytes = await relay.next();
          watch.touch();
          if (idle) fail(idle);
          else if (bytes) pending = bytes;
          else {
            const finish = relay.finish();
            if (finish.complete) {
              pending = finish.tail;
              end({ complete: true });
            } else fail(finish.error ?? "The upstream stream ended mid-answer");
          }
        } catch (error) {
          relay.cancel(error instanceof Error ? error : new Error("The upstream stream broke"));
          fail(idle ?? (error instanceof Error ? error.message : "The upstream stream broke"));
        }
      }
      for (const bytes of pending) controller.enqueue(bytes);
      pending = [];
      if (ended) controller.close();
    },
    cancel() {
      relay.cancel(new Error("client disconnected"));
      end({ complete: false, error: "client disconnected" });
    },
  });
}

/**
 * A Responses or Messages stream as its transform writes it (shared/providers/api.ts): the
 * provider's own events passed on, or chat chunks written as the caller's API's events.
 */
export function apiRelay(events: ReadableStreamDefaultReader<SseEvent>, stream: ApiStream): Relay {
  let started = false;
  const bytes = (out: ClientEvent[]) => out.map(sseEvent);
  return {
    async next() {
      const { done, value } = await events.read();
      if (done) return undefined;
      const out = stream.push(value);
      if (out.length > 0) started = true;
      return bytes(out);
    },
    started: () => started,
    finish() {
      const { events: tail, complete, error } = stream.finish();
      return { tail: bytes(tail), complete, ...(error ? { error } : {}) };
    },
    usage: () => stream.usage(),
    cancel: (reason) => cancelUpstream(events, reason),
    failure: (message) => bytes(stream.fail(message)),
  };
}
