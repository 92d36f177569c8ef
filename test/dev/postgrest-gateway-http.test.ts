// The PostgREST RPC gateway at the HTTP level, for what supabase-js hides or never sends:
// API key checks, malformed requests and routing.
import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { type PostgrestGateway, startPostgrestGateway } from "../../dev/postgrest-gateway/index.ts";
import { createDatabase, migrate } from "../../dev/services/database.ts";

const SERVICE_ROLE_KEY = "test-service-role-key";
const ANON_KEY = "test-anon-key";

let gateway: PostgrestGateway;

beforeAll(async () => {
  const name = `postgrest_gateway_http_${randomUUID().slice(0, 8)}`;
  const databaseUrl = await createDatabase(inject("postgresAdminUrl"), name);
  await migrate(databaseUrl);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query(`
    create function public.gw_add(a int, b int) returns int language sql immutable as $$ select a + b $$;
    create function public.gw_count() returns int language sql immutable as $$ select 0 $$;
    create function public.gw_role() returns text language sql stable as $$ select current_user::text $$;
    create function public.gw_keys(json) returns text[] language sql immutable
      as $$ select array(select json_object_keys($1) order by 1) $$;
    create function public.gw_sum(variadic v int[]) returns int language sql immutable
      as $$ select sum(x)::int from unnest(v) x $$;
    grant execute on function public.gw_role() to anon;`);
  await client.end();
  gateway = await startPostgrestGateway({
    databaseUrl,
    serviceRoleKey: SERVICE_ROLE_KEY,
    anonKey: ANON_KEY,
  });
});

afterAll(async () => {
  await gateway?.close();
});

function call(path: string, init: RequestInit & { headers?: Record<string, string> } = {}) {
  return fetch(`${gateway.url}${path}`, init);
}

const asService = (extra: Record<string, string> = {}) => ({
  apikey: SERVICE_ROLE_KEY,
  authorization: `Bearer ${SERVICE_ROLE_KEY}`,
  ...extra,
});

const post = (body: string, headers: Record<string, string> = {}) => ({
  method: "POST",
  headers: asService({ "content-type": "application/json", ...headers }),
  body,
});

describe("API keys", () => {
  test("a request without an apikey is 401 with Supabase's message", async () => {
    const res = await call("/rest/v1/rpc/gw_add?a=1&b=2");
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      message: "No API key found in request",
      hint: "No `apikey` request header or url param was found.",
    });
  });

  test("an unknown apikey is 401, and is not echoed", async () => {
    const res = await call("/rest/v1/rpc/gw_add?a=1&b=2", {
      headers: { apikey: "guessed-key-123" },
    });
    expect(res.status).toBe(401);
    const body = await res.text();
    expect(JSON.parse(body)).toEqual({
      message: "Invalid API key",
      hint: "Double check your Supabase `anon` or `service_role` API key.",
    });
    expect(body).not.toContain("guessed-key-123");
  });

  test("the apikey may come as a query parameter", async () => {
    const res = await call(`/rest/v1/rpc/gw_add?a=1&b=2&apikey=${SERVICE_ROLE_KEY}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toBe(3);
  });

  test.each([
    ["forged.jwt.token", "JWSError JWSInvalidSignature"],
    ["forged", "JWSError (CompactDecodeError Invalid number of parts: Expected 3 parts; got 1)"],
  ])("an unknown bearer token (%s) is 401 PGRST301, and is not echoed", async (token, message) => {
    const res = await call("/rest/v1/rpc/gw_add?a=1&b=2", {
      headers: { apikey: ANON_KEY, authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer error="invalid_token"/);
    const body = await res.text();
    expect(JSON.parse(body)).toEqual({ code: "PGRST301", message, details: null, hint: null });
    expect(body).not.toContain(token);
  });

  test("a new-format sb_ key as bearer leaves the role to the apikey", async () => {
    const res = await call("/rest/v1/rpc/gw_role", {
      headers: { apikey: SERVICE_ROLE_KEY, authorization: "Bearer sb_publishable_whatever" },
    });
    expect(await res.json()).toBe("service_role");
  });

  test("the bearer token picks the role; without one the apikey does; other schemes are anon", async () => {
    const role = async (headers: Record<string, string>) =>
      (await call("/rest/v1/rpc/gw_role", { headers })).json();
    expect(await role({ apikey: ANON_KEY, authorization: `Bearer ${SERVICE_ROLE_KEY}` })).toBe(
      "service_role",
    );
    expect(await role({ apikey: SERVICE_ROLE_KEY })).toBe("service_role");
    expect(await role({ apikey: ANON_KEY })).toBe("anon");
    // PostgREST reads only a bearer token: another scheme leaves the request anonymous.
    expect(await role({ apikey: SERVICE_ROLE_KEY, authorization: "Basic dXNlcjpwYXNz" })).toBe(
      "anon",
    );
  });
});

describe("requests", () => {
  test("malformed JSON is 400 PGRST102", async () => {
    const res = await call("/rest/v1/rpc/gw_add", post('{"a": 1,'));
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      code: "PGRST102",
      message: "Empty or invalid json",
      details: null,
      hint: null,
    });
  });

  test("a body that is not JSON is 400 PGRST102", async () => {
    const res = await call("/rest/v1/rpc/gw_add", post("a=1", { "content-type": "text/plain" }));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: "PGRST102" });
  });

  test("an array body whose objects differ in keys is 400 PGRST102", async () => {
    const res = await call("/rest/v1/rpc/gw_add", post('[{"a": 1, "b": 2}, {"a": 1}]'));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      code: "PGRST102",
      message: "All object keys must match",
    });
  });

  test("an empty body calls the function without arguments", async () => {
    const res = await call("/rest/v1/rpc/gw_count", post(""));
    expect(res.status).toBe(200);
    expect(await res.json()).toBe(0);
  });

  test("a JSON body goes whole to a single unnamed json parameter", async () => {
    const res = await call("/rest/v1/rpc/gw_keys", post('{"y": 1, "x": 2}'));
    expect(await res.json()).toEqual(["x", "y"]);
  });

  test("a variadic parameter takes a JSON array, or a repeated query parameter", async () => {
    expect(await (await call("/rest/v1/rpc/gw_sum", post('{"v": [1, 2, 3]}'))).json()).toBe(6);
    const get = await call("/rest/v1/rpc/gw_sum?v=4&v=5", { headers: asService() });
    expect(await get.json()).toBe(9);
  });

  test("query parameters PostgREST reads as filters or modifiers are 400 PGRST100", async () => {
    const ordered = await call("/rest/v1/rpc/gw_add?a=1&b=2&order=a", { headers: asService() });
    expect(ordered.status).toBe(400);
    expect(await ordered.json()).toMatchObject({ code: "PGRST100" });
    const filtered = await call("/rest/v1/rpc/gw_add?a=eq.1", post('{"a": 1, "b": 2}'));
    expect(filtered.status).toBe(400);
    expect(await filtered.json()).toMatchObject({ code: "PGRST100" });
    // supabase-js's `.select()` adds select=*, which changes nothing.
    const all = await call("/rest/v1/rpc/gw_add?select=*", post('{"a": 1, "b": 2}'));
    expect(await all.json()).toBe(3);
  });

  test("an argument of the wrong type is PostgreSQL's 400", async () => {
    const res = await call("/rest/v1/rpc/gw_add", post('{"a": "one", "b": 2}'));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: "22P02" });
  });

  test("methods other than GET, HEAD and POST are 405 PGRST101", async () => {
    const res = await call("/rest/v1/rpc/gw_add", { method: "DELETE", headers: asService() });
    expect(res.status).toBe(405);
    expect(await res.json()).toMatchObject({
      code: "PGRST101",
      message: "Cannot use the DELETE method on RPC",
    });
  });

  test("HEAD answers the headers of a GET without its body", async () => {
    const res = await call("/rest/v1/rpc/gw_add?a=1&b=2", { method: "HEAD", headers: asService() });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(await res.text()).toBe("");
  });

  test("a media type it cannot produce is 406 PGRST107", async () => {
    const res = await call("/rest/v1/rpc/gw_add?a=1&b=2", {
      headers: asService({ accept: "text/csv" }),
    });
    expect(res.status).toBe(406);
    expect(await res.json()).toMatchObject({ code: "PGRST107" });
  });

  test("Accept is honoured by preference", async () => {
    const res = await call("/rest/v1/rpc/gw_add?a=1&b=2", {
      headers: asService({
        accept: "*/*;q=0.1, text/csv, application/vnd.pgrst.object+json;q=0.5",
      }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(
      "application/vnd.pgrst.object+json; charset=utf-8",
    );
  });

  test("paths other than /rest/v1/rpc/<function> are 404", async () => {
    const table = await call("/rest/v1/gw_items", { headers: asService() });
    expect(table.status).toBe(404);
    expect(await table.json()).toMatchObject({ code: "PGRST125" });
    const malformed = await call("/rest/v1/rpc/gw_%E0%A4%A", { headers: asService() });
    expect(malformed.status).toBe(404);
    const elsewhere = await call("/auth/v1/user", { headers: asService() });
    expect(elsewhere.status).toBe(404);
    expect(await elsewhere.json()).toEqual({ message: "no Route matched with those values" });
  });
});

test("options it cannot serve with are refused at start", async () => {
  const options = { databaseUrl: "postgres://127.0.0.1:1/none", serviceRoleKey: "k", anonKey: "k" };
  await expect(startPostgrestGateway(options)).rejects.toThrow("must differ");
  await expect(startPostgrestGateway({ ...options, anonKey: "" })).rejects.toThrow(
    "anonKey is required",
  );
});
