import type { RequestTrace } from "../../shared/telemetry/trace.ts";
import type { BreakerStats } from "../../shared/resilience/breaker/store.ts";
import { type CheckResult, type HealthStatus, runChecks } from "./checks.ts";
import type { HealthDeps } from "./types.ts";

export interface HealthReport {
  status: HealthStatus;
  timestamp: string;
  checks: Record<string, CheckResult>;
  breakers: { total: number; open: number; halfOpen: number; closed: number };
  /** Where breaker and rate-limit state lives now. */
  state: string;
}

/** Every check in parallel, plus the breakers' stats, in one report (GET /health and the cron). */
export async function healthReport(deps: HealthDeps, now = Date.now(), trace?: RequestTrace) {
  const [{ status, checks }, stats] = await Promise.all([
    runChecks(deps.checks, deps.timeoutMs, trace),
    deps.state.breakers.stats(now),
  ]);
  const count = (state: BreakerStats["state"]) => stats.filter((s) => s.state === state).length;
  const report: HealthReport = {
    status,
    timestamp: new Date(now).toISOString(),
    checks,
    breakers: {
      total: stats.length,
      open: count("open"),
      halfOpen: count("half_open"),
      closed: count("closed"),
    },
    state: deps.state.mode(),
  };
  return { report, stats };
}
