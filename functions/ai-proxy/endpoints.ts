import { AppError } from "../../shared/http/errors.ts";
import type { ApiTransform } from "../../shared/providers/api.ts";
import { encodeEmbeddings } from "../../shared/providers/embeddings.ts";
import {
  type CountTokensRequest,
  type MessagesRequest,
  countTokensRequest,
  messagesRequest,
} from "../../shared/providers/messages/index.ts";
import { type ResponsesRequest, responsesRequest } from "../../shared/providers/responses/index.ts";
import type {
  ChatRequest,
  ChatTransform,
  EmbeddingsRequest,
  EmbeddingsResponse,
  EmbeddingsTransform,
  ImagesRequest,
  ImagesTransform,
  TokenCountTransform,
} from "../../shared/providers/types.ts";
import { chatRequest, embeddingsRequest, imagesRequest } from "./validate.ts";

/** What a provider must offer to serve an endpoint, and the transform it offers for it. */
export interface Capabilities {
  chat: ChatTransform;
  embeddings: EmbeddingsTransform;
  images: ImagesTransform;
  responses: ApiTransform<ResponsesRequest>;
  messages: ApiTransform<MessagesRequest>;
  countTokens: TokenCountTransform;
}
export type Capability = keyof Capabilities;

/** The request body each capability's transforms take. */
export interface Bodies {
  chat: ChatRequest;
  embeddings: EmbeddingsRequest;
  images: ImagesRequest;
  responses: ResponsesRequest;
  messages: MessagesRequest;
  countTokens: CountTokensRequest;
}

/**
 * The API a caller speaks on an endpoint. A provider whose own API it is (`Provider.api`) gets
 * the caller's request with only the model replaced and answers with bytes passed through
 * untouched; any other provider is translated, both ways, through the capability's transforms.
 */
export type ApiFormat = "openai" | "openai-responses" | "anthropic-messages";

/** How the answer goes back: one JSON body, or server-sent events. */
export type AnswerMode = { stream: false } | { stream: true; includeUsage: boolean };

/** One inbound API route of the proxy: all it takes to serve it is this row. */
export interface Endpoint<C extends Capability = Capability> {
  path: string;
  format: ApiFormat;
  capability: C;
  /** The shape checks the API itself makes: a 400 before any key, limit or upstream call. */
  validate(raw: unknown): Bodies[C];
  answer(body: Bodies[C]): AnswerMode;
  /**
   * Whether its answers may be kept in the response cache: Chat Completions and embeddings are;
   * images are not, nor the Responses and Messages APIs (the cache replays Chat Completions).
   */
  cacheable: boolean;
  /**
   * Whether an answer is usage: recorded in ai_usage and charged to the caller's budget and
   * tokens per minute. A token count is not: it generates nothing and costs nothing upstream.
   */
  metered: boolean;
  /**
   * For an endpoint only some providers serve: a model that the companion capability serves but
   * whose route has none of those providers gets `refusal(model)`, a 4xx saying why, rather
   * than the 404 of a model that does not exist.
   */
  companion?: { capability: Capability; refusal(model: string): AppError };
  /** What a translated JSON answer still needs for the caller (an encoding they asked for). */
  finish?(answer: unknown, body: Bodies[C]): unknown;
}

const JSON_ANSWER: AnswerMode = { stream: false };

const chat: Endpoint<"chat"> = {
  path: "/v1/chat/completions",
  format: "openai",
  capability: "chat",
  validate: chatRequest,
  cacheable: true,
  metered: true,
  answer: (body) =>
    body.stream
      ? { stream: true, includeUsage: body.stream_options?.include_usage === true }
      : JSON_ANSWER,
};

const embeddings: Endpoint<"embeddings"> = {
  path: "/v1/embeddings",
  format: "openai",
  capability: "embeddings",
  validate: embeddingsRequest,
  cacheable: true,
  metered: true,
  answer: () => JSON_ANSWER,
  // The openai SDK asks for base64 unless told otherwise; Gemini answers floats.
  finish: (answer, body) => encodeEmbeddings(answer as EmbeddingsResponse, body.encoding_format),
};

const images: Endpoint<"images"> = {
  path: "/v1/images/generations",
  format: "openai",
  capability: "images",
  validate: imagesRequest,
  cacheable: false,
  metered: true,
  answer: () => JSON_ANSWER,
};

// The Responses and Messages APIs: their transforms pass the provider's own API through or go
// by its chat transform (shared/providers/api.ts); their streams always carry usage.
const STREAM_WITH_USAGE: AnswerMode = { stream: true, includeUsage: true };

const responses: Endpoint<"responses"> = {
  path: "/v1/responses",
  format: "openai-responses",
  capability: "responses",
  validate: responsesRequest,
  cacheable: false,
  metered: true,
  answer: (body) => (body.stream ? STREAM_WITH_USAGE : JSON_ANSWER),
};

const messages: Endpoint<"messages"> = {
  path: "/v1/messages",
  format: "anthropic-messages",
  capability: "messages",
  validate: messagesRequest,
  cacheable: false,
  metered: true,
  answer: (body) => (body.stream ? STREAM_WITH_USAGE : JSON_ANSWER),
};

// Only Anthropic counts tokens: the chain keeps a route's Anthropic links, and a route without
// one is refused, never answered with an estimate.
const countTokens: Endpoint<"countTokens"> = {
  path: "/v1/messages/count_tokens",
  format: "anthropic-messages",
  capability: "countTokens",
  validate: countTokensRequest,
  cacheable: false,
  metered: false,
  answer: () => JSON_ANSWER,
  companion: {
    capability: "messages",
    refusal: (model) =>
      new AppError({
        status: 400,
        code: "token_count_unavailable",
        category: "validation",
        param: "model",
        message: `The model '${model}' has no Anthropic target: only Anthropic counts tokens, and the proxy does not estimate them`,
      }),
  },
};

/** Every POST the proxy serves. */
export const ENDPOINTS: readonly Endpoint[] = [
  chat,
  embeddings,
  images,
  responses,
  messages,
  countTokens,
] as Endpoint[];
