import type { ProviderError } from "../types.ts";

/** Longest vendor message relayed; a longer one is cut, so a huge body never reaches the caller. */
const MAX_MESSAGE = 500;

// These concern the proxy's own fal account, not the caller's request: the caller gets our
// wording, never fal's (which can name the account or its balance).
const ACCOUNT: Record<number, ProviderError> = {
  401: {
    message: "The upstream provider rejected the proxy's credentials",
    code: "invalid_api_key",
  },
  402: {
    message: "The upstream provider's quota for the proxy is exhausted",
    code: "insufficient_quota",
  },
  403: { message: "The upstream provider refused the proxy access", code: "permission_denied" },
  429: { message: "The upstream provider's rate limit was reached", code: "rate_limit_exceeded" },
};

// fal locks an account whose balance ran out, with a 403 that says so.
const EXHAUSTED = /balance|locked/i;

/** fal's `detail`: a sentence, or a list of typed errors (FastAPI's shape, and fal's own). */
interface DetailEntry {
  loc?: unknown;
  msg?: unknown;
  type?: unknown;
}

function parse(body: string): { message: string; types: unknown[] } {
  let detail: unknown;
  try {
    detail = (JSON.parse(body) as { detail?: unknown } | null)?.detail;
  } catch {
    return { message: "", types: [] };
  }
  if (typeof detail === "string") return { message: detail.trim(), types: [] };
  const entries = (Array.isArray(detail) ? detail : []) as (DetailEntry | null)[];
  // Each entry read as "field: message"; its `input` (an echo of the caller's values) left out.
  const message = entries
    .slice(0, 5)
    .map((entry) => {
      const loc = Array.isArray(entry?.loc) ? entry.loc.filter((part) => part !== "body") : [];
      const msg = typeof entry?.msg === "string" ? entry.msg.trim() : "";
      return loc.length > 0 && msg ? `${loc.join(".")}: ${msg}` : msg;
    })
    .filter((text) => text !== "")
    .join("; ");
  return { message, types: entries.map((entry) => entry?.type) };
}

/**
 * Restates fal's `{detail}` errors: the message is kept only for a 4xx about the request itself,
 * never for a 5xx or an error about the proxy's account (401, 402, 403, 429). fal's error `type`
 * `content_policy_violation` keeps OpenAI's code of the same name.
 */
export function falError(status: number, body: string): ProviderError {
  if (status >= 500) {
    const code = status === 504 ? "upstream_timeout" : "upstream_error";
    return { message: "The upstream provider failed to answer", code };
  }
  const { message, types } = parse(body);
  if (status === 403 && EXHAUSTED.test(message)) return ACCOUNT[402]!;
  const account = ACCOUNT[status];
  if (account) return account;
  const code =
    status === 404
      ? "not_found"
      : types.includes("content_policy_violation")
        ? "content_policy_violation"
        : "invalid_request";
  if (message === "") {
    return { message: `The upstream provider refused the request (HTTP ${status})`, code };
  }
  return { message: message.slice(0, MAX_MESSAGE), code };
}

export { unreadableResponse } from "../errors.ts";
