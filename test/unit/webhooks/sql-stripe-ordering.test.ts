// stripe_apply_event under out-of-order and parallel deliveries: Stripe neither orders its
// deliveries nor its event ids, so each row follows the event `created` last, with terminal
// states and a documented tie-break for events of the same second. Called through the real
// supabase-js client and the local PostgREST gateway, over a fresh database.
import { randomUUID } from "node:crypto";
import pg from "pg";
import { describe, expect, test } from "vitest";
import { useMigratedDatabase } from "./sql-database.ts";

const T1 = 1_763_700_000;
const T2 = T1 + 60;

const sql = useMigratedDatabase("webhooks_sql_ordering");

interface Applied {
  duplicate: boolean;
  outcome: "applied" | "ignored" | "stale";
}
type StripeObject = Record<string, unknown>;
type StripeEvent = ReturnType<typeof stripeEvent>;

const newId = (prefix: string) => `${prefix}_${randomUUID().replaceAll("-", "").slice(0, 24)}`;

function stripeEvent(type: string, object: StripeObject, created: number) {
  return {
    id: newId("evt"),
    object: "event",
    api_version: "2025-03-31.basil",
    created,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object },
  };
}

const paymentIntent = (id: string, status: string): StripeObject => ({
  id,
  object: "payment_intent",
  amount: 2000,
  currency: "usd",
  customer: "cus_1",
  status,
});

const subscription = (id: string, status: string, price = "price_basic"): StripeObject => ({
  id,
  object: "subscription",
  customer: "cus_1",
  status,
  cancel_at_period_end: false,
  items: { object: "list", data: [{ id: "si_1", price: { id: price }, current_period_end: T2 }] },
});

const invoice = (id: string, status: string): StripeObject => ({
  id,
  object: "invoice",
  customer: "cus_1",
  status,
  amount_paid: status === "paid" ? 900 : 0,
  currency: "usd",
});

const charge = (paymentIntentId: string, amountRefunded: number): StripeObject => ({
  id: newId("ch"),
  object: "charge",
  amount: 2000,
  amount_refunded: amountRefunded,
  captured: true,
  currency: "usd",
  customer: "cus_1",
  payment_intent: paymentIntentId,
});

async function apply(event: object): Promise<Applied> {
  const { data, error, status } = await sql.service.rpc("stripe_apply_event", {
    event,
    livemode: false,
  });
  if (error) throw new Error(`stripe_apply_event answered ${status}: ${JSON.stringify(error)}`);
  return data as Applied;
}

async function row(table: "payments" | "subscriptions" | "invoices", id: string) {
  return (await sql.db.query(`select * from ${table} where id = $1`, [id])).rows[0] as
    Record<string, unknown> | undefined;
}

const outcomeOf = async (event: StripeEvent) =>
  (
    await sql.db.query(
      "select outcome from webhook_events where provider = 'stripe' and event_id = $1",
      [event.id],
    )
  ).rows[0]?.outcome;

describe("older events never overwrite newer state", () => {
  test("subscription updated (t2) before created (t1) ends in the t2 state; created is recorded", async () => {
    const id = newId("sub");
    const updated = stripeEvent(
      "customer.subscription.updated",
      subscription(id, "active", "price_pro"),
      T2,
    );
    const created = stripeEvent(
      "customer.subscription.created",
      subscription(id, "incomplete"),
      T1,
    );
    expect(await apply(updated)).toEqual({ duplicate: false, outcome: "applied" });
    expect(await apply(created)).toEqual({ duplicate: false, outcome: "stale" });
    expect(await row("subscriptions", id)).toMatchObject({
      status: "active",
      price_id: "price_pro",
      last_event_id: updated.id,
      last_event_at: new Date(T2 * 1000),
    });
    expect(await outcomeOf(created)).toBe("stale");
  });

  test("a subscription created (t1) then updated (t2) in order ends in the t2 state", async () => {
    const id = newId("sub");
    await apply(stripeEvent("customer.subscription.created", subscription(id, "incomplete"), T1));
    expect(
      await apply(stripeEvent("customer.subscription.updated", subscription(id, "past_due"), T2)),
    ).toEqual({ duplicate: false, outcome: "applied" });
    expect(await row("subscriptions", id)).toMatchObject({ status: "past_due" });
  });

  test("payment succeeded (t2), then a stale payment_failed (t1): stays succeeded", async () => {
    const id = newId("pi");
    await apply(stripeEvent("payment_intent.succeeded", paymentIntent(id, "succeeded"), T2));
    const late = stripeEvent(
      "payment_intent.payment_failed",
      paymentIntent(id, "requires_payment_method"),
      T1,
    );
    expect(await apply(late)).toEqual({ duplicate: false, outcome: "stale" });
    expect(await row("payments", id)).toMatchObject({ status: "succeeded" });
    expect(await outcomeOf(late)).toBe("stale");
  });

  test("a payment that failed (t1) and then succeeded (t2) ends succeeded", async () => {
    const id = newId("pi");
    await apply(
      stripeEvent(
        "payment_intent.payment_failed",
        paymentIntent(id, "requires_payment_method"),
        T1,
      ),
    );
    expect(
      await apply(stripeEvent("payment_intent.succeeded", paymentIntent(id, "succeeded"), T2)),
    ).toEqual({ duplicate: false, outcome: "applied" });
    expect(await row("payments", id)).toMatchObject({ status: "succeeded" });
  });

  test("a failed payment is not overwritten by an older processing event", async () => {
    const id = newId("pi");
    await apply(
      stripeEvent(
        "payment_intent.payment_failed",
        paymentIntent(id, "requires_payment_method"),
        T2,
      ),
    );
    expect(
      await apply(stripeEvent("payment_intent.processing", paymentIntent(id, "processing"), T1)),
    ).toEqual({ duplicate: false, outcome: "stale" });
    expect(await row("payments", id)).toMatchObject({ status: "failed" });
  });

  test("subscription deleted, then a late updated (older): stays canceled", async () => {
    const id = newId("sub");
    await apply(stripeEvent("customer.subscription.deleted", subscription(id, "canceled"), T2));
    expect(
      await apply(stripeEvent("customer.subscription.updated", subscription(id, "active"), T1)),
    ).toEqual({ duplicate: false, outcome: "stale" });
    expect(await row("subscriptions", id)).toMatchObject({ status: "canceled" });
  });

  test("invoice paid, then a late payment_failed: stays paid", async () => {
    const id = newId("in");
    await apply(stripeEvent("invoice.paid", invoice(id, "paid"), T2));
    expect(await apply(stripeEvent("invoice.payment_failed", invoice(id, "open"), T1))).toEqual({
      duplicate: false,
      outcome: "stale",
    });
    expect(await row("invoices", id)).toMatchObject({ status: "paid", amount_paid: "900" });
  });

  test("an invoice that failed (t1) and was then paid (t2) ends paid", async () => {
    const id = newId("in");
    await apply(stripeEvent("invoice.payment_failed", invoice(id, "open"), T1));
    expect(await apply(stripeEvent("invoice.paid", invoice(id, "paid"), T2))).toEqual({
      duplicate: false,
      outcome: "applied",
    });
    expect(await row("invoices", id)).toMatchObject({ status: "paid" });
  });
});

describe("terminal states", () => {
  test("a succeeded payment keeps its status even against a newer event", async () => {
    const id = newId("pi");
    await apply(stripeEvent("payment_intent.succeeded", paymentIntent(id, "succeeded"), T1));
    expect(
      await apply(stripeEvent("payment_intent.canceled", paymentIntent(id, "canceled"), T2)),
    ).toEqual({ duplicate: false, outcome: "stale" });
    expect(await row("payments", id)).toMatchObject({ status: "succeeded" });
  });

  test("a canceled subscription is not revived by a newer updated", async () => {
    const id = newId("sub");
    await apply(stripeEvent("customer.subscription.deleted", subscription(id, "canceled"), T1));
    expect(
      await apply(stripeEvent("customer.subscription.updated", subscription(id, "active"), T2)),
    ).toEqual({ duplicate: false, outcome: "stale" });
    expect(await row("subscriptions", id)).toMatchObject({ status: "canceled" });
  });

  test("a paid invoice does not go back to failed on a newer payment_failed", async () => {
    const id = newId("in");
    await apply(stripeEvent("invoice.paid", invoice(id, "paid"), T1));
    expect(await apply(stripeEvent("invoice.payment_failed", invoice(id, "open"), T2))).toEqual({
      duplicate: false,
      outcome: "stale",
    });
    expect(await row("invoices", id)).toMatchObject({ status: "paid" });
  });
});

describe("refunds", () => {
  test("a refund before the payment row exists creates it as succeeded; the late payment event is stale", async () => {
    const id = newId("pi");
    const refund = stripeEvent("charge.refunded", charge(id, 300), T2);
    expect(await apply(refund)).toEqual({ duplicate: false, outcome: "applied" });
    expect(await row("payments", id)).toMatchObject({
      status: "succeeded",
      amount: "2000",
      amount_refunded: "300",
      currency: "usd",
      customer_id: "cus_1",
      last_event_id: refund.id,
    });
    expect(
      await apply(stripeEvent("payment_intent.succeeded", paymentIntent(id, "succeeded"), T1)),
    ).toEqual({ duplicate: false, outcome: "stale" });
    expect(await row("payments", id)).toMatchObject({
      status: "succeeded",
      amount_refunded: "300",
    });
  });

  test("amount_refunded never decreases when refunds arrive out of order", async () => {
    const id = newId("pi");
    await apply(stripeEvent("payment_intent.succeeded", paymentIntent(id, "succeeded"), T1));
    const second = stripeEvent("charge.refunded", charge(id, 1500), T2 + 20);
    const first = stripeEvent("charge.refunded", charge(id, 500), T2);
    expect(await apply(second)).toEqual({ duplicate: false, outcome: "applied" });
    expect(await apply(first)).toEqual({ duplicate: false, outcome: "stale" });
    expect(await row("payments", id)).toMatchObject({
      amount_refunded: "1500",
      last_event_id: second.id,
    });
  });

  test("a refund still raises amount_refunded on a succeeded payment written by a newer event", async () => {
    const id = newId("pi");
    const succeeded = stripeEvent("payment_intent.succeeded", paymentIntent(id, "succeeded"), T2);
    await apply(succeeded);
    expect(await apply(stripeEvent("charge.refunded", charge(id, 400), T1))).toEqual({
      duplicate: false,
      outcome: "applied",
    });
    // The newest event that wrote the row is still the one recorded.
    expect(await row("payments", id)).toMatchObject({
      status: "succeeded",
      amount_refunded: "400",
      last_event_id: succeeded.id,
      last_event_at: new Date(T2 * 1000),
    });
  });

  test("a newer refund event carrying a smaller amount_refunded does not lower it", async () => {
    const id = newId("pi");
    // A non-terminal row, so the newer refund does update it (its status), but not downwards.
    await apply(
      stripeEvent(
        "payment_intent.payment_failed",
        paymentIntent(id, "requires_payment_method"),
        T2,
      ),
    );
    await apply(stripeEvent("charge.refunded", charge(id, 1000), T1));
    expect(await row("payments", id)).toMatchObject({ status: "failed", amount_refunded: "1000" });
    expect(await apply(stripeEvent("charge.refunded", charge(id, 400), T2 + 10))).toEqual({
      duplicate: false,
      outcome: "applied",
    });
    expect(await row("payments", id)).toMatchObject({
      status: "succeeded",
      amount_refunded: "1000",
    });
  });

  test("a refund makes a processing payment succeeded", async () => {
    const id = newId("pi");
    await apply(stripeEvent("payment_intent.processing", paymentIntent(id, "processing"), T1));
    await apply(stripeEvent("charge.refunded", charge(id, 2000), T2));
    expect(await row("payments", id)).toMatchObject({
      status: "succeeded",
      amount_refunded: "2000",
    });
  });
});

describe("tie-break for events of the same created second", () => {
  // Documented in the migration: at an equal `created` an event applies when its status rank is
  // >= the stored one (payments: processing < failed < succeeded = canceled; subscriptions:
  // incomplete < trialing < active < past_due = paused < unpaid < canceled; invoices: failed <
  // paid), then for subscriptions when its type is at least as late (created < updated < deleted).
  test("payments: processing and succeeded in the same second end succeeded in either order", async () => {
    for (const order of [0, 1]) {
      const id = newId("pi");
      const events = [
        stripeEvent("payment_intent.processing", paymentIntent(id, "processing"), T1),
        stripeEvent("payment_intent.succeeded", paymentIntent(id, "succeeded"), T1),
      ];
      if (order) events.reverse();
      for (const event of events) await apply(event);
      expect(await row("payments", id)).toMatchObject({ status: "succeeded" });
    }
  });

  test("payments: processing then failed in the same second ends failed; failed then processing stays failed", async () => {
    for (const order of [0, 1]) {
      const id = newId("pi");
      const events = [
        stripeEvent("payment_intent.processing", paymentIntent(id, "processing"), T1),
        stripeEvent(
          "payment_intent.payment_failed",
          paymentIntent(id, "requires_payment_method"),
          T1,
        ),
      ];
      if (order) events.reverse();
      const outcomes = [];
      for (const event of events) outcomes.push((await apply(event)).outcome);
      expect(outcomes).toEqual(order ? ["applied", "stale"] : ["applied", "applied"]);
      expect(await row("payments", id)).toMatchObject({ status: "failed" });
    }
  });

  test("subscriptions: incomplete and active in the same second end active in either order", async () => {
    for (const order of [0, 1]) {
      const id = newId("sub");
      const events = [
        stripeEvent("customer.subscription.created", subscription(id, "incomplete"), T1),
        stripeEvent("customer.subscription.updated", subscription(id, "active"), T1),
      ];
      if (order) events.reverse();
      for (const event of events) await apply(event);
      expect(await row("subscriptions", id)).toMatchObject({ status: "active" });
    }
  });

  test("subscriptions: created and updated with the same status in the same second end as updated", async () => {
    for (const order of [0, 1]) {
      const id = newId("sub");
      const created = stripeEvent(
        "customer.subscription.created",
        subscription(id, "active", "price_a"),
        T1,
      );
      const updated = stripeEvent(
        "customer.subscription.updated",
        subscription(id, "active", "price_b"),
        T1,
      );
      const events = order ? [updated, created] : [created, updated];
      for (const event of events) await apply(event);
      expect(await row("subscriptions", id)).toMatchObject({
        price_id: "price_b",
        last_event_id: updated.id,
      });
    }
  });

  test("subscriptions: deleted wins over updated in the same second in either order", async () => {
    for (const order of [0, 1]) {
      const id = newId("sub");
      const events = [
        stripeEvent("customer.subscription.updated", subscription(id, "active"), T1),
        stripeEvent("customer.subscription.deleted", subscription(id, "canceled"), T1),
      ];
      if (order) events.reverse();
      for (const event of events) await apply(event);
      expect(await row("subscriptions", id)).toMatchObject({ status: "canceled" });
    }
  });

  test("invoices: failed and paid in the same second end paid in either order", async () => {
    for (const order of [0, 1]) {
      const id = newId("in");
      const events = [
        stripeEvent("invoice.payment_failed", invoice(id, "open"), T1),
        stripeEvent("invoice.paid", invoice(id, "paid"), T1),
      ];
      if (order) events.reverse();
      for (const event of events) await apply(event);
      expect(await row("invoices", id)).toMatchObject({ status: "paid" });
    }
  });

  test("an event of the same second and the same rank and type applies (the last one processed wins)", async () => {
    const id = newId("sub");
    await apply(
      stripeEvent("customer.subscription.updated", subscription(id, "active", "price_a"), T1),
    );
    const again = stripeEvent(
      "customer.subscription.updated",
      subscription(id, "active", "price_b"),
      T1,
    );
    expect(await apply(again)).toEqual({ duplicate: false, outcome: "applied" });
    expect(await row("subscriptions", id)).toMatchObject({ price_id: "price_b" });
  });
});

describe("two different events for the same object in parallel", () => {
  test("the newer subscription update wins whichever commits first (20 rounds)", async () => {
    for (let round = 0; round < 20; round++) {
      const id = newId("sub");
      // The older event carries the higher-ranked status, so only `created` can decide.
      const older = stripeEvent(
        "customer.subscription.updated",
        subscription(id, "past_due", "price_old"),
        T1,
      );
      const newer = stripeEvent(
        "customer.subscription.updated",
        subscription(id, "active", "price_new"),
        T2,
      );
      if (round % 4 >= 2) {
        // Half of the rounds race on an existing row, half on the insert of a new one.
        await apply(
          stripeEvent("customer.subscription.created", subscription(id, "incomplete"), T1 - 60),
        );
      }
      const pair = round % 2 ? [newer, older] : [older, newer];
      const results = await Promise.all(pair.map((event) => apply(event)));
      expect(results.every((r) => !r.duplicate)).toBe(true);
      expect(await row("subscriptions", id)).toMatchObject({
        status: "active",
        price_id: "price_new",
        last_event_id: newer.id,
      });
      expect(await outcomeOf(newer)).toBe("applied");
    }
  });

  // Forces each commit order: a transaction holds the row, both deliveries queue behind it in a
  // chosen order, then the row is released.
  async function waitForLockWaiters(count: number): Promise<void> {
    for (let i = 0; i < 200; i++) {
      const { rows } = await sql.db.query(
        "select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name = 'postgrest-gateway' and wait_event_type = 'Lock'",
      );
      if (rows[0].n >= count) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`never saw ${count} deliveries waiting on the row lock`);
  }

  for (const first of ["newer", "older"] as const) {
    test(`the newer subscription update wins when the ${first} one commits first`, async () => {
      const id = newId("sub");
      await apply(
        stripeEvent("customer.subscription.created", subscription(id, "incomplete"), T1 - 60),
      );
      const older = stripeEvent(
        "customer.subscription.updated",
        subscription(id, "past_due", "price_old"),
        T1,
      );
      const newer = stripeEvent(
        "customer.subscription.updated",
        subscription(id, "active", "price_new"),
        T2,
      );
      const holder = new pg.Client({ connectionString: sql.databaseUrl });
      await holder.connect();
      try {
        await holder.query("begin");
        await holder.query("select 1 from subscriptions where id = $1 for update", [id]);
        const [a, b] = first === "newer" ? [newer, older] : [older, newer];
        const pendingA = apply(a);
        await waitForLockWaiters(1);
        const pendingB = apply(b);
        await waitForLockWaiters(2);
        await holder.query("commit");
        const [resultA, resultB] = await Promise.all([pendingA, pendingB]);
        if (first === "newer") {
          expect([resultA.outcome, resultB.outcome]).toEqual(["applied", "stale"]);
        } else {
          expect([resultA.outcome, resultB.outcome]).toEqual(["applied", "applied"]);
        }
      } finally {
        await holder.end();
      }
      expect(await row("subscriptions", id)).toMatchObject({
        status: "active",
        price_id: "price_new",
        last_event_id: newer.id,
      });
    });
  }

  test("a payment's succeeded and an older payment_failed in parallel end succeeded (20 rounds)", async () => {
    for (let round = 0; round < 20; round++) {
      const id = newId("pi");
      const failed = stripeEvent(
        "payment_intent.payment_failed",
        paymentIntent(id, "requires_payment_method"),
        T1,
      );
      const succeeded = stripeEvent("payment_intent.succeeded", paymentIntent(id, "succeeded"), T2);
      const pair = round % 2 ? [failed, succeeded] : [succeeded, failed];
      await Promise.all(pair.map((event) => apply(event)));
      expect(await row("payments", id)).toMatchObject({
        status: "succeeded",
        last_event_id: succeeded.id,
      });
    }
  });

  test("parallel refunds of one payment end at the highest amount_refunded (20 rounds)", async () => {
    for (let round = 0; round < 20; round++) {
      const id = newId("pi");
      const refunds = [100, 400, 900, 1600].map((amount, i) =>
        stripeEvent("charge.refunded", charge(id, amount), T1 + i),
      );
      if (round % 2) refunds.reverse();
      await Promise.all(refunds.map((event) => apply(event)));
      expect(await row("payments", id)).toMatchObject({
        status: "succeeded",
        amount_refunded: "1600",
        last_event_id: (round % 2 ? refunds[0] : refunds[3])?.id,
      });
    }
  });
});
