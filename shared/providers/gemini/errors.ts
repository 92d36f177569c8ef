import type { ProviderError } from "../types.ts";

/** Longest vendor message relayed; a longer one is cut, so a huge body never reaches the caller. */
const MAX_MESSAGE = 500;

/** Google's error: `error` in `{error:{code, message, status, details}}`. */
export interface GoogleError {
  code?: unknown;
  message?: unknown;
  status?: unknown;
  details?: unknown;
}

const SERVER_CODES: Record<number, string> = { 503: "overloaded", 504: "upstream_timeout" };

// Google refuses a wrong or expired key with 400 INVALID_ARGUMENT (reason API_KEY_INVALID), a
// missing one with 403 PERMISSION_DENIED: both concern the proxy's account, not the request.
const ACCOUNT_STATUSES = new Set(["UNAUTHENTICATED", "PERMISSION_DENIED"]);

// "The input token count (N) exceeds the maximum number of tokens allowed (M)."
const TOO_LONG = /exceeds the maximum number of tokens/i;

function parse(body: string): GoogleError | undefined {
  try {
    const json = JSON.parse(body) as unknown;
    // A streamed call answers its errors in a JSON array; accept that form too.
    const first = (Array.isArray(json) ? json[0] : json) as { error?: GoogleError } | null;
    return first?.error;
  } catch {
    return undefined;
  }
}

function reasons(error: GoogleError | undefined): unknown[] {
  const details = Array.isArray(error?.details) ? (error.details as unknown[]) : [];
  return details.map((detail) => (detail as { reason?: unknown } | null)?.reason);
}

/**
 * Restates a Google error, from a response or in-band in a stream: the message is kept only for
 * a 4xx about the request itself, never for a 5xx or an error about the proxy's key or quota.
 * An invalid key is a 400 at Google: its code here is still `invalid_api_key`.
 */
export function restate(status: number, error: GoogleError | undefined): ProviderError {
  if (status >= 500) {
    return {
      message: "The upstream provider failed to answer",
      code: SERVER_CODES[status] ?? "upstream_error",
    };
  }
  const googleStatus = typeof error?.status === "string" ? error.status : "";
  if (
    status === 401 ||
    status === 403 ||
    ACCOUNT_STATUSES.has(googleStatus) ||
    reasons(error).includes("API_KEY_INVALID")
  ) {
    return {
      message: "The upstream provider rejected the proxy's credentials",
      code: "invalid_api_key",
    };
  }
  if (status === 429 || googleStatus === "RESOURCE_EXHAUSTED") {
    return {
      message: "The upstream provider's rate limit was reached",
      code: "rate_limit_exceeded",
    };
  }
  const message = typeof error?.message === "string" ? error.message.trim() : "";
  const code =
    status === 404
      ? "not_found"
      : TOO_LONG.test(message)
        ? "context_length_exceeded"
        : "invalid_request";
  if (message === "")
    return { message: `The upstream provider refused the request (HTTP ${status})`, code };
  return { message: message.slice(0, MAX_MESSAGE), code };
}

/** Restates a Gemini error response from its status and raw body. */
export function geminiError(status: number, body: string): ProviderError {
  return restate(status, parse(body));
}

export { unreadableResponse } from "../errors.ts";
