import type { Database } from "../../shared/clients/database.ts";
import type { CircuitBreaker } from "../../shared/resilience/breaker/breaker.ts";
import type { WebhookClaims } from "../../shared/webhooks/claims.ts";
import type { BaseVariables } from "../../shared/http/app.ts";

export interface StripeWebhookDeps {
  /** Every secret currently valid (several during a rotation). */
  secrets: string[];
  toleranceSec: number;
  /**
   * The mode this endpoint serves; events of the other mode are acknowledged with no effect.
   * Undefined: it serves both, and each event is applied in its own mode.
   */
  livemode: boolean | undefined;
  claims: WebhookClaims;
  db: Database;
  dbBreaker: CircuitBreaker;
}

/** The Hono env of this function's routes: its dependencies, set once per request. */
export type StripeWebhookEnv = { Variables: BaseVariables & { deps: StripeWebhookDeps } };
