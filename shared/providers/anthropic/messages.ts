import { AppError } from "../../http/errors.ts";
import type { CacheControl, ChatMessage, ContentPart } from "../types.ts";
import type { Block, ImageSource, Turn } from "./wire.ts";

// Anthropic accepts these image types, and only these, inline ("jpg" is a common misspelling).
const DATA_URL = /^data:image\/(jpeg|jpg|png|gif|webp);base64,([A-Za-z0-9+/=\s]+)$/;

/** A 400 about one request field that Anthropic cannot be given as sent. */
export function refuse(param: string, code: string, message: string): AppError {
  return new AppError({ status: 400, code, category: "validation", message, param });
}

function image(url: unknown, param: string): ImageSource {
  const inline = typeof url === "string" ? DATA_URL.exec(url) : null;
  if (inline) {
    const type = inline[1] === "jpg" ? "jpeg" : inline[1]!;
    return { type: "base64", media_type: `image/${type}`, data: inline[2]!.replace(/\s/g, "") };
  }
  // Plain http is refused: Anthropic would fetch it in the clear, and its docs only show https.
  if (typeof url === "string" && url.startsWith("https://")) return { type: "url", url };
  const message = "Images must be https URLs or base64 data: URLs of JPEG, PNG, GIF or WebP";
  throw refuse(param, "invalid_image_url", message);
}

function parts(content: ChatMessage["content"]): ContentPart[] {
  if (typeof content === "string") return [{ type: "text", text: content }];
  return content ?? [];
}

function contentBlocks(message: ChatMessage, at: string, images: boolean): Block[] {
  return parts(message.content).flatMap((part, j): Block[] => {
    const param = `${at}.content[${j}]`;
    // Parts are only shape-checked here: the proxy's validation stops at the content array.
    const loose = part as { type?: unknown; text?: unknown; image_url?: { url?: unknown } } | null;
    if (loose?.type === "text" && typeof loose.text === "string") {
      // A prompt-cache breakpoint, as Anthropic takes it, on the block it was set on.
      const cache = (part as { cache_control?: CacheControl }).cache_control;
      return loose.text === ""
        ? []
        : [{ type: "text", text: loose.text, ...(cache ? { cache_control: cache } : {}) }];
    }
    if (loose?.type === "image_url" && images) {
      return [{ type: "image", source: image(loose.image_url?.url, `${param}.image_url.url`) }];
    }
    const refusal = `Anthropic cannot take this part in ${message.role} messages`;
    throw refuse(`${param}.type`, "unsupported_parameter", refusal);
  });
}

/** The text of a system, developer or tool message, whose parts can only be text. */
function text(message: ChatMessage, at: string): string {
  return contentBlocks(message, at, false)
    .map((block) => (block.type === "text" ? block.text : ""))
    .join("");
}

function toolUse(call: NonNullable<ChatMessage["tool_calls"]>[number], at: string): Block {
  // Shape-checked here: the proxy's validation does not look inside tool calls.
  const { id, function: fn } = (call ?? {}) as Partial<typeof call>;
  if (typeof id !== "string" || typeof fn?.name !== "string") {
    throw refuse(at, "invalid_request", "Tool calls need an id and a function name");
  }
  let input: unknown;
  try {
    input = fn.arguments.trim() === "" ? {} : JSON.parse(fn.arguments);
  } catch {
    input = undefined;
  }
  // Anthropic's `input` is an object; OpenAI's arguments are only a string that should hold one.
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    const message = "Tool call arguments must be a JSON object";
    throw refuse(`${at}.function.arguments`, "invalid_request", message);
  }
  return { type: "tool_use", id, name: fn.name, input };
}

function blocks(message: ChatMessage, at: string): Block[] {
  if (message.role === "tool") {
    if (typeof message.tool_call_id !== "string") {
      throw refuse(`${at}.tool_call_id`, "invalid_request", "Tool messages need a tool_call_id");
    }
    return [{ type: "tool_result", tool_use_id: message.tool_call_id, content: text(message, at) }];
  }
  if (message.role === "user") return contentBlocks(message, at, true);
  const calls = (message.tool_calls ?? []).map((call, k) =>
    toolUse(call, `${at}.tool_calls[${k}]`),
  );
  return [...contentBlocks(message, at, false), ...calls];
}

/**
 * OpenAI messages as Anthropic's `system` and turns: system and developer messages, wherever
 * they stand, are joined into `system`; tool results travel in user turns; consecutive turns of
 * one role are merged, since Anthropic wants user and assistant to alternate; a message left with
 * no content (an empty assistant turn) is dropped, since Anthropic refuses empty turns.
 */
export function toTurns(messages: ChatMessage[]): { system?: string; turns: Turn[] } {
  const system: string[] = [];
  const turns: Turn[] = [];
  messages.forEach((message, i) => {
    const at = `messages[${i}]`;
    if (message.role === "system" || message.role === "developer") {
      const prompt = text(message, at);
      if (prompt !== "") system.push(prompt);
      return;
    }
    const content = blocks(message, at);
    if (content.length === 0) return;
    const role = message.role === "assistant" ? "assistant" : "user";
    const last = turns.at(-1);
    if (last?.role === role) last.content.push(...content);
    else turns.push({ role, content });
  });
  return system.length > 0 ? { system: system.join("\n\n"), turns } : { turns };
}
