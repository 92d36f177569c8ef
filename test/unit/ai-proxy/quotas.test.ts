// Budgets and tokens per minute over this run's real Redis (through the Upstash gateway): two
// quota objects stand for two isolates sharing it.
import { randomUUID } from "node:crypto";
import { expect, inject, test } from "vitest";
import type { CallerKey } from "../../../functions/ai-proxy/keys.ts";
import { createQuotas } from "../../../functions/ai-proxy/quotas.ts";
import { createRedis } from "../../../shared/clients/redis.ts";
import { isAppError } from "../../../shared/http/errors.ts";
import { memoryValues, redisValues } from "../../../shared/resilience/values/index.ts";

const redis = redisValues(
  createRedis({ url: inject("upstash").url, token: inject("upstash").token, timeoutMs: 2000 }),
  { keyLocking: true },
);

function isolate(options: { redisDown?: boolean } = {}) {
  const fallback = memoryValues();
  return createQuotas({
    values: redis,
    fallback,
    redisDown: () => options.redisDown ?? false,
    prefix: "quota-test:",
  });
}

const monthStart = (now = new Date()) => Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);

function caller(fields: Partial<CallerKey> = {}): CallerKey {
  return {
    id: `key_${randomUUID()}`,
    requestsPerMinute: 60,
    tokensPerMinute: undefined,
    allowDirectModels: false,
    ...fields,
  };
}

const budget = (usd: number, spentUsd = 0) => ({
  usd,
  period: "month" as const,
  spentUsd,
  periodStart: monthStart(),
});

async function verdict(quota: ReturnType<ReturnType<typeof createQuotas>>, read?: Error) {
  try {
    await quota!.check(read ?? (await redis.read(quota!.keys)));
    return "ok";
  } catch (error) {
    if (isAppError(error)) return `${error.status} ${error.code}`;
    throw error;
  }
}

test("a key is refused budget_exceeded once two isolates' charges reach its budget", async () => {
  const key = caller({ budget: budget(1) });
  const [a, b] = [isolate(), isolate()];
  expect(await verdict(a(key))).toBe("ok");
  await a(key)!.charge({ tokens: 10, costUsd: 0.6 });
  expect(await verdict(b(key))).toBe("ok");
  await b(key)!.charge({ tokens: 10, costUsd: 0.4 });
  expect(await verdict(a(key))).toBe("429 budget_exceeded");
  expect(await verdict(b(key))).toBe("429 budget_exceeded");
});

test("the refusal says when the period ends", async () => {
  const key = caller({ budget: { usd: 1, period: "day", spentUsd: 0, periodStart: 0 } });
  const quota = isolate()(key)!;
  await quota.charge({ tokens: 1, costUsd: 1 });
  let error: unknown;
  try {
    await quota.check(await redis.read(quota.keys));
  } catch (caught) {
    error = caught;
  }
  const now = new Date();
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  const retryAfter = Number(isAppError(error) && error.headers?.["Retry-After"]);
  expect(Math.abs(retryAfter - (midnight - Date.now()) / 1000)).toBeLessThan(5);
});

test("a wiped counter is rebuilt from the spend Postgres gave at the key's lookup", async () => {
  const key = caller({ budget: budget(1, 0.99) });
  expect(await verdict(isolate()(key))).toBe("ok");
  await isolate()(key)!.charge({ tokens: 1, costUsd: 0.02 });
  const [spent] = await redis.read(isolate()(key)!.keys);
  expect(spent).toBe(String(990_000_000 + 20_000_000));
  expect(await verdict(isolate()(key))).toBe("429 budget_exceeded");
});

test("a lookup from the last period counts this one from zero", async () => {
  const key = caller({ budget: { ...budget(1, 5), periodStart: monthStart() - 86_400_000 * 40 } });
  expect(await verdict(isolate()(key))).toBe("ok");
});

test("with Redis unreachable a budgeted key is refused 503 budget_unavailable", async () => {
  const key = caller({ budget: budget(1) });
  expect(await verdict(isolate()(key), new Error("Redis timed out"))).toBe(
    "503 budget_unavailable",
  );
  expect(await verdict(isolate({ redisDown: true })(key))).toBe("503 budget_unavailable");
});

test("tokens per minute: refused once two isolates' charges reach the limit", async () => {
  const key = caller({ tokensPerMinute: 100 });
  const [a, b] = [isolate(), isolate()];
  await a(key)!.charge({ tokens: 60, costUsd: 0 });
  expect(await verdict(b(key))).toBe("ok");
  await b(key)!.charge({ tokens: 40, costUsd: 0 });
  expect(await verdict(a(key))).toBe("429 rate_limited");
});

test("tokens per minute with Redis unreachable are counted in the isolate", async () => {
  const key = caller({ tokensPerMinute: 100 });
  const quotaFor = isolate({ redisDown: true });
  await quotaFor(key)!.charge({ tokens: 100, costUsd: 0 });
  expect(await verdict(quotaFor(key), new Error("down"))).toBe("429 rate_limited");
  expect(await verdict(isolate()(key))).toBe("ok"); // Redis itself never saw them
});

test("a key without a budget or a token limit has no quota to check", () => {
  expect(isolate()(caller())).toBeUndefined();
});
