// The Lua of shared values: budgets (nano-USD per period), tokens per minute, failed
// authentications per address and response-cache entries. A read is one script over every key
// the request needs, sent in the tick of the rate limit and the breaker gate: one round trip.
import type { LuaScript } from "../breaker/lua.ts";

/** Every key's value, `false` (nil) where there is none. */
const READ = `
-- KEYS[1..n] the keys to read
local values = {}
for i, key in ipairs(KEYS) do values[i] = redis.call('GET', key) end
return values
`;

/** Adds to a counter, creating it from a seed first. Returns the new value. */
const CHARGE = `
-- KEYS[1] the counter (an integer string)
-- ARGV[1] amount to add (may be negative: a refund); ARGV[2] value to start from when the
-- counter does not exist (a new period, or a wiped Redis: rebuilt from the durable record)
-- ARGV[3] lifetime of a new counter (ms): only set on creation, so a period's end never moves
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
end
return redis.call('INCRBY', KEYS[1], ARGV[1])
`;

// SHA1s pinned so EVALSHA needs no hashing at run time; test/unit/resilience/pinned-scripts.test.ts
// checks each against Redis.
export const VALUE_SCRIPTS = {
  read: {
    name: "read",
    source: READ,
    sha: "32b12a772c2aad00994e69b12b2df05433c485a5",
    keyLockingSha: "bf123f8b2165040b1addc5804e968a9d4799c8dd",
  },
  charge: {
    name: "charge",
    source: CHARGE,
    sha: "98b8a3260f15f895ee2ba058348f2bcb72fe75ca",
    keyLockingSha: "289dfa27c14af4905b0857c0e4c442c7c3c6f575",
  },
} satisfies Record<string, LuaScript>;
