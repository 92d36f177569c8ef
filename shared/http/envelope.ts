import type { AppError, ErrorCategory } from "./errors.ts";

/** `{"success":false,"error":{…}}`: the error body everywhere outside /v1. */
export function generalEnvelope(error: AppError, requestId: string, path: string) {
  return {
    success: false as const,
    error: {
      code: error.code,
      message: error.message,
      category: error.category,
      ...(error.details ? { details: error.details } : {}),
      timestamp: new Date().toISOString(),
      requestId,
      path,
    },
  };
}

const OPENAI_TYPES: Record<ErrorCategory, string> = {
  validation: "invalid_request_error",
  not_found: "invalid_request_error",
  authentication: "authentication_error",
  authorization: "permission_error",
  rate_limit: "rate_limit_error",
  external_service: "api_error",
  network: "api_error",
  internal: "api_error",
};

/** OpenAI's error shape, so OpenAI SDKs raise the right exception class under /v1. */
export function openAiEnvelope(error: AppError, requestId: string) {
  return {
    error: {
      message: error.message,
      type: OPENAI_TYPES[error.category],
      param: error.param ?? null,
      code: error.code,
    },
    requestId,
  };
}

/** Paths whose errors keep OpenAI's shape. */
export function isOpenAiPath(path: string): boolean {
  return path === "/v1" || path.startsWith("/v1/");
}

// Anthropic's error types by status; its SDKs retry on 429, 5xx and 529.
const ANTHROPIC_TYPES: Record<number, string> = {
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

/**
 * Anthropic's error shape and status codes, so Anthropic SDKs raise the right exception class on
 * /v1/messages: every provider failing is Anthropic's 529 `overloaded_error`, any other 5xx is
 * its 500 `api_error` (or 504 `timeout_error`).
 */
export function anthropicEnvelope(error: AppError, requestId: string) {
  const status =
    error.status === 503 ? 529 : error.status >= 500 && error.status !== 504 ? 500 : error.status;
  const type = ANTHROPIC_TYPES[status] ?? (status >= 500 ? "api_error" : "invalid_request_error");
  return {
    status,
    body: { type: "error", error: { type, message: error.message }, request_id: requestId },
  };
}

/** Paths whose errors keep Anthropic's shape. */
export function isAnthropicPath(path: string): boolean {
  return path === "/v1/messages" || path.startsWith("/v1/messages/");
}
