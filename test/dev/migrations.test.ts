import pg from "pg";
import { afterAll, beforeAll, expect, inject, test } from "vitest";
import { createDatabase, migrate } from "../../dev/services/database.ts";

let client: pg.Client;
let url: string;

beforeAll(async () => {
  url = await createDatabase(inject("postgresAdminUrl"), "migrations_test");
  await migrate(url);
  client = new pg.Client(url);
  await client.connect();
});
afterAll(() => client.end());

test("migrating again applies nothing", async () => {
  expect(await migrate(url)).toEqual([]);
});

test("every table in public has row level security on", async () => {
  const { rows } = await client.query(
    "select relname from pg_class where relnamespace = 'public'::regnamespace and relkind = 'r' and not relrowsecurity",
  );
  expect(rows).toEqual([]);
});

test("anon and authenticated hold no privilege on any table or function in public", async () => {
  const { rows } = await client.query(`
    select role, c.relname as object from pg_class c, unnest(array['anon', 'authenticated']) role
    where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'S')
      and (has_table_privilege(role, c.oid, 'select, insert, update, delete, truncate, references, trigger')
           or (c.relkind = 'S' and has_sequence_privilege(role, c.oid, 'usage')))
    union all
    select role, p.proname from pg_proc p, unnest(array['anon', 'authenticated']) role
    where p.pronamespace = 'public'::regnamespace and has_function_privilege(role, p.oid, 'execute')`);
  expect(rows).toEqual([]);
});

test("the service role may execute every function in public", async () => {
  const { rows } = await client.query(
    "select proname from pg_proc where pronamespace = 'public'::regnamespace and not has_function_privilege('service_role', oid, 'execute')",
  );
  expect(rows).toEqual([]);
});

test("the schema outline has every table the functions record into", async () => {
  const { rows } = await client.query<{ relname: string }>(
    "select relname from pg_class where relnamespace = 'public'::regnamespace and relkind = 'r' order by relname",
  );
  expect(rows.map((r) => r.relname)).toEqual([
    "ai_usage",
    "api_keys",
    "health_checks",
    "invoices",
    "outbound_events",
    "payments",
    "sms_messages",
    "subscriptions",
    "webhook_attempts",
    "webhook_deliveries",
    "webhook_endpoints",
    "webhook_events",
  ]);
});

test("webhook events are unique per provider and event id", async () => {
  const insert =
    "insert into webhook_events (provider, event_id, event_type, payload, outcome) values ($1, 'evt_1', 't', '{}', 'applied')";
  await client.query(insert, ["stripe"]);
  await client.query(insert, ["twilio"]);
  await expect(client.query(insert, ["stripe"])).rejects.toMatchObject({ code: "23505" });
});
