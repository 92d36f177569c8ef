import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import {
  STRIPE_SECRET,
  type WebhookStack,
  post,
  sendStripe,
  signStripe,
  startWebhookStack,
  stripeEvent,
} from "./webhook-stack.ts";

let stack: WebhookStack;
beforeAll(async () => {
  stack = await startWebhookStack({
    postgresAdminUrl: inject("postgresAdminUrl"),
    upstash: inject("upstash"),
  });
}, 30_000);
afterAll(() => stack.close());

const paymentIntent = (id: string, status: string) => ({
  id,
  object: "payment_intent",
  amount: 2000,
  currency: "usd",
  customer: "cus_e2e",
  status,
});
const subscription = (id: string, status: string) => ({
  id,
  object: "subscription",
  customer: "cus_e2e",
  status,
  cancel_at_period_end: false,
  current_period_end: 1_900_000_000,
  items: { object: "list", data: [{ id: "si_1", price: { id: "price_e2e" } }] },
});
const newId = (prefix: string) =>
  `${prefix}_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;

async function rows(sql: string, values: unknown[]) {
  return (await stack.db.query(sql, values)).rows;
}

test("a new event is applied and acknowledged as not a duplicate", async () => {
  const pi = newId("pi");
  const res = await sendStripe(
    stack.worker,
    JSON.stringify(stripeEvent("payment_intent.succeeded", paymentIntent(pi, "succeeded"))),
  );
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ received: true, duplicate: false });
  expect(res.headers.get("x-request-id")).toBeTruthy();
  expect(await rows("select status, amount from payments where id = $1", [pi])).toEqual([
    { status: "succeeded", amount: "2000" },
  ]);
});

test("a redelivery of the same event is acknowledged as a duplicate with no second effect", async () => {
  const pi = newId("pi");
  const event = stripeEvent("payment_intent.succeeded", paymentIntent(pi, "succeeded"));
  await sendStripe(stack.worker, JSON.stringify(event));
  const again = await sendStripe(stack.worker, JSON.stringify(event)); // new t=, new signature
  expect(await again.json()).toEqual({ received: true, duplicate: true });
  expect(
    await rows("select count(*)::int as n from webhook_events where event_id = $1", [event.id]),
  ).toEqual([{ n: 1 }]);
});

test("20 identical deliveries in parallel: one effect, every answer 2xx or 409, and each 409 retried gets 2xx", async () => {
  const pi = newId("pi");
  const payload = JSON.stringify(
    stripeEvent("payment_intent.succeeded", paymentIntent(pi, "succeeded")),
  );
  const first = await Promise.all(
    Array.from({ length: 20 }, () => sendStripe(stack.worker, payload)),
  );
  const statuses = first.map((r) => r.status);
  expect(statuses.every((s) => s === 200 || s === 409)).toBe(true);
  const retried = await Promise.all(
    first.filter((r) => r.status === 409).map(() => sendStripe(stack.worker, payload)),
  );
  expect(retried.every((r) => r.status === 200)).toBe(true);
  const bodies = await Promise.all(
    [...first.filter((r) => r.status === 200), ...retried].map((r) => r.json()),
  );
  expect(bodies.filter((b: any) => b.duplicate === false)).toHaveLength(1);
  expect(await rows("select count(*)::int as n from payments where id = $1", [pi])).toEqual([
    { n: 1 },
  ]);
  console.log(
    `20 parallel deliveries: ${statuses.filter((s) => s === 200).length} answered 200, ${statuses.filter((s) => s === 409).length} answered 409 (in flight) and were retried`,
  );
});

test("subscription updated before created ends in the updated state", async () => {
  const sub = newId("sub");
  const t = Math.floor(Date.now() / 1000);
  await sendStripe(
    stack.worker,
    JSON.stringify(
      stripeEvent("customer.subscription.updated", subscription(sub, "past_due"), {
        created: t + 10,
      }),
    ),
  );
  await sendStripe(
    stack.worker,
    JSON.stringify(
      stripeEvent("customer.subscription.created", subscription(sub, "active"), { created: t }),
    ),
  );
  expect(await rows("select status from subscriptions where id = $1", [sub])).toEqual([
    { status: "past_due" },
  ]);
});

test("a stale payment_failed after succeeded leaves the payment succeeded", async () => {
  const pi = newId("pi");
  const t = Math.floor(Date.now() / 1000);
  await sendStripe(
    stack.worker,
    JSON.stringify(
      stripeEvent("payment_intent.succeeded", paymentIntent(pi, "succeeded"), { created: t }),
    ),
  );
  await sendStripe(
    stack.worker,
    JSON.stringify(
      stripeEvent("payment_intent.payment_failed", paymentIntent(pi, "requires_payment_method"), {
        created: t - 5,
      }),
    ),
  );
  expect(await rows("select status from payments where id = $1", [pi])).toEqual([
    { status: "succeeded" },
  ]);
});

test("an event of the other mode is acknowledged and recorded with no effect", async () => {
  const pi = newId("pi");
  const event = stripeEvent("payment_intent.succeeded", paymentIntent(pi, "succeeded"), {
    livemode: true,
  });
  const res = await sendStripe(stack.worker, JSON.stringify(event));
  expect(await res.json()).toEqual({ received: true, duplicate: false });
  expect(await rows("select outcome from webhook_events where event_id = $1", [event.id])).toEqual([
    { outcome: "ignored" },
  ]);
  expect(await rows("select * from payments where id = $1", [pi])).toEqual([]);
});

test("an event type without an effect is acknowledged and recorded", async () => {
  const event = stripeEvent("customer.created", { id: newId("cus"), object: "customer" });
  expect((await sendStripe(stack.worker, JSON.stringify(event))).status).toBe(200);
  expect(await rows("select outcome from webhook_events where event_id = $1", [event.id])).toEqual([
    { outcome: "ignored" },
  ]);
});

describe("bad input never reaches the database and never echoes secrets", () => {
  const payload = () =>
    JSON.stringify(
      stripeEvent("payment_intent.succeeded", paymentIntent(newId("pi"), "succeeded")),
    );

  async function expectRefused(res: Response, status: number, code: string) {
    expect(res.status).toBe(status);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ success: false, error: { code } });
    expect(text).not.toContain(STRIPE_SECRET);
    expect(text).not.toContain("payment_intent.succeeded");
    return text;
  }

  test("a missing signature is refused with 400", async () => {
    const res = await fetch(`${stack.worker.url}/webhooks/stripe`, {
      method: "POST",
      body: payload(),
      headers: { "content-type": "application/json" },
    });
    await expectRefused(res, 400, "invalid_signature");
  });

  test("a body changed by one byte after signing is refused with 400, naming no expected signature", async () => {
    const body = payload();
    const header = await signStripe(body);
    const tampered = body.replace('"amount":2000', '"amount":2001');
    const text = await expectRefused(
      await sendStripe(stack.worker, tampered, { header }),
      400,
      "invalid_signature",
    );
    expect(text).not.toMatch(/[0-9a-f]{64}/);
  });

  test("a signature by another secret is refused with 400", async () => {
    await expectRefused(
      await sendStripe(stack.worker, payload(), { secret: "whsec_not_ours_123456" }),
      400,
      "invalid_signature",
    );
  });

  test("a timestamp older than the tolerance is refused with 400", async () => {
    const old = Math.floor(Date.now() / 1000) - 301;
    await expectRefused(
      await sendStripe(stack.worker, payload(), { timestamp: old }),
      400,
      "invalid_signature",
    );
  });

  test("a timestamp further in the future than the tolerance is refused with 400", async () => {
    const future = Math.floor(Date.now() / 1000) + 301;
    await expectRefused(
      await sendStripe(stack.worker, payload(), { timestamp: future }),
      400,
      "invalid_signature",
    );
  });

  test("a validly signed body that is not JSON is refused with 400", async () => {
    const res = await sendStripe(stack.worker, "{not json");
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "invalid_json" } });
  });

  test("a validly signed JSON object without id or type is refused with 400", async () => {
    const res = await sendStripe(stack.worker, JSON.stringify({ object: "event" }));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "invalid_event" } });
  });

  test("a body over 1 MiB is refused with 413", async () => {
    const big = JSON.stringify({ id: "evt_big", type: "x", pad: "x".repeat(1024 * 1024) });
    await expectRefused(await sendStripe(stack.worker, big), 413, "payload_too_large");
  });

  test("a wrong content type is refused with 415", async () => {
    const res = await post(`${stack.worker.url}/webhooks/stripe`, payload(), {
      "content-type": "text/plain",
      "stripe-signature": "t=1,v1=00",
    });
    await expectRefused(res, 415, "unsupported_media_type");
  });

  test("a GET is refused with 405", async () => {
    const res = await fetch(`${stack.worker.url}/webhooks/stripe`);
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
  });
});

describe("with only STRIPE_WEBHOOK_SECRET set (no STRIPE_MODE)", () => {
  let modeless: WebhookStack;
  beforeAll(async () => {
    modeless = await startWebhookStack({
      postgresAdminUrl: inject("postgresAdminUrl"),
      upstash: inject("upstash"),
      bindings: { STRIPE_MODE: "" },
    });
  }, 30_000);
  afterAll(() => modeless.close());

  test.each([false, true])(
    "an event with livemode %s is applied once and its row records its mode",
    async (livemode) => {
      const pi = newId("pi");
      const event = stripeEvent("payment_intent.succeeded", paymentIntent(pi, "succeeded"), {
        livemode,
      });
      const first = await sendStripe(modeless.worker, JSON.stringify(event));
      expect(first.status).toBe(200);
      expect(await first.json()).toEqual({ received: true, duplicate: false });
      const again = await sendStripe(modeless.worker, JSON.stringify(event));
      expect(again.status).toBe(200);
      expect(await again.json()).toEqual({ received: true, duplicate: true });
      const recorded = await modeless.db.query(
        "select livemode, outcome from webhook_events where event_id = $1",
        [event.id],
      );
      expect(recorded.rows).toEqual([{ livemode, outcome: "applied" }]);
      const payments = await modeless.db.query("select status from payments where id = $1", [pi]);
      expect(payments.rows).toEqual([{ status: "succeeded" }]);
    },
  );
});
