import type { Permit } from "../../shared/resilience/breaker/breaker.ts";
import { type RateLimitResult, rateLimitError } from "../../shared/resilience/ratelimit/index.ts";
import type { ChainTarget } from "./failover.ts";
import type { CallerKey } from "./keys.ts";
import type { Quota } from "./quotas.ts";
import type { AiProxyDeps } from "./types.ts";

/** What was decided before the upstream call. */
export interface Admission {
  rate: RateLimitResult;
  /** The first target's breaker permit, or why it refused (the chain then skips that target). */
  firstPermit: Permit | Error;
  /** The cached answer's entry, when the request is cacheable and one is stored. */
  cached: string | null;
}

export interface AdmissionChecks {
  /** The caller's budget and tokens per minute (their counters are read here). */
  quota: Quota | undefined;
  /** The response-cache entry to look up, when the request is cacheable. */
  cacheKey: string | undefined;
}

const NO_KEYS: readonly string[] = [];
const NOTHING_READ: (string | null)[] = [];

/**
 * Everything the proxy checks in Redis before the upstream call, in one round trip: each check
 * issues its command in the same tick (no await between them), and the Redis client sends a
 * tick's commands as one HTTP request: the rate limit, the first breaker's gate, and
 * one read of the budget and tokens-per-minute counters and the cache entry. Throws the 429 of a
 * caller over a limit (503 for a budget Redis cannot vouch for).
 */
export async function admit(
  deps: AiProxyDeps,
  caller: CallerKey,
  first: ChainTarget,
  checks: AdmissionChecks,
): Promise<Admission> {
  const quotaKeys = checks.quota?.keys ?? NO_KEYS;
  const keys = checks.cacheKey ? [...quotaKeys, checks.cacheKey] : quotaKeys;
  const [rate, firstPermit, read] = await Promise.all([
    deps.requestLimiter(caller.requestsPerMinute).limit(caller.id),
    first.breaker.acquire().catch((error: unknown) => error as Error),
    keys.length > 0 ? deps.shared.read(keys) : NOTHING_READ,
  ]);
  if (!rate.success) throw rateLimitError(rate);
  await checks.quota?.check(read instanceof Error ? read : read.slice(0, quotaKeys.length));
  const cached = checks.cacheKey && !(read instanceof Error) ? (read.at(-1) ?? null) : null;
  return { rate, firstPermit, cached };
}
