import { AppError } from "../../shared/http/errors.ts";
import type {
  ChatRequest,
  EmbeddingsRequest,
  ImagesRequest,
} from "../../shared/providers/types.ts";

const ROLES = new Set(["system", "developer", "user", "assistant", "tool"]);

function invalid(param: string, message: string): AppError {
  return new AppError({
    status: 400,
    code: "invalid_request",
    category: "validation",
    message,
    param,
  });
}

function object(body: unknown): Record<string, unknown> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw invalid("body", "The request body must be a JSON object");
  }
  return body as Record<string, unknown>;
}

function optional(
  body: Record<string, unknown>,
  param: string,
  type: "number" | "boolean" | "string",
) {
  if (body[param] !== undefined && body[param] !== null && typeof body[param] !== type) {
    throw invalid(param, `'${param}' must be a ${type}`);
  }
}

function model(body: Record<string, unknown>): void {
  if (typeof body.model !== "string" || body.model === "") {
    throw invalid("model", "'model' is required and must be a string");
  }
}

/** The shape checks of a chat completion request that OpenAI itself would refuse with a 400. */
export function chatRequest(raw: unknown): ChatRequest {
  const body = object(raw);
  model(body);
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    throw invalid("messages", "'messages' must be a non-empty array");
  }
  body.messages.forEach((message: unknown, i) => {
    const m = message as Record<string, unknown> | null;
    if (typeof m !== "object" || m === null || !ROLES.has(m.role as string)) {
      throw invalid(
        `messages[${i}].role`,
        `messages[${i}] needs a role of ${[...ROLES].join(", ")}`,
      );
    }
    if (
      m.content !== undefined &&
      m.content !== null &&
      typeof m.content !== "string" &&
      !Array.isArray(m.content)
    ) {
      throw invalid(
        `messages[${i}].content`,
        `messages[${i}].content must be a string or an array of parts`,
      );
    }
  });
  for (const param of ["temperature", "top_p", "max_tokens", "max_completion_tokens", "n"])
    optional(body, param, "number");
  optional(body, "stream", "boolean");
  if (
    body.n !== undefined &&
    !(Number.isInteger(body.n) && (body.n as number) >= 1 && (body.n as number) <= 16)
  ) {
    throw invalid("n", "'n' must be an integer from 1 to 16");
  }
  if (body.tools !== undefined && !Array.isArray(body.tools))
    throw invalid("tools", "'tools' must be an array");
  return body as ChatRequest;
}

export function embeddingsRequest(raw: unknown): EmbeddingsRequest {
  const body = object(raw);
  model(body);
  const input = body.input;
  const tokens = (value: unknown) =>
    Array.isArray(value) && value.length > 0 && value.every((t) => Number.isInteger(t));
  const valid =
    (typeof input === "string" && input !== "") ||
    (Array.isArray(input) &&
      input.length > 0 &&
      (input.every((item) => typeof item === "string") || tokens(input) || input.every(tokens)));
  if (!valid) {
    throw invalid(
      "input",
      "'input' must be a non-empty string, or an array of strings or token ids",
    );
  }
  optional(body, "dimensions", "number");
  if (
    body.encoding_format !== undefined &&
    !["float", "base64"].includes(String(body.encoding_format))
  ) {
    throw invalid("encoding_format", "'encoding_format' must be float or base64");
  }
  return body as EmbeddingsRequest;
}

export function imagesRequest(raw: unknown): ImagesRequest {
  const body = object(raw);
  model(body);
  if (typeof body.prompt !== "string" || body.prompt === "")
    throw invalid("prompt", "'prompt' is required");
  optional(body, "n", "number");
  optional(body, "size", "string");
  if (
    body.response_format !== undefined &&
    body.response_format !== "url" &&
    body.response_format !== "b64_json"
  ) {
    throw invalid("response_format", "'response_format' must be url or b64_json");
  }
  return body as ImagesRequest;
}
