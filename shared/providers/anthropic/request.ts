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
  if (body.reasoning_effort !== undefined && typeof body.temperature === "number") {
    const message = "Anthropic takes no temperature while thinking: send one or the other";
    throw refuse("temperature", "unsupported_parameter", message);
  }
}

/**
 * `json_schema` as Anthropic's native structured output (`output_config.format`), whose answer
 * is the JSON text itself. `json_object` (JSON without a schema) is refused: Anthropic's
 * structured output needs a schema, and a prompt cannot guarantee JSON.
 */
function outputFormat(format: unknown): Record<string, unknown> | undefined {
  const f = format as { type?: unknown; json_schema?: { schema?: unknown } } | null | undefined;
  if (f?.type === undefined || f.type === "text") return undefined;
  if (f.type === "json_schema" && typeof f.json_schema?.schema === "object") {
    return { type: "json_schema", schema: f.json_schema.schema };
  }
  throw refuse(
    "response_format",
    "unsupported_parameter",
    `Anthropic models cannot be asked for response_format ${String(f.type)}: send json_schema with a schema`,
  );
}

/** Thinking budgets for OpenAI's efforts; the reverse (`effortOfBudget`) uses the same steps. */
const BUDGETS: Record<string, number> = { low: 1024, medium: 8192, high: 24576, xhigh: 32768 };

/** `reasoning_effort` as extended thinking, the budget on top of the answer's own tokens. */
function thinking(effort: unknown, maxTokens: number) {
  const budget = typeof effort === "string" ? BUDGETS[effort] : undefined;
  if (budget === undefined) return { max_tokens: maxTokens };
  return { max_tokens: maxTokens + budget, thinking: { type: "enabled", budget_tokens: budget } };
}

/**
 * An OpenAI chat request as an Anthropic Messages API call. Throws a 400 `AppError` (with
 * `param`) for what Anthropic cannot do. Sampling penalties, seeds, logprobs and the like have
 * no Anthropic counterpart and are dropped. `reasoning_effort` becomes a thinking budget,
 * `json_schema` Anthropic's structured output, and `cache_control` on text parts is kept.
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
  const format = outputFormat(body.response_format);
  const payload = {
    model: upstreamModel,
    ...thinking(
      body.reasoning_effort,
      body.max_completion_tokens ?? body.max_tokens ?? DEFAULT_MAX_TOKENS,
    ),
    ...(system !== undefined ? { system } : {}),
    messages: turns,
    // OpenAI's temperature runs to 2, Anthropic's to 1: a hotter request gets Anthropic's hottest.
    ...(typeof body.temperature === "number" ? { temperature: Math.min(body.temperature, 1) } : {}),
    ...(typeof body.top_p === "number" ? { top_p: body.top_p } : {}),
    ...(stop.length > 0 ? { stop_sequences: stop } : {}),
    ...(body.tools?.length ? { tools: tools(body.tools) } : {}),
    ...(choice ? { tool_choice: choice } : {}),
    ...(format ? { output_config: { format } } : {}),
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
