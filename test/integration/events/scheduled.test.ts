import {
  createExecutionContext,
  createScheduledController,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, test } from "vitest";
import { scheduled } from "../../../functions/events/scheduled.ts";
import { createAllFunctionsApp } from "../../../functions/index.ts";

// The Workers cron trigger in workerd: scheduled() claims the due attempts and makes them, the
// same run as GET /events/cron (real PostgreSQL and Redis behind the gateways).
const bindings = {
  ...env,
  SERVICE_API_KEYS: "svc_integration",
  WEBHOOK_ALLOW_LOOPBACK: "true",
  WEBHOOK_RETRY_SCHEDULE: "1s,1s",
  WEBHOOK_TIMEOUT_MS: "1000",
  LOG_LEVEL: "error",
};
const app = createAllFunctionsApp({ logSink: () => {} });
const call = (path: string, init: RequestInit = {}) =>
  app.request(
    path,
    {
      ...init,
      headers: { authorization: "Bearer svc_integration", "content-type": "application/json" },
    },
    bindings,
  );

test("scheduled() makes the attempts that are due", async () => {
  const type = `integration_${crypto.randomUUID().slice(0, 8)}.due`;
  // Nothing listens on port 9: every attempt fails at once, and is due again a second later.
  const created = await call("/webhook-endpoints", {
    method: "POST",
    body: JSON.stringify({ url: "http://127.0.0.1:9/hook", events: [type] }),
  });
  expect(created.status).toBe(201);
  const published = await call("/events", {
    method: "POST",
    body: JSON.stringify({ type, data: {} }),
  });
  expect(published.status).toBe(202);
  const { id } = await published.json<{ id: string }>();
  const attempts = async () => {
    const event = await (
      await call(`/events/${id}`)
    ).json<{ deliveries: { attempts: unknown[] }[] }>();
    return event.deliveries[0]!.attempts.length;
  };
  // The first attempt ran after the 202 (waitUntil); wait for its record.
  for (let i = 0; i < 50 && (await attempts()) === 0; i++)
    await new Promise((r) => setTimeout(r, 100));
  expect(await attempts()).toBe(1);

  await new Promise((resolve) => setTimeout(resolve, 1_100));
  const ctx = createExecutionContext();
  scheduled(createScheduledController(), bindings, ctx);
  await waitOnExecutionContext(ctx);
  expect(await attempts()).toBe(2);
});
