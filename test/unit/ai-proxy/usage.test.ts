// Usage rows as the proxy writes them: batched per isolate into one RPC, through the local
// PostgREST gateway over a freshly migrated database.
import { randomUUID } from "node:crypto";
import { expect, test } from "vitest";
import { createDatabase } from "../../../shared/clients/database.ts";
import { createLogger } from "../../../shared/http/logger.ts";
import { type UsageRecord, createUsageRecorder } from "../../../functions/ai-proxy/usage.ts";
import { useMigratedDatabase } from "../webhooks/sql-database.ts";

const sql = useMigratedDatabase("ai_usage_batch");

function recorder(options: { flushMs?: number; maxRows?: number; lines?: string[] } = {}) {
  const log = createLogger({ fn: "test", sink: (line) => options.lines?.push(line) });
  const db = createDatabase(sql.gateway.url, sql.serviceRoleKey);
  return createUsageRecorder({ db, log, ...options });
}

function row(keyId: string, fields: Partial<UsageRecord> = {}): UsageRecord {
  return {
    requestId: randomUUID(),
    keyId,
    publicModel: "chat",
    provider: "openai",
    upstreamModel: "gpt-4o-mini",
    usage: {
      prompt_tokens: 1000,
      completion_tokens: 500,
      total_tokens: 1500,
      prompt_tokens_details: { cached_tokens: 200 },
    },
    latencyMs: 12.6,
    attempts: 1,
    status: 200,
    ...fields,
  };
}

async function rowsOf(keyId: string) {
  const { rows } = await sql.db.query(
    `select prompt_tokens, completion_tokens, cached_tokens, latency_ms, cost_usd::float as cost,
       cache_hit from public.ai_usage where key_id = $1 order by id`,
    [keyId],
  );
  return rows;
}

test("rows recorded close together go to Postgres as one RPC, after the first one's wait", async () => {
  const usage = recorder({ flushMs: 100 });
  const keyId = `key_${randomUUID()}`;
  const rpcs = sql.gateway.requestCount();
  const sends = Array.from({ length: 5 }, () => usage.record(row(keyId)));
  // Only the row that started the batch carries its send (for waitUntil); the rest ride along.
  expect(sends.filter(Boolean)).toHaveLength(1);
  expect(await rowsOf(keyId)).toEqual([]);
  await sends[0];
  expect(sql.gateway.requestCount() - rpcs).toBe(1);
  const rows = await rowsOf(keyId);
  expect(rows).toHaveLength(5);
  expect(rows[0]).toMatchObject({
    prompt_tokens: 1000,
    completion_tokens: 500,
    cached_tokens: 200,
    latency_ms: 13,
    cache_hit: false,
  });
  expect(rows[0].cost).toBeGreaterThan(0);
});

test("a full batch goes at once, and the next row starts a new one", async () => {
  const usage = recorder({ flushMs: 60_000, maxRows: 3 });
  const keyId = `key_${randomUUID()}`;
  const sends = [1, 2, 3].map(() => usage.record(row(keyId)));
  await sends[2];
  expect(await rowsOf(keyId)).toHaveLength(3);
  expect(usage.record(row(keyId))).toBeInstanceOf(Promise);
});

test("a cache hit is recorded at cost 0", async () => {
  const usage = recorder({ flushMs: 10 });
  const keyId = `key_${randomUUID()}`;
  await usage.record(row(keyId, { cacheHit: true, attempts: 0 }));
  expect(await rowsOf(keyId)).toEqual([expect.objectContaining({ cache_hit: true, cost: 0 })]);
});

test("a batch Postgres refuses is logged with its request ids, never raised", async () => {
  const lines: string[] = [];
  const usage = recorder({ flushMs: 10, lines });
  const record = row("key_x", { publicModel: null as unknown as string });
  await expect(usage.record(record)).resolves.toBeUndefined();
  const line = JSON.parse(lines.find((l) => l.includes("usage not recorded"))!);
  expect(line).toMatchObject({ rows: 1, requestIds: [record.requestId] });
});
