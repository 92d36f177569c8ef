// Anthropic Messages API shapes, as far as the proxy writes or reads them, and the two mappings
// the response and the stream share (stop reasons, usage).
import type { FinishReason, ProviderConfig, Usage } from "../types.ts";
import { usageOf } from "../usage.ts";

export type ImageSource =
  { type: "base64"; media_type: string; data: string } | { type: "url"; url: string };

export type Block =
  | { type: "text"; text: string; cache_control?: { type: "ephemeral"; ttl?: string } }
  | { type: "image"; source: ImageSource }
  | { type: "tool_use"; id: string; name: string; input: unknown }
  | { type: "tool_result"; tool_use_id: string; content: string };

export interface Turn {
  role: "user" | "assistant";
  content: Block[];
}

export interface AnthropicUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  output_tokens_details?: { thinking_tokens?: number } | null;
}

/** The headers every Anthropic call carries; the version pins the wire format we translate. */
export function anthropicHeaders(config: ProviderConfig): Record<string, string> {
  return { "x-api-key": config.apiKey, "anthropic-version": "2023-06-01" };
}

export function anthropicUrl(config: ProviderConfig, path: string): string {
  return `${config.baseUrl.replace(/\/+$/, "")}${path}`;
}

const FINISH: Record<string, FinishReason> = {
  end_turn: "stop",
  stop_sequence: "stop",
  // A server tool paused a long turn: the answer so far is whole, as far as OpenAI can say.
  pause_turn: "stop",
  max_tokens: "length",
  model_context_window_exceeded: "length",
  tool_use: "tool_calls",
  refusal: "content_filter",
};

/** Anthropic's `stop_reason` as OpenAI's `finish_reason`; an unknown one is a plain stop. */
export function finishReason(stopReason: unknown): FinishReason {
  return (typeof stopReason === "string" && FINISH[stopReason]) || "stop";
}

/**
 * Cache reads and writes are input the caller sent, so they count as prompt tokens, and are
 * reported as cached and cache-write tokens; thinking tokens as reasoning tokens.
 */
export function toUsage(usage: AnthropicUsage): Usage {
  const cached = usage.cache_read_input_tokens ?? 0;
  const cacheWrite = usage.cache_creation_input_tokens ?? 0;
  return usageOf({
    prompt: (usage.input_tokens ?? 0) + cached + cacheWrite,
    completion: usage.output_tokens ?? 0,
    cached,
    cacheWrite,
    reasoning: usage.output_tokens_details?.thinking_tokens ?? undefined,
  });
}
