import { Hono } from "hono";
import type { BaseVariables } from "../../shared/http/app.ts";
import { AppError } from "../../shared/http/errors.ts";
import type { Logger } from "../../shared/http/logger.ts";
import { secureCompare } from "../../shared/http/secure-compare.ts";
import type { BreakerStats } from "../../shared/resilience/breaker/store.ts";
import type { ResilienceState } from "../../shared/resilience/state.ts";
import type { CheckResult, HealthCheck, HealthStatus } from "./checks.ts";
import { runCron } from "./cron.ts";
import { healthReport } from "./report.ts";

export interface HealthDeps {
  /** The dependencies probed; data, so other capabilities (AI providers) append theirs. */
  checks: HealthCheck[];
  /** Per-check deadline. */
  timeoutMs: number;
  state: Pick<ResilienceState, "breakers" | "mode">;
  /** Bearer secret of the cron route; unset means the route refuses everyone. */
  cronSecret: string | undefined;
  log: Logger;
  recordRun(run: {
    source: "cron";
    status: HealthStatus;
    checks: Record<string, CheckResult>;
    breakers: BreakerStats[];
  }): Promise<void>;
}

const unauthorized = () =>
  new AppError({
    status: 401,
    code: "unauthorized",
    category: "authentication",
    message: "A valid cron secret is required",
  });

/**
 * GET /health (200 healthy or degraded, 503 unhealthy), GET /health/breakers (every breaker's
 * stats), and GET /health/cron, the Vercel / pg_cron trigger, guarded by CRON_SECRET.
 */
export function createHealthApp(depsFor: (env: object) => HealthDeps) {
  const app = new Hono<{ Variables: BaseVariables }>();
  app.get("/health", async (c) => {
    const { report } = await healthReport(depsFor(c.env ?? {}));
    if (report.status !== "healthy") c.var.log.warn("health check failed", { report });
    return c.json(report, report.status === "unhealthy" ? 503 : 200);
  });
  app.get("/health/breakers", async (c) => {
    const deps = depsFor(c.env ?? {});
    const breakers = await deps.state.breakers.stats(Date.now());
    return c.json({ state: deps.state.mode(), breakers });
  });
  app.get("/health/cron", async (c) => {
    const deps = depsFor(c.env ?? {});
    const presented = /^Bearer (.+)$/.exec(c.req.header("authorization") ?? "")?.[1];
    if (!deps.cronSecret || !presented || !secureCompare(presented, deps.cronSecret))
      throw unauthorized();
    const report = await runCron(deps);
    return c.json(report, report.status === "unhealthy" ? 503 : 200);
  });
  return app;
}
