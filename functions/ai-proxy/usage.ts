import type { Database } from "../../shared/clients/database.ts";
import type { Logger } from "../../shared/http/logger.ts";
import type { Usage } from "../../shared/providers/types.ts";

/** USD per million tokens, input and output, by `provider:model`. Data: edit as prices change. */
export const PRICES: Record<string, { input: number; output: number }> = {
  "openai:gpt-4o": { input: 2.5, output: 10 },
  "openai:gpt-4o-mini": { input: 0.15, output: 0.6 },
  "openai:gpt-4.1-mini": { input: 0.4, output: 1.6 },
  "openai:text-embedding-3-small": { input: 0.02, output: 0 },
  "anthropic:claude-3-5-haiku-latest": { input: 0.8, output: 4 },
  "anthropic:claude-sonnet-4-5": { input: 3, output: 15 },
  "gemini:gemini-2.0-flash": { input: 0.1, output: 0.4 },
  "gemini:gemini-2.5-flash": { input: 0.3, output: 2.5 },
  "gemini:text-embedding-004": { input: 0, output: 0 },
};

/** Estimated cost; a model missing from the table costs 0 (and the row says which model it was). */
export function costUsd(provider: string, model: string, usage: Usage | undefined): number {
  const price = PRICES[`${provider}:${model}`];
  if (!price || !usage) return 0;
  return (usage.prompt_tokens * price.input + usage.completion_tokens * price.output) / 1_000_000;
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
