// The events API's refusals, in workerd: who may call it, what it accepts, every SSRF spelling.
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { SSRF_CASES } from "../unit/events/ssrf-cases.ts";
import { type EventsStack, postJson, startEventsStack } from "./events-stack.ts";

let stack: EventsStack;
beforeAll(async () => {
  // Loopback refused here, as in production: the SSRF rules apply unbent.
  stack = await startEventsStack({
    postgresAdminUrl: inject("postgresAdminUrl"),
    upstash: inject("upstash"),
    bindings: { WEBHOOK_ALLOW_LOOPBACK: "false" },
  });
}, 30_000);
afterAll(() => stack.close());

const errorOf = async (res: Response) =>
  ((await res.json()) as { error: { code: string; details?: Record<string, unknown> } }).error;

describe("authentication", () => {
  test.each([
    ["POST", "/webhook-endpoints"],
    ["GET", "/webhook-endpoints"],
    ["POST", "/events"],
    ["GET", "/events/evt_1"],
    ["POST", "/events/evt_1/replay"],
  ])("%s %s without a service key, or with a wrong one, is 401", async (method, path) => {
    const url = `${stack.worker.url}${path}`;
    expect((await fetch(url, { method })).status).toBe(401);
    const forged = await fetch(url, { method, headers: { authorization: "Bearer svc_forged" } });
    expect(forged.status).toBe(401);
    expect((await errorOf(forged)).code).toBe("unauthorized");
  });

  test("the cron route wants the cron secret, not a service key", async () => {
    expect((await stack.api("/events/cron")).status).toBe(401);
    expect((await stack.cron()).status).toBe(200);
  });

  test("no event may take the cron run's id", async () => {
    const res = await postJson(stack, "/events", { type: "invoice.paid", data: {}, id: "cron" });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({ details: { field: "id" } });
  });
});

test.each(SSRF_CASES)("an endpoint at %s is refused with 400: %s", async (url, reason) => {
  const res = await postJson(stack, "/webhook-endpoints", { url, events: ["*"] });
  expect(res.status).toBe(400);
  const error = await errorOf(res);
  expect(error).toMatchObject({ code: "unsafe_url", details: { field: "url", reason } });
});

test("an endpoint is created with its secret, which no listing shows again", async () => {
  const res = await postJson(stack, "/webhook-endpoints", {
    url: "https://hooks.example.com/in",
    events: ["invoice.*"],
    description: "billing",
  });
  expect(res.status).toBe(201);
  const created = (await res.json()) as Record<string, unknown>;
  expect(created).toMatchObject({
    url: "https://hooks.example.com/in",
    events: ["invoice.*"],
    description: "billing",
  });
  expect(created.secret).toMatch(/^whsec_/);
  const listed = await (await stack.api("/webhook-endpoints")).text();
  expect(listed).toContain(created.id as string);
  expect(listed).not.toContain(created.secret as string);
  expect(listed).not.toContain("whsec_");
});

test.each([
  [{ events: ["*"] }, "url"],
  [{ url: "https://hooks.example.com/", events: [] }, "events"],
  [{ url: "https://hooks.example.com/", events: ["in voice"] }, "events"],
  [{ url: "https://hooks.example.com/", events: "*" }, "events"],
  [{ url: "https://hooks.example.com/", events: ["*"], description: 5 }, "description"],
])("a malformed endpoint %j is refused with 400 naming %s", async (body, field) => {
  const res = await postJson(stack, "/webhook-endpoints", body);
  expect(res.status).toBe(400);
  expect((await errorOf(res)).details).toMatchObject({ field });
});

test.each([
  [{ data: {} }, "type"],
  [{ type: "invoice paid", data: {} }, "type"],
  [{ type: "invoice.paid" }, "data"],
  [{ type: "invoice.paid", data: {}, id: "" }, "id"],
  [{ type: "invoice.paid", data: {}, id: 7 }, "id"],
  [[], "body"],
])("a malformed event %j is refused with 400 naming %s", async (body, field) => {
  const res = await postJson(stack, "/events", body);
  expect(res.status).toBe(400);
  expect((await errorOf(res)).details).toMatchObject({ field });
});

test("bodies that are not JSON, not declared JSON or too large are refused", async () => {
  const post = (body: string, type = "application/json") =>
    stack.api("/events", { method: "POST", headers: { "content-type": type }, body });
  expect((await post("{not json")).status).toBe(400);
  expect((await post('{"type":"a","data":1}', "text/plain")).status).toBe(415);
  expect((await post(JSON.stringify({ type: "a.b", data: "x".repeat(300 * 1024) }))).status).toBe(
    413,
  );
});

test("an event with no subscribed endpoint is still recorded, with no delivery", async () => {
  const res = await postJson(stack, "/events", { type: "nobody.listens", data: { a: 1 } });
  expect(res.status).toBe(202);
  const { id, deliveries } = (await res.json()) as { id: string; deliveries: number };
  expect(deliveries).toBe(0);
  const inspected = await stack.api(`/events/${id}`);
  expect(await inspected.json()).toMatchObject({
    id,
    type: "nobody.listens",
    data: { a: 1 },
    deliveries: [],
  });
});

test("unknown events and endpoints are 404, whatever their spelling", async () => {
  expect((await stack.api("/events/evt_nope")).status).toBe(404);
  expect((await stack.api("/events/..%2F..%2Fetc")).status).toBe(404);
  expect((await stack.api("/events/evt_nope/replay", { method: "POST" })).status).toBe(404);
  const missing = "00000000-0000-4000-8000-000000000000";
  expect((await stack.api(`/webhook-endpoints/${missing}`, { method: "DELETE" })).status).toBe(404);
  expect((await stack.api("/webhook-endpoints/not-a-uuid", { method: "DELETE" })).status).toBe(404);
  expect(
    (await stack.api(`/webhook-endpoints/${missing}/rotate-secret`, { method: "POST" })).status,
  ).toBe(404);
});

test("a deleted endpoint is gone from the list", async () => {
  const created = (await (
    await postJson(stack, "/webhook-endpoints", {
      url: "https://hooks.example.com/gone",
      events: ["*"],
    })
  ).json()) as { id: string };
  expect((await stack.api(`/webhook-endpoints/${created.id}`, { method: "DELETE" })).status).toBe(
    204,
  );
  expect(await (await stack.api("/webhook-endpoints")).text()).not.toContain(created.id);
});
