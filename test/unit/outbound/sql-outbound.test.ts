// The outbound records (supabase/migrations/*_outbound.sql) against the webhook effects for the
// same objects: whichever lands first, both converge on the same final row. Called through the
// real supabase-js client and the local PostgREST gateway, over a fresh database.
import { randomUUID } from "node:crypto";
import { describe, expect, test } from "vitest";
import { useMigratedDatabase } from "../webhooks/sql-database.ts";

const sql = useMigratedDatabase("outbound_sql");
const T = 1_763_700_000;
const newId = (prefix: string) => `${prefix}_${randomUUID().replaceAll("-", "").slice(0, 24)}`;

const event = (type: string, object: Record<string, unknown>, created: number) => ({
  id: newId("evt"),
  object: "event",
  created,
  livemode: false,
  type,
  data: { object },
});

async function rpc(fn: string, args: Record<string, unknown>) {
  const { data, error } = await sql.service.rpc(fn, args);
  if (error) throw new Error(`${fn}: ${error.message}`);
  return data as Record<string, unknown>;
}

const webhook = (e: ReturnType<typeof event>) =>
  rpc("stripe_apply_event", { event: e, livemode: false });

async function row(table: string, key: string, id: string) {
  const { rows } = await sql.db.query(`select * from public.${table} where ${key} = $1`, [id]);
  return rows[0] as Record<string, unknown> | undefined;
}

describe("payments: the create's answer and the webhooks converge in either order", () => {
  const created = (id: string) => ({
    id,
    object: "payment_intent",
    amount: 2000,
    currency: "usd",
    customer: "cus_1",
    status: "requires_payment_method",
    created: T,
  });
  const cases = [
    ["payment_intent.succeeded", T, "succeeded"],
    ["payment_intent.processing", T, "processing"],
    ["payment_intent.payment_failed", T + 5, "failed"],
  ] as const;

  test.each(cases)("%s at +%is ends %s whichever comes first", async (type, at, final) => {
    const states = [];
    for (const createFirst of [true, false]) {
      const id = newId("pi");
      const record = () =>
        rpc("stripe_record_payment_intent", { object: created(id), user_id: "user-1" });
      const hook = () => webhook(event(type, { ...created(id), status: "x" }, at));
      if (createFirst) {
        expect(await record()).toEqual({ outcome: "applied" });
        await hook();
      } else {
        await hook();
        expect(await record()).toEqual({ outcome: "stale" });
      }
      const { status, amount, currency, customer_id, user_id } = (await row("payments", "id", id))!;
      states.push({ status, amount: Number(amount), currency, customer_id, user_id });
    }
    expect(states[0]).toEqual({
      status: final,
      amount: 2000,
      currency: "usd",
      customer_id: "cus_1",
      user_id: "user-1",
    });
    expect(states[1]).toEqual(states[0]);
  });

  test("a repeated record changes nothing", async () => {
    const id = newId("pi");
    await rpc("stripe_record_payment_intent", { object: created(id), user_id: null });
    await webhook(event("payment_intent.succeeded", created(id), T + 1));
    expect(
      await rpc("stripe_record_payment_intent", { object: created(id), user_id: null }),
    ).toEqual({ outcome: "stale" });
    expect((await row("payments", "id", id))!.status).toBe("succeeded");
  });
});

describe("subscriptions: default_incomplete's answer and the subscription events", () => {
  const created = (id: string, status = "incomplete") => ({
    id,
    object: "subscription",
    customer: "cus_1",
    status,
    items: {
      object: "list",
      data: [{ id: "si_1", price: { id: "price_basic" }, current_period_end: T + 2_592_000 }],
    },
    created: T,
  });

  test.each([
    ["customer.subscription.created", T, "incomplete"],
    ["customer.subscription.updated", T, "active"],
    ["customer.subscription.deleted", T, "canceled"],
  ] as const)("%s of the same second ends %s whichever comes first", async (type, at, final) => {
    const states = [];
    for (const createFirst of [true, false]) {
      const id = newId("sub");
      const record = () =>
        rpc("stripe_record_subscription", { object: created(id), user_id: "user-2" });
      const hook = () =>
        webhook(event(type, created(id, final === "canceled" ? "active" : final), at));
      if (createFirst) {
        await record();
        await hook();
      } else {
        await hook();
        expect(await record()).toEqual({ outcome: "stale" });
      }
      const { status, price_id, customer_id, user_id, last_event_type } = (await row(
        "subscriptions",
        "id",
        id,
      ))!;
      states.push({ status, price_id, customer_id, user_id, last_event_type });
    }
    expect(states[0]).toMatchObject({
      status: final,
      price_id: "price_basic",
      customer_id: "cus_1",
      user_id: "user-2",
    });
    expect(states[1]).toEqual(states[0]);
  });
});

describe("sms_messages: the send's record and Twilio's status callbacks", () => {
  const callback = (sid: string, status: string) =>
    rpc("twilio_status_callback", {
      callback: { MessageSid: sid, MessageStatus: status },
      idempotency_token: null,
    });
  const sent = (id: string, sid: string | null, status = "queued") => ({
    id,
    sid,
    status,
    to: "+15005550006",
    from: "+15005550001",
    body: "hello",
    account_sid: "AC1",
  });

  test("delivered then recorded, or recorded then delivered: one outbound row, ours, delivered", async () => {
    for (const recordFirst of [true, false]) {
      const id = randomUUID();
      const sid = `SM${randomUUID().replaceAll("-", "")}`;
      if (recordFirst) await rpc("sms_record_outbound", { message: sent(id, sid) });
      await callback(sid, "delivered");
      const answer = await rpc("sms_record_outbound", { message: sent(id, sid) });
      expect(answer).toEqual({ id, status: "delivered" });
      expect(await row("sms_messages", "message_sid", sid)).toMatchObject({
        id,
        direction: "outbound",
        status: "delivered",
        body: "hello",
        to_number: "+15005550006",
      });
    }
  });

  test("a send of unknown fate is recorded without a sid, status unknown, once", async () => {
    const id = randomUUID();
    expect(await rpc("sms_record_outbound", { message: sent(id, null, "unknown") })).toEqual({
      id,
      status: "unknown",
    });
    expect(await rpc("sms_record_outbound", { message: sent(id, null, "unknown") })).toEqual({
      id,
      status: "unknown",
    });
    expect(await row("sms_messages", "id", id)).toMatchObject({
      message_sid: null,
      status: "unknown",
      direction: "outbound",
    });
  });

  test("malformed input is refused (400) before anything is written", async () => {
    for (const message of [
      {},
      { id: "not-a-uuid", status: "queued", sid: "SM1" },
      { id: randomUUID(), sid: null, status: "queued" },
    ]) {
      const { error, status } = await sql.service.rpc("sms_record_outbound", { message });
      expect(error, JSON.stringify(message)).not.toBeNull();
      expect(status).toBe(400);
    }
  });

  test("the anon key may not call the outbound functions", async () => {
    const { error } = await sql.anon.rpc("stripe_record_payment_intent", {
      object: {},
      user_id: null,
    });
    expect(error).not.toBeNull();
  });
});
