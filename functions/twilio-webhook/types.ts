import type { Database } from "../../shared/clients/database.ts";
import type { CircuitBreaker } from "../../shared/resilience/breaker/breaker.ts";
import type { WebhookClaims } from "../../shared/webhooks/claims.ts";
import type { BaseVariables } from "../../shared/http/app.ts";

export interface TwilioWebhookDeps {
  /** The auth token, and a second one during a rotation. */
  tokens: string[];
  /** The public origin Twilio calls: signatures cover the URL Twilio saw, not ours. */
  publicBaseUrl: string;
  /** Answered to each new inbound message, if set. */
  autoReply: string | undefined;
  claims: WebhookClaims;
  db: Database;
  dbBreaker: CircuitBreaker;
}

/** The Hono env of this function's routes: its dependencies, set once per request. */
export type TwilioWebhookEnv = { Variables: BaseVariables & { deps: TwilioWebhookDeps } };
