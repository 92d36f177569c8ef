import { createDatabase, DATABASE_BREAKER } from "../../shared/clients/database.ts";
import { perEnv } from "../../shared/env/per-env.ts";
import { EnvError, integer, json, list, oneOf, parseEnv, string } from "../../shared/env/schema.ts";
import { logVars, supabaseVars, upstashTogether, upstashVars } from "../../shared/env/vars.ts";
import { createLogger } from "../../shared/http/logger.ts";
import { resilienceState } from "../../shared/resilience/state.ts";
import { claimsFor } from "../../shared/webhooks/claims.ts";
import { DEFAULT_RETRY_SCHEDULE, parseRetrySchedule } from "./schedule.ts";
import { parseSources } from "./sources.ts";
import { eventStore } from "./store.ts";
import type { EventsDeps } from "./types.ts";

const schema = {
  ...supabaseVars,
  ...upstashVars,
  ...logVars,
  SERVICE_API_KEYS: list().optional(),
  CRON_SECRET: string().optional(),
  WEBHOOK_SOURCES: json(parseSources).optional(),
  WEBHOOK_RETRY_SCHEDULE: string().default(DEFAULT_RETRY_SCHEDULE),
  WEBHOOK_TIMEOUT_MS: integer(100, 60_000).default(15_000),
  WEBHOOK_ALLOW_LOOPBACK: oneOf(["true", "false"]).default("false"),
};

/**
 * A receiving host's breaker: five failed attempts in a row open it for a minute (doubling while
 * it stays down, up to ten), then one probe decides.
 */
export const WEBHOOK_HOST_BREAKER = {
  failureThreshold: 5,
  resetTimeoutMs: 60_000,
  maxResetTimeoutMs: 10 * 60_000,
  halfOpenMaxCalls: 1,
  successThreshold: 1,
};

function retrySchedule(text: string): number[] {
  try {
    return parseRetrySchedule(text);
  } catch (error) {
    throw new EnvError([`WEBHOOK_RETRY_SCHEDULE ${(error as Error).message}`]);
  }
}

/** The events function's dependencies from the platform's env bindings, once per isolate. */
export const eventsDeps = perEnv((source): EventsDeps => {
  const env = parseEnv(schema, source, { together: upstashTogether });
  const state = resilienceState(source);
  const db = createDatabase(env.SUPABASE_URL, env.SUPABASE_SERVICE_ROLE_KEY);
  return {
    serviceKeys: env.SERVICE_API_KEYS ?? [],
    cronSecret: env.CRON_SECRET,
    sources: env.WEBHOOK_SOURCES ?? new Map(),
    delivery: {
      scheduleMs: retrySchedule(env.WEBHOOK_RETRY_SCHEDULE),
      timeoutMs: env.WEBHOOK_TIMEOUT_MS,
      allowLoopback: env.WEBHOOK_ALLOW_LOOPBACK === "true",
    },
    store: eventStore(db),
    hostBreaker: (host) => state.breaker(`webhook:${host}`, WEBHOOK_HOST_BREAKER),
    claims: claimsFor(state, env.STATE_KEY_PREFIX),
    db,
    dbBreaker: state.breaker("postgres", DATABASE_BREAKER),
    log: createLogger({ fn: "events", level: env.LOG_LEVEL }),
  };
});
