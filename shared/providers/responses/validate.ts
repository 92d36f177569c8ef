// The shape checks of OpenAI's Responses API: what OpenAI itself refuses with a 400, before any
// key, limit or upstream call.
import { invalidField } from "../errors.ts";
import type { ResponsesRequest } from "./request.ts";

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The shape checks of a Responses request that OpenAI itself would refuse with a 400. */
export function responsesRequest(raw: unknown): ResponsesRequest {
  if (!isObject(raw)) throw invalidField("body", "The request body must be a JSON object");
  if (typeof raw.model !== "string" || raw.model === "") {
    throw invalidField("model", "'model' is required and must be a string");
  }
  const input = raw.input;
  if (!(typeof input === "string" && input !== "") && !(Array.isArray(input) && input.length > 0)) {
    throw invalidField("input", "'input' must be a non-empty string or list of items");
  }
  for (const field of ["temperature", "top_p", "max_output_tokens"]) {
    if (raw[field] !== undefined && raw[field] !== null && typeof raw[field] !== "number") {
      throw invalidField(field, `'${field}' must be a number`);
    }
  }
  if (raw.stream !== undefined && raw.stream !== null && typeof raw.stream !== "boolean") {
    throw invalidField("stream", "'stream' must be a boolean");
  }
  return raw as ResponsesRequest;
}
