// The PostgREST RPC gateway while PostgreSQL goes away and comes back. It gets a private cluster,
// since stopping the run's shared one would break every other test.
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { createClient } from "@supabase/supabase-js";
import pg from "pg";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type PostgrestGateway, startPostgrestGateway } from "../../dev/postgrest-gateway/index.ts";
import { createDatabase, migrate } from "../../dev/services/database.ts";
import { waitFor } from "../../dev/services/ports.ts";
import { type PostgresServer, startPostgres } from "../../dev/services/postgres.ts";

const SERVICE_ROLE_KEY = "test-service-role-key";

let dir: string;
let postgres: PostgresServer;
let gateway: PostgrestGateway;
let databaseUrl: string;

beforeAll(async () => {
  dir = mkdtempSync(`${tmpdir()}/breakwater-gateway-pg-`);
  // PostgreSQL runs as the `postgres` user when we are root: it must be able to reach its data.
  chmodSync(dir, 0o755);
  postgres = await startPostgres({ dataDir: `${dir}/data` });
  databaseUrl = await createDatabase(postgres.url, "outage");
  await migrate(databaseUrl);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query(`
    create function public.gw_ping() returns text language sql as $$ select 'pong' $$;
    create function public.gw_slow() returns text language sql as $$ select pg_sleep(10)::text $$;`);
  await client.end();
  gateway = await startPostgrestGateway({
    databaseUrl,
    serviceRoleKey: SERVICE_ROLE_KEY,
    anonKey: "anon",
  });
}, 60_000);

afterAll(async () => {
  await gateway?.close();
  await postgres?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const ping = (target = gateway) =>
  fetch(`${target.url}/rest/v1/rpc/gw_ping`, {
    method: "POST",
    headers: { apikey: SERVICE_ROLE_KEY, "content-type": "application/json" },
    body: "{}",
  });

test("a stopped PostgreSQL is a prompt 503 PGRST000", async () => {
  expect((await ping()).status).toBe(200); // leaves an idle connection in the pool
  await postgres.stop();
  try {
    const started = performance.now();
    const res = await ping();
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({
      code: "PGRST000",
      message: "Database connection error. Retrying the connection.",
    });
    // supabase-js does not retry a POST: the edge code sees the 503 itself.
    const { error, status } = await createClient(gateway.url, SERVICE_ROLE_KEY, {
      auth: { persistSession: false, autoRefreshToken: false },
    }).rpc("gw_ping");
    expect({ code: error?.code, status }).toEqual({ code: "PGRST000", status: 503 });
  } finally {
    await postgres.start();
  }
});

test("calls work again as soon as PostgreSQL is back", async () => {
  expect((await ping()).status).toBe(200);
  await postgres.stop();
  await postgres.start();
  // The pooled connections died with the old server; the first call must not trip over them.
  const res = await ping();
  expect(res.status).toBe(200);
  expect(await res.json()).toBe("pong");
});

test("a call under way when PostgreSQL stops is a 503", async () => {
  const pending = fetch(`${gateway.url}/rest/v1/rpc/gw_slow`, {
    method: "POST",
    headers: { apikey: SERVICE_ROLE_KEY, "content-type": "application/json" },
    body: "{}",
  });
  await waitFor("the call to reach pg_sleep", async () => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const { rowCount } = await client.query(
        `select 1 from pg_stat_activity
         where state = 'active' and query like '%gw_slow%' and pid <> pg_backend_pid()`,
      );
      return rowCount === 1;
    } finally {
      await client.end();
    }
  });
  await postgres.stop();
  try {
    expect((await pending).status).toBe(503);
  } finally {
    await postgres.start();
  }
});

test("a gateway started while PostgreSQL is down serves once it is up", async () => {
  await postgres.stop();
  let late: PostgrestGateway | undefined;
  try {
    late = await startPostgrestGateway({
      databaseUrl,
      serviceRoleKey: SERVICE_ROLE_KEY,
      anonKey: "anon",
    });
    expect((await ping(late)).status).toBe(503);
  } finally {
    await postgres.start();
  }
  try {
    expect(await (await ping(late)).json()).toBe("pong");
  } finally {
    await late.close();
  }
});
