import type {
  ChatRequest,
  ChatTransform,
  EmbeddingsRequest,
  EmbeddingsTransform,
  ImagesRequest,
  ImagesTransform,
} from "../../shared/providers/types.ts";
import { chatRequest, embeddingsRequest, imagesRequest } from "./validate.ts";

/** What a provider must offer to serve an endpoint, and the transform it offers for it. */
export interface Capabilities {
  chat: ChatTransform;
  embeddings: EmbeddingsTransform;
  images: ImagesTransform;
}
export type Capability = keyof Capabilities;

/** The request body each capability's transforms take. */
export interface Bodies {
  chat: ChatRequest;
  embeddings: EmbeddingsRequest;
  images: ImagesRequest;
}

/**
 * The API a caller speaks on an endpoint. A provider whose own API it is (`Provider.api`) gets
 * the caller's request with only the model replaced and answers with bytes passed through
 * untouched; any other provider is translated, both ways, through the capability's transforms.
 */
export type ApiFormat = "openai";

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
  /** Whether its answers may be kept in the response cache (text is; images are not). */
  cacheable: boolean;
}

const JSON_ANSWER: AnswerMode = { stream: false };

const chat: Endpoint<"chat"> = {
  path: "/v1/chat/completions",
  format: "openai",
  capability: "chat",
  validate: chatRequest,
  cacheable: true,
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
  answer: () => JSON_ANSWER,
};

const images: Endpoint<"images"> = {
  path: "/v1/images/generations",
  format: "openai",
  capability: "images",
  validate: imagesRequest,
  cacheable: false,
  answer: () => JSON_ANSWER,
};

/** Every POST the proxy serves. */
export const ENDPOINTS: readonly Endpoint[] = [chat, embeddings, images] as Endpoint[];
