import type { ProviderError } from "../types.ts";

/** Longest vendor message relayed; a longer one is cut, so a huge body never reaches the caller. */
const MAX_MESSAGE = 500;

// Anthropic's error types as OpenAI-style codes.
const CODES: Record<string, string> = {
  invalid_request_error: "invalid_request",
  authentication_error: "invalid_api_key",
  permission_error: "permission_denied",
  not_found_error: "not_found",
  request_too_large: "request_too_large",
  billing_error: "insufficient_quota",
  rate_limit_error: "rate_limit_exceeded",
  api_error: "upstream_error",
  timeout_error: "upstream_timeout",
  overloaded_error: "overloaded",
};

// These concern the proxy's own Anthropic account, not the caller's request, or the vendor's
// servers: the caller gets our wording, never Anthropic's.
const GENERIC: Record<string, string> = {
  authentication_error: "The upstream provider rejected the proxy's credentials",
  permission_error: "The upstream provider refused the proxy access",
  billing_error: "The upstream provider's quota for the proxy is exhausted",
  rate_limit_error: "The upstream provider's rate limit was reached",
  overloaded_error: "The upstream provider is overloaded",
  timeout_error: "The upstream provider timed out",
};

const TYPE_BY_STATUS: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  402: "billing_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  504: "timeout_error",
  529: "overloaded_error",
};

/** Anthropic's description of an error: `error` in `{type:"error", error:{type, message}}`. */
export interface AnthropicErrorDetail {
  type?: unknown;
  message?: unknown;
}

function parse(body: string): AnthropicErrorDetail | undefined {
  try {
    return (JSON.parse(body) as { error?: AnthropicErrorDetail } | null)?.error;
  } catch {
    return undefined;
  }
}

/**
 * Restates an Anthropic error, from a response or in-band in a stream: the message is kept only
 * for a 4xx about the request itself, never for a 5xx or an error about the proxy's account.
 */
export function restate(status: number, error: AnthropicErrorDetail | undefined): ProviderError {
  const type =
    typeof error?.type === "string" && CODES[error.type] ? error.type : TYPE_BY_STATUS[status];
  const code = (type && CODES[type]) ?? "upstream_error";
  const generic = type ? GENERIC[type] : undefined;
  if (status >= 500) return { message: generic ?? "The upstream provider failed to answer", code };
  if (generic) return { message: generic, code };
  const message = typeof error?.message === "string" ? error.message.trim() : "";
  if (message === "")
    return { message: `The upstream provider refused the request (HTTP ${status})`, code };
  // Anthropic says "prompt is too long" where OpenAI has a code that routers fall back on.
  const tooLong = /prompt is too long/i.test(message);
  return {
    message: message.slice(0, MAX_MESSAGE),
    code: tooLong ? "context_length_exceeded" : code,
  };
}

/** Restates an Anthropic error response from its status and raw body. */
export function anthropicError(status: number, body: string): ProviderError {
  return restate(status, parse(body));
}

export { unreadableResponse } from "../errors.ts";
