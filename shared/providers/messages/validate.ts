// The shape checks of Anthropic's Messages API: what Anthropic itself refuses with a 400, in its
// words, before any key, limit or upstream call.
import { invalidField } from "../errors.ts";
import type { MessagesRequest } from "./request.ts";

type Fields = Record<string, unknown>;

const isObject = (value: unknown): value is Fields =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** A JSON object naming a model. */
function withModel(raw: unknown): Fields {
  if (!isObject(raw)) throw invalidField("body", "The request body must be a JSON object");
  if (typeof raw.model !== "string" || raw.model === "") {
    throw invalidField("model", "model: Field required");
  }
  return raw;
}

/** A non-empty list of user and assistant turns, each with content. */
function checkTurns(messages: unknown): void {
  if (!Array.isArray(messages) || messages.length === 0) {
    throw invalidField("messages", "messages: Field required (a non-empty list)");
  }
  messages.forEach((message: unknown, i) => {
    const m = message as Fields | null;
    if (m?.role !== "user" && m?.role !== "assistant") {
      throw invalidField(
        `messages[${i}].role`,
        `messages.${i}.role: Input should be 'user' or 'assistant'`,
      );
    }
    if (typeof m.content !== "string" && !Array.isArray(m.content)) {
      throw invalidField(`messages[${i}].content`, `messages.${i}.content: Field required`);
    }
  });
}

/** The shape checks of a Messages request that Anthropic itself would refuse with a 400. */
export function messagesRequest(raw: unknown): MessagesRequest {
  const body = withModel(raw);
  if (
    typeof body.max_tokens !== "number" ||
    !Number.isInteger(body.max_tokens) ||
    body.max_tokens < 1
  ) {
    throw invalidField("max_tokens", "max_tokens: Field required (a positive integer)");
  }
  checkTurns(body.messages);
  for (const field of ["temperature", "top_p"]) {
    if (body[field] !== undefined && typeof body[field] !== "number") {
      throw invalidField(field, `${field}: Input should be a valid number`);
    }
  }
  if (body.stream !== undefined && typeof body.stream !== "boolean") {
    throw invalidField("stream", "stream: Input should be a valid boolean");
  }
  return body as MessagesRequest;
}

/**
 * A token count's request: a Messages request without `max_tokens` or `stream` (Anthropic
 * refuses them there), as far as the proxy reads it.
 */
export type CountTokensRequest = {
  model: string;
  messages: MessagesRequest["messages"];
  [field: string]: unknown;
};

/**
 * The shape checks of a token count that Anthropic itself would refuse with a 400. Which other
 * fields it takes (system, tools, thinking, tool_choice, …) is Anthropic's to say: the request
 * only ever goes to Anthropic, as written.
 */
export function countTokensRequest(raw: unknown): CountTokensRequest {
  const body = withModel(raw);
  checkTurns(body.messages);
  return body as CountTokensRequest;
}
