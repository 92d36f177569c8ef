// The key store against real PostgreSQL (through the PostgREST gateway, counting its RPCs) and
// real Redis (the failed-lookup counts, through the Upstash gateway).
import { randomUUID } from "node:crypto";
import { expect, inject, test } from "vitest";
import { createAuthLimit } from "../../../functions/ai-proxy/auth-limit.ts";
import { createKey } from "../../../functions/ai-proxy/key-admin.ts";
import { authorizeModel, createKeyStore } from "../../../functions/ai-proxy/keys.ts";
import { createDatabase } from "../../../shared/clients/database.ts";
import { createRedis } from "../../../shared/clients/redis.ts";
import { isAppError } from "../../../shared/http/errors.ts";
import { createLogger } from "../../../shared/http/logger.ts";
import { memoryValues, redisValues } from "../../../shared/resilience/values/index.ts";
import { useMigratedDatabase } from "../webhooks/sql-database.ts";

const sql = useMigratedDatabase("ai_keys_store");

const redis = () =>
  redisValues(
    createRedis({ url: inject("upstash").url, token: inject("upstash").token, timeoutMs: 2000 }),
    { keyLocking: true },
  );

function store(options: { perMinute?: number; cacheMs?: number; redisDown?: boolean } = {}) {
  const db = createDatabase(sql.gateway.url, sql.serviceRoleKey);
  const limit = createAuthLimit({
    values: redis(),
    fallback: memoryValues(),
    redisDown: () => options.redisDown ?? false,
    prefix: `keys-test:${randomUUID()}:`,
    perMinute: options.perMinute ?? 5,
    log: createLogger({ fn: "keys-test", level: "error" }),
  });
  const keys = createKeyStore({
    envKeys: [],
    db,
    defaultRequestsPerMinute: 60,
    cacheMs: options.cacheMs ?? 30_000,
    negativeCacheMs: 60_000,
    reserveLookup: limit.reserve,
  });
  return { db, keys };
}

const deferred: Promise<unknown>[] = [];
const from = (address: string) => ({
  address,
  defer: (p: Promise<unknown>) => void deferred.push(p),
});
const bearer = (key: string) => `Bearer ${key}`;

async function failure(run: Promise<unknown>) {
  try {
    await run;
  } catch (error) {
    if (isAppError(error))
      return { status: error.status, code: error.code, message: error.message };
    throw error;
  }
  throw new Error("expected a refusal");
}

test("a found key is cached: the second request costs no lookup", async () => {
  const { db, keys } = store();
  const { key, id } = await createKey(db, { name: "cached", tokens_per_minute: 500 });
  const before = sql.gateway.requestCount();
  const caller = await keys.authenticate(bearer(key), from("10.0.0.1"));
  await keys.authenticate(bearer(key), from("10.0.0.1"));
  expect(sql.gateway.requestCount() - before).toBe(1);
  expect(caller).toMatchObject({ id: `key_${id}`, tokensPerMinute: 500, requestsPerMinute: 60 });
});

test("a wrong key costs one lookup per hash, however often it is sent", async () => {
  const { keys } = store({ perMinute: 100 });
  const before = sql.gateway.requestCount();
  for (let i = 0; i < 5; i++) {
    expect(await failure(keys.authenticate(bearer("bw-wrong"), from("10.0.0.2")))).toMatchObject({
      status: 401,
    });
  }
  expect(sql.gateway.requestCount() - before).toBe(1);
});

test("an address whose lookups failed perMinute times gets 429 before any lookup; others do not", async () => {
  const { db, keys } = store({ perMinute: 3 });
  const { key } = await createKey(db, { name: "neighbour" });
  const before = sql.gateway.requestCount();
  const statuses: number[] = [];
  for (let i = 0; i < 6; i++) {
    statuses.push(
      (await failure(keys.authenticate(bearer(`bw-${randomUUID()}`), from("10.0.0.3")))).status,
    );
  }
  expect(statuses).toEqual([401, 401, 401, 429, 429, 429]);
  expect(sql.gateway.requestCount() - before).toBe(3);
  await expect(keys.authenticate(bearer(key), from("10.0.0.4"))).resolves.toBeTruthy();
});

test("a lookup that finds its key gives its reservation back", async () => {
  const { db, keys } = store({ perMinute: 2 });
  for (let i = 0; i < 4; i++) {
    const { key } = await createKey(db, { name: `valid-${i}` });
    await keys.authenticate(bearer(key), from("10.0.0.5"));
    await Promise.all(deferred.splice(0));
  }
  const wrong = await failure(keys.authenticate(bearer(`bw-${randomUUID()}`), from("10.0.0.5")));
  expect(wrong.status).toBe(401);
});

test("with Redis unreachable, failed lookups are counted in this isolate", async () => {
  const { keys } = store({ perMinute: 2, redisDown: true });
  const statuses: number[] = [];
  for (let i = 0; i < 3; i++) {
    statuses.push(
      (await failure(keys.authenticate(bearer(`bw-${randomUUID()}`), from("10.0.0.6")))).status,
    );
  }
  expect(statuses).toEqual([401, 401, 429]);
});

test("a revoked key is refused once this isolate's cache of it ends", async () => {
  const { db, keys } = store({ cacheMs: 200 });
  const { key, id } = await createKey(db, { name: "revoked" });
  await keys.authenticate(bearer(key), from("10.0.0.7"));
  await db.rpc("ai_key_revoke", { key_id: id });
  await expect(keys.authenticate(bearer(key), from("10.0.0.7"))).resolves.toBeTruthy();
  await new Promise((r) => setTimeout(r, 250));
  expect(await failure(keys.authenticate(bearer(key), from("10.0.0.7")))).toMatchObject({
    status: 401,
    message: "This API key has been revoked",
  });
});

test("an expired key is refused, even while it is cached", async () => {
  const { db, keys } = store();
  const { key } = await createKey(db, {
    name: "expiring",
    expires_at: new Date(Date.now() + 300).toISOString(),
  });
  await expect(keys.authenticate(bearer(key), from("10.0.0.8"))).resolves.toBeTruthy();
  await new Promise((r) => setTimeout(r, 350));
  expect(await failure(keys.authenticate(bearer(key), from("10.0.0.8")))).toMatchObject({
    status: 401,
    message: "This API key has expired",
  });
});

test("a key limited to some models is refused others with 403 model_not_allowed", async () => {
  const { db, keys } = store();
  const { key } = await createKey(db, { name: "limited", models: ["chat-default"] });
  const caller = await keys.authenticate(bearer(key), from("10.0.0.9"));
  expect(() => authorizeModel(caller, "chat-default")).not.toThrow();
  let error: unknown;
  try {
    authorizeModel(caller, "claude");
  } catch (caught) {
    error = caught;
  }
  expect(isAppError(error) && [error.status, error.code]).toEqual([403, "model_not_allowed"]);
});

test("a budgeted key carries its budget and the period's spend so far", async () => {
  const { db, keys } = store();
  const { key, id } = await createKey(db, {
    name: "budget",
    budget_usd: 2,
    budget_period: "month",
  });
  await sql.db.query(
    `insert into public.ai_usage (request_id, key_id, public_model, cost_usd, latency_ms, attempts, status)
     values ($1, $2, 'chat', 0.5, 1, 1, 200)`,
    [randomUUID(), `key_${id}`],
  );
  const caller = await keys.authenticate(bearer(key), from("10.0.0.10"));
  const now = new Date();
  expect(caller.budget).toEqual({
    usd: 2,
    period: "month",
    spentUsd: 0.5,
    periodStart: Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1),
  });
});
