import type { Redis } from "../clients/redis.ts";
import { createRedis } from "../clients/redis.ts";
import { perEnv } from "../env/per-env.ts";
import { parseEnv } from "../env/schema.ts";
import { logVars, upstashTogether, upstashVars } from "../env/vars.ts";
import { createLogger, type Logger } from "../http/logger.ts";
import { CircuitBreaker } from "./breaker/breaker.ts";
import { type BreakerConfig, breakerConfig } from "./breaker/config.ts";
import { FallbackBreakerStore } from "./breaker/fallback-store.ts";
import { MemoryBreakerStore } from "./breaker/memory-store.ts";
import { RedisBreakerStore } from "./breaker/redis-store.ts";
import type { BreakerStore } from "./breaker/store.ts";

/**
 * Redis calls on the request path wait at most this long: a slow Redis costs a request 150 ms,
 * once, before Redis's own breaker sends the isolate to memory.
 */
export const REDIS_TIMEOUT_MS = 150;

/**
 * How long an isolate may hold its breakers' plain successes before they reach Redis: they go
 * with its next gate of the same breaker (that request's one round trip) or after this long,
 * whichever is first, so a success costs no round trip of its own. The staleness this allows:
 * for at most this long, other isolates see this one's failures but not its successes, so a
 * breaker may open a little early (a failure rate or run of consecutive failures that a held
 * success would have diluted or broken), never late; failures and probes are never held.
 */
export const SUCCESS_FLUSH_MS = 1_000;

/** Where breaker state lives right now, as health reports it. */
export type StateMode = "redis" | "memory (Redis unreachable)" | "memory (Upstash not configured)";

/** One isolate's shared resilience state: the breaker store and the breakers built on it. */
export interface ResilienceState {
  /** The Upstash client, when configured (also for rate limits and health's PING). */
  redis: Redis | undefined;
  /** Whether scripts carry Upstash's key-locking flag (for rate limits and values too). */
  keyLocking: boolean;
  breakers: BreakerStore;
  mode(): StateMode;
  /** True while Redis's own breaker is open: skip Redis, use the in-isolate fallbacks. */
  redisDown(): boolean;
  /** The breaker guarding `name` (one per upstream), built once per isolate. */
  breaker(name: string, overrides?: Partial<BreakerConfig>): CircuitBreaker;
}

export interface ResilienceStateOptions {
  redis: Redis | undefined;
  /** One prefix per deployment. */
  keyPrefix: string;
  /** Upstash's `#!lua flags=allow-key-locking`; off only for a plain Redis behind a proxy. */
  keyLocking: boolean;
  log: Logger;
}

/**
 * Breakers in Redis with a memory fallback when Upstash is configured, else in isolate memory
 * (the embedded default, right for one local instance).
 */
export function createResilienceState(options: ResilienceStateOptions): ResilienceState {
  const { redis, log } = options;
  const fallback = redis
    ? new FallbackBreakerStore(
        new RedisBreakerStore({ redis, prefix: options.keyPrefix, keyLocking: options.keyLocking }),
        { log },
      )
    : undefined;
  const breakers = fallback ?? new MemoryBreakerStore();
  const built = new Map<string, CircuitBreaker>();
  return {
    redis,
    keyLocking: options.keyLocking,
    breakers,
    redisDown: () => fallback?.redisDown ?? false,
    mode: () =>
      !fallback
        ? "memory (Upstash not configured)"
        : fallback.mode === "redis"
          ? "redis"
          : "memory (Redis unreachable)",
    breaker(name, overrides) {
      let breaker = built.get(name);
      if (!breaker) {
        breaker = new CircuitBreaker({
          name,
          config: breakerConfig(overrides),
          store: breakers,
          log,
          // Only Redis costs a round trip per report; memory is told at once.
          ...(redis ? { successFlushMs: SUCCESS_FLUSH_MS } : {}),
        });
        built.set(name, breaker);
      }
      return breaker;
    },
  };
}

const stateEnv = { ...upstashVars, ...logVars };

/**
 * The isolate's resilience state from its env bindings, built once per isolate and shared by
 * every function in it, so an all-in-one worker has one breaker per upstream, not one per function.
 */
export const resilienceState = perEnv((source): ResilienceState => {
  const env = parseEnv(stateEnv, source, { together: upstashTogether });
  const redis =
    env.UPSTASH_REDIS_REST_URL && env.UPSTASH_REDIS_REST_TOKEN
      ? createRedis({
          url: env.UPSTASH_REDIS_REST_URL,
          token: env.UPSTASH_REDIS_REST_TOKEN,
          timeoutMs: REDIS_TIMEOUT_MS,
        })
      : undefined;
  return createResilienceState({
    redis,
    keyPrefix: env.STATE_KEY_PREFIX,
    keyLocking: env.UPSTASH_LUA_KEY_LOCKING === "true",
    log: createLogger({ fn: "resilience", level: env.LOG_LEVEL }),
  });
});
