/** A limit per identity: at most `limit` requests in any `windowSec` seconds. */
export interface RateLimitPolicy {
  /** Names the policy in the RateLimit headers and the Redis keys: letters, digits, `.`, `_`, `-`. */
  name: string;
  limit: number;
  windowSec: number;
  /**
   * `sliding` (default): the previous window's count still weighs, in proportion to how much of
   * it the sliding window overlaps, so a burst across a boundary cannot reach twice the limit.
   * `fixed`: counts start afresh at each window boundary (cheaper: one key, no weighting).
   */
  algorithm?: "sliding" | "fixed";
}

// Safe inside a structured-field string (the headers) and a Redis key, with nothing to escape.
const NAME = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * The policy with its defaults, or a RangeError naming what is wrong. Called once, when a limiter
 * is built: a bad policy fails at startup, never per request.
 */
export function checkPolicy(policy: RateLimitPolicy): Required<RateLimitPolicy> {
  if (!NAME.test(policy.name)) {
    throw new RangeError(`rate limit name must match ${NAME}: ${JSON.stringify(policy.name)}`);
  }
  if (!Number.isSafeInteger(policy.limit) || policy.limit < 1) {
    throw new RangeError(`rate limit ${policy.name}: limit must be a positive integer`);
  }
  // The RateLimit-Policy `w` parameter is whole seconds; sub-second windows are not expressible.
  if (!Number.isSafeInteger(policy.windowSec) || policy.windowSec < 1) {
    throw new RangeError(`rate limit ${policy.name}: windowSec must be a positive integer`);
  }
  return {
    name: policy.name,
    limit: policy.limit,
    windowSec: policy.windowSec,
    algorithm: policy.algorithm ?? "sliding",
  };
}
