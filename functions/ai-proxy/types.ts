import type { Database } from "../../shared/clients/database.ts";
import type { BaseVariables } from "../../shared/http/app.ts";
import type { RateLimiter } from "../../shared/resilience/ratelimit/index.ts";
import type { Capability } from "./endpoints.ts";
import type { ChainTarget } from "./failover.ts";
import type { CallerKey } from "./keys.ts";

export interface AiProxyDeps {
  /** The public model names with at least one configured target (GET /v1/models). */
  models: readonly string[];
  /** The chain that may serve `model` for `capability`, resolved once per isolate. */
  targets(capability: Capability, model: string): readonly ChainTarget[];
  authenticate(authorization: string | undefined): Promise<CallerKey>;
  /** Requests per minute, one limiter per distinct limit. */
  requestLimiter(perMinute: number): RateLimiter;
  /** Tokens per minute, charged after each response. */
  tokenLimiter(perMinute: number): RateLimiter;
  db: Database;
  timeouts: { attemptMs: number; firstTokenMs: number; idleMs: number; deadlineMs: number };
}

/** The Hono env of the proxy's routes: the dependencies, then the caller behind the proxy key. */
export type AiProxyEnv = {
  Variables: BaseVariables & { deps: AiProxyDeps; caller: CallerKey };
};
