import { createDatabase } from "../../shared/clients/database.ts";
import { perEnv } from "../../shared/env/per-env.ts";
import { parseEnv, string } from "../../shared/env/schema.ts";
import { supabaseVars, upstashTogether, upstashVars } from "../../shared/env/vars.ts";
import { type ResilienceState, resilienceState } from "../../shared/resilience/state.ts";
import { type HourlyCounters, hourlyCounters } from "../../shared/telemetry/counters.ts";
import type { HealthCheck } from "./checks.ts";
import { providerChecks } from "./deps.ts";
import type { StatusSummary } from "./status-data.ts";
import { type RedisStatus, readRedisStatus } from "./status-redis.ts";

export interface StatusDeps {
  /** HTTP Basic password of /status; unset means the page does not exist (404). */
  password: string | undefined;
  timeoutMs: number;
  state: Pick<ResilienceState, "breakers" | "mode">;
  counters: HourlyCounters;
  /** Breakers and counters in one Redis round trip; absent without Upstash. */
  readRedis: ((hours: number[], now: number) => Promise<RedisStatus>) | undefined;
  /** status_summary: the Postgres aggregates in one round trip. */
  summary(since: string, signal: AbortSignal): Promise<StatusSummary>;
  providers: HealthCheck[];
}

const schema = { ...supabaseVars, ...upstashVars, STATUS_PASSWORD: string().optional() };

/** The status page's dependencies from the platform's env bindings, once per isolate. */
export const statusDeps = perEnv((source): StatusDeps => {
  const env = parseEnv(schema, source, { together: upstashTogether });
  const state = resilienceState(source);
  const counters = hourlyCounters(source);
  const db = createDatabase(env.SUPABASE_URL, env.SUPABASE_SERVICE_ROLE_KEY);
  const { redis } = state;
  return {
    password: env.STATUS_PASSWORD,
    timeoutMs: 2_000,
    state,
    counters,
    readRedis: redis
      ? (hours, now) =>
          state.redisDown()
            ? Promise.reject(new Error("Redis unreachable: its breaker is open"))
            : readRedisStatus({
                redis,
                prefix: env.STATE_KEY_PREFIX,
                counterKeys: hours.map(counters.key),
                now,
              })
      : undefined,
    async summary(since, signal) {
      const { data, error } = await db.rpc("status_summary", { since }).abortSignal(signal);
      if (error) throw new Error(error.message);
      return data as StatusSummary;
    },
    providers: providerChecks(source),
  };
});
