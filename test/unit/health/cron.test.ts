import pg from "pg";
import { afterAll, beforeAll, expect, inject, test } from "vitest";
import type { HealthDeps } from "../../../functions/health/types.ts";
import { runCron } from "../../../functions/health/cron.ts";
import { STILL_OPEN_AFTER_MS as ALERT_AFTER_MS } from "../../../shared/alerts/breakers.ts";
import { healthDeps } from "../../../functions/health/deps.ts";
import { createAlerts } from "../../../shared/alerts/index.ts";
import { createLogger } from "../../../shared/http/logger.ts";
import { createResilienceState } from "../../../shared/resilience/state.ts";

let db: pg.Client;
beforeAll(async () => {
  db = new pg.Client(inject("supabase").databaseUrl);
  await db.connect();
});
afterAll(() => db.end());

function env() {
  return {
    SUPABASE_URL: inject("supabase").url,
    SUPABASE_SERVICE_ROLE_KEY: inject("supabase").serviceRoleKey,
    UPSTASH_REDIS_REST_URL: inject("upstash").url,
    UPSTASH_REDIS_REST_TOKEN: inject("upstash").token,
    STATE_KEY_PREFIX: `cron-${crypto.randomUUID()}:`,
  };
}

/** Memory breakers and the given checks, logging into `lines`. */
function depsWith(checks: HealthDeps["checks"], lines: string[]): HealthDeps {
  const log = createLogger({ fn: "health", sink: (l) => lines.push(l) });
  return {
    checks,
    timeoutMs: 100,
    state: createResilienceState({ redis: undefined, keyPrefix: "t:", keyLocking: false, log }),
    cronSecret: undefined,
    log,
    alerts: createAlerts({ url: undefined, format: "slack", redis: undefined, prefix: "t:", log }),
    recordRun: async () => {},
  };
}

test("a cron run records its result in health_checks through the RPC", async () => {
  const deps = healthDeps(env());
  const before = Number((await db.query("select count(*) from health_checks")).rows[0].count);
  const report = await runCron(deps);
  expect(report.status).toBe("healthy");
  const { rows } = await db.query("select * from health_checks order by id desc limit 1");
  expect(Number((await db.query("select count(*) from health_checks")).rows[0].count)).toBe(
    before + 1,
  );
  expect(rows[0]).toMatchObject({
    source: "cron",
    status: "healthy",
    checks: { database: { healthy: true }, redis: { healthy: true } },
  });
});

test("an open breaker whose upstream's check passes is moved to half-open early", async () => {
  const lines: string[] = [];
  const deps = depsWith([{ name: "openai", run: async () => {} }], lines);
  const breaker = (deps.state as ReturnType<typeof createResilienceState>).breaker("openai", {
    failureThreshold: 1,
  });
  await breaker.report(await breaker.acquire(), { ok: false, durationMs: 1 });
  await runCron(deps);
  const [stats] = await deps.state.breakers.stats(Date.now());
  expect(stats).toMatchObject({ name: "openai", state: "half_open" });
  expect(lines.map((l) => JSON.parse(l).msg)).toContain(
    "breaker moved to half-open early: its upstream answered",
  );
});

test("an open breaker whose upstream still fails stays open", async () => {
  const deps = depsWith([{ name: "openai", run: () => Promise.reject(new Error("down")) }], []);
  const breaker = (deps.state as ReturnType<typeof createResilienceState>).breaker("openai", {
    failureThreshold: 1,
  });
  await breaker.report(await breaker.acquire(), { ok: false, durationMs: 1 });
  await runCron(deps);
  expect((await deps.state.breakers.stats(Date.now()))[0]!.state).toBe("open");
});

test("a breaker open for more than five minutes gets an alert-level line", async () => {
  const lines: string[] = [];
  const deps = depsWith([], lines);
  const breaker = (deps.state as ReturnType<typeof createResilienceState>).breaker("gemini", {
    failureThreshold: 1,
  });
  await breaker.report(await breaker.acquire(), { ok: false, durationMs: 1 });
  await runCron(deps, Date.now() + ALERT_AFTER_MS - 1_000);
  // Before five minutes, only the opening is alerted.
  expect(lines.map((l) => JSON.parse(l).msg)).toContain("alert: breaker_opened");
  expect(lines.map((l) => JSON.parse(l).msg)).not.toContain("breaker open for more than 5 minutes");
  await runCron(deps, Date.now() + ALERT_AFTER_MS + 1_000);
  expect(lines.map((l) => JSON.parse(l))).toContainEqual(
    expect.objectContaining({
      level: "alert",
      msg: "breaker open for more than 5 minutes",
      breaker: "gemini",
    }),
  );
});

test("a run that cannot be recorded is logged, and the run still reports", async () => {
  const lines: string[] = [];
  const deps = { ...depsWith([], lines), recordRun: () => Promise.reject(new Error("db down")) };
  expect((await runCron(deps)).status).toBe("healthy");
  expect(lines.map((l) => JSON.parse(l))).toContainEqual(
    expect.objectContaining({ level: "error", msg: "health run not recorded" }),
  );
});

test("a breaker still open after five minutes is one alert per outage, however many runs see it", async () => {
  const lines: string[] = [];
  const deps = depsWith([], lines);
  const breaker = (deps.state as ReturnType<typeof createResilienceState>).breaker("fal", {
    failureThreshold: 1,
  });
  await breaker.report(await breaker.acquire(), { ok: false, durationMs: 1 });
  await runCron(deps, Date.now() + ALERT_AFTER_MS + 1_000);
  await runCron(deps, Date.now() + ALERT_AFTER_MS + 61_000);
  const sent = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === "alert: breaker_still_open");
  expect(sent).toHaveLength(1);
  expect(sent[0]).toMatchObject({
    breaker: "fal",
    // The outage's id ends in its opening time in ms, which the log redactor hides whenever the
    // 13 digits happen to pass the card-number check; the prefix is what names this alert.
    alertId: expect.stringMatching(/^fal:still_open:/),
  });
});
