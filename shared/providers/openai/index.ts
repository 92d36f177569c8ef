import type {
  ChatCompletion,
  ChatTransform,
  EmbeddingsResponse,
  ImagesResponse,
  Provider,
  ProviderConfig,
  UpstreamRequest,
} from "../types.ts";
import { messagesViaChat } from "../messages/index.ts";
import { openAiResponses } from "../responses/index.ts";
import { openAiError, unreadableResponse } from "./errors.ts";
import { openAiStream } from "./stream.ts";

const url = (config: ProviderConfig, path: string) =>
  `${config.baseUrl.replace(/\/+$/, "")}${path}`;

function post(config: ProviderConfig, path: string, body: unknown): UpstreamRequest {
  return {
    url: url(config, path),
    method: "POST",
    headers: { authorization: `Bearer ${config.apiKey}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  };
}

function record(json: unknown): Record<string, unknown> {
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw unreadableResponse();
  return json as Record<string, unknown>;
}

const chat: ChatTransform = {
  request(body, upstreamModel, config) {
    // Usage is always asked for, so every stream can be accounted; the proxy decides whether
    // the caller, who may not have asked, sees the usage chunk.
    const streamOptions = body.stream
      ? { stream_options: { ...body.stream_options, include_usage: true } }
      : {};
    return post(config, "/chat/completions", { ...body, model: upstreamModel, ...streamOptions });
  },
  response(json, context) {
    const completion = record(json);
    if (!Array.isArray(completion.choices)) throw unreadableResponse();
    return {
      ...completion,
      id: context.id,
      created: context.created,
      model: context.model,
    } as ChatCompletion;
  },
  stream: openAiStream,
};

// Messages callers reach OpenAI through its chat format. A call id of theirs may carry a Gemini
// thought signature, which OpenAI's strict schema has no field for: it stays with the client.
const withoutSignatures: ChatTransform["request"] = (body, upstreamModel, config) =>
  chat.request(
    {
      ...body,
      messages: body.messages.map((message) =>
        message.tool_calls
          ? {
              ...message,
              tool_calls: message.tool_calls.map(({ extra_content: _, ...call }) => call),
            }
          : message,
      ),
    },
    upstreamModel,
    config,
  );

/**
 * OpenAI, passed through: the caller's body goes upstream with only `model` replaced (and usage
 * requested for streams), and answers come back with the public model name. The base URL
 * includes `/v1`, as the OpenAI SDK's does.
 */
export const openai: Provider = {
  name: "openai",
  api: "openai",
  keyVar: "OPENAI_API_KEY",
  baseUrlVar: "OPENAI_BASE_URL",
  defaultBaseUrl: "https://api.openai.com/v1",
  chat,
  responses: openAiResponses(post),
  messages: messagesViaChat({ ...chat, request: withoutSignatures }),
  embeddings: {
    request: (body, upstreamModel, config) =>
      post(config, "/embeddings", { ...body, model: upstreamModel }),
    response(json, context) {
      const embeddings = record(json);
      if (!Array.isArray(embeddings.data)) throw unreadableResponse();
      return { ...embeddings, model: context.model } as EmbeddingsResponse;
    },
  },
  images: {
    request: (body, upstreamModel, config) =>
      post(config, "/images/generations", { ...body, model: upstreamModel }),
    response(json) {
      const images = record(json);
      if (!Array.isArray(images.data)) throw unreadableResponse();
      return images as unknown as ImagesResponse;
    },
  },
  probe: (config) => ({
    url: url(config, "/models"),
    method: "GET",
    headers: { authorization: `Bearer ${config.apiKey}` },
  }),
  error: openAiError,
};
