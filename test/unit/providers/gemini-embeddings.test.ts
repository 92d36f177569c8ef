import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { isAppError } from "../../../shared/http/errors.ts";
import { gemini } from "../../../shared/providers/gemini/index.ts";
import type { EmbeddingsRequest } from "../../../shared/providers/types.ts";

const config = { apiKey: "gemini-key-123", baseUrl: "https://generativelanguage.googleapis.com" };
const context = { model: "embed", id: "chatcmpl-1", created: 1_763_000_000 };

const fixture = (name: string): unknown =>
  JSON.parse(
    readFileSync(new URL(`../../fixtures/providers/gemini/${name}`, import.meta.url), "utf8"),
  );

function sent(fields: Partial<EmbeddingsRequest>) {
  const body = { model: "embed", input: "hello", ...fields };
  const upstream = gemini.embeddings!.request(body, "gemini-embedding-001", config);
  return { upstream, body: JSON.parse(upstream.body!) as { requests: unknown[] } };
}

test("inputs become batchEmbedContents requests, in order, each naming the model", () => {
  const { upstream, body } = sent({ input: ["first", "second"] });
  expect(upstream).toMatchObject({
    url: "https://generativelanguage.googleapis.com/v1beta/models/gemini-embedding-001:batchEmbedContents",
    method: "POST",
    headers: { "x-goog-api-key": "gemini-key-123" },
  });
  expect(body).toEqual({
    requests: [
      { model: "models/gemini-embedding-001", content: { parts: [{ text: "first" }] } },
      { model: "models/gemini-embedding-001", content: { parts: [{ text: "second" }] } },
    ],
  });
});

test("a single string is one request", () => {
  expect(sent({ input: "alone" }).body.requests).toHaveLength(1);
});

test("dimensions become each request's outputDimensionality", () => {
  const { body } = sent({ input: ["a", "b"], dimensions: 256 });
  expect(body.requests).toEqual([
    expect.objectContaining({ outputDimensionality: 256 }),
    expect.objectContaining({ outputDimensionality: 256 }),
  ]);
});

test("embeddings come back as an OpenAI list, in order, with the public model and zero usage", () => {
  expect(
    gemini.embeddings!.response(fixture("batch-embed-contents-response.json"), context),
  ).toEqual({
    object: "list",
    data: [
      { object: "embedding", index: 0, embedding: [-0.0218, 0.0114, 0.0079, -0.0683] },
      { object: "embedding", index: 1, embedding: [0.0042, -0.0195, 0.0311, 0.0127] },
    ],
    model: "embed",
    usage: { prompt_tokens: 0, total_tokens: 0 },
  });
});

test("a body without embeddings, or an embedding without values, is a 502", () => {
  for (const json of [{}, { embeddings: [{}] }, null]) {
    let caught: unknown;
    try {
      gemini.embeddings!.response(json, context);
    } catch (error) {
      caught = error;
    }
    expect(isAppError(caught) && caught.status).toBe(502);
  }
});
