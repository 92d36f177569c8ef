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
