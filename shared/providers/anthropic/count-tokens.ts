// POST /v1/messages/count_tokens: Anthropic counts a Messages request's input tokens, and only
// Anthropic does. The request goes to it as written (only `model` replaced) and its count comes
// back as it gave it; the proxy never estimates one.
import { unreadableResponse } from "../errors.ts";
import type { TokenCount, TokenCountTransform } from "../types.ts";
import { anthropicHeaders, anthropicUrl } from "./wire.ts";

export const anthropicCountTokens: TokenCountTransform = {
  request: (body, upstreamModel, config) => ({
    url: anthropicUrl(config, "/v1/messages/count_tokens"),
    method: "POST",
    headers: { ...anthropicHeaders(config), "content-type": "application/json" },
    body: JSON.stringify({ ...body, model: upstreamModel }),
  }),
  response(json) {
    const count = json as { input_tokens?: unknown } | null;
    if (!Number.isInteger(count?.input_tokens)) throw unreadableResponse();
    return json as TokenCount;
  },
};
