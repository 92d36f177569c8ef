import type { Alerts } from "../../shared/alerts/index.ts";
import type { Logger } from "../../shared/http/logger.ts";
import type { BreakerStats } from "../../shared/resilience/breaker/store.ts";
import type { ResilienceState } from "../../shared/resilience/state.ts";
import type { CheckResult, HealthCheck, HealthStatus } from "./checks.ts";
import type { BaseVariables } from "../../shared/http/app.ts";

export interface HealthDeps {
  /** The dependencies probed; data, so other capabilities (AI providers) append theirs. */
  checks: HealthCheck[];
  /** Per-check deadline. */
  timeoutMs: number;
  state: Pick<ResilienceState, "breakers" | "mode">;
  /** Bearer secret of the cron route; unset means the route refuses everyone. */
  cronSecret: string | undefined;
  log: Logger;
  /** Where the cron run's alerts go (ALERT_WEBHOOK_URL), each once fleet-wide. */
  alerts: Pick<Alerts, "send">;
  recordRun(run: {
    source: "cron";
    status: HealthStatus;
    checks: Record<string, CheckResult>;
    breakers: BreakerStats[];
  }): Promise<void>;
}

/** The Hono env of this function's routes: its dependencies, set once per request. */
export type HealthEnv = { Variables: BaseVariables & { deps: HealthDeps } };
