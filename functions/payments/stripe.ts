import { AppError } from "../../shared/http/errors.ts";
import {
  type CircuitBreaker,
  isBrokenCircuitError,
} from "../../shared/resilience/breaker/breaker.ts";
import { guard } from "../../shared/resilience/policy.ts";
import { isRetryError, retry } from "../../shared/resilience/retry.ts";
import { isTimeoutError } from "../../shared/resilience/timeout.ts";

/** The API version every request pins, so Stripe's answers keep the shape this code reads. */
export const STRIPE_API_VERSION = "2025-10-29.clover";

export interface StripeOptions {
  /** STRIPE_API_BASE_URL, `https://api.stripe.com` by default. */
  baseUrl: string;
  secretKey: string;
  breaker: CircuitBreaker;
  /** Each attempt's limit; the whole call (retries included) gets three attempts' worth. */
  attemptTimeoutMs: number;
}

/** One create: the endpoint, its parameters, and the key that makes every retry of it safe. */
export interface StripeCreate {
  path: "/v1/customers" | "/v1/payment_intents" | "/v1/subscriptions";
  params: Record<string, unknown>;
  idempotencyKey: string;
  signal: AbortSignal;
  defer: (pending: Promise<unknown>) => void;
}

/** What Stripe created (or replayed for the same key): the object, as Stripe returned it. */
export interface StripeObject {
  object: Record<string, unknown> & { id: string };
  /** Stripe's `Idempotent-Replayed: true`: an earlier call with this key created it. */
  replayed: boolean;
}

/** 5xx and 429: retried (with the same key) while the deadline allows. */
const RETRYABLE = new Set([408, 429, 500, 502, 503, 504]);
const STRIPE_RETRY = retry({ initialDelayMs: 300, maxDelayMs: 4_000, retries: 2 });

/** Stripe's nested form encoding: `metadata[plan]=pro`, `items[0][price]=…`, `expand[0]=…`. */
export function stripeForm(params: Record<string, unknown>): string {
  const pairs: [string, string][] = [];
  const walk = (key: string, value: unknown) => {
    if (value === undefined || value === null) return;
    if (Array.isArray(value)) value.forEach((item, i) => walk(`${key}[${i}]`, item));
    else if (typeof value === "object") {
      for (const [name, item] of Object.entries(value)) walk(key ? `${key}[${name}]` : name, item);
    } else pairs.push([key, String(value)]);
  };
  walk("", params);
  // Brackets stay readable, as stripe-node sends them; Stripe decodes either way.
  return new URLSearchParams(pairs).toString().replaceAll("%5B", "[").replaceAll("%5D", "]");
}

interface StripeAnswer {
  status: number;
  body: unknown;
  replayed: boolean;
}

/** Stripe's error body, restated for the caller with Stripe's own status, code and param. */
function refused(answer: StripeAnswer): AppError {
  const error = ((answer.body as { error?: Record<string, unknown> } | undefined)?.error ??
    {}) as Record<string, string | undefined>;
  // Our own key refused is our configuration, not the caller's request: never their 401.
  if (answer.status === 401 || answer.status === 403) {
    return new AppError({
      status: 502,
      code: "upstream_auth",
      category: "external_service",
      message: "Stripe refused this deployment's credentials",
    });
  }
  const details = Object.fromEntries(
    Object.entries({
      type: error.type,
      param: error.param,
      decline_code: error.decline_code,
    }).filter(([, value]) => typeof value === "string" && value !== ""),
  );
  return new AppError({
    status: answer.status,
    code: error.code ?? error.type ?? `stripe_${answer.status}`,
    category: answer.status === 404 ? "not_found" : "validation",
    message: typeof error.message === "string" ? error.message : `Stripe answered ${answer.status}`,
    details,
    ...(answer.status === 409 ? { headers: { "Retry-After": "1" } } : {}),
  });
}

function unavailable(error: unknown): AppError {
  if (isBrokenCircuitError(error)) {
    return new AppError({
      status: 503,
      code: "upstream_unavailable",
      category: "external_service",
      message: "Stripe is failing; calls are paused briefly",
      headers: { "Retry-After": String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))) },
    });
  }
  const timedOut = isRetryError(error) && isTimeoutError(error.cause);
  return new AppError({
    status: timedOut ? 504 : 502,
    code: timedOut ? "upstream_timeout" : "upstream_error",
    category: "external_service",
    message: timedOut ? "Stripe did not answer in time" : "Stripe could not be reached",
  });
}

/** One request to Stripe: a create (POST with its Idempotency-Key) or a read (GET). */
type StripeRequest = { signal: AbortSignal; defer: (pending: Promise<unknown>) => void } & (
  | { method: "POST"; path: string; body: string; idempotencyKey: string }
  | { method: "GET"; path: string }
);

/**
 * One request under the `stripe-api` breaker, with a timeout per attempt and retries of 5xx, 429
 * and connection failures: a create's every attempt carries the same Idempotency-Key (so Stripe
 * creates at most one object), a read is safe to repeat as it is. Stripe's other answers, 4xx
 * included, are returned: they are the caller's, never retried.
 */
async function request(options: StripeOptions, req: StripeRequest): Promise<StripeAnswer> {
  const url = `${options.baseUrl}${req.path}`;
  const init = {
    method: req.method,
    headers: {
      authorization: `Bearer ${options.secretKey}`,
      "stripe-version": STRIPE_API_VERSION,
      ...(req.method === "POST"
        ? {
            "content-type": "application/x-www-form-urlencoded",
            "idempotency-key": req.idempotencyKey,
          }
        : {}),
    },
    ...(req.method === "POST" ? { body: req.body } : {}),
  };
  let answer: StripeAnswer | Response;
  try {
    ({ value: answer } = await guard<StripeAnswer | Response>(
      {
        breaker: options.breaker,
        retry: STRIPE_RETRY,
        attemptTimeoutMs: options.attemptTimeoutMs,
        defer: req.defer,
        isFailure: (value) => value instanceof Response,
      },
      {
        deadlineMs: 3 * options.attemptTimeoutMs,
        signal: req.signal,
        ...(req.method === "POST"
          ? { idempotent: false, idempotencyKey: req.idempotencyKey }
          : { idempotent: true }),
      },
      async ({ signal }) => {
        let response: Response;
        try {
          response = await fetch(url, { ...init, signal });
        } catch (error) {
          // workerd rejects a refused or reset connection with a plain Error, which the shared
          // policy would not retry; a read, or a create with its key, is safe to repeat whatever
          // Stripe had done.
          if (signal.aborted) throw error;
          throw new TypeError("Stripe could not be reached", { cause: error });
        }
        if (RETRYABLE.has(response.status)) return response;
        const body: unknown = await response.json().catch(() => undefined);
        return {
          status: response.status,
          body,
          replayed: response.headers.get("idempotent-replayed") === "true",
        };
      },
    ));
  } catch (error) {
    throw unavailable(error);
  }
  if (answer instanceof Response) {
    void answer.body?.cancel().catch(() => {});
    const limited = answer.status === 429;
    throw new AppError({
      status: limited ? 503 : 502,
      code: limited ? "upstream_rate_limited" : "upstream_error",
      category: "external_service",
      message: limited
        ? "Stripe is rate limiting this account; retry later"
        : `Stripe answered ${answer.status}`,
      headers: { "Retry-After": answer.headers.get("retry-after") ?? "5" },
    });
  }
  return answer;
}

/** The object of a 2xx answer; an answer without an `id` could not have been read. */
function objectOf(answer: StripeAnswer): StripeObject["object"] {
  const object = answer.body as StripeObject["object"] | undefined;
  if (typeof object?.id !== "string") {
    throw new AppError({
      status: 502,
      code: "upstream_error",
      category: "external_service",
      message: "Stripe's answer could not be read",
    });
  }
  return object;
}

/**
 * Creates one Stripe object, under the Idempotency-Key of `create` on every attempt (see
 * {@link request}). Stripe's refusals are thrown with Stripe's status, code and param.
 */
export async function createObject(
  options: StripeOptions,
  create: StripeCreate,
): Promise<StripeObject> {
  const answer = await request(options, {
    method: "POST",
    path: create.path,
    body: stripeForm(create.params),
    idempotencyKey: create.idempotencyKey,
    signal: create.signal,
    defer: create.defer,
  });
  if (answer.status >= 300) throw refused(answer);
  return { object: objectOf(answer), replayed: answer.replayed };
}

/** A customer as Stripe's `GET /v1/customers/{id}` returns it; a deleted one keeps only its id. */
export interface StripeCustomer {
  id: string;
  deleted?: boolean;
  metadata?: Record<string, string>;
}

/**
 * Reads one customer (`GET /v1/customers/{id}`), retried like a create; undefined when Stripe
 * knows no such customer (its `404 resource_missing`). A deleted customer is returned as Stripe
 * answers it, `deleted: true`.
 */
export async function retrieveCustomer(
  options: StripeOptions,
  id: string,
  call: Pick<StripeCreate, "signal" | "defer">,
): Promise<StripeCustomer | undefined> {
  const answer = await request(options, {
    method: "GET",
    path: `/v1/customers/${encodeURIComponent(id)}`,
    ...call,
  });
  if (answer.status === 404) return undefined;
  if (answer.status >= 300) throw refused(answer);
  return objectOf(answer) as StripeCustomer;
}
