import { createDatabase } from "../../shared/clients/database.ts";
import { perEnv } from "../../shared/env/per-env.ts";
import {
  type Field,
  type Schema,
  integer,
  json,
  list,
  parseEnv,
  string,
  url,
} from "../../shared/env/schema.ts";
import { logVars, supabaseVars, upstashTogether, upstashVars } from "../../shared/env/vars.ts";
import { BoundedMap } from "../../shared/bounded-map.ts";
import { createLogger } from "../../shared/http/logger.ts";
import { PROVIDERS, configuredProviders } from "../../shared/providers/index.ts";
import { type RateLimiter, createRateLimiter } from "../../shared/resilience/ratelimit/index.ts";
import { resilienceState } from "../../shared/resilience/state.ts";
import { memoryValues, redisValues } from "../../shared/resilience/values/index.ts";
import type { KeyAdminDeps } from "./admin.ts";
import { createAuthLimit } from "./auth-limit.ts";
import type { Capability } from "./endpoints.ts";
import type { ChainTarget } from "./failover.ts";
import { createKeyStore } from "./keys.ts";
import { type Routes, parseRoutes, resolveModel } from "./routes.ts";
import type { AiProxyDeps } from "./types.ts";

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
};

/** The proxy's dependencies from the platform's env bindings, once per isolate. */
export const aiProxyDeps = perEnv((source): AiProxyDeps => {
  const env = parseEnv(schema, source, { together: upstashTogether });
  const state = resilienceState(source);
  const db = createDatabase(env.SUPABASE_URL, env.SUPABASE_SERVICE_ROLE_KEY);
  const log = createLogger({ fn: "ai-proxy", level: env.LOG_LEVEL });
  const values = state.redis
    ? redisValues(state.redis, { keyLocking: env.UPSTASH_LUA_KEY_LOCKING === "true" })
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
  const configured = new Set(providers.keys());
  // Resolved once per capability and model name: model names come from callers, hence the bound.
  const chains = new BoundedMap<string, readonly ChainTarget[]>(1_000);
  const resolve = (capability: Capability, model: string): readonly ChainTarget[] =>
    resolveModel(model, routes, configured).flatMap((target) => {
      const { provider, config } = providers.get(target.provider)!;
      const transform = provider[capability];
      // Named after the provider, like its health check, so the cron can half-open it early.
      const breaker = state.breaker(target.provider);
      return transform ? [{ target, provider, config, breaker, transform } as ChainTarget] : [];
    });
  return {
    models: Object.keys(routes).filter((name) => resolveModel(name, routes, configured).length > 0),
    targets(capability, model) {
      const key = `${capability} ${model}`;
      let chain = chains.get(key);
      if (!chain) chains.set(key, (chain = resolve(capability, model)));
      return chain;
    },
    authenticate: keys.authenticate,
    requestLimiter: (perMinute) => limiter("rpm", perMinute),
    tokenLimiter: (perMinute) => limiter("tpm", perMinute),
    db,
    timeouts: {
      attemptMs: env.AI_ATTEMPT_TIMEOUT_MS,
      firstTokenMs: env.AI_FIRST_TOKEN_TIMEOUT_MS,
      idleMs: env.AI_STREAM_IDLE_TIMEOUT_MS,
      deadlineMs: env.AI_DEADLINE_MS,
    },
  };
});

const adminSchema = { ...supabaseVars, ADMIN_API_KEY: string().optional() };

/** The key admin API's dependencies, once per isolate: its own small slice of the env. */
export const keyAdminDeps = perEnv((source): KeyAdminDeps => {
  const env = parseEnv(adminSchema, source);
  return {
    adminApiKey: env.ADMIN_API_KEY,
    db: createDatabase(env.SUPABASE_URL, env.SUPABASE_SERVICE_ROLE_KEY),
  };
});
