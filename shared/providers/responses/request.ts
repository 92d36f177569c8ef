import { invalidField, unsupported } from "../errors.ts";
import { signatureFromId } from "../signature.ts";
import type { ChatMessage, ChatRequest, ContentPart, ToolCall } from "../types.ts";

/** An OpenAI Responses API request, as far as the proxy reads it. */
export type ResponsesRequest = {
  model: string;
  input: string | unknown[];
  instructions?: string | null;
  stream?: boolean;
  [field: string]: unknown;
};

type Item = Record<string, unknown>;

// Fields translated into chat, and fields that change nothing about the answer. Anything else
// (previous_response_id, conversation, background, prompt, …) is refused by name.
const TRANSLATED = new Set([
  "model",
  "input",
  "instructions",
  "tools",
  "tool_choice",
  "parallel_tool_calls",
  "text",
  "reasoning",
  "max_output_tokens",
  "temperature",
  "top_p",
  "stream",
  "user",
]);
const NO_EFFECT = new Set([
  "metadata",
  "stream_options",
  "safety_identifier",
  "prompt_cache_key",
  "prompt_cache_retention",
  "service_tier",
  "include",
]);

const isObject = (value: unknown): value is Item =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function refuseUnknown(body: ResponsesRequest): void {
  for (const [field, value] of Object.entries(body)) {
    if (TRANSLATED.has(field) || NO_EFFECT.has(field) || value === null || value === undefined)
      continue;
    // A stored response or a truncation policy needs OpenAI's own server state.
    if (field === "store" && value === false) continue;
    if (field === "truncation" && value === "disabled") continue;
    const why =
      field === "previous_response_id" || field === "store" || field === "conversation"
        ? "needs a conversation stored at OpenAI"
        : "has no counterpart at this provider";
    throw unsupported(field, `'${field}' ${why}: route this model to OpenAI to use it`);
  }
}

function text(content: unknown, at: string): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) throw invalidField(at, `${at} must be a string or a list of parts`);
  return content
    .map((part: unknown, j) => {
      const p = part as Item | null;
      if (typeof p?.text === "string") return p.text;
      throw unsupported(`${at}[${j}].type`, `${at}[${j}] must be a text part here`);
    })
    .join("");
}

function parts(content: unknown, at: string): string | ContentPart[] {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) throw invalidField(at, `${at} must be a string or a list of parts`);
  return content.map((part: unknown, j): ContentPart => {
    const p = part as Item | null;
    const param = `${at}[${j}]`;
    if ((p?.type === "input_text" || p?.type === "output_text") && typeof p.text === "string") {
      return { type: "text", text: p.text };
    }
    if (p?.type === "input_image" && typeof p.image_url === "string") {
      const detail = typeof p.detail === "string" ? { detail: p.detail } : {};
      return { type: "image_url", image_url: { url: p.image_url, ...detail } };
    }
    const message =
      p?.type === "input_image"
        ? "Images must be given by image_url (a file_id needs OpenAI's file store)"
        : `${String(p?.type)} parts have no counterpart at this provider`;
    throw unsupported(`${param}.type`, message);
  });
}

function toolCall(item: Item, at: string): ToolCall {
  if (typeof item.call_id !== "string" || typeof item.name !== "string") {
    throw invalidField(at, `${at} needs a call_id and a name`);
  }
  const args = typeof item.arguments === "string" ? item.arguments : "{}";
  return {
    ...signatureFromId(item.call_id),
    type: "function",
    function: { name: item.name, arguments: args },
  };
}

/** Input items as chat messages; a call's items join the assistant message before them. */
function messages(input: ResponsesRequest["input"]): ChatMessage[] {
  if (typeof input === "string") return [{ role: "user", content: input }];
  const out: ChatMessage[] = [];
  input.forEach((raw, i) => {
    const at = `input[${i}]`;
    if (!isObject(raw)) throw invalidField(at, `${at} must be an object`);
    const type = raw.type ?? "message";
    if (type === "message") {
      const role = raw.role;
      if (role === "assistant") {
        out.push({ role, content: text(raw.content, `${at}.content`) });
      } else if (role === "user" || role === "system" || role === "developer") {
        const content =
          role === "user"
            ? parts(raw.content, `${at}.content`)
            : text(raw.content, `${at}.content`);
        out.push({ role, content });
      } else {
        throw invalidField(`${at}.role`, `${at}.role must be user, assistant, system or developer`);
      }
    } else if (type === "function_call") {
      const call = toolCall(raw, at);
      const last = out.at(-1);
      if (last?.role === "assistant") last.tool_calls = [...(last.tool_calls ?? []), call];
      else out.push({ role: "assistant", content: null, tool_calls: [call] });
    } else if (type === "function_call_output") {
      if (typeof raw.call_id !== "string")
        throw invalidField(`${at}.call_id`, `${at} needs a call_id`);
      const output = typeof raw.output === "string" ? raw.output : text(raw.output, `${at}.output`);
      out.push({ role: "tool", tool_call_id: signatureFromId(raw.call_id).id, content: output });
    } else if (type === "reasoning") {
      // The model's earlier reasoning: a replay the chat format has no place for.
    } else {
      const why =
        type === "item_reference"
          ? "needs a conversation stored at OpenAI"
          : "has no counterpart at this provider";
      throw unsupported(`${at}.type`, `Input items of type ${String(type)} ${why}`);
    }
  });
  return out;
}

function tools(list: unknown): unknown[] | undefined {
  if (list === undefined || list === null) return undefined;
  if (!Array.isArray(list)) throw invalidField("tools", "'tools' must be an array");
  return list.map((tool: unknown, i) => {
    const t = tool as Item | null;
    if (t?.type !== "function" || typeof t.name !== "string") {
      throw unsupported(
        `tools[${i}].type`,
        `Only function tools can be served here, not ${String(t?.type)}`,
      );
    }
    const { name, description, parameters, strict } = t;
    return {
      type: "function",
      function: {
        name,
        ...(typeof description === "string" ? { description } : {}),
        ...(isObject(parameters) ? { parameters } : {}),
        ...(typeof strict === "boolean" ? { strict } : {}),
      },
    };
  });
}

function toolChoice(choice: unknown): unknown {
  if (choice === undefined || choice === null) return undefined;
  if (choice === "none" || choice === "auto" || choice === "required") return choice;
  const named = choice as Item;
  if (named.type === "function" && typeof named.name === "string") {
    return { type: "function", function: { name: named.name } };
  }
  throw unsupported("tool_choice", "This tool_choice has no counterpart at this provider");
}

function responseFormat(textField: unknown): unknown {
  if (textField === undefined || textField === null) return undefined;
  const { format, verbosity, ...rest } = textField as Item;
  const extra = Object.keys(rest)[0];
  if (extra)
    throw unsupported(`text.${extra}`, `'text.${extra}' has no counterpart at this provider`);
  if (verbosity !== undefined && verbosity !== null && verbosity !== "medium") {
    throw unsupported("text.verbosity", "'text.verbosity' has no counterpart at this provider");
  }
  const f = format as Item | undefined;
  if (f === undefined || f === null || f.type === "text") return undefined;
  if (f.type === "json_object") return { type: "json_object" };
  if (f.type === "json_schema" && isObject(f.schema)) {
    const { type: _type, ...schema } = f;
    return { type: "json_schema", json_schema: { name: f.name ?? "response", ...schema } };
  }
  throw unsupported(
    "text.format",
    "text.format must be text, json_object or json_schema with a schema",
  );
}

/**
 * A Responses API request as a chat request, for a provider reached through chat: instructions
 * as the system message, input items as messages (function calls and their outputs as tool
 * calls and tool messages), function tools, tool_choice, `text.format` as `response_format`,
 * `reasoning.effort` as `reasoning_effort`, `max_output_tokens` as `max_completion_tokens`.
 * A field that needs OpenAI's stored state or has no counterpart is a 400 naming it.
 */
export function responsesToChat(body: ResponsesRequest): ChatRequest {
  refuseUnknown(body);
  const instructions =
    typeof body.instructions === "string" && body.instructions !== ""
      ? [{ role: "system" as const, content: body.instructions }]
      : [];
  const reasoning = body.reasoning as { effort?: unknown } | null | undefined;
  const chatTools = tools(body.tools);
  const choice = toolChoice(body.tool_choice);
  const format = responseFormat(body.text);
  const chat: ChatRequest = {
    model: body.model,
    messages: [...instructions, ...messages(body.input)],
    ...(chatTools?.length ? { tools: chatTools } : {}),
    ...(choice !== undefined && chatTools?.length ? { tool_choice: choice } : {}),
    ...(typeof body.parallel_tool_calls === "boolean"
      ? { parallel_tool_calls: body.parallel_tool_calls }
      : {}),
    ...(format !== undefined ? { response_format: format } : {}),
    ...(typeof reasoning?.effort === "string" ? { reasoning_effort: reasoning.effort } : {}),
    ...(typeof body.max_output_tokens === "number"
      ? { max_completion_tokens: body.max_output_tokens }
      : {}),
    ...(typeof body.temperature === "number" ? { temperature: body.temperature } : {}),
    ...(typeof body.top_p === "number" ? { top_p: body.top_p } : {}),
    ...(typeof body.user === "string" ? { user: body.user } : {}),
    ...(body.stream === true ? { stream: true } : {}),
  };
  return chat;
}
