import type { Database } from "../../shared/clients/database.ts";
import type { BaseVariables } from "../../shared/http/app.ts";
import type { Logger } from "../../shared/http/logger.ts";
import type { CircuitBreaker } from "../../shared/resilience/breaker/breaker.ts";
import type { WebhookClaims } from "../../shared/webhooks/claims.ts";
import type { EventStore } from "./store.ts";

/** How outbound attempts are made. */
export interface DeliveryConfig {
  /** Delay before each retry, in order; after the last one the delivery is `failed`. */
  scheduleMs: readonly number[];
  /** An attempt must answer 2xx within this (headers and the body read). */
  timeoutMs: number;
  /** WEBHOOK_ALLOW_LOOPBACK: local development and tests may deliver to 127.0.0.0/8 and ::1. */
  allowLoopback: boolean;
}

/** One sender configured in WEBHOOK_SOURCES. */
export interface InboundSource {
  scheme: "standard" | "github";
  /** Every secret accepted (several during a rotation). */
  secrets: readonly string[];
}

export interface EventsDeps {
  /** SERVICE_API_KEYS; none configured: the outbound API answers 404. */
  serviceKeys: readonly string[];
  /** Bearer secret of GET /events/cron; unset: the route refuses everyone. */
  cronSecret: string | undefined;
  sources: ReadonlyMap<string, InboundSource>;
  delivery: DeliveryConfig;
  store: EventStore;
  /** The breaker of one receiving host, `webhook:<host>`. */
  hostBreaker(host: string): CircuitBreaker;
  /** Inbound deliveries: claims, the database and its breaker, as the Stripe receiver has them. */
  claims: WebhookClaims;
  db: Database;
  dbBreaker: CircuitBreaker;
  log: Logger;
}

export type EventsEnv = { Variables: BaseVariables & { deps: EventsDeps } };
