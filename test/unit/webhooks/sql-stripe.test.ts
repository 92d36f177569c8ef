// stripe_apply_event as the edge code calls it: the real supabase-js client through the local
// PostgREST gateway, against a fresh database of this run's PostgreSQL with every migration
// applied. Effects, duplicates, modes, unknown types, malformed input and who may call it.
import { randomUUID } from "node:crypto";
import { describe, expect, test } from "vitest";
import { useMigratedDatabase } from "./sql-database.ts";

const T0 = 1_763_700_000; // a Stripe `created` (Unix seconds)

const sql = useMigratedDatabase("webhooks_sql_stripe");

interface Applied {
  duplicate: boolean;
  outcome: "applied" | "ignored" | "stale";
}

type StripeObject = Record<string, unknown>;

/** A Stripe event as it arrives in a webhook body (API version 2025-03-31.basil or later). */
function stripeEvent(
  type: string,
  object: StripeObject,
  options: { created?: number; livemode?: boolean; id?: string } = {},
) {
  return {
    id: options.id ?? `evt_${randomUUID().replaceAll("-", "")}`,
    object: "event",
    api_version: "2025-03-31.basil",
    created: options.created ?? T0,
    livemode: options.livemode ?? false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object },
  };
}

const newId = (prefix: string) => `${prefix}_${randomUUID().replaceAll("-", "").slice(0, 24)}`;

function paymentIntent(id: string, status: string, extra: StripeObject = {}): StripeObject {
  return {
    id,
    object: "payment_intent",
    amount: 2000,
    amount_received: status === "succeeded" ? 2000 : 0,
    currency: "usd",
    customer: "cus_pi",
    status,
    ...extra,
  };
}

function subscription(id: string, status: string, extra: StripeObject = {}): StripeObject {
  return {
    id,
    object: "subscription",
    customer: "cus_sub",
    status,
    cancel_at_period_end: false,
    items: {
      object: "list",
      data: [
        {
          id: "si_1",
          object: "subscription_item",
          price: { id: "price_basic", object: "price" },
          current_period_end: T0 + 30 * 86_400,
        },
      ],
    },
    ...extra,
  };
}

function invoice(id: string, status: string, extra: StripeObject = {}): StripeObject {
  return {
    id,
    object: "invoice",
    customer: "cus_inv",
    status,
    amount_paid: status === "paid" ? 1500 : 0,
    currency: "eur",
    parent: {
      type: "subscription_details",
      subscription_details: { subscription: "sub_of_invoice" },
    },
    ...extra,
  };
}

async function apply(event: object, livemode = false): Promise<Applied> {
  const { data, error, status } = await sql.service.rpc("stripe_apply_event", { event, livemode });
  if (error) throw new Error(`stripe_apply_event answered ${status}: ${JSON.stringify(error)}`);
  return data as Applied;
}

async function rows(text: string, values: unknown[]): Promise<Record<string, unknown>[]> {
  return (await sql.db.query(text, values)).rows;
}

const eventRows = (eventId: string) =>
  rows(
    "select event_type, livemode, occurred_at, outcome, payload from webhook_events where provider = 'stripe' and event_id = $1",
    [eventId],
  );
const payment = async (id: string) => (await rows("select * from payments where id = $1", [id]))[0];

describe("effects", () => {
  test("payment_intent.succeeded records the payment as succeeded with its amount", async () => {
    const id = newId("pi");
    const event = stripeEvent("payment_intent.succeeded", paymentIntent(id, "succeeded"));
    expect(await apply(event)).toEqual({ duplicate: false, outcome: "applied" });
    expect(await payment(id)).toMatchObject({
      customer_id: "cus_pi",
      amount: "2000",
      amount_refunded: "0",
      currency: "usd",
      status: "succeeded",
      last_event_id: event.id,
      last_event_at: new Date(T0 * 1000),
    });
    expect(await eventRows(event.id)).toEqual([
      {
        event_type: "payment_intent.succeeded",
        livemode: false,
        occurred_at: new Date(T0 * 1000),
        outcome: "applied",
        payload: event,
      },
    ]);
  });

  test.each([
    ["payment_intent.payment_failed", "requires_payment_method", "failed"],
    ["payment_intent.canceled", "canceled", "canceled"],
    ["payment_intent.processing", "processing", "processing"],
  ])("%s records the payment as %s", async (type, objectStatus, expected) => {
    const id = newId("pi");
    expect(await apply(stripeEvent(type, paymentIntent(id, objectStatus)))).toEqual({
      duplicate: false,
      outcome: "applied",
    });
    expect(await payment(id)).toMatchObject({ status: expected, amount: "2000" });
  });

  test("an expanded customer object is recorded by its id", async () => {
    const id = newId("pi");
    const object = paymentIntent(id, "succeeded", {
      customer: { id: "cus_x", object: "customer" },
    });
    await apply(stripeEvent("payment_intent.succeeded", object));
    expect(await payment(id)).toMatchObject({ customer_id: "cus_x" });
  });

  test("charge.refunded sets amount_refunded on the charge's payment", async () => {
    const id = newId("pi");
    await apply(stripeEvent("payment_intent.succeeded", paymentIntent(id, "succeeded")));
    const charge = {
      id: newId("ch"),
      object: "charge",
      amount: 2000,
      amount_refunded: 500,
      captured: true,
      currency: "usd",
      customer: "cus_pi",
      payment_intent: id,
      refunded: false,
    };
    const refund = stripeEvent("charge.refunded", charge, { created: T0 + 60 });
    expect(await apply(refund)).toEqual({ duplicate: false, outcome: "applied" });
    expect(await payment(id)).toMatchObject({
      status: "succeeded",
      amount: "2000",
      amount_refunded: "500",
      last_event_id: refund.id,
    });
  });

  test("charge.refunded for a released authorization (captured: false) has no effect", async () => {
    const id = newId("pi");
    const charge = {
      id: newId("ch"),
      object: "charge",
      amount: 2000,
      amount_refunded: 2000,
      captured: false,
      currency: "usd",
      payment_intent: id,
    };
    expect(await apply(stripeEvent("charge.refunded", charge))).toEqual({
      duplicate: false,
      outcome: "ignored",
    });
    expect(await payment(id)).toBeUndefined();
  });

  test("checkout.session.completed with payment_status paid records the payment", async () => {
    const pi = newId("pi");
    const session = {
      id: newId("cs"),
      object: "checkout.session",
      mode: "payment",
      payment_status: "paid",
      status: "complete",
      payment_intent: pi,
      amount_total: 4200,
      currency: "eur",
      customer: "cus_checkout",
    };
    const event = stripeEvent("checkout.session.completed", session);
    expect(await apply(event)).toEqual({ duplicate: false, outcome: "applied" });
    expect(await payment(pi)).toMatchObject({
      customer_id: "cus_checkout",
      amount: "4200",
      currency: "eur",
      status: "succeeded",
      last_event_id: event.id,
    });
  });

  test("checkout.session.completed unpaid, or without a payment intent, has no effect", async () => {
    const pi = newId("pi");
    const unpaid = {
      id: newId("cs"),
      object: "checkout.session",
      mode: "payment",
      payment_status: "unpaid",
      payment_intent: pi,
      amount_total: 4200,
      currency: "eur",
    };
    const subscriptionMode = {
      id: newId("cs"),
      object: "checkout.session",
      mode: "subscription",
      payment_status: "paid",
      payment_intent: null,
      subscription: newId("sub"),
      amount_total: 900,
      currency: "eur",
    };
    for (const session of [unpaid, subscriptionMode]) {
      expect(await apply(stripeEvent("checkout.session.completed", session))).toEqual({
        duplicate: false,
        outcome: "ignored",
      });
    }
    expect(await payment(pi)).toBeUndefined();
  });

  test("customer.subscription.created records the subscription", async () => {
    const id = newId("sub");
    const event = stripeEvent("customer.subscription.created", subscription(id, "active"));
    expect(await apply(event)).toEqual({ duplicate: false, outcome: "applied" });
    expect((await rows("select * from subscriptions where id = $1", [id]))[0]).toMatchObject({
      customer_id: "cus_sub",
      status: "active",
      price_id: "price_basic",
      current_period_end: new Date((T0 + 30 * 86_400) * 1000),
      cancel_at_period_end: false,
      last_event_id: event.id,
      last_event_at: new Date(T0 * 1000),
      last_event_type: "customer.subscription.created",
    });
  });

  test("customer.subscription.updated changes the subscription", async () => {
    const id = newId("sub");
    await apply(stripeEvent("customer.subscription.created", subscription(id, "active")));
    const updated = subscription(id, "active", {
      cancel_at_period_end: true,
      items: { object: "list", data: [{ id: "si_1", price: { id: "price_pro" } }] },
    });
    expect(
      await apply(stripeEvent("customer.subscription.updated", updated, { created: T0 + 10 })),
    ).toEqual({ duplicate: false, outcome: "applied" });
    expect((await rows("select * from subscriptions where id = $1", [id]))[0]).toMatchObject({
      status: "active",
      price_id: "price_pro",
      cancel_at_period_end: true,
      // Not in the newer payload: the period end already known is kept.
      current_period_end: new Date((T0 + 30 * 86_400) * 1000),
    });
  });

  test("customer.subscription.deleted sets the subscription canceled", async () => {
    const id = newId("sub");
    await apply(stripeEvent("customer.subscription.created", subscription(id, "active")));
    const deleted = stripeEvent("customer.subscription.deleted", subscription(id, "active"), {
      created: T0 + 10,
    });
    expect(await apply(deleted)).toEqual({ duplicate: false, outcome: "applied" });
    expect(await rows("select status from subscriptions where id = $1", [id])).toEqual([
      { status: "canceled" },
    ]);
  });

  test("subscriptions and invoices of API versions before basil are read too", async () => {
    const id = newId("sub");
    const legacy = subscription(id, "trialing", {
      current_period_end: T0 + 7 * 86_400,
      items: { object: "list", data: [{ id: "si_1", price: { id: "price_old" } }] },
    });
    await apply(stripeEvent("customer.subscription.created", legacy));
    expect(
      await rows("select price_id, current_period_end from subscriptions where id = $1", [id]),
    ).toEqual([{ price_id: "price_old", current_period_end: new Date((T0 + 7 * 86_400) * 1000) }]);

    const inv = newId("in");
    await apply(
      stripeEvent("invoice.paid", invoice(inv, "paid", { parent: null, subscription: id })),
    );
    expect(await rows("select subscription_id from invoices where id = $1", [inv])).toEqual([
      { subscription_id: id },
    ]);
  });

  test("invoice.paid records the invoice as paid", async () => {
    const id = newId("in");
    const event = stripeEvent("invoice.paid", invoice(id, "paid"));
    expect(await apply(event)).toEqual({ duplicate: false, outcome: "applied" });
    expect((await rows("select * from invoices where id = $1", [id]))[0]).toMatchObject({
      customer_id: "cus_inv",
      subscription_id: "sub_of_invoice",
      status: "paid",
      amount_paid: "1500",
      currency: "eur",
      last_event_id: event.id,
      last_event_at: new Date(T0 * 1000),
    });
  });

  test("invoice.payment_failed records the invoice as failed", async () => {
    const id = newId("in");
    expect(await apply(stripeEvent("invoice.payment_failed", invoice(id, "open")))).toEqual({
      duplicate: false,
      outcome: "applied",
    });
    expect(await rows("select status, amount_paid from invoices where id = $1", [id])).toEqual([
      { status: "failed", amount_paid: "0" },
    ]);
  });
});

describe("exactly once", () => {
  test("a second delivery of an event is a duplicate with the first outcome and no new effect", async () => {
    const id = newId("pi");
    const event = stripeEvent("payment_intent.succeeded", paymentIntent(id, "succeeded"));
    await apply(event);
    const before = await payment(id);
    expect(await apply(event)).toEqual({ duplicate: true, outcome: "applied" });
    expect(await eventRows(event.id)).toHaveLength(1);
    expect(await payment(id)).toEqual(before);
  });

  test("a redelivery after the row changed does not re-apply the old event", async () => {
    const id = newId("sub");
    const created = stripeEvent("customer.subscription.created", subscription(id, "trialing"));
    await apply(created);
    await apply(
      stripeEvent("customer.subscription.updated", subscription(id, "active"), { created: T0 + 5 }),
    );
    // Even with the same `created` and rank rules, the replay must not reach the row at all.
    expect(await apply(created)).toEqual({ duplicate: true, outcome: "applied" });
    expect(await rows("select status from subscriptions where id = $1", [id])).toEqual([
      { status: "active" },
    ]);
  });

  test("a duplicate of a stale event answers its recorded outcome, stale", async () => {
    const id = newId("pi");
    await apply(
      stripeEvent("payment_intent.succeeded", paymentIntent(id, "succeeded"), { created: T0 + 9 }),
    );
    const late = stripeEvent(
      "payment_intent.payment_failed",
      paymentIntent(id, "requires_payment_method"),
    );
    expect(await apply(late)).toEqual({ duplicate: false, outcome: "stale" });
    expect(await apply(late)).toEqual({ duplicate: true, outcome: "stale" });
  });

  test("20 identical deliveries in parallel record one event and apply one effect", async () => {
    const id = newId("ch");
    const pi = newId("pi");
    // A refund is the effect that would show a double application (it is not a plain overwrite
    // of the same values): amount_refunded must be the charge's, once.
    await apply(stripeEvent("payment_intent.succeeded", paymentIntent(pi, "succeeded")));
    const charge = {
      id,
      object: "charge",
      amount: 2000,
      amount_refunded: 700,
      captured: true,
      currency: "usd",
      payment_intent: pi,
    };
    const event = stripeEvent("charge.refunded", charge, { created: T0 + 30 });
    const results = await Promise.all(Array.from({ length: 20 }, () => apply(event)));
    expect(results.filter((r) => !r.duplicate)).toEqual([{ duplicate: false, outcome: "applied" }]);
    expect(results.filter((r) => r.duplicate)).toHaveLength(19);
    for (const r of results.filter((r) => r.duplicate)) expect(r.outcome).toBe("applied");
    expect(await eventRows(event.id)).toHaveLength(1);
    expect(await payment(pi)).toMatchObject({ amount_refunded: "700", last_event_id: event.id });
  });

  test("20 identical first deliveries in parallel create exactly one row", async () => {
    const id = newId("in");
    const event = stripeEvent("invoice.paid", invoice(id, "paid"));
    const results = await Promise.all(Array.from({ length: 20 }, () => apply(event)));
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(await eventRows(event.id)).toHaveLength(1);
    expect(await rows("select last_event_id from invoices where id = $1", [id])).toEqual([
      { last_event_id: event.id },
    ]);
  });
});

describe("events without an effect", () => {
  test("an event of the other mode is recorded as ignored and has no effect", async () => {
    const id = newId("pi");
    const live = stripeEvent("payment_intent.succeeded", paymentIntent(id, "succeeded"), {
      livemode: true,
    });
    expect(await apply(live, false)).toEqual({ duplicate: false, outcome: "ignored" });
    expect(await payment(id)).toBeUndefined();
    expect(await eventRows(live.id)).toMatchObject([{ livemode: true, outcome: "ignored" }]);

    const test = stripeEvent("payment_intent.succeeded", paymentIntent(newId("pi"), "succeeded"));
    expect(await apply(test, true)).toEqual({ duplicate: false, outcome: "ignored" });
  });

  test("a live event at a live endpoint is applied", async () => {
    const id = newId("pi");
    const live = stripeEvent("payment_intent.succeeded", paymentIntent(id, "succeeded"), {
      livemode: true,
    });
    expect(await apply(live, true)).toEqual({ duplicate: false, outcome: "applied" });
    expect(await payment(id)).toMatchObject({ status: "succeeded" });
  });

  test("an unknown event type is recorded as ignored", async () => {
    const event = stripeEvent("customer.tax_id.created", { id: "txi_1", object: "tax_id" });
    expect(await apply(event)).toEqual({ duplicate: false, outcome: "ignored" });
    expect(await eventRows(event.id)).toMatchObject([
      { event_type: "customer.tax_id.created", outcome: "ignored" },
    ]);
    expect(await apply(event)).toEqual({ duplicate: true, outcome: "ignored" });
  });
});

describe("malformed input", () => {
  const valid = () =>
    stripeEvent("payment_intent.succeeded", paymentIntent(newId("pi"), "succeeded"));

  test.each([
    ["no id", (e: Record<string, unknown>) => delete e.id, /event\.id/],
    ["an empty id", (e: Record<string, unknown>) => (e.id = ""), /event\.id/],
    ["no type", (e: Record<string, unknown>) => delete e.type, /event\.type/],
    ["a numeric type", (e: Record<string, unknown>) => (e.type = 7), /event\.type/],
    ["no created", (e: Record<string, unknown>) => delete e.created, /event\.created/],
    [
      "a created string",
      (e: Record<string, unknown>) => (e.created = "yesterday"),
      /event\.created/,
    ],
    ["no livemode", (e: Record<string, unknown>) => delete e.livemode, /event\.livemode/],
    [
      "a payment intent without an id",
      (e: Record<string, unknown>) => ((e.data as { object: StripeObject }).object.id = null),
      /data\.object\.id/,
    ],
    [
      "a non-integer amount",
      (e: Record<string, unknown>) => ((e.data as { object: StripeObject }).object.amount = "20"),
      /data\.object\.amount/,
    ],
  ])(
    "an event with %s is refused with 400 / 22023 and nothing recorded",
    async (_, change, message) => {
      const event: Record<string, unknown> = valid();
      change(event);
      const { data, error, status } = await sql.service.rpc("stripe_apply_event", {
        event,
        livemode: false,
      });
      expect(data).toBeNull();
      expect(status).toBe(400);
      expect(error).toMatchObject({ code: "22023", message: expect.stringMatching(message) });
      if (typeof event.id === "string" && event.id) expect(await eventRows(event.id)).toEqual([]);
    },
  );

  test("a body that is not an object, or a null livemode, is refused with 400 / 22023", async () => {
    for (const args of [
      { event: [1, 2], livemode: false },
      { event: "evt_1", livemode: false },
      { event: null, livemode: false },
      { event: valid(), livemode: null },
    ]) {
      const { error, status } = await sql.service.rpc("stripe_apply_event", args);
      expect({ status, code: error?.code }).toEqual({ status: 400, code: "22023" });
    }
  });
});

describe("access", () => {
  test("the sql.anon key cannot call stripe_apply_event (401, 42501) and nothing is recorded", async () => {
    const event = stripeEvent("payment_intent.succeeded", paymentIntent(newId("pi"), "succeeded"));
    const { data, error, status } = await sql.anon.rpc("stripe_apply_event", {
      event,
      livemode: false,
    });
    expect(data).toBeNull();
    expect(status).toBe(401);
    expect(error?.code).toBe("42501");
    expect(await eventRows(event.id)).toEqual([]);
  });

  test("the sql.anon key can read none of the tables written, invoices included", async () => {
    const { rows: denied } = await sql.db.query(`
      select t from unnest(array['webhook_events', 'payments', 'subscriptions', 'invoices', 'sms_messages']) t
      where has_table_privilege('anon', 'public.' || t, 'select')
         or has_table_privilege('authenticated', 'public.' || t, 'select')`);
    expect(denied).toEqual([]);
    expect(
      await rows("select relrowsecurity from pg_class where oid = 'public.invoices'::regclass", []),
    ).toEqual([{ relrowsecurity: true }]);
  });
});
