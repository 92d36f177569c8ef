// The messaging function end to end: the all-in-one worker in workerd, real Redis and PostgreSQL,
// Twilio's Messages API faked on loopback with its wire format and failures on command.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { TWILIO_FAKE_ACCOUNT_SID, TWILIO_FAKE_AUTH_TOKEN } from "../mocks/twilio-api.ts";
import {
  type OutboundStack,
  TWILIO_FROM,
  eventually,
  startOutboundStack,
  userToken,
} from "./outbound-stack.ts";
import { PUBLIC_BASE_URL, sendTwilio } from "./webhook-stack.ts";

let stack: OutboundStack;
beforeAll(async () => {
  stack = await startOutboundStack({ bindings: { VERIFY_COUNTRIES: "US,CA" } });
}, 60_000);
afterAll(() => stack?.close());

const json = async (res: Response) => (await res.json()) as Record<string, any>;
let numbers = 0;
/** A fresh US number per test, so per-phone limits never carry over. */
const phone = () => `+1202555${String(1000 + ++numbers).slice(-4)}`;
/** A fresh client address per test, so the per-address limit never carries over. */
const client = () => ({ "cf-connecting-ip": `198.51.100.${++numbers}` });
const sms = (to = phone()) => stack.call("/messages/sms", { to, body: "Your order shipped" });
const sentTo = (to: string) => stack.twilio.messages().filter((m) => m.to === to);
const smsRow = (id: string) =>
  eventually(
    async () => (await stack.db.query("select * from sms_messages where id = $1", [id])).rows[0],
  );

describe("POST /messages/sms", () => {
  test("202 with our id and Twilio's sid; form-encoded, Basic auth, status callback; recorded, then moved on by the status webhook", async () => {
    const to = phone();
    const res = await sms(to);
    expect(res.status).toBe(202);
    const body = await json(res);
    expect(body).toEqual({
      id: expect.any(String),
      sid: expect.stringMatching(/^SM[0-9a-f]{32}$/),
      status: "queued",
    });
    const request = stack.twilio.calls().at(-1)!;
    expect(request.path).toBe(`/2010-04-01/Accounts/${TWILIO_FAKE_ACCOUNT_SID}/Messages.json`);
    expect(request.headers.authorization).toBe(
      `Basic ${Buffer.from(`${TWILIO_FAKE_ACCOUNT_SID}:${TWILIO_FAKE_AUTH_TOKEN}`).toString("base64")}`,
    );
    expect(Object.fromEntries(new URLSearchParams(request.text))).toEqual({
      To: to,
      Body: "Your order shipped",
      From: TWILIO_FROM,
      StatusCallback: `${PUBLIC_BASE_URL}/webhooks/twilio/status`,
    });
    expect(await smsRow(body.id)).toMatchObject({
      message_sid: body.sid,
      direction: "outbound",
      status: "queued",
      body: "Your order shipped",
    });

    // The account's auth token signs its webhooks too.
    const delivered = await sendTwilio(
      stack.worker,
      "/webhooks/twilio/status",
      { MessageSid: body.sid, MessageStatus: "delivered", AccountSid: TWILIO_FAKE_ACCOUNT_SID },
      { token: TWILIO_FAKE_AUTH_TOKEN },
    );
    expect(delivered.status).toBe(200);
    expect((await smsRow(body.id)).status).toBe("delivered");
  });

  test("a user token is 403: only services send arbitrary SMS", async () => {
    const res = await stack.call(
      "/messages/sms",
      { to: phone(), body: "x" },
      { token: await userToken() },
    );
    expect(res.status).toBe(403);
    expect((await json(res)).error.code).toBe("service_key_required");
  });

  test.each([
    [{ to: "2025550100", body: "x" }, "to"],
    [{ to: "+12025550100", body: "" }, "body"],
    [{ to: "+12025550100", body: "x".repeat(1601) }, "body"],
    [{ to: "+12025550100" }, "body"],
    [{ to: "+12025550100", body: "x", media: "y" }, "media"],
  ])("%j → 400 naming %s, nothing sent", async (request, param) => {
    const before = stack.twilio.calls().length;
    const res = await stack.call("/messages/sms", request);
    expect(res.status).toBe(400);
    expect((await json(res)).error.details.param).toBe(param);
    expect(stack.twilio.calls().length).toBe(before);
  });
});

describe("never sent twice", () => {
  test.each(["500", "reset", "hang"] as const)(
    "Twilio %s after reading the request: 502 delivery_unknown, no second send, recorded as unknown",
    async (mode) => {
      const to = phone();
      const before = stack.twilio.calls().length;
      stack.twilio.failNext(mode);
      const res = await sms(to);
      expect(res.status).toBe(502);
      const { error } = await json(res);
      expect(error.code).toBe("delivery_unknown");
      expect(stack.twilio.calls().length - before).toBe(1);
      // reset and hang: Twilio took it (one message); 500: it says it failed. Never two.
      expect(sentTo(to).length).toBe(mode === "500" ? 0 : 1);
      expect(await smsRow(error.details.id)).toMatchObject({
        message_sid: null,
        status: "unknown",
        direction: "outbound",
        to_number: to,
      });
    },
  );

  test.each(["503", "429"] as const)(
    "Twilio %s (certainly not taken): retried, sent once",
    async (mode) => {
      const to = phone();
      const before = stack.twilio.calls().length;
      stack.twilio.failNext(mode);
      const res = await sms(to);
      expect(res.status).toBe(202);
      expect(stack.twilio.calls().length - before).toBe(2);
      expect(sentTo(to)).toHaveLength(1);
    },
  );

  test("Twilio's own refusal (400, 21211) is the caller's 400 with Twilio's code", async () => {
    stack.twilio.failNext({
      status: 400,
      json: { code: 21211, message: "The 'To' number is not a valid phone number.", status: 400 },
    });
    const res = await sms();
    expect(res.status).toBe(400);
    expect((await json(res)).error).toMatchObject({
      code: "twilio_refused",
      details: { twilioCode: 21211 },
    });
  });
});

describe("verification", () => {
  const start = (number: string, headers = client()) =>
    stack.call("/verify/start", { phone: number }, { headers });
  const check = (number: string, code: string) =>
    stack.call("/verify/check", { phone: number, code });
  const codeSentTo = (number: string) => /\b(\d{6})\b/.exec(sentTo(number).at(-1)!.body)![1]!;
  const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, "0");

  test("start, a wrong code, the right code, then a replay: 202, 400 invalid_code, 200 approved, 404", async () => {
    const number = phone();
    const token = await userToken();
    const started = await stack.call(
      "/verify/start",
      { phone: number },
      { token, headers: client() },
    );
    expect(started.status).toBe(202);
    const body = await json(started);
    expect(body.status).toBe("pending");
    expect(Date.parse(body.expires_at) - Date.now()).toBeGreaterThan(590_000);
    const code = codeSentTo(number);
    expect(JSON.stringify(body)).not.toContain(code);

    const miss = await stack.call("/verify/check", { phone: number, code: wrong(code) }, { token });
    expect(miss.status).toBe(400);
    const missBody = await json(miss);
    expect(missBody.error).toMatchObject({ code: "invalid_code", details: { attemptsLeft: 4 } });
    expect(JSON.stringify(missBody)).not.toContain(code);

    const hit = await stack.call("/verify/check", { phone: number, code }, { token });
    expect([hit.status, await json(hit)]).toEqual([200, { status: "approved" }]);
    const replay = await check(number, code);
    expect(replay.status).toBe(404);
    expect((await json(replay)).error.code).toBe("verification_not_found");
    // The message was recorded without its body: the code is stored nowhere.
    const { rows } = await stack.db.query("select body from sms_messages where to_number = $1", [
      number,
    ]);
    expect(rows).toEqual([{ body: null }]);
  });

  test("brute force: of 12 guesses at once at most 5 are compared; the right code afterwards finds nothing", async () => {
    const number = phone();
    expect((await start(number)).status).toBe(202);
    const code = codeSentTo(number);
    const guesses = Array.from({ length: 12 }, (_, i) =>
      String((Number(code) + 1 + i) % 1_000_000).padStart(6, "0"),
    );
    const answers = await Promise.all(guesses.map((guess) => check(number, guess)));
    const bodies = await Promise.all(answers.map(json));
    const compared = bodies.filter((b) => b.error?.code === "invalid_code");
    expect(compared.length).toBeGreaterThanOrEqual(1);
    expect(compared.length).toBeLessThanOrEqual(5);
    // Each compared guess took its own attempt (none shared one).
    const left = compared.map((b) => b.error.details.attemptsLeft);
    expect(new Set(left).size).toBe(left.length);
    // The rest found the verification gone, or (a loaded machine) Redis too slow: never approved.
    for (const b of bodies.filter((b) => b.error?.code !== "invalid_code")) {
      expect(["verification_not_found", "verification_unavailable"]).toContain(b.error.code);
    }
    expect((await check(number, code)).status).toBe(404);
  });

  test("never started: 404", async () => {
    expect((await check(phone(), "123456")).status).toBe(404);
  });

  test("per phone: a second start within 30 s is 429 with Retry-After, and sends nothing", async () => {
    const number = phone();
    expect((await start(number)).status).toBe(202);
    const again = await start(number);
    expect(again.status).toBe(429);
    expect(Number(again.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(sentTo(number)).toHaveLength(1);
  });

  test("per client address: the 21st start in an hour is 429", async () => {
    const address = client();
    const statuses = [];
    for (let i = 0; i < 21; i++) statuses.push((await start(phone(), address)).status);
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(202));
    expect(statuses[20]).toBe(429);
  });

  test("VERIFY_COUNTRIES: a Canadian number is sent, a British one is 400 country_not_allowed", async () => {
    expect((await start("+12045550123")).status).toBe(202);
    const res = await start("+447700900123");
    expect(res.status).toBe(400);
    expect((await json(res)).error).toMatchObject({
      code: "country_not_allowed",
      details: { country: "GB" },
    });
    expect(sentTo("+447700900123")).toHaveLength(0);
  });

  test("a malformed code takes no attempt", async () => {
    const number = phone();
    expect((await start(number)).status).toBe(202);
    expect((await check(number, "12345")).status).toBe(400);
    expect(
      (await json(await check(number, wrong(codeSentTo(number))))).error.details.attemptsLeft,
    ).toBe(4);
  });

  test("no token, or a forged one: 401", async () => {
    expect((await stack.call("/verify/start", { phone: phone() }, { token: null })).status).toBe(
      401,
    );
    const forged = await userToken({}, { secret: "not-the-project-secret-at-all-0123456789" });
    expect(
      (await stack.call("/verify/check", { phone: phone(), code: "123456" }, { token: forged }))
        .status,
    ).toBe(401);
  });
});

test("Twilio failing: the twilio-api breaker opens and sends are refused at once with 503", async () => {
  stack.twilio.failNext("500", 5);
  for (let i = 0; i < 5; i++) expect((await sms()).status).toBe(502);
  await new Promise((r) => setTimeout(r, 300)); // the outcomes are reported after the responses
  const before = stack.twilio.calls().length;
  const res = await sms();
  expect(res.status).toBe(503);
  expect((await json(res)).error.code).toBe("upstream_unavailable");
  expect(stack.twilio.calls().length).toBe(before);
}, 30_000);
