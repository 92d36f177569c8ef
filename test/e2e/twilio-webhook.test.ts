import twilio from "twilio";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import {
  PUBLIC_BASE_URL,
  TWILIO_TOKEN,
  type WebhookStack,
  post,
  sendTwilio,
  startWebhookStack,
} from "./webhook-stack.ts";

let stack: WebhookStack;
beforeAll(async () => {
  stack = await startWebhookStack({
    postgresAdminUrl: inject("postgresAdminUrl"),
    upstash: inject("upstash"),
  });
}, 30_000);
afterAll(() => stack.close());

const sid = () => `SM${crypto.randomUUID().replaceAll("-", "")}`;
const inbound = (messageSid: string) => ({
  MessageSid: messageSid,
  AccountSid: "AC0123456789abcdef0123456789abcdef",
  From: "+15551230000",
  To: "+15559870000",
  Body: "It's amazing & <great>",
  NumMedia: "0",
});
const status = (messageSid: string, messageStatus: string) => ({
  MessageSid: messageSid,
  MessageStatus: messageStatus,
  AccountSid: "AC0123456789abcdef0123456789abcdef",
});
const statusOf = async (messageSid: string) =>
  (await stack.db.query("select status from sms_messages where message_sid = $1", [messageSid]))
    .rows[0]?.status;

test("an inbound message is stored once and answered with TwiML", async () => {
  const messageSid = sid();
  const res = await sendTwilio(stack.worker, "/webhooks/twilio/messages", inbound(messageSid));
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/xml/);
  expect(await res.text()).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');
  const again = await sendTwilio(stack.worker, "/webhooks/twilio/messages", inbound(messageSid));
  expect(again.status).toBe(200);
  const { rows } = await stack.db.query(
    "select direction, body from sms_messages where message_sid = $1",
    [messageSid],
  );
  expect(rows).toEqual([{ direction: "inbound", body: "It's amazing & <great>" }]);
});

test("status callbacks move a message forward by rank, never back", async () => {
  const messageSid = sid();
  const send = (s: string) =>
    sendTwilio(stack.worker, "/webhooks/twilio/status", status(messageSid, s));
  expect(await (await send("delivered")).json()).toEqual({ received: true, duplicate: false });
  await send("sent"); // late and lower: ignored
  expect(await statusOf(messageSid)).toBe("delivered");
  await send("read");
  expect(await statusOf(messageSid)).toBe("read");
});

test("a failed message stays failed when a late sending arrives", async () => {
  const messageSid = sid();
  await sendTwilio(stack.worker, "/webhooks/twilio/status", status(messageSid, "failed"));
  await sendTwilio(stack.worker, "/webhooks/twilio/status", status(messageSid, "sending"));
  expect(await statusOf(messageSid)).toBe("failed");
});

test("a callback for an unknown message is stored, not dropped", async () => {
  const messageSid = sid();
  await sendTwilio(stack.worker, "/webhooks/twilio/status", status(messageSid, "sent"));
  expect(await statusOf(messageSid)).toBe("sent");
});

test("a replayed callback with another idempotency token is still a duplicate", async () => {
  const messageSid = sid();
  const send = (token: string) =>
    sendTwilio(stack.worker, "/webhooks/twilio/status", status(messageSid, "delivered"), {
      headers: { "i-twilio-idempotency-token": token },
    });
  expect(await (await send("token-1")).json()).toEqual({ received: true, duplicate: false });
  expect(await (await send("token-2")).json()).toEqual({ received: true, duplicate: true });
  expect(await (await send("token-1")).json()).toEqual({ received: true, duplicate: true });
});

test("a JSON callback signed with bodySHA256 verifies", async () => {
  const body = JSON.stringify(status(sid(), "sent"));
  const hash = Buffer.from(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(body)),
  ).toString("hex");
  const path = `/webhooks/twilio/status?bodySHA256=${hash}`;
  const signature = twilio.getExpectedTwilioSignature(
    TWILIO_TOKEN,
    `${PUBLIC_BASE_URL}${path}`,
    {},
  );
  const res = await fetch(`${stack.worker.url}${path}`, {
    method: "POST",
    body,
    headers: { "content-type": "application/json", "x-twilio-signature": signature },
  });
  expect(res.status).toBe(200);
});

describe("bad input", () => {
  test("a forged signature is refused with 403 and stores nothing", async () => {
    const messageSid = sid();
    const res = await sendTwilio(stack.worker, "/webhooks/twilio/messages", inbound(messageSid), {
      token: "not-the-token",
    });
    expect(res.status).toBe(403);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ error: { code: "invalid_signature" } });
    expect(text).not.toContain(TWILIO_TOKEN);
    expect(await statusOf(messageSid)).toBeUndefined();
  });

  test("a missing signature is refused with 403", async () => {
    const res = await fetch(`${stack.worker.url}/webhooks/twilio/messages`, {
      method: "POST",
      body: new URLSearchParams(inbound(sid())).toString(),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(res.status).toBe(403);
  });

  test("a request signed over the internal URL, not the public one, is refused", async () => {
    const params = inbound(sid());
    const signature = twilio.getExpectedTwilioSignature(
      TWILIO_TOKEN,
      `${stack.worker.url}/webhooks/twilio/messages`,
      params,
    );
    const res = await fetch(`${stack.worker.url}/webhooks/twilio/messages`, {
      method: "POST",
      body: new URLSearchParams(params).toString(),
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "x-twilio-signature": signature,
      },
    });
    expect(res.status).toBe(403);
  });

  test("a verified request without MessageSid is refused with 400", async () => {
    const res = await sendTwilio(stack.worker, "/webhooks/twilio/status", {
      MessageStatus: "sent",
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: { code: "missing_parameter", details: { missing: ["MessageSid"] } },
    });
  });

  test("a wrong content type is refused with 415", async () => {
    const res = await post(`${stack.worker.url}/webhooks/twilio/status`, "MessageSid=SM1", {
      "content-type": "text/plain",
    });
    expect(res.status).toBe(415);
  });

  test("a body over 1 MiB is refused with 413", async () => {
    const res = await sendTwilio(stack.worker, "/webhooks/twilio/messages", {
      ...inbound(sid()),
      Body: "x".repeat(1024 * 1024),
    });
    expect(res.status).toBe(413);
  });

  test("a GET is refused with 405", async () => {
    expect((await fetch(`${stack.worker.url}/webhooks/twilio/messages`)).status).toBe(405);
  });
});
