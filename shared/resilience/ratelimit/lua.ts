// The rate limit's Lua: one atomic read-decide-count on an identity's window keys. Time comes
// from the caller (ARGV), as in the breaker's scripts.
import type { LuaScript } from "../breaker/lua.ts";

/**
 * Counts one request unless the window is full; a refused request is not counted. A sliding
 * window is approximated from two fixed ones: the current one's count plus the previous one's,
 * weighted by how much of it still overlaps the last `window` ms. A fixed window has no previous
 * key. Returns {counted (1/0), remaining after counting}.
 */
const LIMIT = `
-- KEYS[1] the current window's count; KEYS[2] the previous window's (sliding windows only)
-- ARGV[1] limit; ARGV[2] window (ms); ARGV[3] now (ms)
local limit, window, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local current = tonumber(redis.call('GET', KEYS[1]) or 0)
local carried = 0
if KEYS[2] then
  carried = math.floor(tonumber(redis.call('GET', KEYS[2]) or 0) * (1 - (now % window) / window))
end
if current + carried >= limit then return {0, 0} end
current = redis.call('INCR', KEYS[1])
-- Kept while it is the previous window of the next one, and a second more.
if current == 1 then redis.call('PEXPIRE', KEYS[1], window * 2 + 1000) end
return {1, limit - current - carried}
`;

// SHA1s pinned so EVALSHA needs no hashing at run time; test/unit/resilience/pinned-scripts.test.ts
// checks each against Redis.
export const RATE_LIMIT_SCRIPT = {
  name: "limit",
  source: LIMIT,
  sha: "2be7cec2808ecc852a6343d594ed1625414c36d7",
  keyLockingSha: "f0ed9b55149b874abdbf1f0861f5968e48588312",
} satisfies LuaScript;
