import { expect, test } from "vitest";
import { isAppError } from "../../../shared/http/errors.ts";
import {
  type RateLimitResult,
  rateLimitError,
  rateLimitHeaders,
} from "../../../shared/resilience/ratelimit/index.ts";

const NOW = 1_900_000_030_000;
const verdict = (overrides: Partial<RateLimitResult> = {}): RateLimitResult => ({
  success: true,
  policy: "per-key",
  limit: 100,
  windowSec: 60,
  remaining: 42,
  reset: NOW + 30_000,
  source: "redis",
  ...overrides,
});

test("an allowed verdict carries RateLimit-Policy, RateLimit, X-RateLimit-*, no Retry-After", () => {
  expect(rateLimitHeaders(verdict(), NOW)).toEqual({
    "RateLimit-Policy": '"per-key";q=100;w=60',
    RateLimit: '"per-key";r=42;t=30',
    "X-RateLimit-Limit": "100",
    "X-RateLimit-Remaining": "42",
    "X-RateLimit-Reset": String((NOW + 30_000) / 1000),
  });
});

test("a denial adds Retry-After in whole seconds, never before the reset and at least 1", () => {
  const denied = (resetInMs: number) =>
    rateLimitHeaders(verdict({ success: false, remaining: 0, reset: NOW + resetInMs }), NOW);
  expect(denied(12_300)).toMatchObject({ RateLimit: '"per-key";r=0;t=13', "Retry-After": "13" });
  expect(denied(200)).toMatchObject({ RateLimit: '"per-key";r=0;t=1', "Retry-After": "1" });
  expect(denied(-500)).toMatchObject({ RateLimit: '"per-key";r=0;t=0', "Retry-After": "1" });
  expect(denied(12_300)["X-RateLimit-Reset"]).toBe(String(Math.ceil((NOW + 12_300) / 1000)));
});

test("rateLimitError is a 429 rate_limited AppError carrying the headers", () => {
  const result = verdict({ success: false, remaining: 0, reset: NOW + 5_000 });
  const error = rateLimitError(result, NOW);
  expect(isAppError(error)).toBe(true);
  expect(error).toMatchObject({
    status: 429,
    code: "rate_limited",
    category: "rate_limit",
    details: { policy: "per-key", limit: 100, windowSec: 60, retryAfterSec: 5 },
    headers: rateLimitHeaders(result, NOW),
  });
  expect(error.message).toBe("Rate limit exceeded: 100 requests per 60 s; retry in 5 s");
});
