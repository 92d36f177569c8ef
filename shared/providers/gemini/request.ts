import type { ChatRequest, ProviderConfig, UpstreamRequest } from "../types.ts";
import { refuse, toContents } from "./contents.ts";
import { toGeminiSchema } from "./schema.ts";
import { geminiHeaders, geminiUrl, modelPath } from "./wire.ts";

interface FunctionTool {
  type: "function";
  function: { name: string; description?: string; parameters?: unknown };
}

function isFunctionTool(tool: unknown): tool is FunctionTool {
  const t = tool as Partial<FunctionTool> | null;
  return t?.type === "function" && typeof t.function?.name === "string";
}

function functionDeclarations(list: unknown[]) {
  return list.map((tool, i) => {
    if (!isFunctionTool(tool)) {
      throw refuse(`tools[${i}]`, "unsupported_parameter", "Gemini accepts only function tools");
    }
    const { name, description, parameters } = tool.function;
    const schema = toGeminiSchema(parameters);
    // Gemini refuses an OBJECT schema without properties: a tool that takes none declares none.
    const empty = Object.keys((schema.properties as object | undefined) ?? {}).length === 0;
    return {
      name,
      ...(description !== undefined ? { description } : {}),
      ...(empty ? {} : { parameters: schema }),
    };
  });
}

function toolConfig(choice: unknown) {
  if (choice === undefined || choice === null) return undefined;
  if (choice === "auto") return { functionCallingConfig: { mode: "AUTO" } };
  if (choice === "none") return { functionCallingConfig: { mode: "NONE" } };
  if (choice === "required") return { functionCallingConfig: { mode: "ANY" } };
  const named = choice as { type?: unknown; function?: { name?: unknown } };
  if (named.type === "function" && typeof named.function?.name === "string") {
    return { functionCallingConfig: { mode: "ANY", allowedFunctionNames: [named.function.name] } };
  }
  throw refuse("tool_choice", "unsupported_parameter", "Gemini cannot honour this tool_choice");
}

/**
 * `json_object` asks for JSON; `json_schema` adds the schema as `responseJsonSchema`, which takes
 * JSON Schema as written (`$ref`, `additionalProperties`), unlike `responseSchema`'s OpenAPI
 * subset, so an OpenAI strict schema means the same thing upstream.
 */
function responseFormat(format: unknown): Record<string, unknown> {
  const f = format as { type?: unknown; json_schema?: { schema?: unknown } } | null | undefined;
  if (f?.type === undefined || f.type === "text") return {};
  if (f.type === "json_object") return { responseMimeType: "application/json" };
  if (f.type === "json_schema" && f.json_schema?.schema !== undefined) {
    return { responseMimeType: "application/json", responseJsonSchema: f.json_schema.schema };
  }
  throw refuse(
    "response_format",
    "unsupported_parameter",
    `Gemini cannot honour response_format ${String(f.type)}`,
  );
}

/** Thinking budgets for OpenAI's efforts, the same steps as Anthropic's; `none` turns it off. */
const BUDGETS: Record<string, number> = {
  none: 0,
  minimal: 512,
  low: 1024,
  medium: 8192,
  high: 24576,
  xhigh: 32768,
};

/** `reasoning_effort` as a thinking budget, with the thoughts' summaries returned. */
function thinkingConfig(effort: unknown): Record<string, unknown> {
  const budget = typeof effort === "string" ? BUDGETS[effort] : undefined;
  if (budget === undefined) return {};
  return { thinkingConfig: { thinkingBudget: budget, includeThoughts: budget > 0 } };
}

function generationConfig(body: ChatRequest): Record<string, unknown> {
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  const stop = typeof body.stop === "string" ? [body.stop] : (body.stop ?? []);
  return {
    ...(typeof maxTokens === "number" ? { maxOutputTokens: maxTokens } : {}),
    ...(typeof body.temperature === "number" ? { temperature: body.temperature } : {}),
    ...(typeof body.top_p === "number" ? { topP: body.top_p } : {}),
    ...(stop.length > 0 ? { stopSequences: stop } : {}),
    ...(typeof body.n === "number" ? { candidateCount: body.n } : {}),
    ...(typeof body.seed === "number" ? { seed: body.seed } : {}),
    ...responseFormat(body.response_format),
    ...thinkingConfig(body.reasoning_effort),
  };
}

/**
 * An OpenAI chat request as a Gemini `generateContent` call, or `streamGenerateContent?alt=sse`
 * for a stream (real server-sent events rather than a streamed JSON array). Throws a 400
 * `AppError` (with `param`) for what Gemini cannot be given. `reasoning_effort` becomes a
 * thinking budget. Penalties, logprobs and `user` are dropped: not every Gemini model takes
 * them, and those that do refuse them differently.
 */
export function geminiChatRequest(
  body: ChatRequest,
  upstreamModel: string,
  config: ProviderConfig,
): UpstreamRequest {
  const { system, contents } = toContents(body.messages);
  const tools = body.tools?.length ? functionDeclarations(body.tools) : [];
  const choice = tools.length > 0 ? toolConfig(body.tool_choice) : undefined;
  const generation = generationConfig(body);
  const payload = {
    contents,
    ...(system.length > 0 ? { systemInstruction: { parts: system } } : {}),
    ...(tools.length > 0 ? { tools: [{ functionDeclarations: tools }] } : {}),
    ...(choice ? { toolConfig: choice } : {}),
    ...(Object.keys(generation).length > 0 ? { generationConfig: generation } : {}),
  };
  const method = body.stream ? "streamGenerateContent?alt=sse" : "generateContent";
  return {
    url: geminiUrl(config, `${modelPath(upstreamModel)}:${method}`),
    method: "POST",
    headers: { ...geminiHeaders(config), "content-type": "application/json" },
    body: JSON.stringify(payload),
  };
}
