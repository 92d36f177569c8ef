// POST /webhooks/in/{source} in workerd: senders signing with the official `standardwebhooks`
// library and GitHub's scheme, each delivery stored once in webhook_events.
import { createHmac } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, expect, inject, test } from "vitest";
import { newStandardSecret } from "../../shared/webhooks/standard-signature.ts";
import { type EventsStack, startEventsStack } from "./events-stack.ts";
import { post } from "./webhook-stack.ts";

const ACME_SECRET = newStandardSecret();
const ACME_OLD_SECRET = newStandardSecret();
const GITHUB_SECRET = `gh-${crypto.randomUUID()}`;

let stack: EventsStack;
beforeAll(async () => {
  stack = await startEventsStack({
    postgresAdminUrl: inject("postgresAdminUrl"),
    upstash: inject("upstash"),
    bindings: {
      WEBHOOK_SOURCES: JSON.stringify({
        acme: { scheme: "standard", secrets: [ACME_SECRET, ACME_OLD_SECRET] },
        gh: { scheme: "github", secrets: [GITHUB_SECRET] },
      }),
    },
  });
}, 30_000);
afterAll(() => stack.close());

const msgId = () => `msg_${crypto.randomUUID().replaceAll("-", "")}`;

/** POSTs `payload` to the acme source, signed by the official library. */
function sendStandard(payload: object, options: { id?: string; secret?: string; at?: Date } = {}) {
  const body = JSON.stringify(payload);
  const id = options.id ?? msgId();
  const at = options.at ?? new Date();
  return post(`${stack.worker.url}/webhooks/in/acme`, body, {
    "content-type": "application/json",
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": new Webhook(options.secret ?? ACME_SECRET).sign(id, at, body),
  });
}

function sendGithub(payload: object, headers: Record<string, string> = {}) {
  const body = JSON.stringify(payload);
  return post(`${stack.worker.url}/webhooks/in/gh`, body, {
    "content-type": "application/json",
    "x-github-event": "pull_request",
    "x-github-delivery": crypto.randomUUID(),
    "x-hub-signature-256": `sha256=${createHmac("sha256", GITHUB_SECRET).update(body).digest("hex")}`,
    ...headers,
  });
}

const stored = async (provider: string, id: string) =>
  (
    await stack.db.query(
      "select event_type, payload, outcome from webhook_events where provider = $1 and event_id = $2",
      [provider, id],
    )
  ).rows;

test("a Standard Webhooks delivery is verified and stored with its type", async () => {
  const id = msgId();
  const res = await sendStandard({ type: "user.created", data: { id: "u_1" } }, { id });
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ received: true, duplicate: false });
  expect(await stored("acme", id)).toEqual([
    {
      event_type: "user.created",
      payload: { type: "user.created", data: { id: "u_1" } },
      outcome: "received",
    },
  ]);
});

test("a redelivery (new timestamp, new signature, same id) is a duplicate, stored once", async () => {
  const id = msgId();
  expect(
    (await sendStandard({ type: "a.b" }, { id, at: new Date(Date.now() - 60_000) })).status,
  ).toBe(200);
  const again = await sendStandard({ type: "a.b" }, { id });
  expect(again.status).toBe(200);
  expect(await again.json()).toEqual({ received: true, duplicate: true });
  expect(await stored("acme", id)).toHaveLength(1);
});

test("concurrent duplicates store one row; the others are 409 or duplicates", async () => {
  const id = msgId();
  const answers = await Promise.all(
    Array.from({ length: 10 }, () => sendStandard({ type: "c.d" }, { id })),
  );
  expect(answers.every((r) => r.status === 200 || r.status === 409)).toBe(true);
  const bodies = (await Promise.all(
    answers.filter((r) => r.status === 200).map((r) => r.json()),
  )) as {
    duplicate: boolean;
  }[];
  expect(bodies.filter((b) => !b.duplicate)).toHaveLength(1);
  expect(await stored("acme", id)).toHaveLength(1);
});

test("a delivery signed with the previous secret is accepted during a rotation", async () => {
  expect((await sendStandard({ type: "e.f" }, { secret: ACME_OLD_SECRET })).status).toBe(200);
});

test.each([
  ["another secret", { secret: newStandardSecret() }, "no_matching_signature"],
  [
    "a timestamp ten minutes old",
    { at: new Date(Date.now() - 600_000) },
    "timestamp_outside_tolerance",
  ],
])("a delivery with %s is refused with 400", async (_, options, reason) => {
  const id = msgId();
  const res = await sendStandard({ type: "g.h" }, { id, ...options });
  expect(res.status).toBe(400);
  expect(await res.json()).toMatchObject({
    error: { code: "invalid_signature", details: { reason } },
  });
  expect(await stored("acme", id)).toEqual([]);
});

test("a delivery without its signature headers is refused with 400", async () => {
  const res = await post(`${stack.worker.url}/webhooks/in/acme`, "{}", {
    "content-type": "application/json",
  });
  expect(res.status).toBe(400);
  expect(await res.json()).toMatchObject({ error: { details: { reason: "missing_headers" } } });
});

test("a GitHub delivery is verified and stored under its delivery id and event", async () => {
  const delivery = crypto.randomUUID();
  const res = await sendGithub({ action: "opened", number: 7 }, { "x-github-delivery": delivery });
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ received: true, duplicate: false });
  expect(await stored("gh", delivery)).toEqual([
    { event_type: "pull_request", payload: { action: "opened", number: 7 }, outcome: "received" },
  ]);
  const again = await sendGithub(
    { action: "opened", number: 7 },
    { "x-github-delivery": delivery },
  );
  expect(await again.json()).toEqual({ received: true, duplicate: true });
});

test("a GitHub delivery with a forged signature or no delivery id is refused with 400", async () => {
  const forged = await sendGithub({ a: 1 }, { "x-hub-signature-256": `sha256=${"0".repeat(64)}` });
  expect(forged.status).toBe(400);
  const anonymous = await sendGithub({ a: 1 }, { "x-github-delivery": "" });
  expect(anonymous.status).toBe(400);
  expect(await anonymous.json()).toMatchObject({
    error: { details: { reason: "missing_delivery_headers" } },
  });
});

test("an unknown source is 404 and a body not declared JSON is 415", async () => {
  const unknown = await post(`${stack.worker.url}/webhooks/in/nobody`, "{}", {
    "content-type": "application/json",
  });
  expect(unknown.status).toBe(404);
  const form = await post(`${stack.worker.url}/webhooks/in/acme`, "a=1", {
    "content-type": "application/x-www-form-urlencoded",
  });
  expect(form.status).toBe(415);
});
