import { AppError } from "../../http/errors.ts";
import type { ChatMessage, ContentPart } from "../types.ts";
import type { Content, Part } from "./wire.ts";

const DATA_URL = /^data:([\w.+-]+\/[\w.+-]+);base64,([A-Za-z0-9+/=\s]+)$/;

// `fileData` may name the file's MIME type; the URL's extension gives it when it can.
const MIME_TYPES: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  webp: "image/webp",
  gif: "image/gif",
  heic: "image/heic",
  heif: "image/heif",
};

/**
 * The thought signature of a replayed function call that lost its own. Gemini 3 refuses a
 * replayed call without the signature it was sent with; a call carries it back in
 * `extra_content.google.thought_signature` (Google's OpenAI-compatible convention, which the
 * Responses and Messages translations fill from the call id), and a call without one (from a
 * client that dropped the field, or another provider) carries the value Google documents for
 * history it did not produce. Earlier models ignore the field.
 */
export const REPLAYED_SIGNATURE = "skip_thought_signature_validator";

/** A 400 about one request field that Gemini cannot be given as sent. */
export function refuse(param: string, code: string, message: string): AppError {
  return new AppError({ status: 400, code, category: "validation", message, param });
}

/**
 * An image part: a base64 data: URL goes inline; an https URL goes as `fileData`, which Gemini
 * reads itself. Its documented sources are Files API URIs and YouTube links; an arbitrary web
 * URL may be refused by the model (a 400 the caller sees), as the proxy does not download it.
 */
function image(url: string, param: string): Part {
  const inline = DATA_URL.exec(url);
  if (inline) return { inlineData: { mimeType: inline[1]!, data: inline[2]!.replace(/\s/g, "") } };
  if (url.startsWith("https://")) {
    const extension = /\.([a-z0-9]+)(?:[?#]|$)/i.exec(url)?.[1]?.toLowerCase();
    const mimeType = extension ? MIME_TYPES[extension] : undefined;
    return { fileData: { fileUri: url, ...(mimeType ? { mimeType } : {}) } };
  }
  throw refuse(param, "invalid_image_url", "Images must be https URLs or base64 data: URLs");
}

function contentParts(message: ChatMessage): ContentPart[] {
  if (typeof message.content === "string") return [{ type: "text", text: message.content }];
  return message.content ?? [];
}

function parts(message: ChatMessage, at: string, images: boolean): Part[] {
  return contentParts(message).flatMap((part, j): Part[] => {
    const param = `${at}.content[${j}]`;
    if (part.type === "text") return part.text === "" ? [] : [{ text: part.text }];
    if (part.type === "image_url" && images)
      return [image(part.image_url.url, `${param}.image_url.url`)];
    const type = String((part as { type: unknown }).type);
    throw refuse(
      `${param}.type`,
      "unsupported_parameter",
      `Gemini does not accept ${type} parts in ${message.role} messages`,
    );
  });
}

function text(message: ChatMessage, at: string): string {
  return parts(message, at, false)
    .map((part) => ("text" in part ? part.text : ""))
    .join("");
}

function functionCall(call: NonNullable<ChatMessage["tool_calls"]>[number], param: string): Part {
  let args: unknown;
  try {
    args = call.function.arguments.trim() === "" ? {} : JSON.parse(call.function.arguments);
  } catch {
    args = undefined;
  }
  // Gemini's `args` is an object; OpenAI's arguments are only a string that should hold one.
  if (typeof args !== "object" || args === null || Array.isArray(args)) {
    throw refuse(param, "invalid_request", "Tool call arguments must be a JSON object");
  }
  return {
    functionCall: { name: call.function.name, args: args as Record<string, unknown> },
    thoughtSignature: call.extra_content?.google?.thought_signature ?? REPLAYED_SIGNATURE,
  };
}

/** A tool result as Gemini's object `response`: a JSON object as is, anything else as `output`. */
function functionResponse(message: ChatMessage, name: string, at: string): Part {
  const result = text(message, at);
  let parsed: unknown;
  try {
    parsed = JSON.parse(result);
  } catch {
    parsed = undefined;
  }
  const isObject = typeof parsed === "object" && parsed !== null && !Array.isArray(parsed);
  return {
    functionResponse: {
      name,
      response: isObject ? (parsed as Record<string, unknown>) : { output: result },
    },
  };
}

/**
 * OpenAI messages as Gemini's `systemInstruction` and `contents`: system and developer messages,
 * wherever they stand, become the instruction's parts; assistant turns have role `model`; a
 * tool result becomes a user turn's `functionResponse`, named after the call it answers (Gemini
 * matches results to calls by name); consecutive turns of one role are merged, which puts the
 * results of parallel calls in one turn as Gemini requires; a turn left empty is dropped.
 */
export function toContents(messages: ChatMessage[]): { system: Part[]; contents: Content[] } {
  const system: Part[] = [];
  const contents: Content[] = [];
  const names = new Map<string, string>();
  messages.forEach((message, i) => {
    const at = `messages[${i}]`;
    if (message.role === "system" || message.role === "developer") {
      const prompt = text(message, at);
      if (prompt !== "") system.push({ text: prompt });
      return;
    }
    let turn: Part[];
    if (message.role === "tool") {
      const name = names.get(message.tool_call_id ?? "");
      if (name === undefined) {
        throw refuse(
          `${at}.tool_call_id`,
          "invalid_request",
          "A tool message must answer a tool call of an earlier assistant message",
        );
      }
      turn = [functionResponse(message, name, at)];
    } else if (message.role === "assistant") {
      const calls = (message.tool_calls ?? []).map((call, k) => {
        names.set(call.id, call.function.name);
        return functionCall(call, `${at}.tool_calls[${k}].function.arguments`);
      });
      turn = [...parts(message, at, false), ...calls];
    } else {
      turn = parts(message, at, true);
    }
    if (turn.length === 0) return;
    const role = message.role === "assistant" ? "model" : "user";
    const last = contents.at(-1);
    if (last?.role === role) last.parts.push(...turn);
    else contents.push({ role, parts: turn });
  });
  return { system, contents };
}
