import type { Database } from "../../shared/clients/database.ts";
import { AppError } from "../../shared/http/errors.ts";

/** A delivery claimed for one attempt, with everything the attempt needs. */
export interface ClaimedAttempt {
  /** The `webhook-id`: the same on every attempt of the delivery. */
  id: string;
  /** Proof of the claim: the outcome is recorded only under it. */
  claim_id: string;
  /** The number of this attempt, 1 for the first. */
  attempt: number;
  endpoint_id: string;
  url: string;
  host: string;
  /** The endpoint's secret, then the previous one while a rotation's overlap lasts. */
  secrets: string[];
  event: { id: string; type: string; created_at: string; data: unknown };
}

/** One attempt's outcome, as `events_record_attempt` takes it. */
export interface AttemptRecord {
  outcome: "delivered" | "retry" | "failed" | "gone";
  attemptedAt: Date;
  latencyMs: number;
  statusCode?: number | undefined;
  error?: string | undefined;
  responseBody?: string | undefined;
  retryInMs?: number | undefined;
}

export interface Endpoint {
  id: string;
  url: string;
  events: string[];
  description: string | null;
  created_at: string;
  disabled: boolean;
  disabled_reason: string | null;
}

// Generous for one transaction, short enough that a hung database answers 503 in time.
const RPC_TIMEOUT_MS = 10_000;

const unavailable = () =>
  new AppError({
    status: 503,
    code: "storage_unavailable",
    category: "external_service",
    message: "The event store is unavailable; retry later",
    headers: { "Retry-After": "5" },
  });

/**
 * The events tables, one SQL function (one transaction, one round trip) per call. A refusal of
 * the input (22023, a 400 from PostgREST) is a 400; anything else, an unreachable database
 * included, is a 503 with nothing half-written.
 */
export function eventStore(db: Database) {
  async function call<T>(name: string, args: object): Promise<T> {
    let response;
    try {
      response = await db.rpc(name, args).abortSignal(AbortSignal.timeout(RPC_TIMEOUT_MS));
    } catch {
      throw unavailable();
    }
    if (response.error) {
      if (response.status === 400) {
        throw new AppError({
          status: 400,
          code: "invalid_request",
          category: "validation",
          message: response.error.message,
        });
      }
      throw unavailable();
    }
    return response.data as T;
  }
  return {
    createEndpoint: (args: {
      url: string;
      host: string;
      events: string[];
      description: string | null;
      secret: string;
    }) =>
      call<Endpoint>("events_create_endpoint", {
        url: args.url,
        host: args.host,
        event_types: args.events,
        description: args.description,
        secret: args.secret,
      }),
    listEndpoints: () => call<Endpoint[]>("events_list_endpoints", {}),
    deleteEndpoint: (id: string) => call<boolean>("events_delete_endpoint", { endpoint_id: id }),
    rotateSecret: (id: string, secret: string, overlapSeconds: number) =>
      call<boolean>("events_rotate_secret", {
        endpoint_id: id,
        secret,
        overlap_seconds: overlapSeconds,
      }),
    publish: (event: { id: string; type: string; data: unknown }, leaseMs: number) =>
      call<{ duplicate: boolean; deliveries: number; claimed: ClaimedAttempt[] }>(
        "events_publish",
        {
          event_id: event.id,
          event_type: event.type,
          data: event.data,
          lease_ms: leaseMs,
        },
      ),
    replay: (eventId: string, endpointId: string | null, leaseMs: number) =>
      call<{ deliveries: number; claimed: ClaimedAttempt[] } | null>("events_replay", {
        event_id: eventId,
        endpoint_id: endpointId,
        lease_ms: leaseMs,
      }),
    getEvent: (id: string) => call<Record<string, unknown> | null>("events_get", { event_id: id }),
    claimDue: (limits: { maxCount: number; perHost: number; leaseMs: number }) =>
      call<ClaimedAttempt[]>("events_claim_due", {
        max_count: limits.maxCount,
        per_host: limits.perHost,
        lease_ms: limits.leaseMs,
      }),
    defer: (claimed: readonly ClaimedAttempt[], notBefore: Date) =>
      call<number>("events_defer", {
        delivery_ids: claimed.map((c) => c.id),
        claim_ids: claimed.map((c) => c.claim_id),
        not_before: notBefore.toISOString(),
      }),
    recordAttempt: (claimed: ClaimedAttempt, record: AttemptRecord) =>
      call<{ recorded: boolean }>("events_record_attempt", {
        delivery_id: claimed.id,
        claim_id: claimed.claim_id,
        outcome: record.outcome,
        attempted_at: record.attemptedAt.toISOString(),
        latency_ms: record.latencyMs,
        status_code: record.statusCode ?? null,
        error: record.error ?? null,
        response_body: record.responseBody ?? null,
        retry_in_ms: record.retryInMs ?? null,
      }),
  };
}

export type EventStore = ReturnType<typeof eventStore>;
