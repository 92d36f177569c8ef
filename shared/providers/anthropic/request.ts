import type { ChatRequest, ProviderConfig, UpstreamRequest } from "../types.ts";
import { refuse, toTurns } from "./messages.ts";
import { anthropicHeaders, anthropicUrl } from "./wire.ts";

/** Anthropic requires `max_tokens`; this is used when the caller set no limit. */
const DEFAULT_MAX_TOKENS = 4096;

interface FunctionTool {
  type: "function";
  function: { name: string; description?: string; parameters?: Record<string, unknown> };
}

function isFunctionTool(tool: unknown): tool is FunctionTool {
  const t = tool as Partial<FunctionTool> | null;
  return t?.type === "function" && typeof t.function?.name === "string";
}

function tools(list: unknown[]) {
  return list.map((tool, i) => {
    if (!isFunctionTool(tool)) {
      throw refuse(`tools[${i}]`, "unsupported_parameter", "Anthropic accepts only function tools");
    }
    const { name, description, parameters } = tool.function;
    return {
      name,
      ...(description !== undefined ? { description } : {}),
      // Anthropic needs an object schema even for a tool without parameters.
      input_schema: parameters ?? { type: "object", properties: {} },
    };
  });
}

function toolChoice(choice: unknown, parallel: unknown): Record<string, unknown> | undefined {
  // OpenAI's parallel_tool_calls is a request field; Anthropic's is part of the tool choice.
  const single = parallel === false ? { disable_parallel_tool_use: true } : {};
  const named = choice as { type?: unknown; function?: { name?: unknown } } | null | undefined;
  if (choice === "none") return { type: "none" };
  if (choice === "required") return { type: "any", ...single };
  if (choice === "auto" || (choice == null && parallel === false)) {
    return { type: "auto", ...single };
  }
  if (choice == null) return undefined;
  if (named?.type === "function" && typeof named.function?.name === "string") {
    return { type: "tool", name: named.function.name, ...single };
  }
  throw refuse("tool_choice", "unsupported_parameter", "Anthropic cannot honour this tool_choice");
}

/** Fields Anthropic has no counterpart for and that change what the caller gets back. */
function refuseUnsupported(body: ChatRequest): void {
  if (typeof body.n === "number" && body.n > 1) {
    throw refuse(
      "n",
      "unsupported_parameter",
      "Anthropic returns one choice per request: n must be 1",
    );
  }
  // JSON modes are refused rather than emulated: a prompt cannot guarantee JSON, and forcing a
  // tool call would need the stream translator to know the request.
  const format = (body.response_format as { type?: unknown } | null | undefined)?.type;
  if (format !== undefined && format !== "text") {
    throw refuse(
      "response_format",
      "unsupported_parameter",
      `Anthropic models cannot be asked for response_format ${String(format)}`,
    );
  }
}

/**
 * An OpenAI chat request as an Anthropic Messages API call. Throws a 400 `AppError` (with
 * `param`) for what Anthropic cannot do. Sampling penalties, seeds, logprobs and the like have
 * no Anthropic counterpart and are dropped.
 */
export function anthropicRequest(
  body: ChatRequest,
  upstreamModel: string,
  config: ProviderConfig,
): UpstreamRequest {
  refuseUnsupported(body);
  const { system, turns } = toTurns(body.messages);
  const stop = typeof body.stop === "string" ? [body.stop] : (body.stop ?? []);
  const choice = body.tools?.length
    ? toolChoice(body.tool_choice, body.parallel_tool_calls)
    : undefined;
  const payload = {
    model: upstreamModel,
    max_tokens: body.max_completion_tokens ?? body.max_tokens ?? DEFAULT_MAX_TOKENS,
    ...(system !== undefined ? { system } : {}),
    messages: turns,
    // OpenAI's temperature runs to 2, Anthropic's to 1: a hotter request gets Anthropic's hottest.
    ...(typeof body.temperature === "number" ? { temperature: Math.min(body.temperature, 1) } : {}),
    ...(typeof body.top_p === "number" ? { top_p: body.top_p } : {}),
    ...(stop.length > 0 ? { stop_sequences: stop } : {}),
    ...(body.tools?.length ? { tools: tools(body.tools) } : {}),
    ...(choice ? { tool_choice: choice } : {}),
    ...(typeof body.user === "string" ? { metadata: { user_id: body.user } } : {}),
    ...(body.stream ? { stream: true } : {}),
  };
  return {
    url: anthropicUrl(config, "/v1/messages"),
    method: "POST",
    headers: { ...anthropicHeaders(config), "content-type": "application/json" },
    body: JSON.stringify(payload),
  };
}
