import type { Database } from "../../shared/clients/database.ts";
import type { Logger } from "../../shared/http/logger.ts";
import { costOf, priceOf } from "../../shared/providers/prices.ts";
import type { Usage } from "../../shared/providers/types.ts";

/**
 * Estimated cost, from the maintained price catalogue (shared/providers/prices.generated.ts):
 * cache reads, cache writes and output each at their own rate. A model the catalogue does not
 * know costs 0 (and the row says which model it was).
 */
export function costUsd(provider: string, model: string, usage: Usage | undefined): number {
  const price = priceOf(provider, model);
  return price && usage ? costOf(price, usage) : 0;
}

export interface UsageRecord {
  requestId: string;
  keyId: string;
  publicModel: string;
  provider: string | null;
  upstreamModel: string | null;
  usage: Usage | undefined;
  latencyMs: number;
  attempts: number;
  status: number;
  /** Served from the response cache: no upstream call, cost 0. */
  cacheHit?: boolean;
}

/** How long an isolate holds usage rows so that those of requests close together go as one RPC. */
export const USAGE_FLUSH_MS = 200;
/** A batch this large goes at once, whatever time is left. */
export const USAGE_BATCH_MAX_ROWS = 200;

export interface UsageRecorder {
  /**
   * Adds one row to this isolate's batch. The call that starts a batch gets the promise of its
   * send (defer it: `waitUntil` keeps the isolate alive until the batch is in); the rows that
   * join it get undefined and ride along. A failed send is logged, never raised.
   */
  record(record: UsageRecord): Promise<void> | undefined;
}

/**
 * Usage rows, batched per isolate: sent after `flushMs` or once `maxRows` are held. A row waits
 * at most `flushMs` longer than it did when each went alone, and Postgres stamps it on arrival.
 */
export function createUsageRecorder(options: {
  db: Database;
  log: Logger;
  flushMs?: number;
  maxRows?: number;
}): UsageRecorder {
  const { db, log, flushMs = USAGE_FLUSH_MS, maxRows = USAGE_BATCH_MAX_ROWS } = options;
  let held: UsageRow[] = [];
  const sendHeld = async () => {
    const rows = held;
    held = [];
    const { error } = await db.rpc("record_ai_usage", { rows });
    if (error) {
      const requestIds = rows.map((row) => row.request_id);
      log.warn("usage not recorded", { rows: rows.length, requestIds, error: error.message });
    }
  };
  return {
    record(record) {
      held.push(usageRow(record));
      if (held.length >= maxRows) return sendHeld();
      if (held.length > 1) return undefined;
      const batch = held;
      // Whoever started the batch sends it, unless it filled up and went meanwhile.
      return new Promise((resolve) => setTimeout(resolve, flushMs)).then(() =>
        held === batch ? sendHeld() : undefined,
      );
    },
  };
}

type UsageRow = ReturnType<typeof usageRow>;

/** One row as the `record_ai_usage` function reads it: ai_usage's column names. */
function usageRow(record: UsageRecord) {
  const { usage } = record;
  return {
    request_id: record.requestId,
    key_id: record.keyId,
    public_model: record.publicModel,
    provider: record.provider,
    upstream_model: record.upstreamModel,
    prompt_tokens: usage?.prompt_tokens ?? 0,
    completion_tokens: usage?.completion_tokens ?? 0,
    cached_tokens: usage?.prompt_tokens_details?.cached_tokens ?? 0,
    cache_write_tokens: usage?.prompt_tokens_details?.cache_write_tokens ?? 0,
    reasoning_tokens: usage?.completion_tokens_details?.reasoning_tokens ?? 0,
    cost_usd:
      record.provider && record.upstreamModel && !record.cacheHit
        ? costUsd(record.provider, record.upstreamModel, usage)
        : 0,
    latency_ms: Math.round(record.latencyMs),
    attempts: record.attempts,
    status: record.status,
    cache_hit: record.cacheHit ?? false,
  };
}
