// status_summary as the status page calls it: one RPC through the real supabase-js client and
// the local PostgREST gateway, over a fresh database; its scans use the time indexes.
import { expect, test } from "vitest";
import { useMigratedDatabase } from "../webhooks/sql-database.ts";

const sql = useMigratedDatabase("health_sql_status");

async function usage(row: {
  key: string;
  model: string;
  latency: number;
  status: number;
  hoursAgo?: number;
}) {
  await sql.db.query(
    `insert into ai_usage (request_id, key_id, public_model, provider, upstream_model, prompt_tokens,
       completion_tokens, cost_usd, latency_ms, attempts, status, created_at)
     values ($1, $2, $3, 'openai', 'gpt-4o-mini', 10, 5, 0.001, $4, 1, $5, now() - make_interval(hours => $6))`,
    [crypto.randomUUID(), row.key, row.model, row.latency, row.status, row.hoursAgo ?? 0],
  );
}

async function event(provider: string, outcome: string, hoursAgo = 0) {
  await sql.db.query(
    `insert into webhook_events (provider, event_id, event_type, payload, outcome, received_at)
     values ($1, $2, 't', '{}', $3, now() - make_interval(hours => $4))`,
    [provider, crypto.randomUUID(), outcome, hoursAgo],
  );
}

test("status_summary aggregates the last 24 h by provider, model, key and hour in one call", async () => {
  for (const latency of [100, 200, 300, 400])
    await usage({ key: "env_a", model: "chat", latency, status: 200 });
  await usage({ key: "env_b", model: "chat", latency: 1000, status: 502 });
  await usage({ key: "env_b", model: "embed", latency: 50, status: 200, hoursAgo: 3 });
  await usage({ key: "env_old", model: "old", latency: 50, status: 200, hoursAgo: 30 });
  await event("stripe", "applied");
  await event("stripe", "applied");
  await event("stripe", "ignored");
  await event("twilio", "applied", 2);
  await event("twilio", "applied", 26);

  const since = new Date(Date.now() - 24 * 3600_000).toISOString();
  const { data, error } = await sql.service.rpc("status_summary", { since });
  expect(error).toBeNull();
  expect(data.webhooks).toEqual([
    { provider: "stripe", stored: 3, applied: 2, ignored: 1, stale: 0 },
    { provider: "twilio", stored: 1, applied: 1, ignored: 0, stale: 0 },
  ]);
  expect(data.models.map((m: { name: string }) => m.name)).toEqual(["chat", "embed"]);
  expect(data.models[0]).toMatchObject({
    requests: 5,
    input_tokens: 50,
    output_tokens: 25,
    cost_usd: 0.005,
    p50_ms: 300,
    errors: 1,
  });
  expect(data.models[0].p95_ms).toBeCloseTo(880);
  expect(data.keys.map((k: { name: string; requests: number }) => [k.name, k.requests])).toEqual([
    ["env_a", 4],
    ["env_b", 2],
  ]);
  const hours = data.hours as {
    hour: number;
    ai_requests: number;
    ai_errors: number;
    webhook_events: number;
  }[];
  expect(hours.reduce((n, h) => n + h.ai_requests, 0)).toBe(6);
  expect(hours.reduce((n, h) => n + h.ai_errors, 0)).toBe(1);
  expect(hours.reduce((n, h) => n + h.webhook_events, 0)).toBe(4);
  expect(hours.every((h) => h.hour % 3600_000 === 0)).toBe(true);
});

test("status_summary is refused to the anon key", async () => {
  const { error } = await sql.anon.rpc("status_summary", { since: new Date().toISOString() });
  expect(error).not.toBeNull();
});

test("status_summary's scans start from the time indexes", async () => {
  await sql.db.query("set enable_seqscan = off");
  // The function's two scans, as its body writes them.
  const body = await sql.db.query(
    `explain select count(*) from ai_usage where created_at >= now() - interval '24 hours'
     union all select count(*) from webhook_events where received_at >= now() - interval '24 hours'`,
  );
  await sql.db.query("reset enable_seqscan");
  const text = body.rows.map((r) => r["QUERY PLAN"]).join("\n");
  expect(text).toContain("ai_usage_time");
  expect(text).toContain("webhook_events_received");
});
