import { Hono } from "hono";
import { withDeps } from "../../shared/http/deps.ts";
import { AppError } from "../../shared/http/errors.ts";
import { secureCompare } from "../../shared/http/secure-compare.ts";
import { runCron } from "./cron.ts";
import { healthReport } from "./report.ts";
import type { HealthDeps, HealthEnv } from "./types.ts";

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
  const app = new Hono<HealthEnv>();
  app.use("/health/*", withDeps(depsFor));
  app.get("/health", async (c) => {
    const { report } = await healthReport(c.get("deps"), Date.now(), c.get("trace"));
    if (report.status !== "healthy") c.get("log").warn("health check failed", { report });
    return c.json(report, report.status === "unhealthy" ? 503 : 200);
  });
  app.get("/health/breakers", async (c) => {
    const deps = c.get("deps");
    const breakers = await deps.state.breakers.stats(Date.now());
    return c.json({ state: deps.state.mode(), breakers });
  });
  app.get("/health/cron", async (c) => {
    const deps = c.get("deps");
    const presented = /^Bearer (.+)$/.exec(c.req.header("authorization") ?? "")?.[1];
    if (!deps.cronSecret || !presented || !secureCompare(presented, deps.cronSecret))
      throw unauthorized();
    const report = await runCron(deps);
    return c.json(report, report.status === "unhealthy" ? 503 : 200);
  });
  return app;
}
