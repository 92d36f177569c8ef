// The events function's SQL as the edge code calls it: supabase-js through the local PostgREST
// gateway, over a fresh database. One transaction per publish, claims that two runs never share,
// outcomes recorded only under the current claim, endpoints stopped by 410 and by five days of
// failures, inbound deliveries stored once, anon refused.
import { randomUUID } from "node:crypto";
import { expect, test } from "vitest";
import { useMigratedDatabase } from "../webhooks/sql-database.ts";

const sql = useMigratedDatabase("events_sql");
const LEASE_MS = 30_000;

interface Claimed {
  id: string;
  claim_id: string;
  attempt: number;
  endpoint_id: string;
  url: string;
  host: string;
  secrets: string[];
  event: { id: string; type: string; data: unknown };
}

async function rpc<T>(name: string, args: object): Promise<T> {
  const { data, error, status } = await sql.service.rpc(name, args);
  if (error) throw new Error(`${name} answered ${status}: ${JSON.stringify(error)}`);
  return data as T;
}

async function endpoint(events: string[], host = `h-${randomUUID().slice(0, 8)}.example.com`) {
  const created = await rpc<{ id: string }>("events_create_endpoint", {
    url: `https://${host}/hooks`,
    host,
    event_types: events,
    description: null,
    secret: `whsec_${randomUUID()}`,
  });
  return created.id;
}

const publish = (type: string, id = `evt_${randomUUID()}`) =>
  rpc<{ duplicate: boolean; deliveries: number; claimed: Claimed[] }>("events_publish", {
    event_id: id,
    event_type: type,
    data: { n: 1 },
    lease_ms: LEASE_MS,
  });

const record = (claimed: Claimed, outcome: string, extra: object = {}) =>
  rpc<{ recorded: boolean }>("events_record_attempt", {
    delivery_id: claimed.id,
    claim_id: claimed.claim_id,
    outcome,
    attempted_at: new Date().toISOString(),
    latency_ms: 12,
    ...extra,
  });

/** Makes a delivery due now with no live claim, as if its lease had run out. */
const expireClaim = (id: string) =>
  sql.db.query(
    "update webhook_deliveries set next_attempt_at = now() - interval '1 second', claimed_until = now() - interval '1 second' where id = $1",
    [id],
  );

test("a publish records the event and one claimed delivery per subscribed endpoint", async () => {
  const type = `invoice${randomUUID().slice(0, 6)}.paid`;
  const exact = await endpoint([type]);
  const prefix = await endpoint([`${type.split(".")[0]}.*`]);
  const other = await endpoint([`${type}.not`]);
  const everything = await endpoint(["*"]);
  const published = await publish(type);
  await rpc("events_delete_endpoint", { endpoint_id: everything });
  expect(published.deliveries).toBe(3);
  expect(published.claimed.map((c) => c.endpoint_id).sort()).toEqual(
    [exact, prefix, everything].sort(),
  );
  expect(published.claimed.every((c) => c.id.startsWith("msg_") && c.attempt === 1)).toBe(true);
  expect(published.claimed.map((c) => c.endpoint_id)).not.toContain(other);
});

test("a repeated event id returns the existing event and creates nothing", async () => {
  await endpoint(["order.created"]);
  const id = `evt_${randomUUID()}`;
  const first = await publish("order.created", id);
  const again = await publish("order.created", id);
  expect(first).toMatchObject({ duplicate: false, deliveries: 1 });
  expect(again).toEqual({ duplicate: true, deliveries: first.deliveries, claimed: [] });
  const { rows } = await sql.db.query(
    "select count(*)::int as n from webhook_deliveries where event_id = $1",
    [id],
  );
  expect(rows[0].n).toBe(first.deliveries);
});

test("a claimed delivery is not due again until its lease runs out", async () => {
  await endpoint(["lease.test"]);
  const published = await publish("lease.test");
  const due = await rpc<Claimed[]>("events_claim_due", {
    max_count: 1000,
    per_host: 1000,
    lease_ms: LEASE_MS,
  });
  expect(due.map((c) => c.id)).not.toContain(published.claimed[0]!.id);
  await expireClaim(published.claimed[0]!.id);
  const retaken = await rpc<Claimed[]>("events_claim_due", {
    max_count: 1000,
    per_host: 1000,
    lease_ms: LEASE_MS,
  });
  expect(retaken.map((c) => c.id)).toContain(published.claimed[0]!.id);
});

test("ten overlapping claim runs never take the same delivery twice", async () => {
  await endpoint(["race.test"]);
  const ids: string[] = [];
  for (let i = 0; i < 20; i++) {
    for (const claimed of (await publish("race.test")).claimed) {
      await expireClaim(claimed.id);
      ids.push(claimed.id);
    }
  }
  const runs = await Promise.all(
    Array.from({ length: 10 }, () =>
      rpc<Claimed[]>("events_claim_due", { max_count: 1000, per_host: 1000, lease_ms: LEASE_MS }),
    ),
  );
  const taken = runs
    .flat()
    .map((c) => c.id)
    .filter((id) => ids.includes(id));
  expect(taken.sort()).toEqual([...ids].sort());
});

test("a run takes at most per_host deliveries of one host", async () => {
  const host = `busy-${randomUUID().slice(0, 8)}.example.com`;
  await endpoint(["per.host"], host);
  for (let i = 0; i < 3; i++)
    for (const c of (await publish("per.host")).claimed) await expireClaim(c.id);
  const due = await rpc<Claimed[]>("events_claim_due", {
    max_count: 1000,
    per_host: 2,
    lease_ms: LEASE_MS,
  });
  expect(due.filter((c) => c.host === host)).toHaveLength(2);
});

test("a retry is due again after its delay, with the attempt counted", async () => {
  await endpoint(["retry.test"]);
  const [claimed] = (await publish("retry.test")).claimed;
  expect(await record(claimed!, "retry", { status_code: 500, retry_in_ms: 60_000 })).toEqual({
    recorded: true,
  });
  const { rows } = await sql.db.query(
    "select status, attempts, next_attempt_at > now() + interval '50 seconds' as later, claim_id from webhook_deliveries where id = $1",
    [claimed!.id],
  );
  expect(rows[0]).toEqual({ status: "pending", attempts: 1, later: true, claim_id: null });
});

test("an outcome from a claim that is no longer current changes nothing but is kept", async () => {
  await endpoint(["stale.claim"]);
  const [claimed] = (await publish("stale.claim")).claimed;
  expect(
    await record({ ...claimed!, claim_id: randomUUID() }, "delivered", { status_code: 200 }),
  ).toEqual({
    recorded: false,
  });
  const { rows } = await sql.db.query(
    "select d.status, (select count(*)::int from webhook_attempts a where a.delivery_id = d.id) as attempts from webhook_deliveries d where d.id = $1",
    [claimed!.id],
  );
  expect(rows[0]).toEqual({ status: "pending", attempts: 1 });
});

test("a deferred attempt is given back without spending it", async () => {
  await endpoint(["defer.test"]);
  const [claimed] = (await publish("defer.test")).claimed;
  const notBefore = new Date(Date.now() + 60_000).toISOString();
  expect(
    await rpc("events_defer", {
      delivery_ids: [claimed!.id],
      claim_ids: [claimed!.claim_id],
      not_before: notBefore,
    }),
  ).toBe(1);
  const { rows } = await sql.db.query(
    "select attempts, claim_id, next_attempt_at = $2::timestamptz as due_then from webhook_deliveries where id = $1",
    [claimed!.id, notBefore],
  );
  expect(rows[0]).toEqual({ attempts: 0, claim_id: null, due_then: true });
});

test("a 410 disables the endpoint and fails its other pending deliveries", async () => {
  const id = await endpoint(["gone.test"]);
  const [first] = (await publish("gone.test")).claimed;
  const [second] = (await publish("gone.test")).claimed;
  await record(first!, "gone", { status_code: 410 });
  const { rows } = await sql.db.query(
    "select d.status, e.disabled_at is not null as disabled from webhook_deliveries d join webhook_endpoints e on e.id = d.endpoint_id where d.id = any($1) order by d.id",
    [[first!.id, second!.id]],
  );
  expect(rows).toEqual([
    { status: "failed", disabled: true },
    { status: "failed", disabled: true },
  ]);
  expect((await publish("gone.test")).deliveries).toBe(0);
  const listed = await rpc<{ id: string; disabled: boolean }[]>("events_list_endpoints", {});
  expect(listed.find((e) => e.id === id)?.disabled).toBe(true);
});

test("an endpoint failing for five days without a success is disabled", async () => {
  const id = await endpoint(["five.days"]);
  const [first] = (await publish("five.days")).claimed;
  await record(first!, "retry", { status_code: 500, retry_in_ms: 1000 });
  await sql.db.query(
    "update webhook_endpoints set failing_since = now() - interval '4 days' where id = $1",
    [id],
  );
  const [second] = (await publish("five.days")).claimed;
  await record(second!, "retry", { status_code: 500, retry_in_ms: 1000 });
  let { rows } = await sql.db.query("select disabled_at from webhook_endpoints where id = $1", [
    id,
  ]);
  expect(rows[0].disabled_at).toBeNull();
  await sql.db.query(
    "update webhook_endpoints set failing_since = now() - interval '5 days 1 minute' where id = $1",
    [id],
  );
  const [third] = (await publish("five.days")).claimed;
  await record(third!, "retry", { status_code: 500, retry_in_ms: 1000 });
  ({ rows } = await sql.db.query("select disabled_reason from webhook_endpoints where id = $1", [
    id,
  ]));
  expect(rows[0].disabled_reason).toBe("every delivery failed for 5 days");
});

test("a success clears the endpoint's failing streak", async () => {
  const id = await endpoint(["streak.test"]);
  const [first] = (await publish("streak.test")).claimed;
  await record(first!, "retry", { status_code: 500, retry_in_ms: 1000 });
  const [second] = (await publish("streak.test")).claimed;
  await record(second!, "delivered", { status_code: 204 });
  const { rows } = await sql.db.query("select failing_since from webhook_endpoints where id = $1", [
    id,
  ]);
  expect(rows[0].failing_since).toBeNull();
});

test("after a rotation both secrets sign until the overlap ends", async () => {
  const id = await endpoint(["rotate.test"]);
  const before = (await publish("rotate.test")).claimed[0]!.secrets;
  expect(
    await rpc("events_rotate_secret", {
      endpoint_id: id,
      secret: "whsec_new",
      overlap_seconds: 86_400,
    }),
  ).toBe(true);
  expect((await publish("rotate.test")).claimed[0]!.secrets).toEqual(["whsec_new", before[0]]);
  await sql.db.query("update webhook_endpoints set previous_secret_until = now() where id = $1", [
    id,
  ]);
  expect((await publish("rotate.test")).claimed[0]!.secrets).toEqual(["whsec_new"]);
});

test("a deleted endpoint receives nothing and its pending deliveries fail", async () => {
  const id = await endpoint(["delete.test"]);
  const [pending] = (await publish("delete.test")).claimed;
  expect(await rpc("events_delete_endpoint", { endpoint_id: id })).toBe(true);
  expect(await rpc("events_delete_endpoint", { endpoint_id: id })).toBe(false);
  expect((await publish("delete.test")).deliveries).toBe(0);
  const { rows } = await sql.db.query("select status from webhook_deliveries where id = $1", [
    pending!.id,
  ]);
  expect(rows[0].status).toBe("failed");
});

test("an event's inspection shows each delivery's state and attempts", async () => {
  await endpoint(["inspect.test"]);
  const id = `evt_${randomUUID()}`;
  const [claimed] = (await publish("inspect.test", id)).claimed;
  await record(claimed!, "retry", { status_code: 503, error: "answered 503", retry_in_ms: 5000 });
  const event = await rpc<{
    id: string;
    deliveries: { status: string; attempts: { status_code: number }[]; next_attempt_at: string }[];
  }>("events_get", { event_id: id });
  expect(event.id).toBe(id);
  expect(event.deliveries[0]).toMatchObject({
    status: "pending",
    attempts: [{ status_code: 503, error: "answered 503", latency_ms: 12 }],
  });
  expect(event.deliveries[0]!.next_attempt_at).toEqual(expect.any(String));
  expect(await rpc("events_get", { event_id: "evt_unknown" })).toBeNull();
});

test("a replay makes a new delivery with a new webhook-id", async () => {
  const target = await endpoint(["replay.test"]);
  const id = `evt_${randomUUID()}`;
  const [original] = (await publish("replay.test", id)).claimed;
  const replay = await rpc<{ deliveries: number; claimed: Claimed[] }>("events_replay", {
    event_id: id,
    endpoint_id: target,
    lease_ms: LEASE_MS,
  });
  expect(replay.deliveries).toBe(1);
  expect(replay.claimed[0]!.id).not.toBe(original!.id);
  expect(
    await rpc("events_replay", { event_id: "evt_unknown", endpoint_id: null, lease_ms: LEASE_MS }),
  ).toBeNull();
});

test("an inbound delivery is stored once per source and id", async () => {
  const id = `msg_${randomUUID()}`;
  const args = { source: "acme", event_id: id, event_type: "user.created", payload: { a: 1 } };
  expect(await rpc("webhook_record_inbound", args)).toEqual({ duplicate: false });
  expect(await rpc("webhook_record_inbound", args)).toEqual({ duplicate: true });
  expect(await rpc("webhook_record_inbound", { ...args, source: "other" })).toEqual({
    duplicate: false,
  });
  const { rows } = await sql.db.query(
    "select provider, outcome from webhook_events where event_id = $1 order by provider",
    [id],
  );
  expect(rows).toEqual([
    { provider: "acme", outcome: "received" },
    { provider: "other", outcome: "received" },
  ]);
});

test("malformed input is refused with 400 before anything is written", async () => {
  const { status } = await sql.service.rpc("events_publish", {
    event_id: "",
    event_type: "x",
    data: {},
    lease_ms: 1,
  });
  expect(status).toBe(400);
});

test("anon may call none of the events functions", async () => {
  const { error } = await sql.anon.rpc("events_list_endpoints", {});
  expect(error).not.toBeNull();
  const { error: inbound } = await sql.anon.rpc("webhook_record_inbound", {
    source: "a",
    event_id: "b",
    event_type: "c",
    payload: {},
  });
  expect(inbound).not.toBeNull();
});
