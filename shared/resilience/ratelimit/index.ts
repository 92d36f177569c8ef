import { Ratelimit } from "@upstash/ratelimit";
import type { Redis } from "@upstash/redis";
import { BoundedMap } from "../../bounded-map.ts";
import { limitLocally } from "./local.ts";
import { checkPolicy, type RateLimitPolicy } from "./policy.ts";

export { rateLimitError, rateLimitHeaders } from "./headers.ts";
export type { RateLimitPolicy } from "./policy.ts";

/**
 * Who decided: `redis` (the shared count), `cache` (this isolate already saw Redis deny the
 * identity for this window: no Redis call), `local-fallback` (Redis failed or was too slow; this
 * isolate's own count decided), `fail-closed` (Redis failed and the limiter is set to deny).
 */
export type RateLimitSource = "redis" | "cache" | "local-fallback" | "fail-closed";

/** One verdict, with what the headers need. */
export interface RateLimitResult {
  success: boolean;
  /** The policy's name. */
  policy: string;
  limit: number;
  windowSec: number;
  remaining: number;
  /** When more quota becomes available (the current window's end), ms since the epoch. */
  reset: number;
  source: RateLimitSource;
  /** Why Redis was not used (`local-fallback`, `fail-closed`), for the caller to log. */
  error?: unknown;
}

export interface RateLimiterOptions extends RateLimitPolicy {
  /**
   * The deployment's client (`createRedis`): no retries, a per-command deadline. Without one
   * (Upstash not configured) every verdict comes from the in-isolate limiter.
   */
  redis: Redis | undefined;
  /** The deployment's key prefix, e.g. `bw:`; keys are `<prefix>rl:<name>:<identity>:<window>`. */
  prefix: string;
  /** When Redis fails or is too slow: `open` (default) counts in this isolate; `closed` denies. */
  onRedisFailure?: "open" | "closed";
  /**
   * Backstop deadline (default 1000 ms). The client's per-command signal should fire first: it
   * aborts the request. This one is @upstash/ratelimit's `timeout`, which only stops waiting and
   * would answer `success: true, limit: 0`; we treat it as a Redis failure instead.
   */
  timeoutMs?: number;
  /**
   * True while Redis is known to be down (the state store's own Redis breaker is open): the
   * limiter then decides without Redis at once, instead of every request paying the failure.
   */
  redisDown?: () => boolean;
}

/** A per-identity limiter over Redis, with an in-isolate fallback. */
export interface RateLimiter {
  readonly policy: Required<RateLimitPolicy>;
  /**
   * Counts one request of `identity` (e.g. an API key id), or `cost` units of it (tokens charged
   * after a response). Never rejects.
   */
  limit(identity: string, cost?: number): Promise<RateLimitResult>;
  /** The denial this isolate already knows `identity` has until its reset (no Redis call). */
  blocked(identity: string): RateLimitResult | undefined;
}

// Identities Redis denied, until their window ends (@upstash/ratelimit's `ephemeralCache`). At
// module scope so it lasts as long as the isolate; keys carry the prefix and policy name. With a
// sliding window this is conservative: as the previous window's weight fades Redis could admit
// the identity a little before `reset`, but the isolate holds to the `reset` it advertised.
const blocked = new BoundedMap<string, number>(10_000);

// Denied only because Redis is unreachable, which may end at any moment: retry soon.
const FAIL_CLOSED_RETRY_MS = 1000;

/**
 * A limiter for one policy. Build it once per isolate (module scope or `perEnv`). Each `limit()`
 * costs one Redis request (EVALSHA), none when the identity is cached as blocked.
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const policy = checkPolicy(options);
  const timeoutMs = options.timeoutMs ?? 1000;
  if (!(timeoutMs > 0)) throw new RangeError(`rate limit ${policy.name}: timeoutMs must be > 0`);
  const prefix = `${options.prefix}rl:${policy.name}`;
  const window = `${policy.windowSec} s` as const;
  const ratelimit =
    options.redis &&
    new Ratelimit({
      redis: options.redis,
      limiter:
        policy.algorithm === "fixed"
          ? Ratelimit.fixedWindow(policy.limit, window)
          : Ratelimit.slidingWindow(policy.limit, window),
      prefix,
      ephemeralCache: blocked,
      timeout: timeoutMs,
      analytics: false,
      enableTelemetry: false,
    });
  const result = (
    verdict: Pick<RateLimitResult, "success" | "remaining" | "reset" | "source" | "error">,
  ): RateLimitResult => ({
    policy: policy.name,
    limit: policy.limit,
    windowSec: policy.windowSec,
    ...verdict,
  });

  const withoutRedis = (identity: string, error: unknown, cost = 1): RateLimitResult => {
    const now = Date.now();
    if (options.onRedisFailure === "closed") {
      const reset = now + FAIL_CLOSED_RETRY_MS;
      return result({ success: false, remaining: 0, reset, source: "fail-closed", error });
    }
    const local = limitLocally(`${prefix}:${identity}`, policy, now, cost);
    return result({ ...local, source: "local-fallback", error });
  };

  return {
    policy,
    blocked(identity) {
      const reset = blocked.get(`${prefix}:${identity}`);
      if (reset === undefined || reset <= Date.now()) return undefined;
      return result({ success: false, remaining: 0, reset, source: "cache" });
    },
    async limit(identity, cost = 1) {
      if (!ratelimit) return withoutRedis(identity, undefined, cost);
      if (options.redisDown?.())
        return withoutRedis(identity, new Error("Redis is unreachable"), cost);
      // Before any await: ratelimit queues its EVALSHA synchronously, so a command the caller
      // issues in the same tick (the breaker's gate) shares its auto-pipelined HTTP request.
      const pending = ratelimit.limit(identity, cost === 1 ? undefined : { rate: cost });
      let error: unknown;
      try {
        const { success, remaining, reset, reason } = await pending;
        if (reason !== "timeout") {
          const source = reason === "cacheBlock" ? "cache" : "redis";
          return result({ success, remaining, reset, source });
        }
        error = new DOMException(`Redis did not answer within ${timeoutMs} ms`, "TimeoutError");
      } catch (failure) {
        error = failure;
      }
      return withoutRedis(identity, error, cost);
    },
  };
}
