import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { gemini } from "../../../shared/providers/gemini/index.ts";

const raw = (name: string) =>
  readFileSync(new URL(`../../fixtures/providers/gemini/${name}`, import.meta.url), "utf8");

const CREDENTIALS = "The upstream provider rejected the proxy's credentials";
const FAILED = "The upstream provider failed to answer";

test.each([
  ["error-api-key-invalid.json", 400, CREDENTIALS, "invalid_api_key"],
  ["error-permission-denied.json", 403, CREDENTIALS, "invalid_api_key"],
  [
    "error-resource-exhausted.json",
    429,
    "The upstream provider's rate limit was reached",
    "rate_limit_exceeded",
  ],
  ["error-internal.json", 500, FAILED, "upstream_error"],
  ["error-unavailable.json", 503, FAILED, "overloaded"],
  [
    "error-invalid-argument.json",
    400,
    "* GenerateContentRequest.generation_config.candidate_count: must be between 1 and 8",
    "invalid_request",
  ],
  [
    "error-token-limit.json",
    400,
    "The input token count (1572864) exceeds the maximum number of tokens allowed (1048576).",
    "context_length_exceeded",
  ],
  [
    "error-not-found.json",
    404,
    "models/gemini-9-ultra is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.",
    "not_found",
  ],
])("%s (HTTP %i) is restated as %j", (name, status, message, code) => {
  expect(gemini.error(status, raw(name))).toEqual({ message, code });
});

test("UNAUTHENTICATED is a credentials error", () => {
  const body = JSON.stringify({
    error: {
      code: 401,
      message: "Request had invalid authentication credentials.",
      status: "UNAUTHENTICATED",
    },
  });
  expect(gemini.error(401, body)).toEqual({ message: CREDENTIALS, code: "invalid_api_key" });
});

test("the raw body is never echoed: no JSON, no Google status, no details", () => {
  for (const [name, status] of [
    ["error-api-key-invalid.json", 400],
    ["error-resource-exhausted.json", 429],
    ["error-internal.json", 500],
    ["error-unavailable.json", 503],
  ] as const) {
    const { message } = gemini.error(status, raw(name));
    expect(message).not.toMatch(
      /[{}]|INVALID_ARGUMENT|RESOURCE_EXHAUSTED|INTERNAL|quota|googleapis|troubleshooting/,
    );
  }
});

test("a body that is not JSON gets a message naming only the status", () => {
  expect(gemini.error(413, "<html><body>Request Entity Too Large</body></html>")).toEqual({
    message: "The upstream provider refused the request (HTTP 413)",
    code: "invalid_request",
  });
});

test("a long message is cut to 500 characters", () => {
  const body = JSON.stringify({
    error: { code: 400, message: "x".repeat(2000), status: "INVALID_ARGUMENT" },
  });
  expect(gemini.error(400, body).message).toHaveLength(500);
});

test("an error in a JSON array, as a streamed call answers, is read too", () => {
  expect(gemini.error(400, `[${raw("error-token-limit.json")}]`).code).toBe(
    "context_length_exceeded",
  );
});
