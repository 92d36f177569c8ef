// The provider registry's one shape: what a provider must say to be served through the
// OpenAI-compatible proxy, as data plus small transforms. OpenAI's wire format is the lingua
// franca: every transform goes from it to the vendor's and back.
import type { ApiTransform } from "./api.ts";
import type { MessagesRequest } from "./messages/request.ts";
import type { CountTokensRequest } from "./messages/validate.ts";
import type { ResponsesRequest } from "./responses/request.ts";

/** A configured provider: its key, and its base URL (the vendor's, or an override). */
export interface ProviderConfig {
  apiKey: string;
  baseUrl: string;
}

/** The HTTP request to make upstream. Built only from config and the body: never from the caller. */
export interface UpstreamRequest {
  url: string;
  method: "GET" | "POST";
  headers: Record<string, string>;
  body?: string;
}

/**
 * OpenAI's `usage`. `prompt_tokens` counts every input token, cached or not; the details say how
 * many were read from a prompt cache (`cached_tokens`) or written to one (`cache_write_tokens`,
 * Anthropic's cache creation, which OpenAI has no word for), and how many output tokens were
 * reasoning. Each is priced at its own rate.
 */
export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens?: number; cache_write_tokens?: number };
  completion_tokens_details?: { reasoning_tokens?: number };
}

/** An OpenAI chat completion request, as the caller sent it (already checked for shape). */
export type ChatRequest = {
  model: string;
  messages: ChatMessage[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  tools?: unknown[];
  tool_choice?: unknown;
  response_format?: unknown;
  max_tokens?: number;
  max_completion_tokens?: number;
  temperature?: number;
  top_p?: number;
  stop?: string | string[];
  n?: number;
  [field: string]: unknown;
};

export type ChatMessage = {
  role: "system" | "developer" | "user" | "assistant" | "tool";
  content?: string | ContentPart[] | null;
  tool_calls?: ToolCall[];
  tool_call_id?: string;
  name?: string;
  /** The model's reasoning, as DeepSeek and OpenRouter spell it: Anthropic thinking, Gemini thoughts. */
  reasoning_content?: string;
};

/**
 * One tool call. `extra_content.google.thought_signature` is the Gemini thought signature of the
 * call, as Google's own OpenAI-compatible endpoint carries it, so the next turn can send it back.
 */
export type ToolCall = {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
  extra_content?: { google?: { thought_signature?: string } };
};

/** `cache_control` is Anthropic's prompt-cache breakpoint, passed to Anthropic as written. */
export type ContentPart =
  | { type: "text"; text: string; cache_control?: CacheControl }
  | { type: "image_url"; image_url: { url: string; detail?: string } };

export type CacheControl = { type: "ephemeral"; ttl?: string };

/** OpenAI's `chat.completion` response object. */
export interface ChatCompletion {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  choices: {
    index: number;
    message: ChatMessage & { role: "assistant"; refusal?: string | null };
    finish_reason: FinishReason;
    logprobs?: null;
  }[];
  usage?: Usage;
}

export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter" | null;

/** One `chat.completion.chunk` of an OpenAI stream. */
export interface ChatChunk {
  id: string;
  object: "chat.completion.chunk";
  created: number;
  model: string;
  choices: {
    index: number;
    delta: Omit<Partial<ChatMessage>, "tool_calls"> & {
      tool_calls?: {
        index: number;
        id?: string;
        type?: "function";
        function?: { name?: string; arguments?: string };
        extra_content?: ToolCall["extra_content"];
      }[];
    };
    finish_reason: FinishReason;
    logprobs?: null;
  }[];
  usage?: Usage | null;
}

/** What the proxy tells a transform about the response it builds. */
export interface ResponseContext {
  /** The model name the caller asked for (the public one), echoed back. */
  model: string;
  /** `chatcmpl-…`, one per request. */
  id: string;
  /** Unix seconds. */
  created: number;
}

/** One server-sent event as parsed from an upstream stream. */
export interface SseEvent {
  event?: string;
  data: string;
}

/**
 * Turns one upstream stream into OpenAI chunks. Stateful, one per stream: `push` each upstream
 * event in order; `finish` when the upstream ends.
 */
export interface StreamTranslator {
  push(event: SseEvent): ChatChunk[];
  /**
   * Chunks still owed (e.g. the final usage chunk), and whether the upstream ended properly:
   * false when it stopped mid-answer (no stop reason, or an in-band error event), which the
   * proxy then reports to the client as an error.
   */
  finish(): { chunks: ChatChunk[]; complete: boolean; error?: string };
  /** Usage as far as the upstream reported it. */
  usage(): Usage | undefined;
}

export interface ChatTransform {
  request(body: ChatRequest, upstreamModel: string, config: ProviderConfig): UpstreamRequest;
  response(json: unknown, context: ResponseContext): ChatCompletion;
  stream(context: ResponseContext): StreamTranslator;
}

export interface EmbeddingsRequest {
  model: string;
  /** Text, or token ids (OpenAI only). */
  input: string | string[] | number[] | number[][];
  dimensions?: number;
  /** The openai SDK asks for `base64` unless told otherwise, and decodes it. */
  encoding_format?: "float" | "base64";
  [field: string]: unknown;
}

export interface EmbeddingsResponse {
  object: "list";
  /** `base64`: the float32 little-endian bytes of the vector. */
  data: { object: "embedding"; index: number; embedding: number[] | string }[];
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}

export interface EmbeddingsTransform {
  request(body: EmbeddingsRequest, upstreamModel: string, config: ProviderConfig): UpstreamRequest;
  response(json: unknown, context: ResponseContext): EmbeddingsResponse;
}

export interface ImagesRequest {
  model: string;
  prompt: string;
  n?: number;
  size?: string;
  response_format?: "url" | "b64_json";
  [field: string]: unknown;
}

export interface ImagesResponse {
  created: number;
  data: ({ url: string } | { b64_json: string })[];
}

export interface ImagesTransform {
  request(body: ImagesRequest, upstreamModel: string, config: ProviderConfig): UpstreamRequest;
  response(json: unknown, context: ResponseContext): ImagesResponse;
}

/** Anthropic's token count: the input tokens a Messages request would use. */
export interface TokenCount {
  input_tokens: number;
  [field: string]: unknown;
}

export interface TokenCountTransform {
  request(body: CountTokensRequest, upstreamModel: string, config: ProviderConfig): UpstreamRequest;
  /** The provider's count; an answer without one is a 502, never a guess. */
  response(json: unknown): TokenCount;
}

/** An upstream error, restated for the caller: never the vendor's raw body. */
export interface ProviderError {
  message: string;
  /** OpenAI-style code, e.g. `invalid_api_key`, `context_length_exceeded`. */
  code?: string;
}

/** One provider, as data: the same few parts for each (see shared/providers/<name>/). */
export interface Provider {
  name: string;
  /**
   * The API it speaks natively. A caller speaking the same one is passed through: its request
   * with only the model replaced, the answer's bytes untouched.
   */
  api: string;
  /** The variable holding its key; without it the provider is not configured. */
  keyVar: string;
  /** The variable that overrides its base URL, and the vendor SDK's default. */
  baseUrlVar: string;
  defaultBaseUrl: string;
  chat?: ChatTransform;
  embeddings?: EmbeddingsTransform;
  images?: ImagesTransform;
  /** POST /v1/responses: passed through by OpenAI, translated through `chat` by the others. */
  responses?: ApiTransform<ResponsesRequest>;
  /** POST /v1/messages: passed through by Anthropic, translated through `chat` by the others. */
  messages?: ApiTransform<MessagesRequest>;
  /** POST /v1/messages/count_tokens: Anthropic's own, passed through; no other provider counts. */
  countTokens?: TokenCountTransform;
  /** A cheap authenticated request (list models) for health checks. */
  probe(config: ProviderConfig): UpstreamRequest;
  /** Restates an upstream error response (status and raw body) for the caller. */
  error(status: number, body: string): ProviderError;
}
