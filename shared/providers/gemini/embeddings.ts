import type {
  EmbeddingsRequest,
  EmbeddingsResponse,
  ProviderConfig,
  ResponseContext,
  UpstreamRequest,
} from "../types.ts";
import { refuse } from "./contents.ts";
import { unreadableResponse } from "./errors.ts";
import { geminiHeaders, geminiUrl, modelPath } from "./wire.ts";

/**
 * OpenAI embeddings as one `batchEmbedContents` call (one request per input, in order), so a
 * single string and a list take the same path. `dimensions` becomes each request's
 * `outputDimensionality`. Gemini answers floats; a `base64` encoding is made from them after
 * (`encodeEmbeddings`). Token ids are refused: Gemini embeds text only.
 */
export function geminiEmbeddingsRequest(
  body: EmbeddingsRequest,
  upstreamModel: string,
  config: ProviderConfig,
): UpstreamRequest {
  const model = modelPath(upstreamModel);
  const inputs = typeof body.input === "string" ? [body.input] : body.input;
  if (!inputs.every((input) => typeof input === "string")) {
    throw refuse("input", "unsupported_parameter", "Gemini embeds text only, not token ids");
  }
  const requests = inputs.map((text) => ({
    model,
    content: { parts: [{ text }] },
    ...(typeof body.dimensions === "number" ? { outputDimensionality: body.dimensions } : {}),
  }));
  return {
    url: geminiUrl(config, `${model}:batchEmbedContents`),
    method: "POST",
    headers: { ...geminiHeaders(config), "content-type": "application/json" },
    body: JSON.stringify({ requests }),
  };
}

/**
 * `{embeddings:[{values}]}` as OpenAI's embeddings list. Google reports no token counts for
 * embeddings and the response alone does not hold the input to estimate from, so usage is
 * zeros: honest, and a token budget is not charged for what nobody measured.
 */
export function geminiEmbeddingsResponse(
  json: unknown,
  context: ResponseContext,
): EmbeddingsResponse {
  const embeddings = (json as { embeddings?: unknown } | null)?.embeddings;
  if (!Array.isArray(embeddings)) throw unreadableResponse();
  return {
    object: "list",
    data: embeddings.map((embedding, index) => {
      const values = (embedding as { values?: unknown } | null)?.values;
      if (!Array.isArray(values)) throw unreadableResponse();
      return { object: "embedding", index, embedding: values as number[] };
    }),
    model: context.model,
    usage: { prompt_tokens: 0, total_tokens: 0 },
  };
}
