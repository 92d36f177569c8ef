// The key RPCs as the edge code and the CLI call them: supabase-js through the local PostgREST
// gateway over a freshly migrated database.
import { randomUUID } from "node:crypto";
import { expect, test } from "vitest";
import { useMigratedDatabase } from "../webhooks/sql-database.ts";

const sql = useMigratedDatabase("ai_keys_sql");

const hash = () => randomUUID().replaceAll("-", "").repeat(2);

async function create(fields: Record<string, unknown> = {}) {
  const { data, error } = await sql.service.rpc("ai_key_create", {
    key_hash: hash(),
    prefix: "bw-abcdefgh",
    name: "test",
    ...fields,
  });
  expect(error).toBeNull();
  return (data as { id: string }[])[0]!.id;
}

async function spend(keyId: string, cost: number, at: string) {
  await sql.db.query(
    `insert into public.ai_usage (request_id, key_id, public_model, cost_usd, latency_ms, attempts,
       status, created_at) values ($1, $2, 'chat', $3, 1, 1, 200, $4)`,
    [randomUUID(), `key_${keyId}`, cost, at],
  );
}

test("a created key is looked up with everything the proxy enforces", async () => {
  const key_hash = hash();
  const expires = new Date(Date.now() + 86_400_000).toISOString();
  await sql.service.rpc("ai_key_create", {
    key_hash,
    prefix: "bw-abcdefgh",
    name: "ci",
    requests_per_minute: 10,
    tokens_per_minute: 1000,
    budget_usd: 5,
    budget_period: "day",
    models: ["chat-default"],
    expires_at: expires,
    cache_max_age: 60,
    allow_direct_models: true,
  });
  const { data } = await sql.service.rpc("ai_key_lookup", { key_hash });
  expect(data).toHaveLength(1);
  expect(data[0]).toMatchObject({
    name: "ci",
    requests_per_minute: 10,
    tokens_per_minute: 1000,
    budget_period: "day",
    models: ["chat-default"],
    cache_max_age: 60,
    allow_direct_models: true,
    revoked_at: null,
  });
  expect(Number(data[0].budget_usd)).toBe(5);
  expect(Number(data[0].spend_usd)).toBe(0);
  expect(new Date(data[0].expires_at).toISOString()).toBe(expires);
});

test("spend counts this period's usage only: today for a day budget, this month for a month one", async () => {
  const day = await create({ budget_usd: 1, budget_period: "day" });
  const month = await create({ budget_usd: 1, budget_period: "month" });
  const now = new Date();
  const yesterday = new Date(now.getTime() - 86_400_000);
  const lastMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 15));
  for (const id of [day, month]) {
    await spend(id, 0.25, now.toISOString());
    await spend(id, 0.5, lastMonth.toISOString());
  }
  const sameMonth = yesterday.getUTCMonth() === now.getUTCMonth();
  await spend(day, 0.125, yesterday.toISOString());
  await spend(month, 0.125, yesterday.toISOString());
  const { data } = await sql.service.rpc("ai_key_list");
  const row = (id: string) =>
    (data as { id: string; spend_usd: number }[]).find((r) => r.id === id)!;
  expect(Number(row(day).spend_usd)).toBe(0.25);
  expect(Number(row(month).spend_usd)).toBe(sameMonth ? 0.375 : 0.25);
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  expect(new Date((row(day) as unknown as { period_start: string }).period_start)).toEqual(start);
});

test("a listing never holds a key hash", async () => {
  await create();
  const { data } = await sql.service.rpc("ai_key_list");
  expect(data.length).toBeGreaterThan(0);
  expect(Object.keys(data[0])).not.toContain("key_hash");
  expect(JSON.stringify(data)).not.toMatch(/[0-9a-f]{64}/);
});

test("revoking is idempotent and keeps the first time; an unknown id revokes nothing", async () => {
  const id = await create();
  const first = await sql.service.rpc("ai_key_revoke", { key_id: id });
  expect(first.data).toHaveLength(1);
  await new Promise((r) => setTimeout(r, 20));
  const second = await sql.service.rpc("ai_key_revoke", { key_id: id });
  expect(second.data[0].revoked_at).toBe(first.data[0].revoked_at);
  expect((await sql.service.rpc("ai_key_revoke", { key_id: randomUUID() })).data).toEqual([]);
});

test("a budget needs its period, and limits must be positive", async () => {
  for (const fields of [{ budget_usd: 1 }, { budget_period: "day" }, { requests_per_minute: 0 }]) {
    const { error } = await sql.service.rpc("ai_key_create", {
      key_hash: hash(),
      prefix: "bw-x",
      name: "bad",
      ...fields,
    });
    expect(error?.code).toBe("23514"); // check_violation
  }
});

test("a cache hit is recorded as one", async () => {
  const request_id = randomUUID();
  const { error } = await sql.service.rpc("record_ai_usage", {
    rows: [
      {
        request_id,
        key_id: "key_x",
        public_model: "chat",
        provider: null,
        upstream_model: null,
        prompt_tokens: 0,
        completion_tokens: 0,
        cost_usd: 0,
        latency_ms: 1,
        attempts: 0,
        status: 200,
        cache_hit: true,
      },
    ],
  });
  expect(error).toBeNull();
  const { rows } = await sql.db.query(
    "select cache_hit from public.ai_usage where request_id = $1",
    [request_id],
  );
  expect(rows).toEqual([{ cache_hit: true }]);
});
