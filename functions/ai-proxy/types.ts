import type { Database } from "../../shared/clients/database.ts";
import type { BaseVariables } from "../../shared/http/app.ts";
import type { RateLimiter } from "../../shared/resilience/ratelimit/index.ts";
import type { Capability } from "./endpoints.ts";
import type { ChainTarget } from "./failover.ts";
import type { AuthContext, CallerKey } from "./keys.ts";
import type { Quota } from "./quotas.ts";
import type { Routes } from "./routes.ts";
import type { UsageRecorder } from "./usage.ts";

export interface AiProxyDeps {
  /** The public model names with at least one configured target (GET /v1/models). */
  models: readonly string[];
  /** The chain to try for `model` (weighted routes drawn per call); `allowDirect`: `provider:model` too. */
  targets(capability: Capability, model: string, allowDirect: boolean): readonly ChainTarget[];
  routes: Routes;
  /** AI_ALLOW_DIRECT_MODELS: every key may name `provider:model`. */
  allowDirectModels: boolean;
  authenticate(authorization: string | undefined, context: AuthContext): Promise<CallerKey>;
  /** Requests per minute, one limiter per distinct limit. */
  requestLimiter(perMinute: number): RateLimiter;
  /** The caller's budget and tokens per minute, when it has either. */
  quota(caller: CallerKey): Quota | undefined;
  /**
   * Values every isolate shares (Redis; memory when Upstash is not configured). `read` is issued
   * in the admission's tick and never rejects: an unreachable Redis is an Error value.
   */
  shared: {
    read(keys: readonly string[]): Promise<(string | null)[] | Error>;
    put(key: string, value: string, ttlMs: number): Promise<void>;
  };
  /** The response cache: its key prefix and AI_CACHE_MAX_AGE_SEC. */
  cache: { prefix: string; capSec: number };
  /** ADMIN_API_KEY, for the key admin API (admin.ts). */
  adminApiKey: string | undefined;
  db: Database;
  /** Usage rows, sent in batches after the responses. */
  usage: UsageRecorder;
  timeouts: { attemptMs: number; firstTokenMs: number; idleMs: number; deadlineMs: number };
}

/** The Hono env of the proxy's routes: the dependencies, then the caller behind the proxy key. */
export type AiProxyEnv = {
  Variables: BaseVariables & { deps: AiProxyDeps; caller: CallerKey };
};
