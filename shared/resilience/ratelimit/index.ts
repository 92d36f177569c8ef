import { BoundedMap } from "../../bounded-map.ts";
import type { Redis } from "../../clients/redis.ts";
import { runScript } from "../breaker/lua.ts";
import { limitLocally } from "./local.ts";
import { RATE_LIMIT_SCRIPT } from "./lua.ts";
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
  /** Upstash's `#!lua flags=allow-key-locking` (the deployment's UPSTASH_LUA_KEY_LOCKING). */
  keyLocking?: boolean;
  /**
   * True while Redis is known to be down (the state store's own Redis breaker is open): the
   * limiter then decides without Redis at once, instead of every request paying the failure.
   */
  redisDown?: () => boolean;
}

/** A per-identity limiter over Redis, with an in-isolate fallback. */
export interface RateLimiter {
  readonly policy: Required<RateLimitPolicy>;
  /** Counts one request of `identity` (e.g. an API key id). Never rejects. */
  limit(identity: string): Promise<RateLimitResult>;
  /** The denial this isolate already knows `identity` has until its reset (no Redis call). */
  blocked(identity: string): RateLimitResult | undefined;
}

// Identities Redis denied, until their window ends. At module scope so it lasts as long as the
// isolate; keys carry the prefix and policy name. With a sliding window this is conservative: as
// the previous window's weight fades Redis could admit the identity a little before `reset`, but
// the isolate holds to the `reset` it advertised.
const blocked = new BoundedMap<string, number>(10_000);

// Denied only because Redis is unreachable, which may end at any moment: retry soon.
const FAIL_CLOSED_RETRY_MS = 1000;

/**
 * A limiter for one policy. Build it once per isolate (module scope or `perEnv`). Each `limit()`
 * costs one Redis request (EVALSHA), none when the identity is cached as blocked.
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const policy = checkPolicy(options);
  const { redis } = options;
  const prefix = `${options.prefix}rl:${policy.name}`;
  const windowMs = policy.windowSec * 1000;
  const result = (
    verdict: Pick<RateLimitResult, "success" | "remaining" | "reset" | "source" | "error">,
  ): RateLimitResult => ({
    policy: policy.name,
    limit: policy.limit,
    windowSec: policy.windowSec,
    ...verdict,
  });

  const withoutRedis = (identity: string, error: unknown): RateLimitResult => {
    const now = Date.now();
    if (options.onRedisFailure === "closed") {
      const reset = now + FAIL_CLOSED_RETRY_MS;
      return result({ success: false, remaining: 0, reset, source: "fail-closed", error });
    }
    const local = limitLocally(`${prefix}:${identity}`, policy, now);
    return result({ ...local, source: "local-fallback", error });
  };

  const cached = (key: string) => {
    const reset = blocked.get(key);
    if (reset === undefined || reset <= Date.now()) return undefined;
    return result({ success: false, remaining: 0, reset, source: "cache" });
  };

  return {
    policy,
    blocked: (identity) => cached(`${prefix}:${identity}`),
    async limit(identity) {
      if (!redis) return withoutRedis(identity, undefined);
      const key = `${prefix}:${identity}`;
      const known = cached(key);
      if (known) return known;
      if (options.redisDown?.()) return withoutRedis(identity, new Error("Redis is unreachable"));
      const now = Date.now();
      const window = Math.floor(now / windowMs);
      const keys =
        policy.algorithm === "fixed"
          ? [`${key}:${window}`]
          : [`${key}:${window}`, `${key}:${window - 1}`];
      const reset = (window + 1) * windowMs;
      try {
        // Sent before any await, so the breaker's gate issued beside it shares its round trip.
        const [counted, remaining] = (await runScript(redis, RATE_LIMIT_SCRIPT, {
          keyLocking: options.keyLocking ?? false,
          keys,
          args: [policy.limit, windowMs, now],
        })) as [number, number];
        if (counted !== 1) blocked.set(key, reset);
        return result({ success: counted === 1, remaining, reset, source: "redis" });
      } catch (error) {
        return withoutRedis(identity, error);
      }
    },
  };
}
