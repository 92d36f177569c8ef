import { createAlerts } from "../../shared/alerts/index.ts";
import { alertVars } from "../../shared/alerts/vars.ts";
import { createRedis } from "../../shared/clients/redis.ts";
import { createDatabase } from "../../shared/clients/database.ts";
import { perEnv } from "../../shared/env/per-env.ts";
import { parseEnv, string } from "../../shared/env/schema.ts";
import { logVars, supabaseVars, upstashTogether, upstashVars } from "../../shared/env/vars.ts";
import { createLogger } from "../../shared/http/logger.ts";
import { configuredProviders } from "../../shared/providers/index.ts";
import { resilienceState } from "../../shared/resilience/state.ts";
import { hourlyCounters } from "../../shared/telemetry/counters.ts";
import type { HealthDeps } from "./types.ts";
import type { StatusDeps, StatusSummary } from "./status-data.ts";
import { readRedisStatus } from "./status-redis.ts";
import type { HealthCheck } from "./checks.ts";

// Upstash's variables are read by the shared resilience state; checked here too, so one error
// names every problem of this function's environment.
const schema = {
  ...supabaseVars,
  ...upstashVars,
  ...logVars,
  ...alertVars,
  CRON_SECRET: string().optional(),
};
const statusSchema = { ...supabaseVars, ...upstashVars, STATUS_PASSWORD: string().optional() };

/** Builds health's dependencies from the platform's env bindings, once per isolate. */
export const healthDeps = perEnv((source): HealthDeps => {
  const env = parseEnv(schema, source, { together: upstashTogether });
  const state = resilienceState(source);
  const db = createDatabase(env.SUPABASE_URL, env.SUPABASE_SERVICE_ROLE_KEY);
  const log = createLogger({ fn: "health", level: env.LOG_LEVEL });
  const database: HealthCheck = {
    name: "database",
    async run(signal) {
      const { error } = await db.rpc("health_ping").abortSignal(signal);
      if (error) throw new Error(error.message);
    },
  };
  // Redis down degrades us (breakers and limits fall back to isolate memory) but breaks nothing.
  const redis: HealthCheck = {
    name: "redis",
    optional: true,
    async run() {
      if (!state.redis) return state.mode();
      await state.redis.send(["PING"]);
    },
  };
  return {
    checks: [database, redis, ...providerChecks(source)],
    timeoutMs: 2_000,
    state,
    cronSecret: env.CRON_SECRET,
    log,
    alerts: createAlerts({
      url: env.ALERT_WEBHOOK_URL,
      format: env.ALERT_WEBHOOK_FORMAT,
      redis: state.redis,
      prefix: env.STATE_KEY_PREFIX,
      log,
    }),
    async recordRun(run) {
      const { error } = await db.rpc("record_health_check", run);
      if (error) throw new Error(error.message);
    },
  };
});

/** The status page's dependencies from the platform's env bindings, once per isolate. */
export const statusDeps = perEnv((source): StatusDeps => {
  const env = parseEnv(statusSchema, source, { together: upstashTogether });
  const state = resilienceState(source);
  const counters = hourlyCounters(source);
  const db = createDatabase(env.SUPABASE_URL, env.SUPABASE_SERVICE_ROLE_KEY);
  // Its own client: a page may wait on Redis longer than a request path's 150 ms.
  const redis =
    env.UPSTASH_REDIS_REST_URL && env.UPSTASH_REDIS_REST_TOKEN
      ? createRedis({
          url: env.UPSTASH_REDIS_REST_URL,
          token: env.UPSTASH_REDIS_REST_TOKEN,
          timeoutMs: 1_000,
        })
      : undefined;
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

/**
 * Each configured AI provider's cheap authenticated request (list models). Optional: one provider
 * down degrades us; the proxy fails over. Named like the provider's breaker.
 */
export function providerChecks(source: object): HealthCheck[] {
  return [...configuredProviders(source as Record<string, unknown>).values()].map(
    ({ provider, config }) => ({
      name: provider.name,
      optional: true,
      async run(signal) {
        const probe = provider.probe(config);
        const res = await fetch(probe.url, {
          method: probe.method,
          headers: probe.headers,
          signal,
        });
        await res.body?.cancel();
        if (!res.ok) throw new Error(`${provider.name} answered ${res.status}`);
      },
    }),
  );
}
