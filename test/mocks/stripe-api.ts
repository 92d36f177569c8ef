// A fake of Stripe's API for customers, PaymentIntents and subscriptions, speaking its wire format:
// form-encoded bodies with bracketed keys, `Authorization: Bearer <secret key>` (or Basic with the
// key as user), errors as {"error":{type,code,param,message}}, customers read and deleted by id (a
// deleted one reads as `{id, object, deleted: true}`, an unknown one is `404 resource_missing`,
// and neither can be named in a create), and Stripe's idempotency: the same
// Idempotency-Key with the same parameters replays the first answer (`Idempotent-Replayed: true`),
// with other parameters or another endpoint it is `400 idempotency_error`, and while the first
// request is still running it is `409` (with `Stripe-Should-Retry: true`).
import { setTimeout as sleep } from "node:timers/promises";
import { type JsonAnswer, type MockServer, type RecordedCall, startMock } from "./harness.ts";
import { basicAuth, vendorId } from "./wire.ts";

export const STRIPE_FAKE_KEY = "sk_test_fake_0123456789abcdefABCDEF";
/** Prices the fake knows (a subscription's item must name one). */
export const STRIPE_FAKE_PRICES = ["price_basic_monthly", "price_pro_yearly"];

type Params = Record<string, unknown>;

export interface StripeFake extends MockServer {
  /** Objects created, by kind; a deleted customer stays as Stripe shows it, `deleted: true`. */
  customers: Map<string, Params>;
  paymentIntents: Map<string, Params>;
  subscriptions: Map<string, Params>;
}

export interface StripeFakeOptions {
  /** How long each create takes: lets concurrent requests with one key overlap. */
  latencyMs?: number;
  port?: number;
}

const ERROR_BODIES: Record<number, { type: string; message: string }> = {
  429: { type: "invalid_request_error", message: "Too many requests hit the API too quickly." },
  500: { type: "api_error", message: "An unknown error occurred" },
  503: { type: "api_error", message: "Stripe is temporarily unavailable" },
};

/** Stripe's nested form keys (`metadata[plan]`, `items[0][price]`, `expand[]`) as objects and arrays. */
export function parseStripeForm(body: string): Params {
  const root: Params = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const path = key.replace(/\]/g, "").split("[");
    let node: Record<string, unknown> = root;
    for (const [i, part] of path.entries()) {
      const last = i === path.length - 1;
      if (Array.isArray(node) && part === "") {
        if (last) node.push(value);
        continue;
      }
      if (last) node[part] = value;
      else
        node = (node[part] ??=
          path[i + 1] === "" || /^\d+$/.test(path[i + 1]!) ? [] : {}) as Params;
    }
  }
  return root;
}

const error = (status: number, type: string, message: string, extra: Params = {}): JsonAnswer => ({
  status,
  json: { error: { type, message, ...extra } },
  headers: { "request-id": vendorId("req_", 14) },
});

const invalid = (param: string, message: string, code = "parameter_invalid") =>
  error(400, "invalid_request_error", message, { code, param });

function checkMetadata(params: Params): JsonAnswer | undefined {
  const metadata = params.metadata;
  if (metadata === undefined) return undefined;
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) {
    return invalid("metadata", "Invalid metadata: must be a hash");
  }
  const entries = Object.entries(metadata);
  if (entries.length > 50) return invalid("metadata", "Invalid metadata: at most 50 keys");
  for (const [key, value] of entries) {
    if (key.length > 40 || String(value).length > 500) {
      return invalid(`metadata[${key}]`, "Metadata keys are at most 40 characters, values 500");
    }
  }
  return undefined;
}

/** Starts the fake on a free loopback port; `url` is what STRIPE_API_BASE_URL gets. */
export async function startStripeFake(options: StripeFakeOptions = {}): Promise<StripeFake> {
  const customers = new Map<string, Params>();
  const paymentIntents = new Map<string, Params>();
  const subscriptions = new Map<string, Params>();
  const idempotent = new Map<string, { endpoint: string; params: string; answer?: JsonAnswer }>();
  const now = () => Math.floor(Date.now() / 1000);
  const isCustomer = (id: unknown) => {
    const customer = customers.get(String(id));
    return customer !== undefined && customer.deleted !== true;
  };
  const noSuchCustomer = (id: unknown, param: string, status = 400) => ({
    ...invalid(param, `No such customer: '${String(id)}'`, "resource_missing"),
    status,
  });

  const create: Record<string, (params: Params) => JsonAnswer> = {
    "/v1/customers": (params) => {
      const customer = {
        id: vendorId("cus_", 14, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"),
        object: "customer",
        email: params.email ?? null,
        name: params.name ?? null,
        metadata: params.metadata ?? {},
        created: now(),
        livemode: false,
      };
      customers.set(customer.id, customer);
      return { status: 200, json: customer };
    },
    "/v1/payment_intents": (params) => {
      if (params.amount === undefined)
        return invalid("amount", "Missing required param: amount.", "parameter_missing");
      if (!/^\d+$/.test(String(params.amount)) || Number(params.amount) < 1) {
        return invalid("amount", "Invalid positive integer", "parameter_invalid_integer");
      }
      if (!/^[a-z]{3}$/.test(String(params.currency ?? ""))) {
        return invalid("currency", `Invalid currency: ${String(params.currency)}`);
      }
      if (params.customer !== undefined && !isCustomer(params.customer)) {
        return noSuchCustomer(params.customer, "customer");
      }
      const id = vendorId(
        "pi_",
        24,
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
      );
      const intent = {
        id,
        object: "payment_intent",
        amount: Number(params.amount),
        currency: params.currency,
        customer: params.customer ?? null,
        description: params.description ?? null,
        metadata: params.metadata ?? {},
        automatic_payment_methods: {
          enabled: (params.automatic_payment_methods as Params)?.enabled === "true",
        },
        client_secret: `${id}_secret_${vendorId("", 25)}`,
        status: "requires_payment_method",
        created: now(),
        livemode: false,
      };
      paymentIntents.set(id, intent);
      return { status: 200, json: intent };
    },
    "/v1/subscriptions": (params) => {
      if (!isCustomer(params.customer)) return noSuchCustomer(params.customer, "customer");
      const price = ((params.items as Params[] | undefined)?.[0] as Params | undefined)?.price;
      if (!STRIPE_FAKE_PRICES.includes(String(price))) {
        return invalid("items[0][price]", `No such price: '${String(price)}'`, "resource_missing");
      }
      const created = now();
      const id = vendorId(
        "sub_",
        24,
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
      );
      const invoice = {
        id: vendorId("in_", 24),
        object: "invoice",
        status: "open",
        confirmation_secret: {
          client_secret: `pi_${vendorId("", 24)}_secret_${vendorId("", 25)}`,
          type: "payment_intent",
        },
      };
      const expanded = ([] as unknown[])
        .concat(params.expand ?? [])
        .includes("latest_invoice.confirmation_secret");
      const subscription = {
        id,
        object: "subscription",
        customer: params.customer,
        // default_incomplete: the first invoice waits for the customer to confirm its payment.
        status: params.payment_behavior === "default_incomplete" ? "incomplete" : "active",
        items: {
          object: "list",
          data: [
            {
              id: vendorId("si_", 14),
              price: { id: price, object: "price" },
              current_period_end: created + 30 * 86_400,
            },
          ],
        },
        latest_invoice: expanded ? invoice : invoice.id,
        metadata: params.metadata ?? {},
        created,
        livemode: false,
      };
      subscriptions.set(id, subscription);
      return { status: 200, json: subscription };
    },
  };

  /**
   * `GET` and `DELETE /v1/customers/{id}`: no body, and an Idempotency-Key changes nothing. A
   * deleted customer still reads, as `deleted: true`; it cannot be deleted again.
   */
  const customerById = (method: string, id: string): JsonAnswer => {
    const customer = customers.get(id);
    if (!customer || (method === "DELETE" && customer.deleted === true)) {
      return noSuchCustomer(id, "id", 404);
    }
    if (method === "DELETE") customers.set(id, { id, object: "customer", deleted: true });
    return {
      status: 200,
      json: customers.get(id),
      headers: { "request-id": vendorId("req_", 14) },
    };
  };

  const handle = async (request: RecordedCall): Promise<JsonAnswer> => {
    const auth = request.headers.authorization ?? "";
    const key = /^Bearer\s+(\S+)$/.exec(auth)?.[1] ?? basicAuth(auth)?.user;
    if (key !== STRIPE_FAKE_KEY) {
      return error(
        401,
        "invalid_request_error",
        `Invalid API Key provided: ${(key ?? "").slice(0, 8)}****`,
      );
    }
    const endpoint = request.path;
    const byId = /^\/v1\/customers\/([^/]+)$/.exec(endpoint)?.[1];
    if (byId && (request.method === "GET" || request.method === "DELETE")) {
      return customerById(request.method, byId);
    }
    const handler = request.method === "POST" ? create[endpoint] : undefined;
    if (!handler)
      return error(
        404,
        "invalid_request_error",
        `Unrecognized request URL (${request.method}: ${endpoint}).`,
      );
    if (!(request.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded")) {
      return error(400, "invalid_request_error", "Invalid request: the body must be form-encoded");
    }
    const params = parseStripeForm(request.text);
    const invalidMetadata = checkMetadata(params);
    if (invalidMetadata) return invalidMetadata;
    const idempotencyKey = request.headers["idempotency-key"];
    const fingerprint = [...new URLSearchParams(request.text)]
      .map((p) => p.join("="))
      .sort()
      .join("&");
    const seen = idempotencyKey ? idempotent.get(idempotencyKey) : undefined;
    if (seen && (seen.endpoint !== endpoint || seen.params !== fingerprint)) {
      return error(
        400,
        "idempotency_error",
        `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
      );
    }
    if (seen && !seen.answer) {
      const conflict = error(
        409,
        "idempotency_error",
        "There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through). Please try again later.",
      );
      return { ...conflict, headers: { ...conflict.headers, "stripe-should-retry": "true" } };
    }
    if (seen?.answer)
      return { ...seen.answer, headers: { ...seen.answer.headers, "idempotent-replayed": "true" } };
    const entry: { endpoint: string; params: string; answer?: JsonAnswer } = {
      endpoint,
      params: fingerprint,
    };
    if (idempotencyKey) idempotent.set(idempotencyKey, entry);
    if (options.latencyMs) await sleep(options.latencyMs);
    const answer = handler(params);
    const withHeaders = {
      ...answer,
      headers: {
        "request-id": vendorId("req_", 14),
        ...(idempotencyKey ? { "idempotency-key": idempotencyKey } : {}),
      },
    };
    // Stripe saves the answer of any request that began executing, errors included.
    entry.answer = withHeaders;
    return withHeaders;
  };

  const fake = await startMock(
    {
      answer: handle,
      errorBody: (status) => ({ error: ERROR_BODIES[status] ?? ERROR_BODIES[500] }),
    },
    { port: options.port },
  );
  return { ...fake, customers, paymentIntents, subscriptions };
}
