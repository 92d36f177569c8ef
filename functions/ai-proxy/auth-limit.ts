import { BoundedMap } from "../../shared/bounded-map.ts";
import type { Logger } from "../../shared/http/logger.ts";
import { rateLimitError } from "../../shared/resilience/ratelimit/index.ts";
import type { ValueStore } from "../../shared/resilience/values/index.ts";

export interface AuthLimitOptions {
  /** The deployment's shared values (Redis), or memory when Upstash is not configured. */
  values: ValueStore;
  /** Counts in this isolate while Redis is unreachable. */
  fallback: ValueStore;
  redisDown: () => boolean;
  prefix: string;
  /** AI_AUTH_FAILURES_PER_MINUTE: key lookups that may fail per address per minute. */
  perMinute: number;
  log: Logger;
}

const WINDOW_MS = 60_000;

/**
 * Limits what unknown keys cost: each Postgres key lookup first reserves one of the address's
 * failures for this minute, in one atomic Redis count shared by the fleet; a lookup that finds
 * the key gives its reservation back. So an address makes at most `perMinute` failing lookups a
 * minute across every isolate, and once one isolate has seen the count run out it refuses that
 * address without asking Redis until the minute ends.
 */
export function createAuthLimit(options: AuthLimitOptions) {
  const blockedUntil = new BoundedMap<string, number>(10_000);
  const refused = (until: number, now: number) =>
    rateLimitError(
      {
        success: false,
        policy: "auth-failures",
        limit: options.perMinute,
        windowSec: WINDOW_MS / 1000,
        remaining: 0,
        reset: until,
        source: "redis",
      },
      now,
    );

  return {
    /**
     * Reserves a lookup for `address`, or throws 429. Returns the refund to run (after the
     * response) when the lookup finds a key.
     */
    async reserve(address: string): Promise<() => Promise<unknown>> {
      const now = Date.now();
      const until = blockedUntil.get(address);
      if (until !== undefined && until > now) throw refused(until, now);
      const windowEnd = (Math.floor(now / WINDOW_MS) + 1) * WINDOW_MS;
      const key = `${options.prefix}authfail:${address}:${windowEnd}`;
      const created = { seed: 0, ttlMs: windowEnd - now + 1000 };
      let store = options.redisDown() ? options.fallback : options.values;
      let count: number;
      try {
        count = await store.charge(key, 1, created);
      } catch (error) {
        // Fail open, per isolate: an address may then also make `perMinute` failing lookups a
        // minute in each isolate that cannot reach Redis, rather than every new key failing.
        options.log.warn("failed-auth count decided without Redis", { error });
        store = options.fallback;
        count = await store.charge(key, 1, created);
      }
      if (count > options.perMinute) {
        blockedUntil.set(address, windowEnd);
        throw refused(windowEnd, now);
      }
      return () => store.charge(key, -1, created);
    },
  };
}
