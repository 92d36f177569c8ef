// Gemini API (v1beta) shapes, as far as the proxy writes or reads them, and the mappings the
// response and the stream share (finish reasons, usage, tool call ids).
import type { FinishReason, ProviderConfig, Usage } from "../types.ts";
import { usageOf } from "../usage.ts";

/** One part of a turn, as far as the proxy writes or reads them. */
export type Part =
  | { text: string; thought?: boolean }
  | { inlineData: { mimeType: string; data: string } }
  | { fileData: { fileUri: string; mimeType?: string } }
  | { functionCall: { name: string; args?: Record<string, unknown> }; thoughtSignature?: string }
  | { functionResponse: { name: string; response: Record<string, unknown> } };

/** One turn of `contents`. */
export interface Content {
  role: "user" | "model";
  parts: Part[];
}

/** One candidate answer of a `GenerateContentResponse`. */
export interface Candidate {
  content?: { parts?: Part[]; role?: string };
  finishReason?: string;
  /** Omitted for the first candidate: proto3 JSON leaves out zero values. */
  index?: number;
}

/** Token counts; a stream repeats them, so far, in every event. */
export interface UsageMetadata {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  thoughtsTokenCount?: number;
  /** Part of promptTokenCount: read from a context cache (implicit or explicit). */
  cachedContentTokenCount?: number;
  totalTokenCount?: number;
}

/** The body of `generateContent`, and of each event of a stream. */
export interface GenerateContentResponse {
  candidates?: Candidate[];
  promptFeedback?: { blockReason?: string };
  usageMetadata?: UsageMetadata;
}

/** `${base}/v1beta/${path}`: the base URL is the API host, as in Google's SDKs. */
export function geminiUrl(config: ProviderConfig, path: string): string {
  return `${config.baseUrl.replace(/\/+$/, "")}/v1beta/${path}`;
}

/** The key travels in a header, never in `?key=`: URLs end up in logs. */
export function geminiHeaders(config: ProviderConfig): Record<string, string> {
  return { "x-goog-api-key": config.apiKey };
}

/** `models/<name>` for a model given with or without Google's `models/` prefix. */
export function modelPath(model: string): string {
  return `models/${encodeURIComponent(model.replace(/^models\//, ""))}`;
}

const FINISH: Record<string, FinishReason> = {
  STOP: "stop",
  MAX_TOKENS: "length",
  SAFETY: "content_filter",
  RECITATION: "content_filter",
  PROHIBITED_CONTENT: "content_filter",
  BLOCKLIST: "content_filter",
  SPII: "content_filter",
  IMAGE_SAFETY: "content_filter",
};

/**
 * Gemini's `finishReason` as OpenAI's `finish_reason`. Gemini says STOP after function calls, so
 * a candidate that made any is `tool_calls`. Reasons OpenAI has no word for (OTHER, LANGUAGE,
 * MALFORMED_FUNCTION_CALL, …) are a plain stop: the model did stop, and the content says how.
 */
export function finishReason(reason: string, calledTools: boolean): FinishReason {
  const mapped = FINISH[reason] ?? "stop";
  return mapped === "stop" && calledTools ? "tool_calls" : mapped;
}

/**
 * Thinking tokens are billed as output, so they count as completion tokens, and are reported as
 * reasoning tokens; cached content tokens as cached tokens.
 */
export function toUsage(usage: UsageMetadata): Usage {
  const prompt = usage.promptTokenCount ?? 0;
  const completion = (usage.candidatesTokenCount ?? 0) + (usage.thoughtsTokenCount ?? 0);
  return usageOf({
    prompt,
    completion,
    cached: usage.cachedContentTokenCount,
    reasoning: usage.thoughtsTokenCount,
    total: usage.totalTokenCount ?? prompt + completion,
  });
}

/**
 * Ids for the calls of one response: Gemini gives none. Unique per request (a tail of the proxy's
 * `chatcmpl-` id), so a conversation's rounds never repeat one, and at most 40 characters, which
 * OpenAI enforces should the conversation later fail over to it.
 */
export function toolCallId(responseId: string, n: number): string {
  return `call_${responseId.slice(-12)}_${n}`;
}
