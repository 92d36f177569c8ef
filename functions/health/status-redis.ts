import { type Redis, pairs } from "../../shared/clients/redis.ts";
import { statsFrom } from "../../shared/resilience/breaker/redis-store.ts";
import type { BreakerStats } from "../../shared/resilience/breaker/store.ts";

// Read-only, so it runs with EVAL_RO and never contends with the breakers' writes. It reads the
// breaker hashes the index names, which are not in KEYS: fine on one Redis and on Upstash without
// `allow-key-locking` (the flag the breakers' own scripts use). Sent as source each time: the
// page is rare, and EVAL needs no NOSCRIPT retry, so it stays one round trip.
//   KEYS[1]   the breaker index (a set of names)     ARGV[1]  the prefix of a breaker's hash
//   KEYS[2..] the hourly counter hashes, oldest first
const STATUS_SCRIPT = `
local names = redis.call('SMEMBERS', KEYS[1])
local breakers = {}
for i, name in ipairs(names) do
  breakers[i] = {name, redis.call('HGETALL', ARGV[1] .. name)}
end
local counts = {}
for i = 2, #KEYS do counts[i - 1] = redis.call('HGETALL', KEYS[i]) end
return {breakers, counts}
`;

export interface RedisStatus {
  breakers: BreakerStats[];
  /** Per hour, in the order asked: field → count. */
  counts: Record<string, number>[];
}

/** Every breaker's stats and the hourly counters in one Redis round trip. */
export async function readRedisStatus(options: {
  redis: Redis;
  prefix: string;
  counterKeys: string[];
  now: number;
}): Promise<RedisStatus> {
  const { redis, prefix, now } = options;
  const keys = [`${prefix}cb:index`, ...options.counterKeys];
  const [breakers, counts] = (await redis.send([
    "EVAL_RO",
    STATUS_SCRIPT,
    keys.length,
    ...keys,
    `${prefix}cb:`,
  ])) as [[unknown, unknown[]][], unknown[][]];
  return {
    breakers: breakers
      .filter(([, hash]) => hash.length > 0) // expired since the index named it
      .map(([name, hash]) => statsFrom(String(name), pairs(hash), now))
      .sort((a, b) => a.name.localeCompare(b.name)),
    counts: counts.map((flat) =>
      Object.fromEntries(Object.entries(pairs(flat)).map(([k, v]) => [k, Number(v)])),
    ),
  };
}
