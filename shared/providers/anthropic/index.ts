import { anthropicMessages } from "../messages/index.ts";
import { responsesViaChat } from "../responses/index.ts";
import type { ChatTransform, Provider } from "../types.ts";
import { anthropicCountTokens } from "./count-tokens.ts";
import { anthropicError } from "./errors.ts";
import { anthropicRequest } from "./request.ts";
import { anthropicResponse } from "./response.ts";
import { anthropicStream } from "./stream.ts";
import { anthropicHeaders, anthropicUrl } from "./wire.ts";

/**
 * Anthropic's Messages API behind the OpenAI chat format and the Responses API, and passed
 * through to Messages callers, token counts included. The base URL has no `/v1`, as the
 * Anthropic SDK's. No embeddings or image generation: Anthropic has neither.
 */
const chat: ChatTransform = {
  request: anthropicRequest,
  response: anthropicResponse,
  stream: anthropicStream,
};

export const anthropic: Provider = {
  name: "anthropic",
  api: "anthropic",
  keyVar: "ANTHROPIC_API_KEY",
  baseUrlVar: "ANTHROPIC_BASE_URL",
  defaultBaseUrl: "https://api.anthropic.com",
  chat,
  responses: responsesViaChat(chat),
  messages: anthropicMessages,
  countTokens: anthropicCountTokens,
  probe: (config) => ({
    url: anthropicUrl(config, "/v1/models"),
    method: "GET",
    headers: anthropicHeaders(config),
  }),
  error: anthropicError,
};
