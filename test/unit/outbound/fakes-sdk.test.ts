// The fakes speak the vendors' wire formats: the official stripe and twilio SDKs, pointed at them,
// get the objects, replays and typed errors they get from the real APIs.
import Stripe from "stripe";
import twilio from "twilio";
import { afterAll, beforeAll, expect, test } from "vitest";
import { STRIPE_FAKE_KEY, type StripeFake, startStripeFake } from "../../mocks/stripe-api.ts";
import {
  TWILIO_FAKE_ACCOUNT_SID,
  TWILIO_FAKE_API_KEY,
  TWILIO_FAKE_API_SECRET,
  TWILIO_FAKE_AUTH_TOKEN,
  type TwilioFake,
  startTwilioFake,
} from "../../mocks/twilio-api.ts";

let stripeFake: StripeFake;
let twilioFake: TwilioFake;
beforeAll(async () => {
  [stripeFake, twilioFake] = await Promise.all([startStripeFake(), startTwilioFake()]);
});
afterAll(async () => {
  await Promise.all([stripeFake?.close(), twilioFake?.close()]);
});

const stripeClient = (key = STRIPE_FAKE_KEY) => {
  const { port } = new URL(stripeFake.url);
  return new Stripe(key, {
    host: "127.0.0.1",
    port: Number(port),
    protocol: "http",
    maxNetworkRetries: 0,
  });
};

test("stripe-node: a customer, an idempotent replay, and a PaymentIntent for it", async () => {
  const stripe = stripeClient();
  const idempotencyKey = crypto.randomUUID();
  const customer = await stripe.customers.create(
    { email: "ada@example.com", metadata: { plan: "pro" } },
    { idempotencyKey },
  );
  const again = await stripe.customers.create(
    { email: "ada@example.com", metadata: { plan: "pro" } },
    { idempotencyKey },
  );
  expect(again.id).toBe(customer.id);
  expect(customer).toMatchObject({ object: "customer", metadata: { plan: "pro" } });
  const intent = await stripe.paymentIntents.create({
    amount: 1000,
    currency: "usd",
    customer: customer.id,
    automatic_payment_methods: { enabled: true },
  });
  expect(intent).toMatchObject({
    status: "requires_payment_method",
    amount: 1000,
    customer: customer.id,
  });
  expect(intent.client_secret).toMatch(new RegExp(`^${intent.id}_secret_`));
  const subscription = await stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: "price_basic_monthly" }],
    payment_behavior: "default_incomplete",
    expand: ["latest_invoice.confirmation_secret"],
  });
  expect(subscription.status).toBe("incomplete");
  expect(
    (subscription.latest_invoice as Stripe.Invoice).confirmation_secret?.client_secret,
  ).toMatch(/_secret_/);
});

test("stripe-node: a customer read by id, deleted, read as deleted; an unknown one is 404 resource_missing", async () => {
  const stripe = stripeClient();
  const customer = await stripe.customers.create({ metadata: { user_id: "user-1" } });
  expect(await stripe.customers.retrieve(customer.id)).toMatchObject({
    id: customer.id,
    object: "customer",
    metadata: { user_id: "user-1" },
  });
  expect(await stripe.customers.del(customer.id)).toEqual({
    id: customer.id,
    object: "customer",
    deleted: true,
  });
  expect(await stripe.customers.retrieve(customer.id)).toEqual({
    id: customer.id,
    object: "customer",
    deleted: true,
  });
  await expect(
    stripe.paymentIntents.create({ amount: 100, currency: "usd", customer: customer.id }),
  ).rejects.toMatchObject({ statusCode: 400, code: "resource_missing", param: "customer" });
  await expect(stripe.customers.retrieve("cus_nobody")).rejects.toMatchObject({
    type: "StripeInvalidRequestError",
    statusCode: 404,
    code: "resource_missing",
    param: "id",
  });
});

test("stripe-node raises the typed errors: idempotency, invalid request, authentication, card", async () => {
  const stripe = stripeClient();
  const idempotencyKey = crypto.randomUUID();
  await stripe.paymentIntents.create({ amount: 100, currency: "usd" }, { idempotencyKey });
  await expect(
    stripe.paymentIntents.create({ amount: 200, currency: "usd" }, { idempotencyKey }),
  ).rejects.toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
  await expect(stripe.paymentIntents.create({ amount: 0, currency: "usd" })).rejects.toMatchObject({
    type: "StripeInvalidRequestError",
    param: "amount",
  });
  await expect(stripeClient("sk_test_wrong").customers.create({})).rejects.toBeInstanceOf(
    Stripe.errors.StripeAuthenticationError,
  );
  stripeFake.failNext({
    status: 402,
    json: {
      error: { type: "card_error", code: "card_declined", message: "Your card was declined." },
    },
  });
  await expect(
    stripe.paymentIntents.create({ amount: 100, currency: "usd" }),
  ).rejects.toMatchObject({
    type: "StripeCardError",
    code: "card_declined",
  });
});

test.each([
  ["the auth token", TWILIO_FAKE_ACCOUNT_SID, TWILIO_FAKE_AUTH_TOKEN],
  ["an API key", TWILIO_FAKE_API_KEY, TWILIO_FAKE_API_SECRET],
])(
  "twilio-node sends through the fake with %s, and gets Twilio's error codes",
  async (_, user, password) => {
    const client = twilio(user, password, { accountSid: TWILIO_FAKE_ACCOUNT_SID });
    client.api.baseUrl = twilioFake.url;
    const message = await client.messages.create({
      to: "+15005550006",
      from: "+15005550001",
      body: "hello",
    });
    expect(message).toMatchObject({
      sid: expect.stringMatching(/^SM/),
      status: "queued",
      to: "+15005550006",
      body: "hello",
    });
    await expect(
      client.messages.create({ to: "+15005550006", from: "+15005550001", body: "" }),
    ).rejects.toMatchObject({
      status: 400,
      code: 21602,
    });
  },
);
