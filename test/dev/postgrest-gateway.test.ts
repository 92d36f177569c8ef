// The PostgREST RPC gateway as the edge code meets it: through the real supabase-js client,
// against a fresh database of this run's PostgreSQL with the migrations applied.
import { randomUUID } from "node:crypto";
import { type SupabaseClient, createClient } from "@supabase/supabase-js";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { type PostgrestGateway, startPostgrestGateway } from "../../dev/postgrest-gateway/index.ts";
import { createDatabase, migrate } from "../../dev/services/database.ts";

const SERVICE_ROLE_KEY = "test-service-role-key";
const ANON_KEY = "test-anon-key";

const FIXTURES = `
create table public.gw_items (id int primary key, name text not null);
create table public.gw_item_tags (item_id int not null references public.gw_items (id), tag text not null);
create table public.gw_notes (id int primary key, body text not null, visible boolean not null);
alter table public.gw_notes enable row level security;
create policy gw_notes_visible on public.gw_notes for select to anon using (visible);
grant select on public.gw_notes to anon;
insert into public.gw_notes values (1, 'shown', true), (2, 'hidden', false);

create function public.gw_add(a int, b int) returns int language sql immutable as $$ select a + b $$;
create function public.gw_document() returns json language sql immutable
  as $$ select '{"zebra": [1, 2], "apple": {"nested": null}}'::json $$;
create function public.gw_item(item_id int) returns public.gw_items language sql stable
  as $$ select * from public.gw_items where id = item_id $$;
create function public.gw_squares(n int) returns table (i int, square int) language sql immutable
  as $$ select g, g * g from generate_series(1, n) g $$;
create function public.gw_numbers(n int) returns setof int language sql immutable
  as $$ select generate_series(1, n) $$;
create function public.gw_nothing() returns void language sql as $$ select $$;
create function public.gw_echo(i int, t text, j jsonb, b boolean, ts timestamptz, tags text[], u uuid, n numeric)
  returns jsonb language sql immutable as $$
  select jsonb_build_object('i', i + 1, 't', upper(t), 'j', j -> 'k', 'b', not b,
    'ts', to_char(ts at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS'), 'tags', array_length(tags, 1),
    'u', u, 'n', n * 3) $$;
create function public.gw_greet(name text, greeting text default 'Hello') returns text language sql immutable
  as $$ select greeting || ', ' || name $$;
create function public.gw_overloaded(a int) returns text language sql immutable as $$ select 'one' $$;
create function public.gw_overloaded(a int, b int) returns text language sql immutable as $$ select 'two' $$;
create function public.gw_ambiguous(a int) returns text language sql immutable as $$ select 'int' $$;
create function public.gw_ambiguous(a text) returns text language sql immutable as $$ select 'text' $$;
create function public.gw_insert_item(item_id int, item_name text) returns public.gw_items language sql
  as $$ insert into public.gw_items (id, name) values (item_id, item_name) returning * $$;
create function public.gw_insert_items(ids int[]) returns setof public.gw_items language sql
  as $$ insert into public.gw_items (id, name) select id, 'item ' || id from unnest(ids) id returning * $$;
create function public.gw_tag_item(item_id int, tag text) returns void language sql
  as $$ insert into public.gw_item_tags values (item_id, tag) $$;
create function public.gw_refuse() returns void language plpgsql as $$
begin
  raise exception 'I refuse!' using detail = 'Pretty simple', hint = 'There is nothing you can do.';
end $$;
create function public.gw_insert_then_refuse(item_id int) returns void language plpgsql as $$
begin
  insert into public.gw_items (id, name) values (item_id, 'doomed');
  raise exception 'changed my mind';
end $$;
create function public.gw_payment_required() returns void language plpgsql as $$
begin
  raise sqlstate 'PT402' using message = 'Payment Required', detail = 'Quota exceeded', hint = 'Upgrade your plan';
end $$;
create function public.gw_whoami() returns jsonb language sql stable as $$
  select jsonb_build_object('user', current_user, 'claims', current_setting('request.jwt.claims')::jsonb)
$$;
create function public.gw_request() returns jsonb language sql stable as $$
  select jsonb_build_object('method', current_setting('request.method'),
    'path', current_setting('request.path'), 'search_path', current_setting('search_path'),
    'client_info', current_setting('request.headers')::jsonb ->> 'x-client-info')
$$;
create function public.gw_notes_seen() returns setof public.gw_notes language sql stable
  as $$ select * from public.gw_notes order by id $$;
create function public.gw_nobody() returns text language sql as $$ select 'unreachable' $$;

-- A new function is executable by PUBLIC (a per-schema default privilege cannot take that away),
-- so anon is given exactly what these tests let it call.
revoke execute on all functions in schema public from public, anon, authenticated;
grant execute on function public.gw_add(int, int), public.gw_whoami(), public.gw_notes_seen() to anon;
revoke execute on function public.gw_nobody() from service_role;
`;

const CLIENT_OPTIONS = { auth: { persistSession: false, autoRefreshToken: false } };

let databaseUrl: string;
let gateway: PostgrestGateway;
let service: SupabaseClient;
let anon: SupabaseClient;

async function sql<T extends pg.QueryResultRow>(text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  const name = `postgrest_gateway_${randomUUID().slice(0, 8)}`;
  databaseUrl = await createDatabase(inject("postgresAdminUrl"), name);
  await migrate(databaseUrl);
  await sql(FIXTURES);
  gateway = await startPostgrestGateway({
    databaseUrl,
    serviceRoleKey: SERVICE_ROLE_KEY,
    anonKey: ANON_KEY,
  });
  service = createClient(gateway.url, SERVICE_ROLE_KEY, CLIENT_OPTIONS);
  anon = createClient(gateway.url, ANON_KEY, CLIENT_OPTIONS);
});

afterAll(async () => {
  await gateway?.close();
});

describe("response shapes", () => {
  test("a scalar function answers its value", async () => {
    const { data, error, status } = await service.rpc("gw_add", { a: 1, b: 2 });
    expect({ data, error, status }).toEqual({ data: 3, error: null, status: 200 });
  });

  test("a json function answers its document as PostgreSQL wrote it", async () => {
    const { data, status } = await service.rpc("gw_document");
    expect(status).toBe(200);
    expect(data).toEqual({ zebra: [1, 2], apple: { nested: null } });
    // json (unlike jsonb) keeps its key order: proof that the text was passed on untouched.
    expect(Object.keys(data)).toEqual(["zebra", "apple"]);
  });

  test("a function returning one row answers an object", async () => {
    await sql("insert into public.gw_items values (100, 'hundred')");
    const { data, status } = await service.rpc("gw_item", { item_id: 100 });
    expect({ data, status }).toEqual({ data: { id: 100, name: "hundred" }, status: 200 });
  });

  test("a function returning a table answers an array of objects", async () => {
    const { data, status } = await service.rpc("gw_squares", { n: 3 });
    expect(status).toBe(200);
    expect(data).toEqual([
      { i: 1, square: 1 },
      { i: 2, square: 4 },
      { i: 3, square: 9 },
    ]);
  });

  test("a function returning setof a scalar answers an array of values", async () => {
    const { data, status } = await service.rpc("gw_numbers", { n: 3 });
    expect({ data, status }).toEqual({ data: [1, 2, 3], status: 200 });
  });

  test("a void function answers 204 without data", async () => {
    const { data, error, status } = await service.rpc("gw_nothing");
    expect({ data, error, status }).toEqual({ data: null, error: null, status: 204 });
  });

  test(".single() answers the only row as an object", async () => {
    const { data, status } = await service.rpc("gw_squares", { n: 1 }).single();
    expect({ data, status }).toEqual({ data: { i: 1, square: 1 }, status: 200 });
  });

  test(".single() on several rows is 406 PGRST116", async () => {
    const { data, error, status } = await service.rpc("gw_squares", { n: 2 }).single();
    expect({ data, status }).toEqual({ data: null, status: 406 });
    expect(error).toEqual({
      code: "PGRST116",
      message: "JSON object requested, multiple (or no) rows returned",
      details: "The result contains 2 rows",
      hint: null,
    });
  });

  test(".single() refused with 406 is rolled back", async () => {
    const { status } = await service.rpc("gw_insert_items", { ids: [200, 201] }).single();
    expect(status).toBe(406);
    expect(await sql("select id from public.gw_items where id in (200, 201)")).toEqual([]);
  });

  test("count=exact reports the number of rows", async () => {
    const { count, status } = await service.rpc("gw_numbers", { n: 4 }, { count: "exact" });
    expect({ count, status }).toEqual({ count: 4, status: 200 });
  });
});

describe("arguments", () => {
  test("named arguments of many types reach the function typed", async () => {
    const { data, error } = await service.rpc("gw_echo", {
      i: 41,
      t: "shout",
      j: { k: [1, { deep: true }] },
      b: false,
      ts: "2026-01-02T03:04:05.678+02:00",
      tags: ["a", "b", "c"],
      u: "6f1c1a52-3f0e-4b53-9a0a-3f1a5b6c7d8e",
      n: 0.1,
    });
    expect(error).toBeNull();
    expect(data).toEqual({
      i: 42,
      t: "SHOUT",
      j: [1, { deep: true }],
      b: true,
      ts: "2026-01-02 01:04:05.678",
      tags: 3,
      u: "6f1c1a52-3f0e-4b53-9a0a-3f1a5b6c7d8e",
      // numeric, not a float: 0.1 * 3 is exactly 0.3.
      n: 0.3,
    });
  });

  test("an omitted argument takes its default", async () => {
    expect((await service.rpc("gw_greet", { name: "Ada" })).data).toBe("Hello, Ada");
    expect((await service.rpc("gw_greet", { name: "Ada", greeting: "Hi" })).data).toBe("Hi, Ada");
  });

  test("overloads are told apart by the argument names", async () => {
    expect((await service.rpc("gw_overloaded", { a: 1 })).data).toBe("one");
    expect((await service.rpc("gw_overloaded", { a: 1, b: 2 })).data).toBe("two");
  });

  test("a stable function can be called with GET", async () => {
    const { data, status } = await service.rpc("gw_add", { a: 2, b: 5 }, { get: true });
    expect({ data, status }).toEqual({ data: 7, status: 200 });
  });

  test("a GET runs read-only: a function that writes is refused with 405", async () => {
    const { error, status } = await service.rpc(
      "gw_tag_item",
      { item_id: 1, tag: "x" },
      { get: true },
    );
    expect(status).toBe(405);
    expect(error?.code).toBe("25006");
  });
});

describe("errors", () => {
  test("a unique violation is 409 with PostgreSQL's fields", async () => {
    await service.rpc("gw_insert_item", { item_id: 7, item_name: "seven" });
    const { data, error, status } = await service.rpc("gw_insert_item", {
      item_id: 7,
      item_name: "again",
    });
    expect({ data, status }).toEqual({ data: null, status: 409 });
    expect(error).toEqual({
      code: "23505",
      message: 'duplicate key value violates unique constraint "gw_items_pkey"',
      details: "Key (id)=(7) already exists.",
      hint: null,
    });
  });

  test("a foreign key violation is 409", async () => {
    const { error, status } = await service.rpc("gw_tag_item", { item_id: 404, tag: "x" });
    expect(status).toBe(409);
    expect(error?.code).toBe("23503");
  });

  test("raise exception is 400 P0001 with its detail and hint", async () => {
    const { error, status } = await service.rpc("gw_refuse");
    expect(status).toBe(400);
    expect(error).toEqual({
      code: "P0001",
      message: "I refuse!",
      details: "Pretty simple",
      hint: "There is nothing you can do.",
    });
  });

  test("raise sqlstate 'PT402' answers status 402", async () => {
    const { error, status } = await service.rpc("gw_payment_required");
    expect(status).toBe(402);
    expect(error).toEqual({
      code: "PT402",
      message: "Payment Required",
      details: "Quota exceeded",
      hint: "Upgrade your plan",
    });
  });

  test("a call that fails leaves nothing behind: one transaction", async () => {
    const { status } = await service.rpc("gw_insert_then_refuse", { item_id: 500 });
    expect(status).toBe(400);
    expect(await sql("select id from public.gw_items where id = 500")).toEqual([]);
  });

  test("an unknown function is 404 PGRST202", async () => {
    const { error, status } = await service.rpc("gw_missing", { a: 1, b: 2 });
    expect(status).toBe(404);
    expect(error).toEqual({
      code: "PGRST202",
      message: "Could not find the function public.gw_missing(a, b) in the schema cache",
      details:
        "Searched for the function public.gw_missing with parameters a, b or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.",
      hint: null,
    });
  });

  test("unknown argument names are 404 PGRST202 with the parameters as a hint", async () => {
    const { error, status } = await service.rpc("gw_add", { a: 1, c: 2 });
    expect(status).toBe(404);
    expect(error?.code).toBe("PGRST202");
    expect(error?.hint).toBe("Perhaps you meant to call the function public.gw_add(a, b)");
  });

  test("overloads the argument names cannot tell apart are 300 PGRST203", async () => {
    const { error, status } = await service.rpc("gw_ambiguous", { a: 1 });
    expect(status).toBe(300);
    expect(error?.code).toBe("PGRST203");
    expect(error?.message).toContain("public.gw_ambiguous(a => integer)");
  });

  test("a function created after the gateway started is found", async () => {
    expect((await service.rpc("gw_late")).status).toBe(404);
    await sql("create function public.gw_late() returns text language sql as $$ select 'late' $$");
    const { data, status } = await service.rpc("gw_late");
    expect({ data, status }).toEqual({ data: "late", status: 200 });
  });

  test("a schema other than public is 406 PGRST106", async () => {
    const { error, status } = await service.schema("private").rpc("gw_add", { a: 1, b: 2 });
    expect(status).toBe(406);
    expect(error?.code).toBe("PGRST106");
  });
});

describe("roles", () => {
  test("each call runs as the key's role, with PostgREST's JWT claims", async () => {
    expect((await service.rpc("gw_whoami")).data).toEqual({
      user: "service_role",
      claims: { role: "service_role" },
    });
    expect((await anon.rpc("gw_whoami")).data).toEqual({ user: "anon", claims: { role: "anon" } });
  });

  test("each call sees PostgREST's request settings", async () => {
    const { data } = await service.rpc("gw_request");
    expect(data).toEqual({
      method: "POST",
      path: "/rpc/gw_request",
      search_path: "public, extensions",
      client_info: expect.stringMatching(/^supabase-js/),
    });
  });

  test("anon is refused a function revoked from it (401) that the service role runs", async () => {
    const denied = await anon.rpc("gw_insert_item", { item_id: 8, item_name: "eight" });
    expect(denied.status).toBe(401);
    expect(denied.error).toEqual({
      code: "42501",
      message: "permission denied for function gw_insert_item",
      details: null,
      hint: null,
    });
    const allowed = await service.rpc("gw_insert_item", { item_id: 8, item_name: "eight" });
    expect(allowed.status).toBe(200);
  });

  test("insufficient privilege is 403 for the service role", async () => {
    const { error, status } = await service.rpc("gw_nobody");
    expect(status).toBe(403);
    expect(error?.code).toBe("42501");
  });

  test("row level security applies to the caller's role", async () => {
    const seenByAnon = await anon.rpc("gw_notes_seen");
    expect(seenByAnon.data).toEqual([{ id: 1, body: "shown", visible: true }]);
    // service_role bypasses RLS, as in Supabase.
    const seenByService = await service.rpc("gw_notes_seen");
    expect(seenByService.data).toHaveLength(2);
  });
});
