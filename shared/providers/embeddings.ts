import type { EmbeddingsRequest, EmbeddingsResponse } from "./types.ts";

/** A vector as OpenAI's `base64` encoding: its float32 values, little-endian, in base64. */
export function toBase64Embedding(values: readonly number[]): string {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  values.forEach((value, i) => view.setFloat32(i * 4, value, true));
  let binary = "";
  // Chunked: String.fromCharCode takes its arguments on the stack.
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/**
 * The embeddings in the encoding the caller asked for. The openai SDK asks for `base64` unless
 * told otherwise and decodes what it gets; a provider that answers floats (Gemini) is encoded
 * here, and a vector already in base64 (OpenAI's own answer) is left as it came.
 */
export function encodeEmbeddings(
  response: EmbeddingsResponse,
  format: EmbeddingsRequest["encoding_format"],
): EmbeddingsResponse {
  if (format !== "base64") return response;
  return {
    ...response,
    data: response.data.map((item) =>
      typeof item.embedding === "string"
        ? item
        : { ...item, embedding: toBase64Embedding(item.embedding) },
    ),
  };
}
