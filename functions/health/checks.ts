import { type TimeoutPolicy, timeout } from "../../shared/resilience/timeout.ts";
import { type RequestTrace, SpanKind, traced } from "../../shared/telemetry/trace.ts";

/** One dependency probed by GET /health. The list is data: later capabilities append to it. */
export interface HealthCheck {
  name: string;
  /** An optional dependency that fails makes the whole `degraded`, not `unhealthy`. */
  optional?: boolean;
  /** Resolves when healthy (optionally with a note), throws when not; must honour `signal`. */
  run(signal: AbortSignal): Promise<string | void>;
}

export interface CheckResult {
  healthy: boolean;
  latencyMs: number;
  note?: string;
  error?: string;
}

export type HealthStatus = "healthy" | "degraded" | "unhealthy";

async function runOne(check: HealthCheck, limit: TimeoutPolicy): Promise<CheckResult> {
  const started = Date.now();
  try {
    // The policy stops waiting even for a check that ignores its signal.
    const note = await limit.execute((signal) => check.run(signal));
    return { healthy: true, latencyMs: Date.now() - started, ...(note ? { note } : {}) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { healthy: false, latencyMs: Date.now() - started, error: message };
  }
}

/**
 * Runs every check in parallel, each under its own timeout (and in its own span of `trace`),
 * and folds them into one status.
 */
export async function runChecks(
  checks: HealthCheck[],
  timeoutMs: number,
  trace?: RequestTrace,
): Promise<{ status: HealthStatus; checks: Record<string, CheckResult> }> {
  const limit = timeout(timeoutMs);
  const results = await Promise.all(
    checks.map((check) =>
      traced(trace, `check ${check.name}`, { kind: SpanKind.client }, async (span) => {
        const result = await runOne(check, limit);
        span?.set({ "breakwater.check.healthy": result.healthy });
        if (!result.healthy) span?.fail("check failed");
        return result;
      }),
    ),
  );
  const byName = Object.fromEntries(checks.map((check, i) => [check.name, results[i]!]));
  const failed = checks.filter((_, i) => !results[i]!.healthy);
  const status: HealthStatus =
    failed.length === 0 ? "healthy" : failed.every((c) => c.optional) ? "degraded" : "unhealthy";
  return { status, checks: byName };
}
