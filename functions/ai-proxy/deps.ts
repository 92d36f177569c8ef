import { createDatabase } from "../../shared/clients/database.ts";
import { perEnv } from "../../shared/env/per-env.ts";
import {
  type Field,
  type Schema,
  integer,
  json,
  list,
  oneOf,
  parseEnv,
  string,
  url,
} from "../../shared/env/schema.ts";
import { logVars, supabaseVars, upstashTogether, upstashVars } from "../../shared/env/vars.ts";
import { createLogger } from "../../shared/http/logger.ts";
import { PROVIDERS, configuredProviders } from "../../shared/providers/index.ts";
import { type RateLimiter, createRateLimiter } from "../../shared/resilience/ratelimit/index.ts";
import { resilienceState } from "../../shared/resilience/state.ts";
import { memoryValues, redisValues } from "../../shared/resilience/values/index.ts";
import { createAuthLimit } from "./auth-limit.ts";
import { createChains } from "./chains.ts";
import { createKeyStore } from "./keys.ts";
import { createQuotas } from "./quotas.ts";
import { type Routes, parseRoutes } from "./routes.ts";
import type { AiProxyDeps } from "./types.ts";
import { createUsageRecorder } from "./usage.ts";

const known = new Set(PROVIDERS.keys());

/** How long an isolate trusts a found key: a revoked key is refused everywhere within this. */
export const KEY_CACHE_MS = 30_000;

/** Each provider's key and base URL override, from the registry: adding a provider adds its variables. */
const providerVars: Schema = Object.fromEntries(
  [...PROVIDERS.values()].flatMap((p) => [
    [p.keyVar, string().optional()],
    [p.baseUrlVar, url().optional()],
  ]),
);

const schema = {
  ...supabaseVars,
  ...upstashVars,
  ...logVars,
  ...providerVars,
  AI_ROUTES: json((value) => parseRoutes(value, known)).optional() as Field<Routes | undefined>,
  PROXY_API_KEYS: list().optional(),
  /** Per key, unless its row in api_keys says otherwise. */
  AI_REQUESTS_PER_MINUTE: integer(1, 1_000_000).default(60),
  /** Failed key lookups per client address per minute, fleet-wide, before 429. */
  AI_AUTH_FAILURES_PER_MINUTE: integer(1, 1_000_000).default(20),
  AI_ATTEMPT_TIMEOUT_MS: integer(100, 600_000).default(60_000),
  AI_FIRST_TOKEN_TIMEOUT_MS: integer(100, 600_000).default(15_000),
  AI_STREAM_IDLE_TIMEOUT_MS: integer(100, 600_000).default(30_000),
  AI_DEADLINE_MS: integer(100, 900_000).default(120_000),
  /** Every key may name `provider:model` directly (else only keys allowed to). */
  AI_ALLOW_DIRECT_MODELS: oneOf(["true", "false"]).default("false"),
  /** Bearer secret of /admin/keys; unset, the admin routes answer 404. */
  ADMIN_API_KEY: string().optional(),
  /** No cached answer lives longer, whatever the route, key or request asks. */
  AI_CACHE_MAX_AGE_SEC: integer(1, 30 * 86_400).default(3600),
};

/** The proxy's dependencies from the platform's env bindings, once per isolate. */
export const aiProxyDeps = perEnv((source): AiProxyDeps => {
  const env = parseEnv(schema, source, { together: upstashTogether });
  const state = resilienceState(source);
  const db = createDatabase(env.SUPABASE_URL, env.SUPABASE_SERVICE_ROLE_KEY);
  const log = createLogger({ fn: "ai-proxy", level: env.LOG_LEVEL });
  const values = state.redis
    ? redisValues(state.redis, { keyLocking: state.keyLocking })
    : memoryValues();
  const authLimit = createAuthLimit({
    values,
    fallback: memoryValues(),
    redisDown: state.redisDown,
    prefix: env.STATE_KEY_PREFIX,
    perMinute: env.AI_AUTH_FAILURES_PER_MINUTE,
    log,
  });
  const keys = createKeyStore({
    envKeys: env.PROXY_API_KEYS ?? [],
    db,
    defaultRequestsPerMinute: env.AI_REQUESTS_PER_MINUTE,
    cacheMs: KEY_CACHE_MS,
    negativeCacheMs: 60_000,
    reserveLookup: authLimit.reserve,
  });
  const limiters = new Map<string, RateLimiter>();
  const limiter = (name: string, limit: number) => {
    const id = `${name}-${limit}`;
    let built = limiters.get(id);
    if (!built) {
      built = createRateLimiter({
        redis: state.redis,
        keyLocking: state.keyLocking,
        prefix: env.STATE_KEY_PREFIX,
        name: id,
        limit,
        windowSec: 60,
        redisDown: state.redisDown,
      });
      limiters.set(id, built);
    }
    return built;
  };
  const providers = configuredProviders(source as Record<string, unknown>);
  const routes = env.AI_ROUTES ?? {};
  const chains = createChains({ providers, routes, breaker: state.breaker });
  const quota = createQuotas({
    values,
    fallback: memoryValues(),
    redisDown: state.redisDown,
    prefix: env.STATE_KEY_PREFIX,
  });
  return {
    models: chains.models,
    targets: chains.targets,
    routes,
    allowDirectModels: env.AI_ALLOW_DIRECT_MODELS === "true",
    authenticate: keys.authenticate,
    requestLimiter: (perMinute) => limiter("rpm", perMinute),
    quota,
    shared: {
      read: (keys) =>
        state.redisDown()
          ? Promise.resolve(new Error("Redis is unreachable"))
          : values.read(keys).catch((error: unknown) => error as Error),
      put: (key, value, ttlMs) => values.put(key, value, ttlMs),
    },
    cache: { prefix: env.STATE_KEY_PREFIX, capSec: env.AI_CACHE_MAX_AGE_SEC },
    adminApiKey: env.ADMIN_API_KEY,
    db,
    usage: createUsageRecorder({ db, log }),
    timeouts: {
      attemptMs: env.AI_ATTEMPT_TIMEOUT_MS,
      firstTokenMs: env.AI_FIRST_TOKEN_TIMEOUT_MS,
      idleMs: env.AI_STREAM_IDLE_TIMEOUT_MS,
      deadlineMs: env.AI_DEADLINE_MS,
    },
  };
});
