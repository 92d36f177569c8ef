import type { ProviderError } from "../types.ts";

/** Longest vendor message relayed; a longer one is cut, so a huge body never reaches the caller. */
const MAX_MESSAGE = 500;

// These statuses concern the proxy's own OpenAI account, not the caller's request, and OpenAI's
// wording for them names the organisation or part of the key: the caller gets ours instead.
const ACCOUNT: Record<number, ProviderError> = {
  401: {
    message: "The upstream provider rejected the proxy's credentials",
    code: "invalid_api_key",
  },
  403: { message: "The upstream provider refused the proxy access", code: "permission_denied" },
  429: { message: "The upstream provider's rate limit was reached", code: "rate_limit_exceeded" },
};

const CODES: Record<number, string> = {
  400: "invalid_request",
  404: "not_found",
  413: "request_too_large",
  422: "invalid_request",
};

interface OpenAiErrorBody {
  error?: { message?: unknown; code?: unknown };
}

function parse(body: string): OpenAiErrorBody["error"] {
  try {
    return (JSON.parse(body) as OpenAiErrorBody | null)?.error ?? undefined;
  } catch {
    return undefined;
  }
}

/** OpenAI codes are short snake_case words; anything else is not relayed. */
function codeOf(value: unknown): string | undefined {
  return typeof value === "string" && /^[a-z0-9_]{1,64}$/.test(value) ? value : undefined;
}

/**
 * Restates OpenAI's `{error:{message,code}}`: the message is kept for errors about the request
 * (4xx), never for 5xx or for errors about the proxy's own account (401, 403, 429).
 */
export function openAiError(status: number, body: string): ProviderError {
  const error = parse(body);
  const code = codeOf(error?.code);
  if (status >= 500) {
    return { message: "The upstream provider failed to answer", code: code ?? "upstream_error" };
  }
  const account = ACCOUNT[status];
  if (account) return { message: account.message, code: code ?? account.code };
  const message = typeof error?.message === "string" ? error.message.trim() : "";
  return {
    message: message
      ? message.slice(0, MAX_MESSAGE)
      : `The upstream provider refused the request (HTTP ${status})`,
    code: code ?? CODES[status] ?? "upstream_error",
  };
}

export { unreadableResponse } from "../errors.ts";
