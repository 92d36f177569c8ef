import { AppError } from "./errors.ts";

/**
 * A 400 `invalid_request` naming the request body's field at fault in `details.param`, as the
 * messaging and payments bodies are checked. (The AI proxy names it in OpenAI's top-level `param`
 * instead: `invalidField` in shared/providers/errors.ts.)
 */
export function invalidParam(param: string, message: string): AppError {
  return new AppError({
    status: 400,
    code: "invalid_request",
    category: "validation",
    message,
    details: { param },
  });
}

/** A JSON body as an object holding none but `fields`: a typo must not silently drop a parameter. */
export function objectOf(value: unknown, fields: readonly string[]): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalidParam("body", "The request body must be a JSON object");
  }
  for (const name of Object.keys(value)) {
    if (!fields.includes(name)) throw invalidParam(name, `Unknown field \`${name}\``);
  }
  return value as Record<string, unknown>;
}
