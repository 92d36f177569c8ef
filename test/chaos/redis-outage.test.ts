import IORedis from "ioredis";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type RedisServer, startRedis } from "../../dev/services/redis.ts";
import { type UpstashGateway, startUpstashGateway } from "../../dev/upstash-gateway/index.ts";
import { sendStripe, stripeEvent } from "../e2e/webhook-stack.ts";
import {
  type ChaosStack,
  chat,
  getJson,
  loadUntil,
  ms,
  pollFor,
  quantile,
  sleep,
  startChaosStack,
} from "./stack.ts";

const OPENAI = "openai:gpt-4o-mini";
const ANTHROPIC = "anthropic:claude-3-5-haiku-latest";
const OUTAGE_MS = 3000;
// Redis's own breaker lets a trial through 5 s after it opened (shared/resilience/breaker/
// fallback-store.ts); with jitter and scheduling, resynchronisation is given up to 10 s.
const RESYNC_WITHIN_MS = 10_000;

// A private Redis: this scenario stops it; the run's shared one is left alone.
let redis: RedisServer;
let gateway: UpstashGateway;
let admin: IORedis;
let ai: ChaosStack;

beforeAll(async () => {
  redis = await startRedis();
  gateway = await startUpstashGateway({ redisUrl: redis.url, token: "chaos-redis" });
  // Reconnects by itself after the restart; its errors during the outage are expected.
  admin = new IORedis(redis.url, { maxRetriesPerRequest: 1, retryStrategy: () => 100 });
  admin.on("error", () => {});
  ai = await startChaosStack({
    routes: { chain: [OPENAI, ANTHROPIC] },
    upstash: { url: gateway.url, token: "chaos-redis" },
  });
}, 60_000);
afterAll(async () => {
  await ai?.close();
  admin?.disconnect();
  await gateway?.close();
  await redis?.stop();
});

interface Outcome {
  kind: "ai" | "webhook";
  at: number;
  ms: number;
  status: number;
  eventId?: string;
  duplicate?: boolean;
}

test("Redis stopped mid-run, then restarted: no request fails, and state goes back to Redis", async () => {
  const base = ai.worker.url;
  const marks = { stop: 0, start: 0, resync: 0 };
  const healthDuring: { status?: string; state?: string } = {};

  // The chaos itself, while the load runs: Redis up, stopped, restarted, until health says the
  // breakers are back in Redis, then a little more load on the recovered state.
  const script = (async () => {
    await sleep(1000);
    marks.stop = performance.now();
    await redis.stop();
    await sleep(OUTAGE_MS / 2);
    Object.assign(healthDuring, await getJson(`${base}/health`));
    await sleep(OUTAGE_MS / 2);
    marks.start = performance.now();
    await redis.start();
    await pollFor(
      "breaker state back in Redis",
      async () => ((await getJson(`${base}/health`)).state === "redis" ? true : undefined),
      RESYNC_WITHIN_MS,
      200,
    );
    marks.resync = performance.now();
    await sleep(500);
  })();

  const outcomes = await loadUntil(6, script, async (i): Promise<Outcome> => {
    const at = performance.now();
    if (i % 2 === 0) {
      const r = await chat(base, "chain", `redis ${i}`);
      return { kind: "ai", at, ms: r.ms, status: r.status };
    }
    const event = stripeEvent("payment_intent.succeeded", {
      id: `pi_redis_${i}_${crypto.randomUUID().slice(0, 8)}`,
      object: "payment_intent",
      amount: 700,
      currency: "eur",
      status: "succeeded",
    });
    const res = await sendStripe(ai.worker, JSON.stringify(event)).catch(() => undefined);
    const body = (await res?.json().catch(() => undefined)) as { duplicate?: boolean } | undefined;
    return {
      kind: "webhook",
      at,
      ms: performance.now() - at,
      status: res?.status ?? 0,
      eventId: event.id,
      ...(body ? { duplicate: body.duplicate === true } : {}),
    };
  });

  // After recovery, a breaker that opens is opened in Redis, where every isolate sees it.
  ai.proxies.openai.decide(() => ({
    status: 500,
    json: { error: { message: "server error", type: "server_error" } },
  }));
  for (let i = 0; i < 5; i++) await chat(base, "chain", `trip ${i}`);
  const inRedis = await pollFor(
    "openai breaker open in Redis",
    async () => ((await admin.hget(`${ai.keyPrefix}cb:openai`, "st")) === "1" ? true : undefined),
    3000,
  );
  const breakers = await getJson(`${base}/health/breakers`);
  // Rate limits count in Redis again too (it came back empty: these keys are new).
  const limitKeys = (await admin.keys(`${ai.keyPrefix}rl:*`)).length;
  const openaiBreaker = breakers.breakers.find((b: { name: string }) => b.name === "openai");

  const outage = outcomes.filter((o) => o.at >= marks.stop && o.at < marks.resync);
  const failed = outcomes.filter((o) => o.status !== 200);
  const webhooks = outcomes.filter((o) => o.kind === "webhook" && o.status === 200);
  const ids = webhooks.map((o) => o.eventId!);
  const { rows } = await ai.db.query(
    "select event_id, count(*)::int as n from webhook_events where event_id = any($1) group by event_id",
    [ids],
  );
  const recordedOnce = rows.filter((r) => r.n === 1).length;
  const count = (list: Outcome[], kind: Outcome["kind"]) =>
    list.filter((o) => o.kind === kind).length;
  console.log(
    `chaos: Redis stopped ${ms(marks.start - marks.stop)}, then restarted → ` +
      `${outcomes.length - failed.length}/${outcomes.length} requests succeeded ` +
      `(${count(outage, "ai")} AI + ${count(outage, "webhook")} webhook during the outage, p99 ` +
      `${ms(
        quantile(
          outage.map((o) => o.ms),
          0.99,
        ),
      )}; health then ${healthDuring.status}, "${healthDuring.state}"); ` +
      `state back in Redis ${ms(marks.resync - marks.start)} after the restart; ` +
      `${recordedOnce}/${ids.length} webhook events recorded exactly once; ` +
      `${limitKeys} rate-limit keys back in Redis; breaker opened after recovery: Redis st=${inRedis ? "open" : "?"}, /health/breakers ${breakers.state}/${openaiBreaker?.state}`,
  );
  if (failed.length > 0) console.log("chaos: failed requests", failed.slice(0, 5));

  expect(failed).toEqual([]);
  expect(count(outage, "ai")).toBeGreaterThan(0);
  expect(count(outage, "webhook")).toBeGreaterThan(0);
  expect(healthDuring).toMatchObject({ status: "degraded", state: "memory (Redis unreachable)" });
  expect(recordedOnce).toBe(ids.length);
  expect(webhooks.every((o) => o.duplicate === false)).toBe(true);
  expect(limitKeys).toBeGreaterThan(0);
  expect(breakers.state).toBe("redis");
  expect(openaiBreaker?.state).toBe("open");
}, 90_000);
