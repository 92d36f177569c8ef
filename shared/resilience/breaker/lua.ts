// The breaker's Lua scripts: the only code that changes breaker state in Redis. Each runs
// atomically on its own keys. Time always comes from the caller (ARGV) and is clamped to the
// largest time already stored (`maxNow`), so it never runs backwards across isolates.
//
// Hash fields of KEYS[1]: st (0 closed, 1 open, 2 half-open), gen (bumped on every transition),
// consec (consecutive failures), trips (consecutive opens), openUntil, changed (last transition),
// lastFail, lastOk, maxNow, hoOk (half-open successes), win (window ms), since (first open of the
// current outage, 0 when closed), and the rolling window's
// ten slots s<i>e (slot epoch), s<i>ok, s<i>f.
import { type Redis, RedisReplyError } from "../../clients/redis.ts";

/** Admission. Returns {decision (0 reject, 1 allow, 2 probe), state, gen, retryAt}. */
const GATE = `
-- KEYS[1] breaker hash; KEYS[2] probe leases (sorted set: lease id scored by expiry, ms)
-- ARGV[1] now (ms); ARGV[2] lease id; ARGV[3] half-open max calls; ARGV[4] probe lease (ms)
local h = redis.call('HMGET', KEYS[1], 'st', 'gen', 'openUntil', 'maxNow')
local st, gen = tonumber(h[1]) or 0, tonumber(h[2]) or 0
if st == 0 then return {1, 0, gen, 0} end
local now = math.max(tonumber(ARGV[1]), tonumber(h[4]) or 0)
if st == 1 then
  local openUntil = tonumber(h[3]) or 0
  if now < openUntil then return {0, 1, gen, openUntil} end
  gen = gen + 1
  redis.call('HSET', KEYS[1], 'st', 2, 'gen', gen, 'changed', now, 'maxNow', now, 'consec', 0, 'hoOk', 0)
  redis.call('DEL', KEYS[2])
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[2]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[4]), ARGV[2])
  redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[4]))
  return {2, 2, gen, 0}
end
local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
return {0, 2, gen, tonumber(first[2])}
`;

/** Outcome of one call. Returns {state, gen, openUntil, transition (0 none, 1 opened, 2 closed, 3 reopened), stale}. */
const RECORD = `
-- KEYS[1] breaker hash; KEYS[2] probe leases; KEYS[3] index of breaker names (set)
-- ARGV[1] now (ms); ARGV[2] generation the call was admitted under; ARGV[3] failed (1/0)
-- ARGV[4] probe lease id ('' when not a probe); ARGV[5] failure threshold (consecutive)
-- ARGV[6] failure-rate threshold (0 = off); ARGV[7] minimum calls for the rate; ARGV[8] window ms
-- ARGV[9] success threshold; ARGV[10] reset timeout ms; ARGV[11] max reset timeout ms
-- ARGV[12] jitter factor of the open period; ARGV[13] breaker name; ARGV[14] key TTL ms
-- ARGV[15] calls this outcome stands for (successes reported together)
local f = redis.call('HMGET', KEYS[1], 'st', 'gen', 'consec', 'trips', 'openUntil', 'maxNow', 'hoOk')
local st, gen = tonumber(f[1]) or 0, tonumber(f[2]) or 0
local openUntil = tonumber(f[5]) or 0
if tonumber(ARGV[2]) ~= gen then return {st, gen, openUntil, 0, 1} end
local now = math.max(tonumber(ARGV[1]), tonumber(f[6]) or 0)
local failed = ARGV[3] == '1'
local win = tonumber(ARGV[8])
local slotMs = math.max(1, math.floor(win / 10))
local epoch = math.floor(now / slotMs)
local i = epoch % 10
local count = failed and 's' .. i .. 'f' or 's' .. i .. 'ok'
if tonumber(redis.call('HGET', KEYS[1], 's' .. i .. 'e')) ~= epoch then
  redis.call('HSET', KEYS[1], 's' .. i .. 'e', epoch, 's' .. i .. 'ok', 0, 's' .. i .. 'f', 0)
end
redis.call('HINCRBY', KEYS[1], count, tonumber(ARGV[15]) or 1)
redis.call('HSET', KEYS[1], failed and 'lastFail' or 'lastOk', now, 'maxNow', now, 'win', win)
redis.call('SADD', KEYS[3], ARGV[13])

local function open(trips)
  local period = math.min(tonumber(ARGV[11]), tonumber(ARGV[10]) * 2 ^ (trips - 1) * tonumber(ARGV[12]))
  openUntil = now + math.floor(period + 0.5)
  gen = gen + 1
  redis.call('HSET', KEYS[1], 'st', 1, 'gen', gen, 'trips', trips, 'openUntil', openUntil,
    'changed', now, 'consec', 0, 'hoOk', 0)
  if trips == 1 then redis.call('HSET', KEYS[1], 'since', now) end
  redis.call('DEL', KEYS[2])
end

local transition = 0
if st == 0 then
  local consec = failed and (tonumber(f[3]) or 0) + 1 or 0
  local trip = consec >= tonumber(ARGV[5])
  if not trip and tonumber(ARGV[6]) > 0 then
    local ok, bad = 0, 0
    for s = 0, 9 do
      local v = redis.call('HMGET', KEYS[1], 's' .. s .. 'e', 's' .. s .. 'ok', 's' .. s .. 'f')
      if (tonumber(v[1]) or -1e18) > epoch - 10 then
        ok, bad = ok + (tonumber(v[2]) or 0), bad + (tonumber(v[3]) or 0)
      end
    end
    trip = ok + bad >= tonumber(ARGV[7]) and bad / (ok + bad) >= tonumber(ARGV[6])
  end
  if trip then
    open((tonumber(f[4]) or 0) + 1)
    st, transition = 1, 1
  else
    redis.call('HSET', KEYS[1], 'consec', consec)
  end
elseif st == 2 then
  if ARGV[4] ~= '' then redis.call('ZREM', KEYS[2], ARGV[4]) end
  if failed then
    open((tonumber(f[4]) or 0) + 1)
    st, transition = 1, 3
  elseif (tonumber(f[7]) or 0) + 1 >= tonumber(ARGV[9]) then
    gen = gen + 1
    redis.call('HSET', KEYS[1], 'st', 0, 'gen', gen, 'trips', 0, 'changed', now, 'consec', 0, 'hoOk', 0,
      'since', 0)
    for s = 0, 9 do redis.call('HDEL', KEYS[1], 's' .. s .. 'e', 's' .. s .. 'ok', 's' .. s .. 'f') end
    redis.call('DEL', KEYS[2])
    st, transition = 0, 2
  else
    redis.call('HINCRBY', KEYS[1], 'hoOk', 1)
  end
end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[14]))
redis.call('PEXPIRE', KEYS[3], tonumber(ARGV[14]))
return {st, gen, openUntil, transition, 0}
`;

/** Open → half-open now. Returns 1 when moved, 0 when the breaker was not open. */
const HALF_OPEN = `
-- KEYS[1] breaker hash; KEYS[2] probe leases
-- ARGV[1] now (ms)
local h = redis.call('HMGET', KEYS[1], 'st', 'gen', 'maxNow')
if tonumber(h[1]) ~= 1 then return 0 end
local now = math.max(tonumber(ARGV[1]), tonumber(h[3]) or 0)
redis.call('HSET', KEYS[1], 'st', 2, 'gen', (tonumber(h[2]) or 0) + 1, 'changed', now,
  'maxNow', now, 'consec', 0, 'hoOk', 0)
redis.call('DEL', KEYS[2])
return 1
`;

/** A script with its SHA1s pinned: plain, and with Upstash's key-locking shebang line. */
export interface LuaScript {
  name: string;
  source: string;
  sha: string;
  keyLockingSha: string;
}

/** The shebang that makes Upstash lock only the script's own keys; plain Redis 7 rejects it. */
export const KEY_LOCKING_SHEBANG = "#!lua flags=allow-key-locking";

/** EVALSHA with the pinned SHA; EVAL with the source once Redis says NOSCRIPT. */
export async function runScript(
  redis: Redis,
  script: LuaScript,
  call: { keyLocking: boolean; keys: readonly string[]; args: readonly (string | number)[] },
): Promise<unknown> {
  const { keys, args } = call;
  try {
    const sha = call.keyLocking ? script.keyLockingSha : script.sha;
    return await redis.send(["EVALSHA", sha, keys.length, ...keys, ...args]);
  } catch (error) {
    if (!(error instanceof RedisReplyError && error.message.startsWith("NOSCRIPT"))) throw error;
    const source = call.keyLocking ? KEY_LOCKING_SHEBANG + script.source : script.source;
    return redis.send(["EVAL", source, keys.length, ...keys, ...args]);
  }
}

// SHA1s pinned so EVALSHA needs no hashing at run time; test/unit/resilience/pinned-scripts.test.ts
// checks each against Redis.
export const SCRIPTS = {
  gate: {
    name: "gate",
    source: GATE,
    sha: "f391e5019dacd5843df9d937daff0dec4aaa0388",
    keyLockingSha: "eb6492ad5d30ba38b1f3daff61e24be06de64c20",
  },
  record: {
    name: "record",
    source: RECORD,
    sha: "06244230f85613e16640724cb1de3de5a4efd774",
    keyLockingSha: "41d0626277c738c5f464c4d0c8dfb0835f15f11a",
  },
  halfOpen: {
    name: "halfOpen",
    source: HALF_OPEN,
    sha: "dc9de58dc5f441d7abb2845b16c41552959579c7",
    keyLockingSha: "428c40edd9964fa330bb6f03b3187f1c2f31e661",
  },
} satisfies Record<string, LuaScript>;
