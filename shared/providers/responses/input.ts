// Responses API input items as chat messages, for a provider reached through chat: messages by
// role, function calls as tool calls, their outputs as tool messages. An item that needs
// OpenAI's stored state or has no counterpart is a 400 naming it.
import { invalidField, unsupported } from "../errors.ts";
import { signatureFromId } from "../signature.ts";
import type { ChatMessage, ContentPart, ToolCall } from "../types.ts";
import type { ResponsesRequest } from "./request.ts";

type Item = Record<string, unknown>;

const isObject = (value: unknown): value is Item =>
  typeof value === "object" && value !== null && !Array.isArray(value);

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
export function inputMessages(input: ResponsesRequest["input"]): ChatMessage[] {
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
