import { expect, test } from "vitest";
import { isAppError } from "../../../shared/http/errors.ts";
import { encodeEmbeddings, toBase64Embedding } from "../../../shared/providers/embeddings.ts";
import { gemini } from "../../../shared/providers/gemini/index.ts";
import type { EmbeddingsResponse } from "../../../shared/providers/types.ts";

const floats = (base64: string) => {
  const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
  return [...new Float32Array(bytes.buffer)];
};

const response = (embedding: number[] | string): EmbeddingsResponse => ({
  object: "list",
  data: [{ object: "embedding", index: 0, embedding }],
  model: "embed",
  usage: { prompt_tokens: 0, total_tokens: 0 },
});

test("a vector in base64 is its float32 little-endian bytes", () => {
  const values = [0.5, -0.25, 0.1, 1e-7];
  expect(floats(toBase64Embedding(values))).toEqual(values.map(Math.fround));
});

test("float vectors are encoded when the caller asked for base64", () => {
  const encoded = encodeEmbeddings(response([0.25, -1]), "base64");
  expect(floats(encoded.data[0]!.embedding as string)).toEqual([0.25, -1]);
});

test("a vector already in base64, as OpenAI answers it, is left as it came", () => {
  const base64 = toBase64Embedding([0.75]);
  expect(encodeEmbeddings(response(base64), "base64").data[0]!.embedding).toBe(base64);
});

test("floats stay floats when the caller asked for float or for nothing", () => {
  expect(encodeEmbeddings(response([0.25]), "float").data[0]!.embedding).toEqual([0.25]);
  expect(encodeEmbeddings(response([0.25]), undefined).data[0]!.embedding).toEqual([0.25]);
});

test("token-id input is refused for Gemini with a 400 naming input", () => {
  const config = { apiKey: "k", baseUrl: "https://generativelanguage.googleapis.com" };
  let caught: unknown;
  try {
    gemini.embeddings!.request({ model: "m", input: [[1, 2, 3]] }, "gemini-embedding-001", config);
  } catch (error) {
    caught = error;
  }
  expect(isAppError(caught) && [caught.status, caught.param]).toEqual([400, "input"]);
});
