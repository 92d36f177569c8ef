import { AppError } from "../../http/errors.ts";
import type { RateLimitResult } from "./index.ts";

/** Whole seconds from `now` to `reset`, rounded up, never negative. */
function secondsUntil(reset: number, now: number): number {
  return Math.max(0, Math.ceil((reset - now) / 1000));
}

/**
 * The response headers for a verdict, on success and denial alike:
 * - `RateLimit-Policy: "<name>";q=<limit>;w=<windowSec>` and
 *   `RateLimit: "<name>";r=<remaining>;t=<seconds until reset>`: structured-field lists of one
 *   item named by a string, as in draft-ietf-httpapi-ratelimit-headers-10; `t` is a delay, so
 *   clients need no clock in sync with ours;
 * - `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`, the last in Unix epoch
 *   seconds as GitHub and express-rate-limit send it (the delay is already `t`);
 * - on a denial, `Retry-After` in seconds: at least 1, and never earlier than `t` (the draft's
 *   rule; clients let it take precedence over `RateLimit`).
 */
export function rateLimitHeaders(
  result: RateLimitResult,
  now = Date.now(),
): Record<string, string> {
  const t = secondsUntil(result.reset, now);
  const headers: Record<string, string> = {
    "RateLimit-Policy": `"${result.policy}";q=${result.limit};w=${result.windowSec}`,
    RateLimit: `"${result.policy}";r=${result.remaining};t=${t}`,
    "X-RateLimit-Limit": String(result.limit),
    "X-RateLimit-Remaining": String(result.remaining),
    "X-RateLimit-Reset": String(Math.ceil(result.reset / 1000)),
  };
  if (!result.success) headers["Retry-After"] = String(Math.max(1, t));
  return headers;
}

/**
 * The 429 a route throws for a denied verdict; the shared `onError` renders it in the envelope of
 * the path (OpenAI's `rate_limit_error` under /v1) with the headers above.
 */
export function rateLimitError(result: RateLimitResult, now = Date.now()): AppError {
  const headers = rateLimitHeaders(result, now);
  const retryAfterSec = Number(headers["Retry-After"] ?? 1);
  return new AppError({
    status: 429,
    code: "rate_limited",
    category: "rate_limit",
    message: `Rate limit exceeded: ${result.limit} requests per ${result.windowSec} s; retry in ${retryAfterSec} s`,
    details: {
      policy: result.policy,
      limit: result.limit,
      windowSec: result.windowSec,
      retryAfterSec,
    },
    headers,
  });
}
