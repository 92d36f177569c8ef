import type { Database } from "../../shared/clients/database.ts";
import type { Logger } from "../../shared/http/logger.ts";

/** The SQL function that records each kind of created object (supabase/migrations/*_outbound.sql). */
export type RecordFunction = "stripe_record_payment_intent" | "stripe_record_subscription";

/**
 * Records a created object with its Stripe status, after the response (`waitUntil`): the caller
 * has its object either way, and the SQL function orders this record against the object's webhook
 * events, so whichever lands last leaves the right state. A failure is logged; the webhooks that
 * follow still create the row.
 */
export async function recordCreated(
  db: Database,
  log: Logger,
  record: { fn: RecordFunction; object: Record<string, unknown>; userId: string | null },
): Promise<void> {
  const { error } = await db
    .rpc(record.fn, { object: record.object, user_id: record.userId })
    .abortSignal(AbortSignal.timeout(5_000));
  if (error) {
    log.error("created object not recorded", {
      fn: record.fn,
      id: record.object.id,
      error: error.message,
    });
  }
}
