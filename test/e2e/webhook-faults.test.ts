import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type PostgresServer, startPostgres } from "../../dev/services/postgres.ts";
import { type RedisServer, startRedis } from "../../dev/services/redis.ts";
import { type UpstashGateway, startUpstashGateway } from "../../dev/upstash-gateway/index.ts";
import { type WebhookStack, sendStripe, startWebhookStack, stripeEvent } from "./webhook-stack.ts";

// Private PostgreSQL and Redis, stopped mid-run; the run's shared ones are left alone.
const dataDir = mkdtempSync(`${tmpdir()}/breakwater-faults-`);
chmodSync(dataDir, 0o755);
let postgres: PostgresServer;
let redis: RedisServer;
let gateway: UpstashGateway;
let stack: WebhookStack;

beforeAll(async () => {
  postgres = await startPostgres({ dataDir: `${dataDir}/data` });
  redis = await startRedis();
  gateway = await startUpstashGateway({ redisUrl: redis.url, token: "faults" });
  stack = await startWebhookStack({
    postgresAdminUrl: postgres.url,
    upstash: { url: gateway.url, token: "faults" },
  });
}, 60_000);
afterAll(async () => {
  await stack?.close();
  await gateway?.close();
  await redis?.stop();
  await postgres?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const paymentEvent = () => {
  const id = `pi_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  return stripeEvent("payment_intent.succeeded", {
    id,
    object: "payment_intent",
    amount: 500,
    currency: "eur",
    status: "succeeded",
  });
};

/** Stripe's behaviour: redeliver until acknowledged (bounded here). */
async function deliverUntilAcknowledged(payload: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if ((await sendStripe(stack.worker, payload)).status === 200) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("never acknowledged");
}

test("PostgreSQL stopped mid-run: 503s, then redelivering every event applies each exactly once", async () => {
  const events = Array.from({ length: 30 }, paymentEvent);
  const payloads = events.map((e) => JSON.stringify(e));
  for (const payload of payloads.slice(0, 10))
    expect((await sendStripe(stack.worker, payload)).status).toBe(200);

  await postgres.stop();
  const during: { status: number; ms: number }[] = [];
  for (const payload of payloads.slice(10, 20)) {
    const started = performance.now();
    const res = await sendStripe(stack.worker, payload);
    during.push({ status: res.status, ms: performance.now() - started });
  }
  expect(during.every((d) => d.status === 503)).toBe(true);
  expect(Math.max(...during.map((d) => d.ms))).toBeLessThan(2_000);

  await postgres.start();
  // Stripe redelivers whatever it did not see acknowledged; here, every event, acknowledged or not.
  for (const payload of payloads) await deliverUntilAcknowledged(payload);

  const ids = events.map((e) => e.id);
  const recorded = (
    await stack.db.query("select event_id from webhook_events where event_id = any($1)", [ids])
  ).rows;
  const effects = (
    await stack.db.query("select id from payments where id = any($1)", [
      events.map((e) => e.data.object.id),
    ])
  ).rows;
  const lost = ids.filter((id) => !recorded.some((r) => r.event_id === id)).length;
  const duplicated =
    recorded.length -
    new Set(recorded.map((r) => r.event_id)).size +
    (effects.length - new Set(effects.map((r) => r.id)).size);
  console.log(
    `PostgreSQL outage: ${during.length} deliveries answered 503 (slowest ${Math.round(Math.max(...during.map((d) => d.ms)))} ms); events lost: ${lost}, duplicated effects: ${duplicated}`,
  );
  expect({ lost, duplicated, effects: effects.length }).toEqual({
    lost: 0,
    duplicated: 0,
    effects: 30,
  });
}, 90_000);

test("Redis stopped: duplicates delivered together are still applied exactly once, all answered 2xx", async () => {
  await redis.stop();
  try {
    const event = paymentEvent();
    const payload = JSON.stringify(event);
    const responses = await Promise.all(
      Array.from({ length: 8 }, () => sendStripe(stack.worker, payload)),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(8).fill(200));
    const bodies = await Promise.all(responses.map((r) => r.json()));
    expect(bodies.filter((b: any) => !b.duplicate)).toHaveLength(1);
    const { rows } = await stack.db.query("select count(*)::int as n from payments where id = $1", [
      event.data.object.id,
    ]);
    expect(rows).toEqual([{ n: 1 }]);
  } finally {
    await redis.start();
  }
}, 30_000);
