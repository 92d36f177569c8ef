// Canary: the secrets the events function holds or hands out never reach a log line.
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, expect, test, vi } from "vitest";
import { createEventsApp } from "../../../functions/events/app.ts";
import { eventsDeps } from "../../../functions/events/deps.ts";
import { createRootApp } from "../../../shared/http/app.ts";
import { newStandardSecret } from "../../../shared/webhooks/standard-signature.ts";
import { startWebhookReceiver, type WebhookReceiver } from "../../mocks/webhook-receiver.ts";
import { useMigratedDatabase } from "../webhooks/sql-database.ts";

const sql = useMigratedDatabase("events_canary");
const SERVICE_KEY = `svc_canary_${crypto.randomUUID()}`;
const SOURCE_SECRET = newStandardSecret();
const lines: string[] = [];
const app = createRootApp({
  name: "events",
  apps: [createEventsApp(eventsDeps)],
  logLevel: "debug",
  logSink: (line) => lines.push(line),
});
let receiver: WebhookReceiver;
let env: Record<string, string>;

beforeAll(async () => {
  receiver = await startWebhookReceiver("127.0.0.1");
  env = {
    SUPABASE_URL: sql.gateway.url,
    SUPABASE_SERVICE_ROLE_KEY: sql.serviceRoleKey,
    SERVICE_API_KEYS: SERVICE_KEY,
    WEBHOOK_SOURCES: JSON.stringify({ canary: { scheme: "standard", secrets: [SOURCE_SECRET] } }),
    WEBHOOK_ALLOW_LOOPBACK: "true",
    LOG_LEVEL: "debug",
  };
  // The function's own logger writes to the console: capture it too.
  vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
});
afterAll(async () => {
  vi.restoreAllMocks();
  await receiver.close();
});

const call = (path: string, body?: unknown, headers: Record<string, string> = {}) =>
  app.request(
    path,
    {
      method: body === undefined ? "GET" : "POST",
      headers: {
        authorization: `Bearer ${SERVICE_KEY}`,
        "content-type": "application/json",
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    },
    env,
  );

test("no endpoint secret, service key or source secret is ever logged", async () => {
  const created = (await (
    await call("/webhook-endpoints", {
      url: `${receiver.url}/hook?token=canary-query-token`,
      events: ["canary.*"],
    })
  ).json()) as { id: string; secret: string };
  const rotated = (await (
    await call(`/webhook-endpoints/${created.id}/rotate-secret`, {})
  ).json()) as {
    secret: string;
  };
  expect((await call("/events", { type: "canary.sent", data: { a: 1 } })).status).toBe(202);
  const [hook] = await receiver.waitFor(1);
  const signature = hook!.headers["webhook-signature"]!;
  const body = JSON.stringify({ type: "canary.in" });
  const at = new Date();
  const inbound = await app.request(
    "/webhooks/in/canary",
    {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "webhook-id": "msg_canary",
        "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
        "webhook-signature": new Webhook(SOURCE_SECRET).sign("msg_canary", at, body),
      },
      body,
    },
    env,
  );
  expect(inbound.status).toBe(200);
  await new Promise((resolve) => setTimeout(resolve, 200)); // the attempt's own log line

  expect(lines.some((line) => line.includes('"webhook attempt"'))).toBe(true);
  expect(lines.some((line) => line.includes('"webhook delivery"'))).toBe(true);
  const secrets = [
    created.secret,
    rotated.secret,
    SERVICE_KEY,
    SOURCE_SECRET,
    "canary-query-token",
    ...signature.split(" ").map((s) => s.slice(3)),
  ];
  for (const secret of secrets) {
    expect(lines.filter((line) => line.includes(secret.replace(/^whsec_/, "")))).toEqual([]);
  }
});
