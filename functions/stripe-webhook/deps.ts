import { createDatabase, DATABASE_BREAKER } from "../../shared/clients/database.ts";
import { perEnv } from "../../shared/env/per-env.ts";
import { integer, list, oneOf, parseEnv } from "../../shared/env/schema.ts";
import { logVars, supabaseVars, upstashTogether, upstashVars } from "../../shared/env/vars.ts";
import { resilienceState } from "../../shared/resilience/state.ts";
import { claimsFor } from "../../shared/webhooks/claims.ts";
import type { StripeWebhookDeps } from "./types.ts";

const schema = {
  ...supabaseVars,
  ...upstashVars,
  ...logVars,
  STRIPE_WEBHOOK_SECRET: list(),
  /** Unset: events of either mode are applied (as stripe-node does); set: the other mode's are not. */
  STRIPE_MODE: oneOf(["test", "live"]).optional(),
  STRIPE_TOLERANCE_SEC: integer(1, 3600).default(300),
};

/** The Stripe receiver's dependencies from the platform's env bindings, once per isolate. */
export const stripeWebhookDeps = perEnv((source): StripeWebhookDeps => {
  const env = parseEnv(schema, source, { together: upstashTogether });
  const state = resilienceState(source);
  return {
    secrets: env.STRIPE_WEBHOOK_SECRET,
    toleranceSec: env.STRIPE_TOLERANCE_SEC,
    livemode: env.STRIPE_MODE === undefined ? undefined : env.STRIPE_MODE === "live",
    claims: claimsFor(state, env.STATE_KEY_PREFIX),
    db: createDatabase(env.SUPABASE_URL, env.SUPABASE_SERVICE_ROLE_KEY),
    dbBreaker: state.breaker("postgres", DATABASE_BREAKER),
  };
});
