import { breakerAlerts, STILL_OPEN_AFTER_MS } from "../../shared/alerts/breakers.ts";
import type { HealthDeps } from "./types.ts";
import { healthReport } from "./report.ts";

/**
 * One scheduled run (Workers cron, Vercel cron, pg_cron): runs every check, moves an open
 * breaker to half-open early when its upstream's own check just passed, alerts (a breaker
 * opened, still open after five minutes, closed again: each once fleet-wide, see
 * shared/alerts), and records the run in Postgres. A failure to record is logged, not thrown.
 */
export async function runCron(deps: HealthDeps, now = Date.now()) {
  const { report, stats } = await healthReport(deps, now);
  for (const breaker of stats) {
    if (breaker.state === "open" && report.checks[breaker.name]?.healthy) {
      if (await deps.state.breakers.halfOpen(breaker.name, now)) {
        deps.log.info("breaker moved to half-open early: its upstream answered", {
          breaker: breaker.name,
        });
      }
    }
    if (breaker.openSince !== null && now - breaker.openSince > STILL_OPEN_AFTER_MS) {
      deps.log.alert("breaker open for more than 5 minutes", {
        breaker: breaker.name,
        openSince: new Date(breaker.openSince).toISOString(),
        openForMs: now - breaker.openSince,
      });
    }
    for (const { alert, id } of breakerAlerts(breaker, now)) await deps.alerts.send(alert, id);
  }
  try {
    await deps.recordRun({
      source: "cron",
      status: report.status,
      checks: report.checks,
      breakers: stats,
    });
  } catch (error) {
    deps.log.error("health run not recorded", { error });
  }
  return report;
}
