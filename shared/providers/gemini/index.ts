import { messagesViaChat } from "../messages/index.ts";
import { responsesViaChat } from "../responses/index.ts";
import type { ChatTransform, Provider } from "../types.ts";
import { geminiEmbeddingsRequest, geminiEmbeddingsResponse } from "./embeddings.ts";
import { geminiError } from "./errors.ts";
import { geminiChatRequest } from "./request.ts";
import { geminiChatResponse } from "./response.ts";
import { geminiStream } from "./stream.ts";
import { geminiHeaders, geminiUrl } from "./wire.ts";

/**
 * Google's Gemini API (v1beta), translated both ways: chat (JSON, and SSE with `alt=sse`), and
 * through it the Responses and Messages APIs, and embeddings. The base URL is the API host, as in Google's SDKs; the key goes in
 * `x-goog-api-key`, never in the URL.
 */
const chat: ChatTransform = {
  request: geminiChatRequest,
  response: geminiChatResponse,
  stream: geminiStream,
};

export const gemini: Provider = {
  name: "gemini",
  api: "gemini",
  keyVar: "GEMINI_API_KEY",
  baseUrlVar: "GEMINI_BASE_URL",
  defaultBaseUrl: "https://generativelanguage.googleapis.com",
  chat,
  responses: responsesViaChat(chat),
  messages: messagesViaChat(chat),
  embeddings: { request: geminiEmbeddingsRequest, response: geminiEmbeddingsResponse },
  // Listing one model proves the key and costs no tokens.
  probe: (config) => ({
    url: geminiUrl(config, "models?pageSize=1"),
    method: "GET",
    headers: geminiHeaders(config),
  }),
  error: geminiError,
};
