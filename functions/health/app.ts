import { Hono } from "hono";
import type { BaseVariables } from "../../shared/http/app.ts";
import { type HealthCheck, runChecks } from "./checks.ts";

export interface HealthDeps {
  checks: HealthCheck[];
  /** Per-check deadline. */
  timeoutMs: number;
}

/** GET /health: every dependency, probed in parallel; 200 when healthy or degraded, else 503. */
export function createHealthApp(depsFor: (env: object) => HealthDeps) {
  const app = new Hono<{ Variables: BaseVariables }>();
  app.get("/health", async (c) => {
    const deps = depsFor(c.env ?? {});
    const { status, checks } = await runChecks(deps.checks, deps.timeoutMs);
    if (status !== "healthy") c.var.log.warn("health check failed", { status, checks });
    const body = { status, timestamp: new Date().toISOString(), checks };
    return c.json(body, status === "unhealthy" ? 503 : 200);
  });
  return app;
}
