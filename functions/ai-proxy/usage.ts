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

/** Writes one usage row. Runs after the response (waitUntil); a failure is logged, never raised. */
export async function recordUsage(db: Database, log: Logger, record: UsageRecord): Promise<void> {
  const { error } = await db.rpc("record_ai_usage", {
    request_id: record.requestId,
    key_id: record.keyId,
    public_model: record.publicModel,
    provider: record.provider,
    upstream_model: record.upstreamModel,
    prompt_tokens: record.usage?.prompt_tokens ?? 0,
    completion_tokens: record.usage?.completion_tokens ?? 0,
    cached_tokens: record.usage?.prompt_tokens_details?.cached_tokens ?? 0,
    cache_write_tokens: record.usage?.prompt_tokens_details?.cache_write_tokens ?? 0,
    reasoning_tokens: record.usage?.completion_tokens_details?.reasoning_tokens ?? 0,
    cost_usd:
      record.provider && record.upstreamModel && !record.cacheHit
        ? costUsd(record.provider, record.upstreamModel, record.usage)
        : 0,
    latency_ms: Math.round(record.latencyMs),
    attempts: record.attempts,
    status: record.status,
    cache_hit: record.cacheHit ?? false,
  });
  if (error) log.warn("usage not recorded", { requestId: record.requestId, error: error.message });
}
