// The events function in workerd, delivering to local receivers that a `standardwebhooks`
// verifier checks: every signature, the schedule, claims, breakers, restarts.
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, expect, inject, test } from "vitest";
import {
  type ReceivedWebhook,
  startWebhookReceiver,
  type WebhookReceiver,
} from "../mocks/webhook-receiver.ts";
import { cronUntil, type EventsStack, postJson, startEventsStack } from "./events-stack.ts";

const TIMEOUT_MS = 1_500;
const SCHEDULE_MS = [1_000, 2_000];

let stack: EventsStack;
const receivers: WebhookReceiver[] = [];
beforeAll(async () => {
  stack = await startEventsStack({
    postgresAdminUrl: inject("postgresAdminUrl"),
    upstash: inject("upstash"),
    bindings: { WEBHOOK_RETRY_SCHEDULE: "1s,2s", WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS) },
  });
}, 30_000);
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  await stack.close();
});

// Each test its own loopback address: a host of its own, so its own breaker.
let nextHost = 10;
async function receiver() {
  const started = await startWebhookReceiver(`127.0.0.${nextHost++}`);
  receivers.push(started);
  return started;
}
let nextType = 0;
const uniqueType = () => `e2e${++nextType}_${crypto.randomUUID().slice(0, 6)}.happened`;

async function endpointFor(target: WebhookReceiver, events: string[]) {
  const res = await postJson(stack, "/webhook-endpoints", { url: `${target.url}/hook`, events });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; secret: string; url: string; events: string[] };
}

async function publish(type: string, data: unknown = { n: 1 }, id?: string) {
  const res = await postJson(stack, "/events", { type, data, ...(id ? { id } : {}) });
  expect(res.status).toBe(202);
  return (await res.json()) as { id: string; deliveries: number; duplicate: boolean };
}

interface Inspected {
  deliveries: {
    id: string;
    endpoint_id: string;
    status: string;
    next_attempt_at: string | null;
    attempts: { status_code: number | null; error: string | null }[];
  }[];
}
const inspect = async (id: string) =>
  (await (await stack.api(`/events/${id}`)).json()) as Inspected;

/** The payload, if `secret` verifies the request with the official library (it throws if not). */
const verify = (secret: string, hook: ReceivedWebhook) =>
  new Webhook(secret).verify(hook.text, hook.headers);

test("a published event reaches the receiver once, signed as Standard Webhooks specifies", async () => {
  const target = await receiver();
  const type = uniqueType();
  const endpoint = await endpointFor(target, [type]);
  expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
  const event = await publish(type, { invoice: "in_1", amount: 4200 });
  expect(event.deliveries).toBe(1);
  const [hook] = await target.waitFor(1);
  expect(hook!.headers["content-type"]).toBe("application/json");
  expect(hook!.headers["webhook-id"]).toMatch(/^msg_[0-9a-f]{32}$/);
  expect(verify(endpoint.secret, hook!)).toEqual({
    type,
    timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    data: { invoice: "in_1", amount: 4200 },
  });
  await cronUntil(
    stack,
    async () => (await inspect(event.id)).deliveries[0]!.status === "delivered",
  );
  await stack.cron();
  expect(target.received()).toHaveLength(1);
  expect((await inspect(event.id)).deliveries[0]!.attempts).toMatchObject([
    { status_code: 200, error: null },
  ]);
});

test("a failing receiver gets the same webhook-id again on the schedule until it recovers", async () => {
  const target = await receiver();
  const type = uniqueType();
  const endpoint = await endpointFor(target, [type]);
  target.failNext("500", 2);
  const event = await publish(type);
  await cronUntil(stack, () => target.received().length === 3);
  const hooks = target.received();
  expect(new Set(hooks.map((h) => h.headers["webhook-id"])).size).toBe(1);
  expect(new Set(hooks.map((h) => h.headers["webhook-timestamp"])).size).toBeGreaterThan(1);
  for (const hook of hooks) expect(verify(endpoint.secret, hook)).toMatchObject({ type });
  // Each retry waited at least its delay of the schedule after the attempt before it.
  expect(hooks[1]!.at - hooks[0]!.at).toBeGreaterThanOrEqual(SCHEDULE_MS[0]! - 50);
  expect(hooks[2]!.at - hooks[1]!.at).toBeGreaterThanOrEqual(SCHEDULE_MS[1]! - 50);
  await cronUntil(
    stack,
    async () => (await inspect(event.id)).deliveries[0]!.status === "delivered",
  );
  const { deliveries } = await inspect(event.id);
  expect(deliveries[0]!.attempts.map((a) => a.status_code)).toEqual([500, 500, 200]);
}, 15_000);

test("after the last delay of the schedule the delivery is failed and nothing more is sent", async () => {
  const target = await receiver();
  const type = uniqueType();
  await endpointFor(target, [type]);
  target.setMode("500");
  const event = await publish(type);
  await cronUntil(stack, async () => (await inspect(event.id)).deliveries[0]!.status === "failed");
  const { deliveries } = await inspect(event.id);
  expect(deliveries[0]!.attempts).toHaveLength(1 + SCHEDULE_MS.length);
  expect(deliveries[0]!.next_attempt_at).toBeNull();
  await stack.cron();
  expect(target.received()).toHaveLength(1 + SCHEDULE_MS.length);
}, 15_000);

test("a 410 disables the endpoint: nothing more is sent to it", async () => {
  const target = await receiver();
  const type = uniqueType();
  const endpoint = await endpointFor(target, [type]);
  target.setMode("410");
  const event = await publish(type);
  await cronUntil(stack, async () => (await inspect(event.id)).deliveries[0]!.status === "failed");
  const listed = (await (await stack.api("/webhook-endpoints")).json()) as {
    data: { id: string; disabled: boolean }[];
  };
  expect(listed.data.find((e) => e.id === endpoint.id)?.disabled).toBe(true);
  expect((await publish(type)).deliveries).toBe(0);
  expect(target.received()).toHaveLength(1);
});

test("a redirect is not followed and counts as a failed attempt", async () => {
  const target = await receiver();
  const type = uniqueType();
  await endpointFor(target, [type]);
  target.failNext("redirect", 1);
  const event = await publish(type);
  await cronUntil(
    stack,
    async () => (await inspect(event.id)).deliveries[0]!.status === "delivered",
  );
  const { deliveries } = await inspect(event.id);
  expect(deliveries[0]!.attempts).toMatchObject([
    { status_code: 302, error: "redirect 302 not followed" },
    { status_code: 200 },
  ]);
  expect(target.strays()).toEqual([]);
});

test("at most 64 KiB of an answer is read and kept", async () => {
  const target = await receiver();
  const type = uniqueType();
  await endpointFor(target, [type]);
  target.setMode("large");
  const event = await publish(type);
  await cronUntil(
    stack,
    async () => (await inspect(event.id)).deliveries[0]!.status === "delivered",
  );
  const { rows } = await stack.db.query(
    "select length(a.response_body) as kept from webhook_attempts a join webhook_deliveries d on d.id = a.delivery_id where d.event_id = $1",
    [event.id],
  );
  expect(rows).toEqual([{ kept: 64 * 1024 }]);
});

test("a receiver that hangs is given up on at the timeout, one that resets is a network error", async () => {
  const target = await receiver();
  const type = uniqueType();
  await endpointFor(target, [type]);
  target.failNext("hang", 1);
  target.failNext("reset", 1);
  const event = await publish(type);
  await cronUntil(
    stack,
    async () => (await inspect(event.id)).deliveries[0]!.status === "delivered",
  );
  const { deliveries } = await inspect(event.id);
  expect(deliveries[0]!.attempts).toMatchObject([
    { status_code: null, error: `timed out after ${TIMEOUT_MS} ms` },
    { status_code: null, error: expect.stringMatching(/^network error/) },
    { status_code: 200 },
  ]);
}, 15_000);

test("after a rotation both secrets sign, and the oracle accepts either", async () => {
  const target = await receiver();
  const type = uniqueType();
  const endpoint = await endpointFor(target, [type]);
  const rotated = await stack.api(`/webhook-endpoints/${endpoint.id}/rotate-secret`, {
    method: "POST",
  });
  expect(rotated.status).toBe(200);
  const { secret } = (await rotated.json()) as { secret: string };
  expect(secret).not.toBe(endpoint.secret);
  await publish(type);
  const [hook] = await target.waitFor(1);
  expect(hook!.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
  expect(verify(secret, hook!)).toMatchObject({ type });
  expect(verify(endpoint.secret, hook!)).toMatchObject({ type });
});

test("two overlapping cron runs send each due attempt once", async () => {
  const target = await receiver();
  const type = uniqueType();
  await endpointFor(target, [type]);
  // Four first attempts fail (below the breaker's threshold), so four retries fall due together.
  target.failNext("500", 4);
  const events = await Promise.all([1, 2, 3, 4].map(() => publish(type)));
  await target.waitFor(4);
  await new Promise((resolve) => setTimeout(resolve, SCHEDULE_MS[0]! + 200));
  const runs = await Promise.all([stack.cron(), stack.cron(), stack.cron()]);
  expect(runs.map((r) => r.status)).toEqual([200, 200, 200]);
  const summaries = (await Promise.all(runs.map((r) => r.json()))) as { attempted: number }[];
  expect(summaries.reduce((sum, s) => sum + s.attempted, 0)).toBe(4);
  const retries = target.received().slice(4);
  expect(retries).toHaveLength(4);
  expect(new Set(retries.map((h) => h.headers["webhook-id"])).size).toBe(4);
  for (const event of events) {
    expect((await inspect(event.id)).deliveries[0]!.status).toBe("delivered");
  }
});

test("an open breaker makes one host's attempts wait, unspent, while another host keeps receiving", async () => {
  const [down, up] = [await receiver(), await receiver()];
  const type = uniqueType();
  const downEndpoint = await endpointFor(down, [type]);
  await endpointFor(up, [type]);
  down.setMode("500");
  // One event at a time until webhook:<down's host> refuses: five failures in a row open it.
  let waiting: Inspected["deliveries"][number] | undefined;
  let published = 0;
  while (!waiting && published < 10) {
    const event = await publish(type);
    published++;
    await up.waitFor(published);
    let toDown: Inspected["deliveries"][number] | undefined;
    await cronUntil(stack, async () => {
      const { deliveries } = await inspect(event.id);
      toDown = deliveries.find((d) => d.endpoint_id === downEndpoint.id);
      return (
        toDown!.attempts.length === 1 ||
        (toDown!.next_attempt_at !== null &&
          toDown!.attempts.length === 0 &&
          Date.parse(toDown!.next_attempt_at) > Date.now() + 30_000)
      );
    });
    if (toDown!.attempts.length === 0) waiting = toDown;
  }
  expect(waiting).toBeDefined();
  expect(down.received().length).toBeGreaterThanOrEqual(5);
  expect(waiting!.status).toBe("pending");
  // The host that is down got no request for the last event; the other host got every one.
  expect(down.received().filter((h) => h.headers["webhook-id"] === waiting!.id)).toEqual([]);
  expect(up.received()).toHaveLength(published);
}, 30_000);

test("one host that hangs does not delay another host's delivery", async () => {
  const [slow, fast] = [await receiver(), await receiver()];
  const type = uniqueType();
  await endpointFor(slow, [type]);
  await endpointFor(fast, [type]);
  slow.setMode("hang");
  const started = Date.now();
  await publish(type);
  const [hook] = await fast.waitFor(1);
  expect(hook!.at - started).toBeLessThan(TIMEOUT_MS);
  await slow.waitFor(1);
});

test("a restart between the 202 and the end of the first attempt loses nothing", async () => {
  const target = await receiver();
  const type = uniqueType();
  const endpoint = await endpointFor(target, [type]);
  target.failNext("hang", 1);
  const event = await publish(type);
  await target.waitFor(1); // the first attempt is in flight
  await stack.restart(); // …and its isolate is gone before recording anything
  await cronUntil(
    stack,
    async () => (await inspect(event.id)).deliveries[0]!.status === "delivered",
    20_000,
    500,
  );
  const hooks = target.received();
  expect(hooks).toHaveLength(2);
  expect(hooks[1]!.headers["webhook-id"]).toBe(hooks[0]!.headers["webhook-id"]);
  expect(verify(endpoint.secret, hooks[1]!)).toMatchObject({ type });
}, 30_000);

test("a repeated event id returns the existing event and sends nothing more", async () => {
  const target = await receiver();
  const type = uniqueType();
  await endpointFor(target, [type]);
  const id = `order_${crypto.randomUUID()}`;
  const [first, second] = await Promise.all([
    publish(type, { a: 1 }, id),
    publish(type, { a: 2 }, id),
  ]);
  expect([first.duplicate, second.duplicate].sort()).toEqual([false, true]);
  expect(second.deliveries).toBe(1);
  await target.waitFor(1);
  await stack.cron();
  expect(target.received()).toHaveLength(1);
});

test("a replay sends the event again under a new webhook-id", async () => {
  const target = await receiver();
  const type = uniqueType();
  const endpoint = await endpointFor(target, [type]);
  const event = await publish(type);
  await target.waitFor(1);
  const replayed = await postJson(stack, `/events/${event.id}/replay`, {
    endpoint_id: endpoint.id,
  });
  expect(replayed.status).toBe(202);
  expect(await replayed.json()).toEqual({ id: event.id, deliveries: 1 });
  const hooks = await target.waitFor(2);
  expect(hooks[1]!.headers["webhook-id"]).not.toBe(hooks[0]!.headers["webhook-id"]);
  expect(verify(endpoint.secret, hooks[1]!)).toEqual(verify(endpoint.secret, hooks[0]!));
});
