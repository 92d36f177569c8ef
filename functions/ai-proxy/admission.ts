import type { Permit } from "../../shared/resilience/breaker/breaker.ts";
import { type RateLimitResult, rateLimitError } from "../../shared/resilience/ratelimit/index.ts";
import type { ChainTarget } from "./failover.ts";
import type { CallerKey } from "./keys.ts";
import type { AiProxyDeps } from "./types.ts";

/** What was decided before the upstream call. */
export interface Admission {
  rate: RateLimitResult;
  /** The first target's breaker permit, or why it refused (the chain then skips that target). */
  firstPermit: Permit | Error;
}

/**
 * Everything the proxy checks in Redis before the upstream call, in one round trip: each check
 * issues its command in the same tick (no await between them), and the Upstash client's
 * auto-pipelining sends them as one HTTP request. A check that needs Redis joins the array below.
 * Throws the 429 of a caller over a limit.
 */
export async function admit(
  deps: AiProxyDeps,
  caller: CallerKey,
  first: ChainTarget,
): Promise<Admission> {
  const overTokens = caller.tokensPerMinute
    ? deps.tokenLimiter(caller.tokensPerMinute).blocked(caller.id)
    : undefined;
  if (overTokens) throw rateLimitError(overTokens);
  const [rate, firstPermit] = await Promise.all([
    deps.requestLimiter(caller.requestsPerMinute).limit(caller.id),
    first.breaker.acquire().catch((error: unknown) => error as Error),
  ]);
  if (!rate.success) throw rateLimitError(rate);
  return { rate, firstPermit };
}
