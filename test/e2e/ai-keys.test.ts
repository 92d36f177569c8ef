// Keys managed through the admin API of the proxy in workerd, used with the official OpenAI
// client, over real PostgreSQL and Redis.
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startAiStack } from "./ai-stack.ts";
import { post } from "./webhook-stack.ts";

const ADMIN_API_KEY = `admin-${crypto.randomUUID()}`;
let ai: Awaited<ReturnType<typeof startAiStack>>;
beforeAll(async () => {
  ai = await startAiStack({ ADMIN_API_KEY });
}, 30_000);
afterAll(() => ai.close());

const admin = (path: string, init: RequestInit = {}, token = ADMIN_API_KEY) =>
  fetch(`${ai.worker.url}${path}`, {
    ...init,
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      ...init.headers,
    },
  });

async function create(fields: Record<string, unknown>) {
  const res = await admin("/admin/keys", { method: "POST", body: JSON.stringify(fields) });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; key: string; prefix: string };
}

const ask = (model = "chat-default") => ({
  model,
  messages: [{ role: "user" as const, content: "hello" }],
});

test("a created key starts with bw-, is shown once, and works with the OpenAI client", async () => {
  const created = await create({ name: "app", requests_per_minute: 100 });
  expect(created.key).toMatch(/^bw-[\w-]{43}$/);
  expect(created.prefix).toBe(created.key.slice(0, 11));
  const completion = await ai.client(created.key).chat.completions.create(ask());
  expect(completion.choices[0]!.message.content).toBeTruthy();
});

test("a listing shows id, name, prefix, limits and spend, never the key or its hash", async () => {
  const created = await create({
    name: "listed",
    tokens_per_minute: 5000,
    budget_usd: 3,
    budget_period: "day",
    models: ["chat-default"],
  });
  const res = await admin("/admin/keys");
  expect(res.status).toBe(200);
  const text = await res.text();
  const row = (JSON.parse(text) as { data: Record<string, unknown>[] }).data.find(
    (r) => r.id === created.id,
  );
  expect(row).toMatchObject({
    name: "listed",
    prefix: created.prefix,
    tokens_per_minute: 5000,
    budget_usd: 3,
    budget_period: "day",
    models: ["chat-default"],
    spend_usd: 0,
    revoked_at: null,
  });
  expect(text).not.toContain(created.key);
  expect(text).not.toContain(created.key.slice(11));
  expect(text).not.toMatch(/[0-9a-f]{64}/);
});

test("a key revoked before its first use is refused at once; revoking twice is fine", async () => {
  const created = await create({ name: "revoked" });
  const res = await admin(`/admin/keys/${created.id}`, { method: "DELETE" });
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ id: created.id, revoked_at: expect.any(String) });
  expect((await admin(`/admin/keys/${created.id}`, { method: "DELETE" })).status).toBe(200);
  await expect(ai.client(created.key).chat.completions.create(ask())).rejects.toBeInstanceOf(
    OpenAI.AuthenticationError,
  );
});

test("revoking a key that does not exist is a 404", async () => {
  expect((await admin(`/admin/keys/${crypto.randomUUID()}`, { method: "DELETE" })).status).toBe(
    404,
  );
  expect((await admin("/admin/keys/not-a-uuid", { method: "DELETE" })).status).toBe(404);
});

describe("the admin key", () => {
  test.each([
    ["missing", undefined],
    ["wrong", "admin-wrong"],
    ["a proxy key", "bw-e2e-proxy-key-0123456789"],
    ["the admin key with a byte more", `${ADMIN_API_KEY}x`],
  ])("%s is refused with 401", async (_, token) => {
    const res = await fetch(`${ai.worker.url}/admin/keys`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ success: false, error: { code: "unauthorized" } });
  });
});

describe("bad input is a 400 naming the field", () => {
  test.each([
    [{}, "name"],
    [{ name: "" }, "name"],
    [{ name: "x".repeat(101) }, "name"],
    [{ name: "\ud800" }, "name"],
    [{ name: "a\u0000b" }, "name"],
    [{ name: "x", models: ["chat\u0000"] }, "models"],
    [{ name: "x", requests_per_minute: 0 }, "requests_per_minute"],
    [{ name: "x", tokens_per_minute: 1.5 }, "tokens_per_minute"],
    [{ name: "x", budget_usd: 5 }, "budget_period"],
    [{ name: "x", budget_period: "day" }, "budget_usd"],
    [{ name: "x", budget_usd: -1, budget_period: "day" }, "budget_usd"],
    [{ name: "x", budget_usd: 1, budget_period: "week" }, "budget_period"],
    [{ name: "x", models: [] }, "models"],
    [{ name: "x", models: "chat-default" }, "models"],
    [{ name: "x", expires_at: "2020-01-01T00:00:00Z" }, "expires_at"],
    [{ name: "x", expires_at: "2999-01-01" }, "expires_at"],
    [{ name: "x", cache_max_age: -5 }, "cache_max_age"],
    [{ name: "x", allow_direct_models: "yes" }, "allow_direct_models"],
    [{ name: "x", key: "bw-chosen" }, "key"],
    [[], "body"],
  ])("%j → %s", async (body, field) => {
    const res = await admin("/admin/keys", { method: "POST", body: JSON.stringify(body) });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: { code: "invalid_request", details: { field } },
    });
  });

  test("a body that is not JSON is a 400, a wrong content type a 415, an oversize one a 413", async () => {
    expect((await admin("/admin/keys", { method: "POST", body: "{" })).status).toBe(400);
    const form = await admin("/admin/keys", {
      method: "POST",
      body: "name=x",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(form.status).toBe(415);
    const big = await post(
      `${ai.worker.url}/admin/keys`,
      JSON.stringify({ name: "x".repeat(70_000) }),
      {
        authorization: `Bearer ${ADMIN_API_KEY}`,
        "content-type": "application/json",
      },
    );
    expect(big.status).toBe(413);
  });
});
