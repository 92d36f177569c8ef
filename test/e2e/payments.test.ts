// The payments function end to end: the all-in-one worker in workerd, real Redis and PostgreSQL,
// Stripe's API faked on loopback with its wire format, idempotency and failures on command.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { STRIPE_FAKE_KEY } from "../mocks/stripe-api.ts";
import { type OutboundStack, eventually, startOutboundStack, userToken } from "./outbound-stack.ts";

let stack: OutboundStack;
beforeAll(async () => {
  stack = await startOutboundStack();
}, 60_000);
afterAll(() => stack?.close());

const json = async (res: Response) => (await res.json()) as Record<string, any>;
const intents = () => stack.stripe.calls().filter((r) => r.path === "/v1/payment_intents");

async function customer(token?: string): Promise<string> {
  const res = await stack.call(
    "/payments/customers",
    { email: "ada@example.com", name: "Ada" },
    token ? { token } : {},
  );
  expect(res.status).toBe(201);
  return (await json(res)).id;
}

describe("creates", () => {
  test("a user's customer, PaymentIntent and subscription: created at Stripe with user_id, recorded", async () => {
    const token = await userToken({ sub: "user-7" });
    const id = await customer(token);
    expect(stack.stripe.customers.get(id)).toMatchObject({
      email: "ada@example.com",
      metadata: { user_id: "user-7" },
    });

    const intent = await stack.call(
      "/payments/intents",
      { amount: 1999, currency: "eur", customer: id, metadata: { order: "42" } },
      { token },
    );
    expect(intent.status).toBe(201);
    const body = await json(intent);
    expect(body).toEqual({
      id: expect.stringMatching(/^pi_/),
      client_secret: expect.stringMatching(/^pi_\w+_secret_/),
      status: "requires_payment_method",
      amount: 1999,
      currency: "eur",
    });
    const sent = stack.stripe.paymentIntents.get(body.id)!;
    expect(sent).toMatchObject({
      metadata: { order: "42", user_id: "user-7" },
      automatic_payment_methods: { enabled: true },
    });
    const wire = intents().at(-1)!;
    expect(wire.headers).toMatchObject({
      "stripe-version": "2025-10-29.clover",
      authorization: expect.stringMatching(/^Bearer sk_test_/),
    });
    expect(wire.headers["idempotency-key"]).toMatch(/^bw_/);
    const row = await eventually(
      async () => (await stack.db.query("select * from payments where id = $1", [body.id])).rows[0],
    );
    expect(row).toMatchObject({
      status: "requires_payment_method",
      amount: "1999",
      currency: "eur",
      user_id: "user-7",
      customer_id: id,
    });

    const sub = await stack.call(
      "/payments/subscriptions",
      { customer: id, price: "price_basic_monthly" },
      { token },
    );
    expect(sub.status).toBe(201);
    const created = await json(sub);
    expect(created).toEqual({
      id: expect.stringMatching(/^sub_/),
      status: "incomplete",
      client_secret: expect.stringMatching(/_secret_/),
    });
    const form = new URLSearchParams(stack.stripe.calls().at(-1)!.text);
    expect(Object.fromEntries(form)).toMatchObject({
      customer: id,
      "items[0][price]": "price_basic_monthly",
      payment_behavior: "default_incomplete",
      "expand[0]": "latest_invoice.confirmation_secret",
      "metadata[user_id]": "user-7",
    });
    await eventually(
      async () =>
        (
          await stack.db.query("select * from subscriptions where id = $1 and user_id = 'user-7'", [
            created.id,
          ])
        ).rows[0],
    );
  });

  test("a 500 then success: retried with the same key, one object", async () => {
    const before = { requests: intents().length, objects: stack.stripe.paymentIntents.size };
    stack.stripe.failNext("500");
    const res = await stack.call("/payments/intents", { amount: 500, currency: "usd" });
    expect(res.status).toBe(201);
    const tried = intents().slice(before.requests);
    expect(tried).toHaveLength(2);
    expect(tried[1]!.headers["idempotency-key"]).toBe(tried[0]!.headers["idempotency-key"]);
    expect(stack.stripe.paymentIntents.size).toBe(before.objects + 1);
  });

  test.each(["reset", "hang"] as const)(
    "Stripe acted, then the answer was lost (%s): retried with the same key, one object",
    async (mode) => {
      const before = { requests: intents().length, objects: stack.stripe.paymentIntents.size };
      stack.stripe.failNext(mode);
      const res = await stack.call("/payments/intents", { amount: 700, currency: "usd" });
      expect(res.status).toBe(201);
      expect(res.headers.get("idempotent-replayed")).toBe("true");
      const tried = intents().slice(before.requests);
      expect(tried).toHaveLength(2);
      expect(new Set(tried.map((r) => r.headers["idempotency-key"])).size).toBe(1);
      expect(stack.stripe.paymentIntents.size).toBe(before.objects + 1);
    },
  );

  test("429 with Retry-After is waited out and retried", async () => {
    const before = intents().length;
    stack.stripe.failNext("429");
    const started = Date.now();
    expect((await stack.call("/payments/intents", { amount: 800, currency: "usd" })).status).toBe(
      201,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(intents().length - before).toBe(2);
  });
});

describe("a user names only their own customer", () => {
  const creates = () =>
    stack.stripe.calls().filter((r) => r.method === "POST" && r.path !== "/v1/customers").length;
  const reads = () => stack.stripe.calls().filter((r) => r.method === "GET");
  const routes = [
    ["/payments/intents", (customer: string) => ({ amount: 1500, currency: "usd", customer })],
    ["/payments/subscriptions", (customer: string) => ({ customer, price: "price_pro_yearly" })],
  ] as const;

  test.each(routes)(
    "%s for the user's own customer: read from Stripe first, then created",
    async (path, body) => {
      const token = await userToken({ sub: "owner-1" });
      const id = await customer(token);
      const before = stack.stripe.calls().length;
      const res = await stack.call(path, body(id), { token });
      expect(res.status).toBe(201);
      const sent = stack.stripe.calls().slice(before);
      expect(sent.map((r) => `${r.method} ${r.path}`)).toEqual([
        `GET /v1/customers/${id}`,
        `POST /v1/${path === "/payments/intents" ? "payment_intents" : "subscriptions"}`,
      ]);
      expect(sent[0]!.headers).toMatchObject({ "stripe-version": "2025-10-29.clover" });
    },
  );

  test.each(routes)(
    "%s for another user's customer: 404 customer_not_found, nothing created",
    async (path, body) => {
      const id = await customer(await userToken({ sub: "owner-2" }));
      const before = creates();
      const res = await stack.call(path, body(id), {
        token: await userToken({ sub: "intruder" }),
      });
      expect(res.status).toBe(404);
      expect((await json(res)).error).toMatchObject({
        code: "customer_not_found",
        category: "not_found",
        details: { param: "customer" },
      });
      expect(creates()).toBe(before);
    },
  );

  test.each(routes)(
    "%s for a customer a service created (no user_id): refused for a user",
    async (path, body) => {
      const id = await customer();
      const before = creates();
      const res = await stack.call(path, body(id), { token: await userToken() });
      expect(res.status).toBe(404);
      expect(creates()).toBe(before);
    },
  );

  test("a customer a service created with the user's user_id is the user's", async () => {
    const created = await stack.call("/payments/customers", {
      email: "bob@example.com",
      metadata: { user_id: "owner-3" },
    });
    const { id } = await json(created);
    const res = await stack.call("/payments/intents", routes[0][1](id), {
      token: await userToken({ sub: "owner-3" }),
    });
    expect(res.status).toBe(201);
  });

  test("the user's deleted customer, another's and an unknown id get one and the same answer", async () => {
    const token = await userToken({ sub: "owner-4" });
    const deleted = await customer(token);
    const removal = await fetch(`${stack.stripe.url}/v1/customers/${deleted}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${STRIPE_FAKE_KEY}` },
    });
    expect(await removal.json()).toMatchObject({ id: deleted, deleted: true });
    const foreign = await customer(await userToken({ sub: "owner-5" }));
    const before = creates();
    const answers = [];
    for (const id of [deleted, foreign, "cus_doesnotexist"]) {
      const res = await stack.call("/payments/intents", routes[0][1](id), { token });
      const { error } = await json(res);
      answers.push({
        status: res.status,
        code: error.code,
        message: error.message.replace(id, "<id>"),
      });
    }
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(answers[0]).toMatchObject({ status: 404, code: "customer_not_found" });
    expect(creates()).toBe(before);
  });

  test("a service key names any customer, with no read", async () => {
    const id = await customer(await userToken({ sub: "owner-6" }));
    const before = reads().length;
    for (const [path, body] of routes) {
      expect((await stack.call(path, body(id))).status).toBe(201);
    }
    expect(reads().length).toBe(before);
  });

  test("the read is retried after Stripe's 500, like any call to Stripe", async () => {
    const token = await userToken({ sub: "owner-7" });
    const id = await customer(token);
    const before = reads().length;
    stack.stripe.failNext("500");
    expect((await stack.call("/payments/intents", routes[0][1](id), { token })).status).toBe(201);
    expect(reads().length - before).toBe(2);
  });

  test("a malformed Idempotency-Key is refused before the read", async () => {
    const token = await userToken({ sub: "owner-8" });
    const id = await customer(token);
    const before = stack.stripe.calls().length;
    const res = await stack.call("/payments/intents", routes[0][1](id), {
      token,
      headers: { "idempotency-key": "" },
    });
    expect(res.status).toBe(400);
    expect(stack.stripe.calls().length).toBe(before);
  });
});

describe("the caller's Idempotency-Key", () => {
  const request = { amount: 1200, currency: "usd" };

  test("the same key twice returns the same object, marked replayed", async () => {
    const headers = { "idempotency-key": `order-${crypto.randomUUID()}` };
    const first = await stack.call("/payments/intents", request, { headers });
    const second = await stack.call("/payments/intents", request, { headers });
    expect([first.status, second.status]).toEqual([201, 201]);
    expect((await json(second)).id).toBe((await json(first)).id);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
  });

  test("the same key with other parameters: Stripe's 400 idempotency_error", async () => {
    const headers = { "idempotency-key": `order-${crypto.randomUUID()}` };
    expect((await stack.call("/payments/intents", request, { headers })).status).toBe(201);
    const other = await stack.call("/payments/intents", { ...request, amount: 1300 }, { headers });
    expect(other.status).toBe(400);
    expect((await json(other)).error).toMatchObject({
      code: "idempotency_error",
      details: { type: "idempotency_error" },
    });
  });

  test("is scoped to the caller: two users with one key get two objects", async () => {
    const headers = { "idempotency-key": "same-key-for-everyone" };
    const a = await stack.call("/payments/intents", request, {
      headers,
      token: await userToken({ sub: "user-a" }),
    });
    const b = await stack.call("/payments/intents", request, {
      headers,
      token: await userToken({ sub: "user-b" }),
    });
    expect([a.status, b.status]).toEqual([201, 201]);
    expect((await json(a)).id).not.toBe((await json(b)).id);
  });

  test("a malformed key is refused before Stripe", async () => {
    const before = stack.stripe.calls().length;
    const res = await stack.call("/payments/intents", request, {
      headers: { "idempotency-key": "x".repeat(256) },
    });
    expect(res.status).toBe(400);
    expect((await json(res)).error.code).toBe("invalid_idempotency_key");
    expect(stack.stripe.calls().length).toBe(before);
  });
});

describe("Stripe's refusals come back as Stripe said them, never retried", () => {
  test("a card error is 402 with Stripe's code and decline code", async () => {
    const before = intents().length;
    stack.stripe.failNext({
      status: 402,
      json: {
        error: {
          type: "card_error",
          code: "card_declined",
          decline_code: "insufficient_funds",
          message: "Your card has insufficient funds.",
          param: "",
        },
      },
    });
    const res = await stack.call("/payments/intents", { amount: 100, currency: "usd" });
    expect(res.status).toBe(402);
    expect((await json(res)).error).toMatchObject({
      code: "card_declined",
      message: "Your card has insufficient funds.",
      details: { type: "card_error", decline_code: "insufficient_funds" },
    });
    expect(intents().length - before).toBe(1);
  });

  test("an unknown customer is Stripe's 400 resource_missing naming the param", async () => {
    const res = await stack.call("/payments/subscriptions", {
      customer: "cus_nobody",
      price: "price_basic_monthly",
    });
    expect(res.status).toBe(400);
    expect((await json(res)).error).toMatchObject({
      code: "resource_missing",
      details: { param: "customer" },
    });
  });
});

describe("bad input is a clear 4xx before any call to Stripe", () => {
  test.each([
    [{ amount: 0, currency: "usd" }, "amount"],
    [{ amount: 10.5, currency: "usd" }, "amount"],
    [{ amount: "100", currency: "usd" }, "amount"],
    [{ amount: 100_000_000, currency: "usd" }, "amount"],
    [{ amount: 100, currency: "USD" }, "currency"],
    [{ amount: 100 }, "currency"],
    [
      {
        amount: 100,
        currency: "usd",
        metadata: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, "v"])),
      },
      "metadata",
    ],
    [{ amount: 100, currency: "usd", metadata: { k: 1 } }, "metadata.k"],
    [{ amount: 100, currency: "usd", customer: "acct_1" }, "customer"],
    [{ amount: 100, currency: "usd", confirm: true }, "confirm"],
  ])("%j → 400 naming %s", async (body, param) => {
    const before = stack.stripe.calls().length;
    const res = await stack.call("/payments/intents", body);
    expect(res.status).toBe(400);
    expect((await json(res)).error.details.param).toBe(param);
    expect(stack.stripe.calls().length).toBe(before);
  });

  test("malformed JSON, a wrong content type and an oversize body", async () => {
    expect((await stack.call("/payments/customers", "{")).status).toBe(400);
    expect(
      (
        await stack.call("/payments/customers", "email=a@b.co", {
          headers: { "content-type": "application/x-www-form-urlencoded" },
        })
      ).status,
    ).toBe(415);
    expect(
      (await stack.call("/payments/customers", { email: "a@b.co", name: "x".repeat(70_000) }))
        .status,
    ).toBe(413);
  });
});

describe("who may call", () => {
  const intent = { amount: 100, currency: "usd" };
  test.each([
    ["no token", null, 401],
    ["a wrong service key", "bw-e2e-service-key-wrong", 401],
  ] as const)("%s → %i", async (_, token, status) => {
    expect((await stack.call("/payments/intents", intent, { token })).status).toBe(status);
  });

  test("forged, expired, wrong-audience and alg:none tokens → 401", async () => {
    const header = (alg: string) =>
      Buffer.from(JSON.stringify({ alg, typ: "JWT" })).toString("base64url");
    const claims = Buffer.from(
      JSON.stringify({ sub: "u", role: "authenticated", aud: "authenticated", exp: 9_999_999_999 }),
    ).toString("base64url");
    const tokens = [
      await userToken({}, { secret: "another-secret-of-at-least-32-characters!" }),
      await userToken({}, { expiresIn: Math.floor(Date.now() / 1000) - 10 }),
      await userToken({ aud: "someone-else" }),
      `${header("none")}.${claims}.`,
    ];
    for (const token of tokens) {
      const res = await stack.call("/payments/intents", intent, { token });
      expect(res.status, token).toBe(401);
    }
  });

  test("an anonymous sign-in and the anon role are refused with 403", async () => {
    for (const token of [
      await userToken({ is_anonymous: true }),
      await userToken({ role: "anon" }),
    ]) {
      const res = await stack.call("/payments/intents", intent, { token });
      expect(res.status).toBe(403);
      expect((await json(res)).error.code).toBe("sign_in_required");
    }
  });
});

test("Stripe failing: the stripe-api breaker opens and creates are refused at once with 503", async () => {
  stack.stripe.failNext("503", 100);
  for (let i = 0; i < 5; i++)
    expect((await stack.call("/payments/intents", { amount: 100, currency: "usd" })).status).toBe(
      502,
    );
  await new Promise((r) => setTimeout(r, 300)); // the outcomes are reported after the responses
  const before = stack.stripe.calls().length;
  const res = await stack.call("/payments/intents", { amount: 100, currency: "usd" });
  expect(res.status).toBe(503);
  expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
  expect(stack.stripe.calls().length).toBe(before);
}, 60_000);

describe("concurrent identical requests with one Idempotency-Key", () => {
  let slow: OutboundStack;
  beforeAll(async () => {
    slow = await startOutboundStack({ stripeLatencyMs: 300 }); // the creates overlap
  }, 60_000);
  afterAll(() => slow?.close());

  test("one object at Stripe; each answer is that object or Stripe's 409 to retry", async () => {
    const headers = { "idempotency-key": `checkout-${crypto.randomUUID()}` };
    const body = { amount: 4200, currency: "usd" };
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => slow.call("/payments/intents", body, { headers })),
    );
    expect(slow.stripe.paymentIntents.size).toBe(1);
    const [id] = slow.stripe.paymentIntents.keys();
    const created = answers.filter((r) => r.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    for (const res of created) expect((await json(res)).id).toBe(id);
    for (const res of answers.filter((r) => r.status !== 201)) {
      expect(res.status).toBe(409);
      expect(res.headers.get("retry-after")).toBe("1");
      expect((await json(res)).error.code).toBe("idempotency_error");
    }
    const retried = await slow.call("/payments/intents", body, { headers });
    expect((await json(retried)).id).toBe(id);
    expect(slow.stripe.paymentIntents.size).toBe(1);
  });
});
