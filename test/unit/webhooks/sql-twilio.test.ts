// twilio_inbound_message and twilio_status_callback as the edge code calls them: the real
// supabase-js client through the local PostgREST gateway, over a fresh database. Inbound messages
// once per MessageSid, status callbacks once per (MessageSid, MessageStatus) and only forwards
// by rank, unknown messages kept, malformed input refused, anon refused.
import { randomUUID } from "node:crypto";
import { describe, expect, test } from "vitest";
import { useMigratedDatabase } from "./sql-database.ts";

const ACCOUNT_SID = "AC00000000000000000000000000000001";

const sql = useMigratedDatabase("webhooks_sql_twilio");

interface StatusApplied {
  duplicate: boolean;
  outcome: "applied" | "stale";
}

const newSid = (prefix: "SM" | "MM") => `${prefix}${randomUUID().replaceAll("-", "")}`.slice(0, 34);

/** The form params of an incoming-message webhook, as the edge code passes them. */
const inbound = (sid: string): Record<string, string> => ({
  ToCountry: "US",
  SmsMessageSid: sid,
  NumMedia: "0",
  SmsSid: sid,
  SmsStatus: "received",
  Body: "Hello there",
  To: "+15005550006",
  NumSegments: "1",
  MessageSid: sid,
  AccountSid: ACCOUNT_SID,
  From: "+14155550100",
  ApiVersion: "2010-04-01",
});

/** The form params of a status callback. */
const statusParams = (sid: string, status: string, extra: Record<string, string> = {}) => ({
  SmsSid: sid,
  SmsStatus: status,
  MessageStatus: status,
  To: "+14155550100",
  MessageSid: sid,
  AccountSid: ACCOUNT_SID,
  From: "+15005550006",
  ApiVersion: "2010-04-01",
  ...extra,
});

async function receive(message: object, token: string | null = randomUUID()) {
  const { data, error, status } = await sql.service.rpc("twilio_inbound_message", {
    message,
    idempotency_token: token,
  });
  if (error) throw new Error(`twilio_inbound_message answered ${status}: ${JSON.stringify(error)}`);
  return data as { duplicate: boolean };
}

async function callback(params: object, token: string | null = randomUUID()) {
  const { data, error, status } = await sql.service.rpc("twilio_status_callback", {
    callback: params,
    idempotency_token: token,
  });
  if (error) throw new Error(`twilio_status_callback answered ${status}: ${JSON.stringify(error)}`);
  return data as StatusApplied;
}

const message = async (sid: string) =>
  (await sql.db.query("select * from sms_messages where message_sid = $1", [sid])).rows[0] as
    Record<string, unknown> | undefined;

const events = async (prefix: string) =>
  (
    await sql.db.query(
      "select event_id, event_type, outcome, idempotency_token, payload from webhook_events where provider = 'twilio' and event_id like $1 order by id",
      [`${prefix}%`],
    )
  ).rows;

/** Applies the statuses one after the other and returns the final stored status and rank. */
async function sequence(sid: string, statuses: string[]) {
  const outcomes = [];
  for (const status of statuses) outcomes.push((await callback(statusParams(sid, status))).outcome);
  const row = await message(sid);
  return { outcomes, status: row?.status, rank: row?.status_rank };
}

describe("inbound messages", () => {
  test("an inbound message is stored once, with its event", async () => {
    const sid = newSid("SM");
    expect(await receive(inbound(sid), "token-1")).toEqual({ duplicate: false });
    expect(await message(sid)).toMatchObject({
      account_sid: ACCOUNT_SID,
      direction: "inbound",
      from_number: "+14155550100",
      to_number: "+15005550006",
      body: "Hello there",
      status: "received",
      status_rank: 4,
    });
    expect(await events(`message:${sid}`)).toEqual([
      {
        event_id: `message:${sid}`,
        event_type: "message.inbound",
        outcome: "applied",
        idempotency_token: "token-1",
        payload: inbound(sid),
      },
    ]);
  });

  test("a repeat of an inbound message, even with another token, is a duplicate and changes nothing", async () => {
    const sid = newSid("SM");
    await receive(inbound(sid), "token-a");
    const before = await message(sid);
    expect(await receive({ ...inbound(sid), Body: "tampered" }, "token-b")).toEqual({
      duplicate: true,
    });
    expect(await message(sid)).toEqual(before);
    expect(await events(`message:${sid}`)).toHaveLength(1);
  });

  test("20 identical inbound deliveries in parallel store one message", async () => {
    const sid = newSid("SM");
    const results = await Promise.all(
      Array.from({ length: 20 }, () => receive(inbound(sid), null)),
    );
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(await events(`message:${sid}`)).toMatchObject([{ idempotency_token: null }]);
    expect(
      (await sql.db.query("select 1 from sms_messages where message_sid = $1", [sid])).rowCount,
    ).toBe(1);
  });

  test("an inbound message without SmsStatus is stored as received", async () => {
    const sid = newSid("SM");
    const { SmsStatus: _, ...params } = inbound(sid);
    await receive(params);
    expect(await message(sid)).toMatchObject({ status: "received" });
  });

  test("an inbound message after a status callback for its sid fills in the unknown row", async () => {
    const sid = newSid("SM");
    await callback(statusParams(sid, "receiving"));
    expect(await receive(inbound(sid))).toEqual({ duplicate: false });
    expect(await message(sid)).toMatchObject({
      direction: "inbound",
      body: "Hello there",
      status: "received",
    });
  });
});

describe("status callbacks", () => {
  test("callbacks in order move an outbound message forward", async () => {
    const sid = newSid("SM");
    await sql.db.query(
      "insert into sms_messages (message_sid, direction, status, status_rank, body) values ($1, 'outbound', 'queued', 1, 'hi')",
      [sid],
    );
    expect(await sequence(sid, ["sending", "sent", "delivered"])).toEqual({
      outcomes: ["applied", "applied", "applied"],
      status: "delivered",
      rank: 4,
    });
    expect(await message(sid)).toMatchObject({ direction: "outbound", body: "hi" });
  });

  test("delivered before sent stays delivered", async () => {
    const sid = newSid("SM");
    expect(await sequence(sid, ["delivered", "sent"])).toEqual({
      outcomes: ["applied", "stale"],
      status: "delivered",
      rank: 4,
    });
    expect((await events(`status:${sid}:`)).map((e) => e.outcome)).toEqual(["applied", "stale"]);
  });

  test("failed then a late sending stays failed, with its error code", async () => {
    const sid = newSid("SM");
    await callback(statusParams(sid, "failed", { ErrorCode: "30008" }));
    expect((await callback(statusParams(sid, "sending"))).outcome).toBe("stale");
    expect(await message(sid)).toMatchObject({
      status: "failed",
      error_code: "30008",
      status_rank: 4,
    });
  });

  test("delivered then read ends read", async () => {
    const sid = newSid("MM");
    expect(await sequence(sid, ["delivered", "read"])).toEqual({
      outcomes: ["applied", "applied"],
      status: "read",
      rank: 5,
    });
  });

  test("read then a late delivered stays read", async () => {
    const sid = newSid("MM");
    expect(await sequence(sid, ["read", "delivered"])).toEqual({
      outcomes: ["applied", "stale"],
      status: "read",
      rank: 5,
    });
  });

  test("terminal statuses are final: undelivered then delivered or read stays undelivered", async () => {
    const sid = newSid("SM");
    expect(await sequence(sid, ["undelivered", "delivered", "read"])).toEqual({
      outcomes: ["applied", "stale", "stale"],
      status: "undelivered",
      rank: 4,
    });
  });

  test("queued, accepted and scheduled share one rank below sending", async () => {
    const sid = newSid("SM");
    expect(await sequence(sid, ["accepted", "queued", "scheduled", "sending"])).toEqual({
      outcomes: ["applied", "stale", "stale", "applied"],
      status: "sending",
      rank: 2,
    });
  });

  test("a callback for an unknown MessageSid is stored with direction unknown", async () => {
    const sid = newSid("SM");
    expect(await callback(statusParams(sid, "sent"))).toEqual({
      duplicate: false,
      outcome: "applied",
    });
    expect(await message(sid)).toMatchObject({
      direction: "unknown",
      account_sid: ACCOUNT_SID,
      from_number: "+15005550006",
      to_number: "+14155550100",
      status: "sent",
      status_rank: 3,
    });
  });

  test("a repeat of (MessageSid, MessageStatus) with another token is a duplicate", async () => {
    const sid = newSid("SM");
    await callback(statusParams(sid, "sent"), "token-1");
    expect(await callback(statusParams(sid, "sent"), "token-2")).toEqual({
      duplicate: true,
      outcome: "applied",
    });
    expect(await events(`status:${sid}:`)).toMatchObject([
      {
        event_id: `status:${sid}:sent`,
        event_type: "message.status",
        idempotency_token: "token-1",
      },
    ]);
  });

  test("a repeat of a stale callback answers its recorded outcome", async () => {
    const sid = newSid("SM");
    await callback(statusParams(sid, "delivered"));
    await callback(statusParams(sid, "sent"));
    expect(await callback(statusParams(sid, "sent"))).toEqual({
      duplicate: true,
      outcome: "stale",
    });
  });

  test("callbacks of every status in parallel end at the highest rank (20 rounds)", async () => {
    for (let round = 0; round < 20; round++) {
      const sid = newSid("MM");
      const statuses = ["queued", "sending", "sent", "delivered", "read"];
      if (round % 2) statuses.reverse();
      await Promise.all(statuses.map((status) => callback(statusParams(sid, status))));
      expect(await message(sid)).toMatchObject({ status: "read", status_rank: 5 });
    }
  });

  test("sms_status_rank defines the documented ranks", async () => {
    const { rows } = await sql.db.query(`
      select s as status, public.sms_status_rank(s) as rank from unnest(array[
        'accepted', 'scheduled', 'queued', 'receiving', 'sending', 'sent', 'delivered',
        'undelivered', 'failed', 'canceled', 'partially_delivered', 'received', 'read', 'novel'
      ]) s`);
    expect(Object.fromEntries(rows.map((r) => [r.status, r.rank]))).toEqual({
      accepted: 1,
      scheduled: 1,
      queued: 1,
      receiving: 1,
      sending: 2,
      sent: 3,
      delivered: 4,
      undelivered: 4,
      failed: 4,
      canceled: 4,
      partially_delivered: 4,
      received: 4,
      read: 5,
      novel: 0,
    });
  });
});

describe("malformed input", () => {
  test.each([
    ["twilio_inbound_message", "message", { Body: "no sid" }, /MessageSid/],
    ["twilio_inbound_message", "message", { MessageSid: "" }, /MessageSid/],
    ["twilio_inbound_message", "message", ["SM1"], /JSON object/],
    ["twilio_status_callback", "callback", { MessageStatus: "sent" }, /MessageSid/],
    ["twilio_status_callback", "callback", { MessageSid: "SMmissingstatus" }, /MessageStatus/],
  ])("%s with %s = %j is refused with 400 / 22023", async (fn, arg, value, text) => {
    const { data, error, status } = await sql.service.rpc(fn, {
      [arg]: value,
      idempotency_token: null,
    });
    expect(data).toBeNull();
    expect(status).toBe(400);
    expect(error).toMatchObject({ code: "22023", message: expect.stringMatching(text) });
  });

  test("a refused status callback records nothing", async () => {
    await sql.service.rpc("twilio_status_callback", {
      callback: { MessageSid: "SMnothingrecorded" },
      idempotency_token: null,
    });
    expect(await message("SMnothingrecorded")).toBeUndefined();
    expect(await events("status:SMnothingrecorded")).toEqual([]);
  });
});

describe("access", () => {
  test.each([
    ["twilio_inbound_message", { message: inbound("SManon1"), idempotency_token: null }],
    [
      "twilio_status_callback",
      { callback: statusParams("SManon1", "sent"), idempotency_token: null },
    ],
  ])("the sql.anon key cannot call %s (401, 42501)", async (fn, args) => {
    const { data, error, status } = await sql.anon.rpc(fn, args);
    expect(data).toBeNull();
    expect(status).toBe(401);
    expect(error?.code).toBe("42501");
    expect(await message("SManon1")).toBeUndefined();
  });

  test("no function of this migration is executable by sql.anon or authenticated", async () => {
    const { rows } = await sql.db.query(`
      select p.oid::regprocedure::text as fn, r as role
      from pg_proc p, unnest(array['anon', 'authenticated', 'public']) r
      where p.pronamespace = 'public'::regnamespace
        and (p.proname like 'stripe\\_%' or p.proname like 'twilio\\_%' or p.proname like 'sms\\_%')
        and case when r = 'public'
              then exists (select from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                           where a.grantee = 0 and a.privilege_type = 'EXECUTE')
              else has_function_privilege(r, p.oid, 'execute') end`);
    expect(rows).toEqual([]);
    const { rows: granted } = await sql.db.query(`
      select count(*)::int as n from pg_proc p
      where p.pronamespace = 'public'::regnamespace
        and p.proname in ('stripe_apply_event', 'twilio_inbound_message', 'twilio_status_callback')
        and has_function_privilege('service_role', p.oid, 'execute')`);
    expect(granted).toEqual([{ n: 3 }]);
  });
});
