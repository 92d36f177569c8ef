import type { Redis } from "../clients/redis.ts";
import { BoundedMap } from "../bounded-map.ts";

/**
 * A delivery's standing before it reaches Postgres: `claimed` (ours to process), `done` (already
 * applied: answer duplicate), `in_flight` (another delivery is processing it: answer 409 so the
 * provider retries), or `unknown` (Redis unreachable: let Postgres's unique constraint decide).
 */
export type ClaimStatus = "claimed" | "done" | "in_flight" | "unknown";

/**
 * The fast path of webhook deduplication. Never the authority (Postgres's unique constraint is),
 * only a way to keep concurrent duplicates from all reaching Postgres.
 */
export interface WebhookClaims {
  claim(key: string): Promise<ClaimStatus>;
  /** The effect is durable: later duplicates are answered without Postgres. */
  complete(key: string): Promise<void>;
  /** Processing failed: let the provider's retry proceed at once. */
  release(key: string): Promise<void>;
}

export interface ClaimTimes {
  /** How long a claim blocks duplicates if its holder dies before completing or releasing. */
  processingMs: number;
  /** How long the done marker answers duplicates without Postgres. */
  doneMs: number;
}

export const CLAIM_TIMES: ClaimTimes = { processingMs: 30_000, doneMs: 24 * 3600_000 };

const DONE = "done";

/** Claims in Redis, one command each: `SET NX GET` both claims and tells who holds it. */
export function redisClaims(
  options: { redis: Redis; prefix: string; redisDown: () => boolean },
  times = CLAIM_TIMES,
): WebhookClaims {
  const { redis, redisDown } = options;
  const keyOf = (key: string) => `${options.prefix}wh:${key}`;
  return {
    async claim(key) {
      if (redisDown()) return "unknown";
      try {
        const previous = await redis.send([
          "SET",
          keyOf(key),
          "processing",
          "NX",
          "GET",
          "PX",
          times.processingMs,
        ]);
        return previous === null ? "claimed" : previous === DONE ? "done" : "in_flight";
      } catch {
        return "unknown";
      }
    },
    async complete(key) {
      await redis.send(["SET", keyOf(key), DONE, "PX", times.doneMs]);
    },
    // A plain DEL: if our claim had already expired and another delivery holds the key, that
    // delivery loses its claim and its duplicates reach Postgres, which still applies one effect.
    async release(key) {
      await redis.send(["DEL", keyOf(key)]);
    },
  };
}

/** The same semantics in this isolate's memory: the embedded default without Upstash. */
export function memoryClaims(times = CLAIM_TIMES, now = Date.now): WebhookClaims {
  // Bounded: losing an old marker only sends a late duplicate on to Postgres, which dedupes.
  const entries = new BoundedMap<string, { value: string; expires: number }>(100_000);
  const live = (key: string) => {
    const entry = entries.get(key);
    if (entry && entry.expires <= now()) entries.delete(key);
    return entries.get(key);
  };
  return {
    async claim(key) {
      const entry = live(key);
      if (entry) return entry.value === DONE ? "done" : "in_flight";
      entries.set(key, { value: "processing", expires: now() + times.processingMs });
      return "claimed";
    },
    async complete(key) {
      entries.set(key, { value: DONE, expires: now() + times.doneMs });
    },
    async release(key) {
      entries.delete(key);
    },
  };
}

/** The deployment's claims: in Redis when Upstash is configured, else in this isolate's memory. */
export function claimsFor(
  state: { redis: Redis | undefined; redisDown: () => boolean },
  prefix: string,
): WebhookClaims {
  return state.redis
    ? redisClaims({ redis: state.redis, prefix, redisDown: state.redisDown })
    : memoryClaims();
}
