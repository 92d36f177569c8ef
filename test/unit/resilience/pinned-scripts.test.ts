import { Redis as UpstashRedis } from "@upstash/redis";
import IORedis from "ioredis";
import { afterAll, expect, inject, test } from "vitest";
import { KEY_LOCKING_SHEBANG, SCRIPTS } from "../../../shared/resilience/breaker/lua.ts";
import { VALUE_SCRIPTS } from "../../../shared/resilience/values/lua.ts";

// Every script run by its pinned SHA1: the breaker's and the shared values'.
const PINNED = [...Object.values(SCRIPTS), ...Object.values(VALUE_SCRIPTS)];

const redis = new IORedis(inject("redisUrl"));
afterAll(() => redis.quit());

test.each(PINNED)("Redis agrees with the pinned SHA1 of the $name script", async (script) => {
  expect(await redis.script("LOAD", script.source)).toBe(script.sha);
});

test.each(PINNED)(
  "the key-locking SHA1 of the $name script is that of its source behind the shebang",
  async (script) => {
    // Plain Redis 7 refuses the flag, so load it where Upstash's is emulated: the local gateway.
    const upstash = new UpstashRedis({
      url: inject("upstash").url,
      token: inject("upstash").token,
    });
    expect(await upstash.scriptLoad(KEY_LOCKING_SHEBANG + script.source)).toBe(
      script.keyLockingSha,
    );
  },
);
