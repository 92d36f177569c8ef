import { BoundedMap } from "../../bounded-map.ts";
import type { RateLimitPolicy } from "./policy.ts";

/** Requests counted in the current fixed window and in the one before it. */
interface Counts {
  bucket: number;
  current: number;
  previous: number;
}

// One store per isolate, shared by every limiter: keys carry the deployment prefix and the policy
// name, as in Redis.
const counts = new BoundedMap<string, Counts>(10_000);

/** A verdict of the in-isolate limiter. */
export interface LocalVerdict {
  success: boolean;
  remaining: number;
  /** End of the current window, ms since the epoch. */
  reset: number;
}

/**
 * Counts one request for `key` in this isolate, with the window arithmetic of the Redis script
 * (lua.ts; a denied request is not counted). It stands in for Redis only while Redis cannot be
 * reached, and is approximate by design: each isolate counts alone, so across k warm isolates an
 * identity may get up to k × limit requests through per window.
 */
export function limitLocally(
  key: string,
  policy: Required<RateLimitPolicy>,
  now: number,
): LocalVerdict {
  const windowMs = policy.windowSec * 1000;
  const bucket = Math.floor(now / windowMs);
  const seen = counts.get(key);
  const current = seen?.bucket === bucket ? seen.current : 0;
  const previous =
    seen?.bucket === bucket ? seen.previous : seen?.bucket === bucket - 1 ? seen.current : 0;
  const weight = policy.algorithm === "sliding" ? 1 - (now % windowMs) / windowMs : 0;
  const used = current + Math.floor(weight * previous);
  const reset = (bucket + 1) * windowMs;
  if (used >= policy.limit) return { success: false, remaining: 0, reset };
  counts.set(key, { bucket, current: current + 1, previous });
  return { success: true, remaining: policy.limit - used - 1, reset };
}
