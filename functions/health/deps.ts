import { createDatabase } from "../../shared/clients/database.ts";
import { createRedis } from "../../shared/clients/redis.ts";
import { perEnv } from "../../shared/env/per-env.ts";
import { parseEnv } from "../../shared/env/schema.ts";
import { supabaseVars, upstashTogether, upstashVars } from "../../shared/env/vars.ts";
import type { HealthDeps } from "./app.ts";
import type { HealthCheck } from "./checks.ts";

const schema = { ...supabaseVars, ...upstashVars };

/** Builds the health checks from the platform's env bindings, once per isolate. */
export const healthDeps = perEnv((source): HealthDeps => {
  const env = parseEnv(schema, source, { together: upstashTogether });
  const db = createDatabase(env.SUPABASE_URL, env.SUPABASE_SERVICE_ROLE_KEY);
  const database: HealthCheck = {
    name: "database",
    async run(signal) {
      const { error } = await db.rpc("health_ping").abortSignal(signal);
      if (error) throw new Error(error.message);
    },
  };
  const redis =
    env.UPSTASH_REDIS_REST_URL && env.UPSTASH_REDIS_REST_TOKEN
      ? createRedis({
          url: env.UPSTASH_REDIS_REST_URL,
          token: env.UPSTASH_REDIS_REST_TOKEN,
          timeoutMs: 1000,
        })
      : undefined;
  const state: HealthCheck = {
    name: "state",
    async run() {
      if (!redis) return "in-isolate memory (UPSTASH_REDIS_REST_URL not set)";
      await redis.ping();
    },
  };
  return { checks: [database, state], timeoutMs: 2000 };
});
