// The inbound APIs besides Chat Completions (OpenAI Responses, Anthropic Messages), as one shape
// the proxy serves them through: a provider that speaks the caller's API passes it through; any
// other is reached through its chat transform, the caller's API translated to and from
// OpenAI's chat format (see `viaChat`).
import type {
  ChatChunk,
  ChatCompletion,
  ChatRequest,
  ChatTransform,
  ProviderConfig,
  ResponseContext,
  SseEvent,
  UpstreamRequest,
  Usage,
} from "./types.ts";

/** One server-sent event for the client: its name, and its data (a string is sent as it is). */
export interface ClientEvent {
  event?: string;
  data: unknown;
}

/** An upstream stream as the caller's API's events. Stateful, one per stream. */
export interface ApiStream {
  push(event: SseEvent): ClientEvent[];
  /** Events still owed, and whether the upstream ended properly (see `StreamTranslator`). */
  finish(): { events: ClientEvent[]; complete: boolean; error?: string };
  /** The caller's API's error event, which ends a broken stream instead of its normal end. */
  fail(message: string): ClientEvent[];
  usage(): Usage | undefined;
}

/** One inbound API as served by one provider. */
export interface ApiTransform<Body> {
  request(body: Body, upstreamModel: string, config: ProviderConfig): UpstreamRequest;
  response(json: unknown, context: ResponseContext): unknown;
  stream(context: ResponseContext): ApiStream;
  /** The usage of an answer `response` returned, in OpenAI's terms, for the usage record. */
  usage(answer: unknown): Usage | undefined;
}

/** How one inbound API is written from, and read into, OpenAI's chat format. */
export interface ChatCodec<Body> {
  /** The caller's request as a chat request; throws a 400 naming a field it cannot carry. */
  toChat(body: Body): ChatRequest;
  fromCompletion(completion: ChatCompletion, context: ResponseContext): unknown;
  usage(answer: unknown): Usage | undefined;
  /** A stateful writer of the caller's stream events from chat chunks. */
  encoder(context: ResponseContext): ChunkEncoder;
}

export interface ChunkEncoder {
  chunk(chunk: ChatChunk): ClientEvent[];
  /** The events that end a whole answer, with the usage the upstream reported. */
  end(usage: Usage | undefined): ClientEvent[];
  fail(message: string): ClientEvent[];
}

/** An inbound API served by a provider's chat transform, translated both ways. */
export function viaChat<Body>(chat: ChatTransform, codec: ChatCodec<Body>): ApiTransform<Body> {
  return {
    request: (body, upstreamModel, config) =>
      chat.request(codec.toChat(body), upstreamModel, config),
    response: (json, context) => codec.fromCompletion(chat.response(json, context), context),
    usage: codec.usage,
    stream(context) {
      const chunks = chat.stream(context);
      const encoder = codec.encoder(context);
      return {
        push: (event) => chunks.push(event).flatMap((chunk) => encoder.chunk(chunk)),
        finish() {
          const end = chunks.finish();
          const events = end.chunks.flatMap((chunk) => encoder.chunk(chunk));
          if (!end.complete) return { events, complete: false, error: end.error };
          return { events: [...events, ...encoder.end(chunks.usage())], complete: true };
        },
        fail: (message) => encoder.fail(message),
        usage: () => chunks.usage(),
      };
    },
  };
}
