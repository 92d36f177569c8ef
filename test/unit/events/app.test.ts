// The events app in process: what it does before (or without) reaching its database.
import { Webhook } from "standardwebhooks";
import { afterEach, expect, test, vi } from "vitest";
import { createEventsApp } from "../../../functions/events/app.ts";
import { eventsDeps } from "../../../functions/events/deps.ts";
import { parseRetrySchedule } from "../../../functions/events/schedule.ts";
import { createRootApp } from "../../../shared/http/app.ts";
import { EnvError } from "../../../shared/env/schema.ts";
import { newStandardSecret } from "../../../shared/webhooks/standard-signature.ts";

const SOURCE_SECRET = newStandardSecret();
// Nothing listens on port 9: every database call fails at once.
const UNREACHABLE = {
  SUPABASE_URL: "http://127.0.0.1:9",
  SUPABASE_SERVICE_ROLE_KEY: "service-role",
  SERVICE_API_KEYS: "svc_one,svc_two",
  WEBHOOK_SOURCES: JSON.stringify({ acme: { scheme: "standard", secrets: [SOURCE_SECRET] } }),
};
const app = createRootApp({
  name: "events",
  apps: [createEventsApp(eventsDeps)],
  logLevel: "error",
});
afterEach(() => vi.restoreAllMocks());

test("with no SERVICE_API_KEYS the outbound API does not exist (404)", async () => {
  const env = { ...UNREACHABLE, SERVICE_API_KEYS: "" };
  for (const [method, path] of [
    ["POST", "/events"],
    ["GET", "/webhook-endpoints"],
    ["GET", "/events/evt_1"],
  ] as const) {
    const res = await app.request(
      path,
      { method, headers: { authorization: "Bearer svc_one" } },
      env,
    );
    expect(res.status).toBe(404);
  }
});

test("POST /events answers 503 when Postgres is unreachable", async () => {
  const res = await app.request(
    "/events",
    {
      method: "POST",
      headers: { authorization: "Bearer svc_two", "content-type": "application/json" },
      body: JSON.stringify({ type: "invoice.paid", data: {} }),
    },
    UNREACHABLE,
  );
  expect(res.status).toBe(503);
  expect(res.headers.get("retry-after")).toBe("5");
  expect(await res.json()).toMatchObject({ error: { code: "storage_unavailable" } });
});

test("a verified inbound delivery answers 503 when it cannot be stored", async () => {
  const body = JSON.stringify({ type: "user.created" });
  const at = new Date();
  const res = await app.request(
    "/webhooks/in/acme",
    {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "webhook-id": "msg_unstored",
        "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
        "webhook-signature": new Webhook(SOURCE_SECRET).sign("msg_unstored", at, body),
      },
      body,
    },
    UNREACHABLE,
  );
  expect(res.status).toBe(503);
  expect(await res.json()).toMatchObject({ error: { code: "storage_unavailable" } });
});

test("the retry schedule reads units and refuses anything ambiguous", () => {
  expect(parseRetrySchedule("5s,5m,30m,2h,5h,10h,10h")).toEqual([
    5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000,
  ]);
  expect(parseRetrySchedule("500ms, 1d")).toEqual([500, 86_400_000]);
  for (const bad of ["", "5", "5s,,5m", "-5s", "1.5s", "5 s"]) {
    expect(() => parseRetrySchedule(bad), bad).toThrow();
  }
});

test.each([
  [{ WEBHOOK_RETRY_SCHEDULE: "5,10" }, "WEBHOOK_RETRY_SCHEDULE"],
  [{ WEBHOOK_SOURCES: "{" }, "WEBHOOK_SOURCES"],
  [
    { WEBHOOK_SOURCES: '{"stripe":{"scheme":"standard","secrets":["whsec_YQ=="]}}' },
    "WEBHOOK_SOURCES",
  ],
  [{ WEBHOOK_SOURCES: '{"acme":{"scheme":"hmac","secrets":["x"]}}' }, "WEBHOOK_SOURCES"],
  [
    { WEBHOOK_SOURCES: '{"acme":{"scheme":"standard","secrets":["whsec_not base64!"]}}' },
    "WEBHOOK_SOURCES",
  ],
  [{ WEBHOOK_SOURCES: '{"acme":{"scheme":"github","secrets":[]}}' }, "WEBHOOK_SOURCES"],
  [{ WEBHOOK_TIMEOUT_MS: "0" }, "WEBHOOK_TIMEOUT_MS"],
  [{ WEBHOOK_ALLOW_LOOPBACK: "yes" }, "WEBHOOK_ALLOW_LOOPBACK"],
])("a bad %j is one error naming the variable, never a secret", (overrides, name) => {
  const env = { ...UNREACHABLE, ...overrides };
  let error: unknown;
  try {
    eventsDeps(env);
  } catch (thrown) {
    error = thrown;
  }
  expect(error).toBeInstanceOf(EnvError);
  expect((error as EnvError).problems).toEqual([expect.stringMatching(new RegExp(`^${name} `))]);
  for (const secret of ["whsec_YQ==", "whsec_not base64!"]) {
    expect((error as EnvError).message).not.toContain(secret);
  }
});
