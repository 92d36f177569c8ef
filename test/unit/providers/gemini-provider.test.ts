import { expect, test } from "vitest";
import { gemini } from "../../../shared/providers/gemini/index.ts";

test("gemini is described by its variables and Google's API host", () => {
  expect(gemini).toMatchObject({
    name: "gemini",
    keyVar: "GEMINI_API_KEY",
    baseUrlVar: "GEMINI_BASE_URL",
    defaultBaseUrl: "https://generativelanguage.googleapis.com",
  });
});

test("gemini serves chat and embeddings, not images", () => {
  expect([Boolean(gemini.chat), Boolean(gemini.embeddings), Boolean(gemini.images)]).toEqual([
    true,
    true,
    false,
  ]);
});

test("the probe lists one model, with the key in x-goog-api-key and not in the URL", () => {
  const probe = gemini.probe({ apiKey: "gemini-key-123", baseUrl: gemini.defaultBaseUrl });
  expect(probe).toEqual({
    url: "https://generativelanguage.googleapis.com/v1beta/models?pageSize=1",
    method: "GET",
    headers: { "x-goog-api-key": "gemini-key-123" },
  });
});

test("probe and embeddings URLs are the same with and without a trailing slash", () => {
  for (const baseUrl of ["http://127.0.0.1:8080", "http://127.0.0.1:8080/"]) {
    const config = { apiKey: "k", baseUrl };
    expect(gemini.probe(config).url).toBe("http://127.0.0.1:8080/v1beta/models?pageSize=1");
    expect(
      gemini.embeddings!.request({ model: "e", input: "x" }, "gemini-embedding-001", config).url,
    ).toBe("http://127.0.0.1:8080/v1beta/models/gemini-embedding-001:batchEmbedContents");
  }
});
