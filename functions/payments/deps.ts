import { callerAuthFrom, authVars } from "../../shared/auth/env.ts";
import { createDatabase } from "../../shared/clients/database.ts";
import { perEnv } from "../../shared/env/per-env.ts";
import { integer, parseEnv, string, url } from "../../shared/env/schema.ts";
import { logVars, supabaseVars, upstashTogether, upstashVars } from "../../shared/env/vars.ts";
import { resilienceState } from "../../shared/resilience/state.ts";
import type { PaymentsDeps } from "./app.ts";

const schema = {
  ...supabaseVars,
  ...upstashVars,
  ...logVars,
  ...authVars,
  STRIPE_SECRET_KEY: string(),
  STRIPE_API_BASE_URL: url().default("https://api.stripe.com"),
  /** Each attempt's limit; a call with its retries gets three times this. */
  STRIPE_TIMEOUT_MS: integer(100, 60_000).default(10_000),
};

/** The payments function's dependencies from the platform's env bindings, once per isolate. */
export const paymentsDeps = perEnv((source): PaymentsDeps => {
  const env = parseEnv(schema, source, { together: upstashTogether });
  const state = resilienceState(source);
  return {
    auth: callerAuthFrom(env),
    stripe: {
      baseUrl: env.STRIPE_API_BASE_URL,
      secretKey: env.STRIPE_SECRET_KEY,
      breaker: state.breaker("stripe-api"),
      attemptTimeoutMs: env.STRIPE_TIMEOUT_MS,
    },
    db: createDatabase(env.SUPABASE_URL, env.SUPABASE_SERVICE_ROLE_KEY),
  };
});
