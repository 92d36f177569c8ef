import type { BreakerStats } from "../../shared/resilience/breaker/store.ts";
import type { ResilienceState } from "../../shared/resilience/state.ts";
import { HOUR_MS, type HourlyCounters, hourOf } from "../../shared/telemetry/counters.ts";
import type { RequestTrace } from "../../shared/telemetry/trace.ts";
import { type CheckResult, type HealthCheck, type HealthStatus, runChecks } from "./checks.ts";
import type { RedisStatus } from "./status-redis.ts";

export interface StatusDeps {
  /** HTTP Basic password of /status; unset means the page does not exist (404). */
  password: string | undefined;
  timeoutMs: number;
  state: Pick<ResilienceState, "breakers" | "mode">;
  counters: HourlyCounters;
  /** Breakers and counters in one Redis round trip; absent without Upstash. */
  readRedis: ((hours: number[], now: number) => Promise<RedisStatus>) | undefined;
  /** status_summary: the Postgres aggregates in one round trip. */
  summary(since: string, signal: AbortSignal): Promise<StatusSummary>;
  providers: HealthCheck[];
}

/** One group's AI usage over the period (a public model or a caller key). */
export interface UsageRow {
  name: string;
  requests: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  p50_ms: number;
  p95_ms: number;
  errors: number;
}

/** What `status_summary` returns (supabase/migrations/*_status.sql). */
export interface StatusSummary {
  webhooks: { provider: string; stored: number; applied: number; ignored: number; stale: number }[];
  models: UsageRow[];
  keys: UsageRow[];
  hours: { hour: number; ai_requests: number; ai_errors: number; webhook_events: number }[];
}

export interface WebhookRow {
  provider: string;
  received: number;
  applied: number;
  duplicates: number;
  refused: number;
  unavailable: number;
}

/** Everything GET /status shows, and GET /status.json serves. */
export interface StatusReport {
  status: HealthStatus;
  generatedAt: string;
  /** Where breaker and rate-limit state lives now. */
  state: string;
  dependencies: Record<string, CheckResult>;
  breakers: BreakerStats[];
  webhooks: WebhookRow[];
  ai: { models: UsageRow[]; keys: UsageRow[] };
  /** The last 24 hours, oldest first: every counted request, and those that failed (5xx). */
  hours: { hour: number; requests: number; errors: number }[];
}

export const HOURS = 24;

const PROVIDERS = ["stripe", "twilio"];

function webhookRows(summary: StatusSummary | undefined, counts: Record<string, number>[]) {
  const total = (field: string) => counts.reduce((n, hour) => n + (hour[field] ?? 0), 0);
  return PROVIDERS.map((provider): WebhookRow => ({
    provider,
    received: total(`${provider}:received`),
    applied: summary?.webhooks.find((w) => w.provider === provider)?.applied ?? 0,
    duplicates: total(`${provider}:duplicate`),
    refused: total(`${provider}:refused`),
    unavailable: total(`${provider}:unavailable`),
  }));
}

function hourRows(
  hours: number[],
  summary: StatusSummary | undefined,
  counts: Record<string, number>[],
) {
  return hours.map((hour, i) => {
    const ai = summary?.hours.find((h) => Number(h.hour) === hour);
    const webhooks = counts[i] ?? {};
    const sum = (count: string) =>
      PROVIDERS.reduce((n, p) => n + (webhooks[`${p}:${count}`] ?? 0), 0);
    return {
      hour,
      requests: Number(ai?.ai_requests ?? 0) + sum("received"),
      errors: Number(ai?.ai_errors ?? 0) + sum("unavailable"),
    };
  });
}

/**
 * The status report: one Postgres call (status_summary, which is also the database check), one
 * Redis call (breakers and counters in one script, which is also the Redis check) and each
 * configured provider's probe, all in parallel under the health checks' timeout.
 */
export async function statusReport(
  deps: StatusDeps,
  now = Date.now(),
  trace?: RequestTrace,
): Promise<StatusReport> {
  const hours = Array.from({ length: HOURS }, (_, i) => hourOf(now) - (HOURS - 1 - i) * HOUR_MS);
  let summary: StatusSummary | undefined;
  let redis: RedisStatus | undefined;
  const database: HealthCheck = {
    name: "database",
    async run(signal) {
      summary = await deps.summary(new Date(hours[0]!).toISOString(), signal);
    },
  };
  const redisCheck: HealthCheck = {
    name: "redis",
    optional: true,
    async run() {
      if (!deps.readRedis) return deps.state.mode();
      redis = await deps.readRedis(hours, now);
    },
  };
  const { status, checks } = await runChecks(
    [database, redisCheck, ...deps.providers],
    deps.timeoutMs,
    trace,
  );
  // Without Redis (not configured or unreachable), this isolate's memory is what there is.
  const breakers = redis?.breakers ?? (await deps.state.breakers.stats(now));
  const counts = redis?.counts ?? deps.counters.memory(hours);
  return {
    status,
    generatedAt: new Date(now).toISOString(),
    state: deps.state.mode(),
    dependencies: checks,
    breakers,
    webhooks: webhookRows(summary, counts),
    ai: { models: summary?.models ?? [], keys: summary?.keys ?? [] },
    hours: hourRows(hours, summary, counts),
  };
}
