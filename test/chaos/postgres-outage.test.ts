import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { afterAll, beforeAll, expect, inject, test } from "vitest";
import { type PostgresServer, startPostgres } from "../../dev/services/postgres.ts";
import {
  type WebhookStack,
  sendStripe,
  startWebhookStack,
  stripeEvent,
} from "../e2e/webhook-stack.ts";
import { loadUntil, ms, quantile, sleep } from "./stack.ts";

const CONCURRENCY = 8;
const OUTAGE_MS = 2000;
// Stripe's behaviour, compressed: redeliver an unacknowledged event after a pause, for a while.
const REDELIVERY_PAUSE_MS = 200;
const REDELIVERY_BUDGET_MS = 30_000;

// A private PostgreSQL: this scenario stops it; the run's shared one is left alone. Redis is the
// run's (never stopped here): the claims keep working, so only PostgreSQL fails.
const dataDir = mkdtempSync(`${tmpdir()}/breakwater-chaos-pg-`);
chmodSync(dataDir, 0o755);
let postgres: PostgresServer;
let stack: WebhookStack;

beforeAll(async () => {
  postgres = await startPostgres({ dataDir: `${dataDir}/data` });
  stack = await startWebhookStack({ postgresAdminUrl: postgres.url, upstash: inject("upstash") });
}, 60_000);
afterAll(async () => {
  await stack?.close();
  await postgres?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

interface Delivery {
  eventId: string;
  at: number;
  ms: number;
  status: number;
  duplicate?: boolean;
}

test("PostgreSQL stopped mid-run under webhook load, restarted, every event redelivered: none lost, none applied twice", async () => {
  const deliveries: Delivery[] = [];
  const deliver = async (payload: string, eventId: string): Promise<Delivery> => {
    const at = performance.now();
    const res = await sendStripe(stack.worker, payload).catch(() => undefined);
    const body = (await res?.json().catch(() => undefined)) as { duplicate?: boolean } | undefined;
    const delivery: Delivery = {
      eventId,
      at,
      ms: performance.now() - at,
      status: res?.status ?? 0,
      ...(res?.status === 200 ? { duplicate: body?.duplicate === true } : {}),
    };
    deliveries.push(delivery);
    return delivery;
  };
  const untilAcknowledged = async (payload: string, eventId: string) => {
    const giveUp = performance.now() + REDELIVERY_BUDGET_MS;
    while ((await deliver(payload, eventId)).status !== 200) {
      if (performance.now() > giveUp) throw new Error(`${eventId} never acknowledged`);
      await sleep(REDELIVERY_PAUSE_MS);
    }
  };

  const marks = { stop: 0, start: 0 };
  const script = (async () => {
    await sleep(1000);
    marks.stop = performance.now();
    await postgres.stop();
    await sleep(OUTAGE_MS);
    marks.start = performance.now();
    await postgres.start();
    await sleep(1000); // new events keep coming after the restart
  })();

  // Each lane is one stream of new events, each redelivered until acknowledged.
  const events = await loadUntil(CONCURRENCY, script, async (i) => {
    const event = stripeEvent("payment_intent.succeeded", {
      id: `pi_pg_${i}_${crypto.randomUUID().slice(0, 8)}`,
      object: "payment_intent",
      amount: 100 + i,
      currency: "eur",
      status: "succeeded",
    });
    const payload = JSON.stringify(event);
    await untilAcknowledged(payload, event.id);
    return { id: event.id, paymentId: event.data.object.id, payload };
  });
  const acknowledgedAt = performance.now();

  // Then Stripe redelivers everything, acknowledged or not (a replay after the incident).
  const replay: Delivery[] = [];
  for (let i = 0; i < events.length; i += CONCURRENCY) {
    replay.push(
      ...(await Promise.all(
        events.slice(i, i + CONCURRENCY).map(async (e) => {
          await untilAcknowledged(e.payload, e.id);
          return deliveries.at(-1)!;
        }),
      )),
    );
  }

  const ids = events.map((e) => e.id);
  const recorded = (
    await stack.db.query(
      "select event_id, count(*)::int as n from webhook_events where event_id = any($1) group by event_id",
      [ids],
    )
  ).rows as { event_id: string; n: number }[];
  const payments = (
    await stack.db.query(
      "select id, count(*)::int as n, min(amount)::int as amount from payments where id = any($1) group by id",
      [events.map((e) => e.paymentId)],
    )
  ).rows as { id: string; n: number; amount: number }[];
  // An effect applied twice shows as a second row, or as a second delivery told it was new.
  const newAcks = new Map<string, number>();
  for (const d of deliveries) {
    if (d.status === 200 && d.duplicate === false)
      newAcks.set(d.eventId, (newAcks.get(d.eventId) ?? 0) + 1);
  }
  const lost =
    ids.filter((id) => !recorded.some((r) => r.event_id === id)).length +
    events.filter((e) => !payments.some((p) => p.id === e.paymentId)).length;
  const duplicated =
    recorded.reduce((sum, r) => sum + r.n - 1, 0) +
    payments.reduce((sum, p) => sum + p.n - 1, 0) +
    [...newAcks.values()].reduce((sum, n) => sum + n - 1, 0);

  const outage = deliveries.filter((d) => d.at >= marks.stop && d.at < marks.start);
  const refused = deliveries.filter((d) => d.status !== 200);
  const byStatus = (status: number) => refused.filter((d) => d.status === status).length;
  const lastRefusal = Math.max(...refused.map((d) => d.at), marks.start);
  console.log(
    `chaos: PostgreSQL stopped ${ms(marks.start - marks.stop)} under webhook load → ${events.length} events, ` +
      `${deliveries.length} deliveries (${byStatus(503)}×503, ${byStatus(409)}×409, ` +
      `${refused.length - byStatus(503) - byStatus(409)} other refusals), outage answers p99 ` +
      `${ms(
        quantile(
          outage.map((d) => d.ms),
          0.99,
        ),
      )}, all acknowledged ${ms(lastRefusal - marks.start)} after the restart; ` +
      `every event redelivered (${replay.filter((d) => d.duplicate).length}/${replay.length} answered duplicate): ` +
      `events lost ${lost}, duplicated effects ${duplicated}; ${ms(acknowledgedAt - marks.stop)} from stop to all acknowledged`,
  );

  expect(outage.length).toBeGreaterThan(0);
  // Refusals during the outage are 503 (store failed) or 409 (a redelivery met its own claim).
  expect(refused.every((d) => d.status === 503 || d.status === 409)).toBe(true);
  // "503 at once" (README): the outage is answered, not waited on.
  expect(Math.max(...outage.map((d) => d.ms))).toBeLessThan(2_000);
  expect(replay.every((d) => d.status === 200 && d.duplicate === true)).toBe(true);
  expect({ lost, duplicated }).toEqual({ lost: 0, duplicated: 0 });
  expect(payments).toHaveLength(events.length);
  expect(newAcks.size).toBe(events.length);
}, 90_000);
