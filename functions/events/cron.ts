import { type DispatchSummary, dispatch } from "./dispatch.ts";
import type { EventsDeps } from "./types.ts";

/** Attempts one cron run takes on, in all and per receiving host. */
export const CRON_BATCH = { maxCount: 200, perHost: 20 };

/**
 * How long a claim keeps other runs off a delivery: the attempt's timeout, then as long again
 * (at least 5 s) to record it. A claimant that dies (an isolate recycled between the 202 and the first attempt) loses
 * nothing: its lease runs out and the next run takes the delivery.
 */
export const leaseMs = (deps: EventsDeps) =>
  deps.delivery.timeoutMs + Math.max(deps.delivery.timeoutMs, 5_000);

/**
 * One scheduled run (Workers cron, Vercel Cron, pg_cron, or GET /events/cron by hand): claims
 * the attempts that are due and makes them. Overlapping runs claim disjoint sets.
 */
export async function runDeliveryCron(
  deps: EventsDeps,
  defer: (pending: Promise<unknown>) => void,
): Promise<DispatchSummary & { claimed: number }> {
  const claimed = await deps.store.claimDue({ ...CRON_BATCH, leaseMs: leaseMs(deps) });
  const summary = await dispatch(deps, claimed, defer);
  if (claimed.length > 0) deps.log.info("events cron run", { claimed: claimed.length, ...summary });
  return { claimed: claimed.length, ...summary };
}
