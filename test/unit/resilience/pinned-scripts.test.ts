import IORedis from "ioredis";
import { afterAll, expect, inject, test } from "vitest";
import { createRedis } from "../../../shared/clients/redis.ts";
import { KEY_LOCKING_SHEBANG, SCRIPTS } from "../../../shared/resilience/breaker/lua.ts";
import { RATE_LIMIT_SCRIPT } from "../../../shared/resilience/ratelimit/lua.ts";
import { VALUE_SCRIPTS } from "../../../shared/resilience/values/lua.ts";

// Every script run by its pinned SHA1: the breaker's, the shared values' and the rate limit's.
const PINNED = [...Object.values(SCRIPTS), ...Object.values(VALUE_SCRIPTS), RATE_LIMIT_SCRIPT];

const redis = new IORedis(inject("redisUrl"));
afterAll(() => redis.quit());

test.each(PINNED)("Redis agrees with the pinned SHA1 of the $name script", async (script) => {
  expect(await redis.script("LOAD", script.source)).toBe(script.sha);
});

test.each(PINNED)(
  "the key-locking SHA1 of the $name script is that of its source behind the shebang",
  async (script) => {
    // Plain Redis 7 refuses the flag, so load it where Upstash's is emulated: the local gateway.
    const upstash = createRedis({ ...inject("upstash"), timeoutMs: 2000 });
    expect(await upstash.send(["SCRIPT", "LOAD", KEY_LOCKING_SHEBANG + script.source])).toBe(
      script.keyLockingSha,
    );
  },
);
