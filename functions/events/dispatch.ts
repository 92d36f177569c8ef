import { isBrokenCircuitError, type Permit } from "../../shared/resilience/breaker/breaker.ts";
import { type AttemptResult, sendAttempt } from "./attempt.ts";
import { retryDelayMs } from "./schedule.ts";
import type { AttemptRecord, ClaimedAttempt } from "./store.ts";
import type { EventsDeps } from "./types.ts";

/** What one batch of attempts came to. */
export interface DispatchSummary {
  attempted: number;
  delivered: number;
  /** Failed with attempts left: due again on the schedule. */
  retrying: number;
  /** Failed for good: schedule exhausted, or the endpoint is gone (410). */
  failed: number;
  /** Not attempted, their host's breaker open: due again when it may close, no attempt spent. */
  deferred: number;
}

function outcomeOf(
  result: AttemptResult,
  attempt: number,
  schedule: readonly number[],
): AttemptRecord {
  const record = { ...result, retryInMs: undefined as number | undefined };
  const status = result.statusCode ?? 0;
  if (result.error === undefined && status >= 200 && status < 300)
    return { ...record, outcome: "delivered" };
  if (status === 410) return { ...record, outcome: "gone" };
  const delay = retryDelayMs(schedule, attempt);
  return delay === undefined
    ? { ...record, outcome: "failed" }
    : { ...record, outcome: "retry", retryInMs: delay };
}

/**
 * Makes every claimed attempt, hosts in parallel so one slow host never delays another. Each
 * attempt passes its host's breaker (`webhook:<host>`) first; the ones it refuses are given
 * back, due again when it may admit calls, without spending an attempt. Each outcome is recorded
 * as soon as it is known. A record that fails is logged: the claim's lease then runs out and a
 * later run sends the attempt again, with the same webhook-id, for the receiver to deduplicate.
 */
export async function dispatch(
  deps: EventsDeps,
  claimed: readonly ClaimedAttempt[],
  defer: (pending: Promise<unknown>) => void,
): Promise<DispatchSummary> {
  const summary: DispatchSummary = {
    attempted: 0,
    delivered: 0,
    retrying: 0,
    failed: 0,
    deferred: 0,
  };
  const byHost = new Map<string, ClaimedAttempt[]>();
  for (const one of claimed) byHost.set(one.host, [...(byHost.get(one.host) ?? []), one]);

  const attemptOne = async (claimed: ClaimedAttempt, permit: Permit) => {
    const breaker = deps.hostBreaker(claimed.host);
    const result = await sendAttempt(claimed, deps.delivery);
    defer(breaker.report(permit, { ok: !result.hostFailure, durationMs: result.latencyMs }));
    const record = outcomeOf(result, claimed.attempt, deps.delivery.scheduleMs);
    summary.attempted++;
    summary[
      record.outcome === "delivered"
        ? "delivered"
        : record.outcome === "retry"
          ? "retrying"
          : "failed"
    ]++;
    deps.log.info("webhook attempt", {
      deliveryId: claimed.id,
      eventId: claimed.event.id,
      endpointId: claimed.endpoint_id,
      host: claimed.host,
      attempt: claimed.attempt,
      statusCode: result.statusCode,
      latencyMs: result.latencyMs,
      outcome: record.outcome,
      error: result.error,
    });
    try {
      const { recorded } = await deps.store.recordAttempt(claimed, record);
      if (!recorded)
        deps.log.warn("attempt outcome not recorded: claim taken over", { deliveryId: claimed.id });
    } catch (error) {
      deps.log.error("attempt outcome not recorded", { deliveryId: claimed.id, error });
    }
  };

  const dispatchHost = async (host: string, attempts: ClaimedAttempt[]) => {
    const breaker = deps.hostBreaker(host);
    const refused: ClaimedAttempt[] = [];
    let retryAfterMs = 0;
    await Promise.all(
      attempts.map(async (claimed) => {
        let permit: Permit;
        try {
          permit = await breaker.acquire();
        } catch (error) {
          if (!isBrokenCircuitError(error)) throw error;
          refused.push(claimed);
          retryAfterMs = Math.max(retryAfterMs, error.retryAfterMs);
          return;
        }
        await attemptOne(claimed, permit);
      }),
    );
    if (refused.length === 0) return;
    summary.deferred += refused.length;
    deps.log.warn("webhook attempts deferred: host breaker open", {
      host,
      count: refused.length,
      retryAfterMs,
    });
    try {
      await deps.store.defer(refused, new Date(Date.now() + retryAfterMs));
    } catch (error) {
      deps.log.error("deferred attempts not given back; their leases will run out", {
        host,
        error,
      });
    }
  };

  await Promise.all([...byHost].map(([host, attempts]) => dispatchHost(host, attempts)));
  return summary;
}
