import type { Context } from "hono";
import type { Logger } from "../../shared/http/logger.ts";
import {
  type RateLimiter,
  type RateLimitResult,
  rateLimitError,
} from "../../shared/resilience/ratelimit/index.ts";

/** The limits on starting verifications (SMS pumping costs real money): fleet-wide in Redis. */
export interface VerifyLimits {
  /** One start per phone per 30 s. */
  phoneBurst: RateLimiter;
  /** Five starts per phone per hour. */
  phoneHourly: RateLimiter;
  /** Twenty starts per client address per hour. */
  clientHourly: RateLimiter;
}

export const VERIFY_POLICIES = {
  phoneBurst: { name: "verify-phone-30s", limit: 1, windowSec: 30 },
  phoneHourly: { name: "verify-phone-1h", limit: 5, windowSec: 3600 },
  clientHourly: { name: "verify-client-1h", limit: 20, windowSec: 3600 },
} as const;

/**
 * The caller's address as the platform's edge reports it: Cloudflare's `CF-Connecting-IP`, else
 * the first `X-Forwarded-For` entry (Vercel and Supabase set it at their edge), else `X-Real-IP`.
 */
export function clientAddress(c: Context): string {
  return (
    c.req.header("cf-connecting-ip") ??
    c.req.header("x-forwarded-for")?.split(",")[0]?.trim() ??
    c.req.header("x-real-ip") ??
    "unknown"
  );
}

/**
 * Counts one start against all three limits in one Redis round trip (the commands leave in the
 * same tick), and refuses with 429 and the longest `Retry-After` when any denies.
 */
export async function limitStart(
  limits: VerifyLimits,
  who: { phone: string; client: string },
  log: Logger,
): Promise<void> {
  const results = await Promise.all([
    limits.phoneBurst.limit(who.phone),
    limits.phoneHourly.limit(who.phone),
    limits.clientHourly.limit(who.client),
  ]);
  const fallback = results.find((r) => r.error);
  if (fallback)
    log.warn("verification limit decided without Redis", {
      source: fallback.source,
      error: fallback.error,
    });
  const denied = results.filter((r) => !r.success);
  if (denied.length === 0) return;
  const latest = denied.reduce((a: RateLimitResult, b) => (b.reset > a.reset ? b : a));
  throw rateLimitError(latest);
}
