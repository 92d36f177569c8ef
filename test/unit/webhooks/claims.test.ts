import { createRedis } from "../../../shared/clients/redis.ts";
import { describe, expect, inject, test } from "vitest";
import {
  CLAIM_TIMES,
  type WebhookClaims,
  memoryClaims,
  redisClaims,
} from "../../../shared/webhooks/claims.ts";

const redis = () => createRedis({ ...inject("upstash"), timeoutMs: 2000 });

describe.each<[string, () => WebhookClaims]>([
  ["memory", () => memoryClaims()],
  [
    "redis",
    () =>
      redisClaims({
        redis: redis(),
        prefix: `claims:${crypto.randomUUID()}:`,
        redisDown: () => false,
      }),
  ],
])("%s claims", (_kind, make) => {
  test("the first delivery claims, a concurrent one finds it in flight", async () => {
    const claims = make();
    expect(await claims.claim("evt_1")).toBe("claimed");
    expect(await claims.claim("evt_1")).toBe("in_flight");
  });

  test("after completion a delivery is answered as done", async () => {
    const claims = make();
    await claims.claim("evt_2");
    await claims.complete("evt_2");
    expect(await claims.claim("evt_2")).toBe("done");
  });

  test("a released claim can be taken again by the provider's retry", async () => {
    const claims = make();
    await claims.claim("evt_3");
    await claims.release("evt_3");
    expect(await claims.claim("evt_3")).toBe("claimed");
  });
});

test("an expired processing claim frees the event for the next delivery", async () => {
  let now = 1_000;
  const claims = memoryClaims(CLAIM_TIMES, () => now);
  await claims.claim("evt_4");
  now += CLAIM_TIMES.processingMs;
  expect(await claims.claim("evt_4")).toBe("claimed");
});

test("with Redis known to be down, claims say unknown so Postgres decides", async () => {
  const claims = redisClaims({ redis: redis(), prefix: "down:", redisDown: () => true });
  expect(await claims.claim("evt_5")).toBe("unknown");
});

test("with Redis unreachable, claims say unknown instead of failing", async () => {
  const unreachable = createRedis({ url: "http://127.0.0.1:9", token: "t", timeoutMs: 500 });
  const claims = redisClaims({ redis: unreachable, prefix: "x:", redisDown: () => false });
  expect(await claims.claim("evt_6")).toBe("unknown");
});
