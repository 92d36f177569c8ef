import { AppError } from "../http/errors.ts";
import type { CircuitBreaker, Permit } from "../resilience/breaker/breaker.ts";
import { guard } from "../resilience/policy.ts";
import { type RequestTrace, SpanKind, traced } from "../telemetry/trace.ts";
import type { ClaimStatus, WebhookClaims } from "./claims.ts";

/** What an RPC call through postgrest-js resolves to (it reports failures, never throws). */
export interface RpcResponse<T> {
  data: T | null;
  error: { message: string; code?: string } | null;
  status: number;
}

export interface DeliveryDeps {
  claims: WebhookClaims;
  /** The database's breaker: an unreachable Postgres is answered 503 at once, not per call. */
  breaker: CircuitBreaker;
  defer: (pending: Promise<unknown>) => void;
  /** The request's trace, when tracing is on: the claim, the write and the claim's end are spans. */
  trace?: RequestTrace | undefined;
}

const REDIS = { kind: SpanKind.client, attributes: { "db.system.name": "redis" } };

export type Dedupe = "new" | "duplicate" | "in_flight";

const ATTEMPT_TIMEOUT_MS = 5_000;

const unavailable = () =>
  new AppError({
    status: 503,
    code: "storage_unavailable",
    category: "external_service",
    message: "The event could not be stored; retry later",
    headers: { "Retry-After": "5" },
  });

/**
 * Applies one verified delivery exactly once: a Redis claim keeps concurrent duplicates from
 * Postgres, the SQL function (one transaction, unique on provider + event) is the authority.
 * Nothing is acknowledged before it is durable: a failed or refused write answers 503 and
 * releases the claim so the provider's retry can proceed.
 */
export async function deliver<T extends { duplicate: boolean }>(
  deps: DeliveryDeps,
  key: string,
  apply: (signal: AbortSignal) => PromiseLike<RpcResponse<T>>,
): Promise<{ dedupe: Dedupe; result?: T }> {
  const { trace } = deps;
  // The claim and the database breaker's gate leave in the same tick: one Redis round trip.
  const [claim, permit]: [ClaimStatus, Permit | Error] = await traced(
    trace,
    "webhook.claim",
    REDIS,
    async (span) => {
      const both = await Promise.all([
        deps.claims.claim(key),
        deps.breaker.acquire().catch((error: unknown) => error as Error),
      ]);
      span?.set({
        "breakwater.webhook.claim": both[0],
        "breakwater.breaker.state": both[1] instanceof Error ? "open" : "closed",
      });
      return both;
    },
  );
  if (claim === "done") return { dedupe: "duplicate" };
  if (claim === "in_flight") {
    throw new AppError({
      status: 409,
      code: "delivery_in_flight",
      category: "validation",
      message: "Another delivery of this event is being processed; retry later",
      headers: { "Retry-After": "1" },
    });
  }
  const release = () =>
    claim === "claimed" &&
    deps.defer(traced(trace, "webhook.release", REDIS, () => deps.claims.release(key)));
  if (permit instanceof Error) {
    release();
    throw unavailable();
  }
  let response: RpcResponse<T>;
  const write = { kind: SpanKind.client, attributes: { "db.system.name": "postgresql" } };
  try {
    ({ value: response } = await traced(trace, "webhook.apply", write, async (span) => {
      const result = await guard(
        {
          breaker: deps.breaker,
          permit,
          // No retries: the provider retries the whole delivery (Stripe for days), and an answer
          // within the provider's timeout matters more than a second attempt.
          attemptTimeoutMs: ATTEMPT_TIMEOUT_MS,
          defer: deps.defer,
          isFailure: (r: RpcResponse<T>) => r.status === 0 || r.status >= 500,
        },
        { deadlineMs: ATTEMPT_TIMEOUT_MS },
        ({ signal }) => Promise.resolve(apply(signal)),
      );
      span?.set({ "db.response.status_code": String(result.value.status) });
      return result;
    }));
  } catch {
    release();
    throw unavailable();
  }
  if (response.error || !response.data) {
    release();
    if (response.status >= 400 && response.status < 500) {
      throw new AppError({
        status: 400,
        code: "invalid_event",
        category: "validation",
        message: response.error?.message ?? "The event was refused",
      });
    }
    throw unavailable();
  }
  if (claim === "claimed")
    deps.defer(traced(trace, "webhook.complete", REDIS, () => deps.claims.complete(key)));
  return { dedupe: response.data.duplicate ? "duplicate" : "new", result: response.data };
}
