import type { Redis } from "../../clients/redis.ts";
import { BoundedMap } from "../../bounded-map.ts";
import { type LuaScript, runScript } from "../breaker/lua.ts";
import { VALUE_SCRIPTS } from "./lua.ts";

/** How a counter is created when a charge finds it missing. */
export interface NewCounter {
  /** The value to start from (a budget's spend so far from Postgres; 0 for a fresh window). */
  seed: number;
  /** How long the counter lives (its period or window, and a margin). */
  ttlMs: number;
}

/**
 * Small values every isolate shares: integer counters (budgets, tokens per minute, failed
 * authentications) and response-cache entries. A `read` issued in the same tick as the rate
 * limit and the breaker gate shares their round trip; charges and puts run after the response.
 */
export interface ValueStore {
  /** The values of `keys` as stored, `null` where there is none. Issue it before any await. */
  read(keys: readonly string[]): Promise<(string | null)[]>;
  /** Adds `amount` to a counter (created from `created.seed` first); the new value. */
  charge(key: string, amount: number, created: NewCounter): Promise<number>;
  /** Stores `value` under `key` for `ttlMs`. */
  put(key: string, value: string, ttlMs: number): Promise<void>;
}

/** Values in Redis; failures reach the caller, which decides what they mean. */
export function redisValues(redis: Redis, options: { keyLocking: boolean }): ValueStore {
  const run = (script: LuaScript, keys: readonly string[], args: readonly (string | number)[]) =>
    runScript(redis, script, { keyLocking: options.keyLocking, keys, args });
  return {
    async read(keys) {
      const values = (await run(VALUE_SCRIPTS.read, keys, [])) as (string | null)[];
      // Lua's table ends at its first nil: the keys after it are missing too.
      return keys.map((_, i) => values[i] ?? null);
    },
    async charge(key, amount, created) {
      const argv = [amount, created.seed, created.ttlMs].map((n) => String(Math.trunc(n)));
      return Number(await run(VALUE_SCRIPTS.charge, [key], argv));
    },
    async put(key, value, ttlMs) {
      await redis.send(["SET", key, value, "PX", ttlMs]);
    },
  };
}

/**
 * The same values in this isolate's memory: right for one instance (no Upstash configured), and
 * the per-isolate fallback for a control that may run on while Redis is unreachable.
 */
export function memoryValues(capacity = 10_000): ValueStore {
  const values = new BoundedMap<string, { value: string; until: number }>(capacity);
  const live = (key: string, now: number) => {
    const entry = values.get(key);
    return entry && entry.until > now ? entry : undefined;
  };
  return {
    async read(keys) {
      const now = Date.now();
      return keys.map((key) => live(key, now)?.value ?? null);
    },
    async charge(key, amount, created) {
      const now = Date.now();
      const entry = live(key, now) ?? { value: String(created.seed), until: now + created.ttlMs };
      entry.value = String(Number(entry.value) + Math.trunc(amount));
      values.set(key, entry);
      return Number(entry.value);
    },
    async put(key, value, ttlMs) {
      values.set(key, { value, until: Date.now() + ttlMs });
    },
  };
}
