import { AppError } from "../../http/errors.ts";
import type { ImagesResponse, Provider, ProviderConfig } from "../types.ts";
import { falError, unreadableResponse } from "./errors.ts";

// fal's named sizes, by the OpenAI `size` each stands for; any other WxH goes as numbers.
const PRESETS: Record<string, string> = {
  "1024x1024": "square_hd",
  "512x512": "square",
  "768x1024": "portrait_4_3",
  "576x1024": "portrait_16_9",
  "1024x768": "landscape_4_3",
  "1024x576": "landscape_16_9",
};

const DIMENSIONS = /^(\d{2,5})x(\d{2,5})$/;
const DATA_URI = /^data:[^;,]+;base64,(.*)$/s;

// fal serves its platform API (models, pricing) from this host, not from fal.run.
const PLATFORM_API = "https://api.fal.ai";
const DEFAULT_BASE_URL = "https://fal.run";

const trimmed = (config: ProviderConfig) => config.baseUrl.replace(/\/+$/, "");
const auth = (config: ProviderConfig) => ({ authorization: `Key ${config.apiKey}` });

/** OpenAI's `size` as fal's `image_size`; absent or `auto` leaves the model's default. */
function imageSize(size: unknown): string | { width: number; height: number } | undefined {
  if (size === undefined || size === null || size === "auto") return undefined;
  const preset = typeof size === "string" ? PRESETS[size] : undefined;
  if (preset) return preset;
  const match = typeof size === "string" ? DIMENSIONS.exec(size) : null;
  if (match) return { width: Number(match[1]), height: Number(match[2]) };
  throw new AppError({
    status: 400,
    code: "invalid_request",
    category: "validation",
    param: "size",
    message: "'size' must be WIDTHxHEIGHT (for example 1024x1024) or auto",
  });
}

/**
 * fal.ai image models over its synchronous endpoint (`POST https://fal.run/<model>`, the answer in
 * the response rather than through the queue). `b64_json` asks fal for `sync_mode`, in which it
 * returns each image as a data URI instead of a CDN URL; the response is mapped by what came
 * back, so data URIs become `b64_json` and URLs `url`. OpenAI's `quality`, `style` and `user`
 * have no fal counterpart and are dropped. Images only: no chat, no embeddings.
 */
export const fal: Provider = {
  name: "fal",
  api: "fal",
  keyVar: "FAL_KEY",
  baseUrlVar: "FAL_BASE_URL",
  defaultBaseUrl: DEFAULT_BASE_URL,
  images: {
    request(body, upstreamModel, config) {
      const size = imageSize(body.size);
      const payload = {
        prompt: body.prompt,
        ...(typeof body.n === "number" ? { num_images: body.n } : {}),
        ...(size !== undefined ? { image_size: size } : {}),
        ...(body.response_format === "b64_json" ? { sync_mode: true } : {}),
      };
      // Each segment of `fal-ai/flux/schnell` is encoded; the slashes between them are the path.
      const path = upstreamModel.split("/").map(encodeURIComponent).join("/");
      return {
        url: `${trimmed(config)}/${path}`,
        method: "POST",
        headers: { ...auth(config), "content-type": "application/json" },
        body: JSON.stringify(payload),
      };
    },
    response(json, context): ImagesResponse {
      const images = (json as { images?: unknown } | null)?.images;
      if (!Array.isArray(images)) throw unreadableResponse();
      const data = images.map((image) => {
        const url = (image as { url?: unknown } | null)?.url;
        if (typeof url !== "string") throw unreadableResponse();
        const inline = DATA_URI.exec(url);
        return inline ? { b64_json: inline[1]! } : { url };
      });
      return { created: context.created, data };
    },
  },
  // fal.run has nothing to list, and any model call there costs GPU time. fal's platform API
  // answers a price lookup only for a valid key and runs nothing: one lookup proves the key. An overridden
  // base URL (a mock, a gateway) is asked at its own host.
  probe(config) {
    const base = trimmed(config);
    const host = base === DEFAULT_BASE_URL ? PLATFORM_API : base;
    return {
      url: `${host}/v1/models/pricing?endpoint_id=${encodeURIComponent("fal-ai/flux/schnell")}`,
      method: "GET",
      headers: auth(config),
    };
  },
  error: falError,
};
