import { createDatabase, DATABASE_BREAKER } from "../../shared/clients/database.ts";
import { perEnv } from "../../shared/env/per-env.ts";
import { parseEnv, string, url } from "../../shared/env/schema.ts";
import { logVars, supabaseVars, upstashTogether, upstashVars } from "../../shared/env/vars.ts";
import { resilienceState } from "../../shared/resilience/state.ts";
import { claimsFor } from "../../shared/webhooks/claims.ts";
import type { TwilioWebhookDeps } from "./types.ts";

const schema = {
  ...supabaseVars,
  ...upstashVars,
  ...logVars,
  TWILIO_AUTH_TOKEN: string(),
  /** The next (or previous) token during a rotation. */
  TWILIO_AUTH_TOKEN_SECONDARY: string().optional(),
  PUBLIC_BASE_URL: url(),
  TWILIO_AUTO_REPLY: string().optional(),
};

/** The Twilio receiver's dependencies from the platform's env bindings, once per isolate. */
export const twilioWebhookDeps = perEnv((source): TwilioWebhookDeps => {
  const env = parseEnv(schema, source, { together: upstashTogether });
  const state = resilienceState(source);
  return {
    tokens: [env.TWILIO_AUTH_TOKEN, env.TWILIO_AUTH_TOKEN_SECONDARY].filter(
      (t): t is string => !!t,
    ),
    publicBaseUrl: env.PUBLIC_BASE_URL,
    autoReply: env.TWILIO_AUTO_REPLY,
    claims: claimsFor(state, env.STATE_KEY_PREFIX),
    db: createDatabase(env.SUPABASE_URL, env.SUPABASE_SERVICE_ROLE_KEY),
    dbBreaker: state.breaker("postgres", DATABASE_BREAKER),
  };
});
