import type { Provider } from "../types.ts";
import { anthropicError } from "./errors.ts";
import { anthropicRequest } from "./request.ts";
import { anthropicResponse } from "./response.ts";
import { anthropicStream } from "./stream.ts";
import { anthropicHeaders, anthropicUrl } from "./wire.ts";

/**
 * Anthropic's Messages API behind the OpenAI chat format. The base URL has no `/v1`, as the
 * Anthropic SDK's. Chat only: Anthropic has no embeddings or image generation.
 */
export const anthropic: Provider = {
  name: "anthropic",
  api: "anthropic",
  keyVar: "ANTHROPIC_API_KEY",
  baseUrlVar: "ANTHROPIC_BASE_URL",
  defaultBaseUrl: "https://api.anthropic.com",
  chat: { request: anthropicRequest, response: anthropicResponse, stream: anthropicStream },
  probe: (config) => ({
    url: anthropicUrl(config, "/v1/models"),
    method: "GET",
    headers: anthropicHeaders(config),
  }),
  error: anthropicError,
};
