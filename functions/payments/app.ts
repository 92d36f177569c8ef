import { type Context, Hono } from "hono";
import { type Caller, type CallerAuth, requireCaller } from "../../shared/auth/caller.ts";
import type { Database } from "../../shared/clients/database.ts";
import type { BaseVariables } from "../../shared/http/app.ts";
import { readJson } from "../../shared/http/body.ts";
import { deferFor } from "../../shared/http/defer.ts";
import { idempotencyKeyFor } from "./idempotency.ts";
import { requireOwnCustomer } from "./ownership.ts";
import { type RecordFunction, recordCreated } from "./record.ts";
import { type StripeCreate, type StripeOptions, createObject } from "./stripe.ts";
import { customerRequest, intentRequest, subscriptionRequest } from "./validate.ts";

/** Requests are small JSON objects; 50 metadata pairs of Stripe's sizes fit well under this. */
export const MAX_BODY_BYTES = 64 * 1024;

export interface PaymentsDeps {
  auth: CallerAuth;
  stripe: StripeOptions;
  db: Database;
}

export type PaymentsEnv = { Variables: BaseVariables & { caller: Caller; deps: PaymentsDeps } };

/** A user's `sub` goes into the object's metadata as `user_id` (a caller cannot set another). */
function metadataFor(caller: Caller, metadata: Record<string, string> | undefined) {
  return caller.kind === "user" ? { ...metadata, user_id: caller.id } : metadata;
}

/**
 * One create: the caller's key scoped to them (or a fresh one), the customer it names checked to
 * be the user's, Stripe, the record after the answer.
 */
async function create(
  c: Context<PaymentsEnv>,
  request: Pick<StripeCreate, "path" | "params">,
  record?: RecordFunction,
) {
  const deps = c.get("deps");
  const caller = c.get("caller");
  const defer = deferFor(c);
  const signal = c.req.raw.signal;
  const idempotencyKey = await idempotencyKeyFor(caller, c.req.header("idempotency-key"));
  // Any create naming a customer: a user may name only their own (a service any).
  const { customer } = request.params;
  if (typeof customer === "string") {
    await requireOwnCustomer(deps.stripe, caller, customer, { signal, defer });
  }
  const { object, replayed } = await createObject(deps.stripe, {
    ...request,
    idempotencyKey,
    signal,
    defer,
  });
  if (record) {
    const userId = caller.kind === "user" ? caller.id : null;
    defer(recordCreated(deps.db, c.get("log"), { fn: record, object, userId }));
  }
  c.get("log").info("stripe object created", { path: request.path, id: object.id, replayed });
  if (replayed) c.header("Idempotent-Replayed", "true");
  return object;
}

/**
 * POST /payments/customers, /payments/intents, /payments/subscriptions: Stripe creates for a
 * service (service key) or a signed-in user (Supabase token, for their own customers only), each
 * with an Idempotency-Key.
 */
export function createPaymentsApp(depsFor: (env: object) => PaymentsDeps) {
  const app = new Hono<PaymentsEnv>();
  app.use("/payments/*", async function paymentsDeps(c, next) {
    c.set("deps", depsFor(c.env ?? {}));
    await next();
  });
  app.use(
    "/payments/*",
    requireCaller((env) => depsFor(env).auth, "signed-in"),
  );

  app.post("/payments/customers", async (c) => {
    const body = customerRequest(await readJson(c.req.raw, MAX_BODY_BYTES));
    const params = { ...body, metadata: metadataFor(c.get("caller"), body.metadata) };
    const customer = await create(c, { path: "/v1/customers", params });
    return c.json({ id: customer.id }, 201);
  });

  app.post("/payments/intents", async (c) => {
    const body = intentRequest(await readJson(c.req.raw, MAX_BODY_BYTES));
    const params = {
      ...body,
      metadata: metadataFor(c.get("caller"), body.metadata),
      automatic_payment_methods: { enabled: true },
    };
    const intent = await create(
      c,
      { path: "/v1/payment_intents", params },
      "stripe_record_payment_intent",
    );
    const { id, client_secret, status, amount, currency } = intent;
    return c.json({ id, client_secret, status, amount, currency }, 201);
  });

  app.post("/payments/subscriptions", async (c) => {
    const body = subscriptionRequest(await readJson(c.req.raw, MAX_BODY_BYTES));
    const params = {
      customer: body.customer,
      items: [{ price: body.price }],
      payment_behavior: "default_incomplete",
      // The first invoice's payment, which the client confirms with this secret.
      expand: ["latest_invoice.confirmation_secret"],
      metadata: metadataFor(c.get("caller"), undefined),
    };
    const subscription = await create(
      c,
      { path: "/v1/subscriptions", params },
      "stripe_record_subscription",
    );
    const invoice = subscription.latest_invoice as {
      confirmation_secret?: { client_secret?: string };
    } | null;
    return c.json(
      {
        id: subscription.id,
        status: subscription.status,
        client_secret: invoice?.confirmation_secret?.client_secret ?? null,
      },
      201,
    );
  });
  return app;
}
