// Usage in each API's words. OpenAI's chat `usage` is the hub: its prompt_tokens count every
// input token, cached or not; Anthropic's input_tokens count only the uncached ones.
import type { Usage } from "./types.ts";

/** The OpenAI Responses API's `usage`. */
export interface ResponsesUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

/** The Anthropic Messages API's `usage`. */
export interface MessagesUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  output_tokens_details?: { thinking_tokens: number };
}

/** A usage built from counts, with details only where there is something to say. */
export function usageOf(counts: {
  prompt: number;
  completion: number;
  cached?: number | undefined;
  cacheWrite?: number | undefined;
  reasoning?: number | undefined;
  total?: number | undefined;
}): Usage {
  const cached = counts.cached ?? 0;
  const cacheWrite = counts.cacheWrite ?? 0;
  const reasoning = counts.reasoning ?? 0;
  return {
    prompt_tokens: counts.prompt,
    completion_tokens: counts.completion,
    total_tokens: counts.total ?? counts.prompt + counts.completion,
    ...(cached > 0 || cacheWrite > 0
      ? {
          prompt_tokens_details: {
            cached_tokens: cached,
            ...(cacheWrite > 0 ? { cache_write_tokens: cacheWrite } : {}),
          },
        }
      : {}),
    ...(reasoning > 0 ? { completion_tokens_details: { reasoning_tokens: reasoning } } : {}),
  };
}

const cachedOf = (usage: Usage) => usage.prompt_tokens_details?.cached_tokens ?? 0;
const cacheWriteOf = (usage: Usage) => usage.prompt_tokens_details?.cache_write_tokens ?? 0;
const reasoningOf = (usage: Usage) => usage.completion_tokens_details?.reasoning_tokens ?? 0;

export function toResponsesUsage(usage: Usage): ResponsesUsage {
  return {
    input_tokens: usage.prompt_tokens,
    input_tokens_details: { cached_tokens: cachedOf(usage) },
    output_tokens: usage.completion_tokens,
    output_tokens_details: { reasoning_tokens: reasoningOf(usage) },
    total_tokens: usage.total_tokens,
  };
}

export function fromResponsesUsage(
  usage: Partial<ResponsesUsage> | null | undefined,
): Usage | undefined {
  if (!usage || typeof usage.input_tokens !== "number") return undefined;
  return usageOf({
    prompt: usage.input_tokens,
    completion: usage.output_tokens ?? 0,
    cached: usage.input_tokens_details?.cached_tokens,
    reasoning: usage.output_tokens_details?.reasoning_tokens,
    total: usage.total_tokens,
  });
}

export function toMessagesUsage(usage: Usage): MessagesUsage {
  const cached = cachedOf(usage);
  const cacheWrite = cacheWriteOf(usage);
  const reasoning = reasoningOf(usage);
  return {
    input_tokens: Math.max(0, usage.prompt_tokens - cached - cacheWrite),
    output_tokens: usage.completion_tokens,
    cache_creation_input_tokens: cacheWrite,
    cache_read_input_tokens: cached,
    ...(reasoning > 0 ? { output_tokens_details: { thinking_tokens: reasoning } } : {}),
  };
}

export function fromMessagesUsage(
  usage: Partial<MessagesUsage> | null | undefined,
): Usage | undefined {
  if (!usage || typeof usage.input_tokens !== "number") return undefined;
  const cached = usage.cache_read_input_tokens ?? 0;
  const cacheWrite = usage.cache_creation_input_tokens ?? 0;
  return usageOf({
    prompt: usage.input_tokens + cached + cacheWrite,
    completion: usage.output_tokens ?? 0,
    cached,
    cacheWrite,
    reasoning: usage.output_tokens_details?.thinking_tokens,
  });
}
