// A local fal.ai: the synchronous model endpoint (`POST /<owner>/<app>/...`) of a few image
// models, and the platform API's price lookup used as the health probe, behind fal's key check
// and `{detail}` error bodies.
import {
  type JsonAnswer,
  type MockOptions,
  type MockServer,
  type RecordedCall,
  startMock,
} from "./harness.ts";

export type { FailMode, MockServer, RecordedCall } from "./harness.ts";

/** The key the mock accepts unless told another. */
export const FAL_MOCK_KEY = "fal-mock-key:secret";

/** A real 1x1 PNG: what every image is in sync mode. */
export const FAL_MOCK_PNG =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";

interface Json {
  [key: string]: unknown;
}

const MODELS = new Set(["fal-ai/flux/schnell", "fal-ai/flux/dev", "fal-ai/fast-sdxl"]);

const SIZES: Record<string, [number, number]> = {
  square_hd: [1024, 1024],
  square: [512, 512],
  portrait_4_3: [768, 1024],
  portrait_16_9: [576, 1024],
  landscape_4_3: [1024, 768],
  landscape_16_9: [1024, 576],
};

const detail = (status: number, value: unknown): JsonAnswer => ({
  status,
  json: { detail: value },
});

// fal's words for each status a test can ask for (any other gets the 500 body).
const FAILURES: Record<number, JsonAnswer> = {
  500: detail(500, [
    { loc: ["body"], msg: "Internal server error on runner 7f3a", type: "internal_server_error" },
  ]),
  503: detail(503, "Service temporarily unavailable: no runners available"),
  429: detail(429, "Too many concurrent requests for this key"),
  401: detail(401, "No user found for Key ID and Secret"),
  400: detail(400, "Request body is not valid JSON"),
};

function invalid(field: string, msg: string, type: string, input: unknown): JsonAnswer {
  return detail(422, [{ loc: ["body", field], msg, type, input }]);
}

function generate(model: string, body: Json): JsonAnswer {
  if (typeof body.prompt !== "string" || body.prompt === "") {
    return invalid("prompt", "Field required", "missing", body);
  }
  const n = body.num_images ?? 1;
  if (typeof n !== "number" || n < 1 || n > 4) {
    return invalid("num_images", "Input should be less than or equal to 4", "less_than_equal", n);
  }
  const size = body.image_size ?? "landscape_4_3";
  const [width, height] =
    typeof size === "string"
      ? (SIZES[size] ?? [0, 0])
      : [(size as Json).width as number, (size as Json).height as number];
  if (!width || !height) return invalid("image_size", "Input should be a valid size", "enum", size);
  const seed = [...body.prompt].reduce((sum, char) => sum * 31 + char.charCodeAt(0), 7) % 2 ** 31;
  const images = Array.from({ length: n }, (_, i) =>
    body.sync_mode === true
      ? { url: `data:image/png;base64,${FAL_MOCK_PNG}`, width, height, content_type: "image/png" }
      : {
          url: `https://v3.fal.media/files/mock/${model.replaceAll("/", "-")}-${seed}-${i}.jpeg`,
          width,
          height,
          content_type: "image/jpeg",
        },
  );
  return {
    status: 200,
    json: {
      images,
      timings: { inference: 0.31 },
      seed,
      has_nsfw_concepts: images.map(() => false),
      prompt: body.prompt,
    },
  };
}

function answer(call: RecordedCall, apiKey: string): JsonAnswer {
  const authorization = call.headers.authorization;
  if (authorization === undefined) {
    return detail(
      401,
      "Cannot access application. Authentication is required to access this application.",
    );
  }
  if (authorization !== `Key ${apiKey}`) return detail(401, "No user found for Key ID and Secret");
  if (call.method === "GET" && call.path === "/v1/models/pricing") {
    const ids = (call.query.endpoint_id ?? "").split(",").filter(Boolean);
    const prices = ids.map((id) => ({
      endpoint_id: id,
      unit_price: 0.003,
      unit: "megapixels",
      currency: "USD",
    }));
    return { status: 200, json: { prices, next_cursor: null, has_more: false } };
  }
  const model = call.path.slice(1);
  if (call.method !== "POST" || !MODELS.has(model)) {
    return detail(404, `Application '${model}' not found`);
  }
  return generate(model, (call.body ?? {}) as Json);
}

/** Starts the fal mock on a free loopback port. */
export function startFalMock(options: MockOptions = {}): Promise<MockServer> {
  const apiKey = options.apiKey ?? FAL_MOCK_KEY;
  // fal answers JSON only: "cut-stream" cuts that JSON half-way, "slow-first-token" delays it whole.
  return startMock(
    {
      answer: (call) => answer(call, apiKey),
      errorBody: (status) => (FAILURES[status] ?? FAILURES[500]!).json,
      jsonType: "application/json; charset=UTF-8",
    },
    { slowMs: options.slowMs },
  );
}
