import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { type AppError, isAppError } from "../../../shared/http/errors.ts";
import { fal } from "../../../shared/providers/fal/index.ts";
import type {
  ImagesRequest,
  ProviderConfig,
  UpstreamRequest,
} from "../../../shared/providers/types.ts";
import { FAL_MOCK_KEY, FAL_MOCK_PNG, type MockServer, startFalMock } from "../../mocks/fal.ts";

const raw = (name: string) =>
  readFileSync(new URL(`../../fixtures/providers/fal/${name}`, import.meta.url), "utf8");

const config = { apiKey: "fal-key-id:fal-key-secret", baseUrl: "https://fal.run" };
const context = { model: "pictures", id: "chatcmpl-1", created: 1_763_000_000 };
const MODEL = "fal-ai/flux/schnell";

function request(fields: Partial<ImagesRequest> = {}, cfg: ProviderConfig = config) {
  const body = { model: "pictures", prompt: "A lighthouse at dawn", ...fields };
  return fal.images!.request(body, MODEL, cfg);
}

const sent = (fields: Partial<ImagesRequest> = {}) =>
  JSON.parse(request(fields).body!) as Record<string, unknown>;

function caught(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    if (isAppError(error)) return error;
    throw error;
  }
  throw new Error("nothing was thrown");
}

describe("requests", () => {
  test("a prompt, n and a size map to fal's body", () => {
    expect(sent({ n: 2, size: "1024x1024" })).toEqual({
      prompt: "A lighthouse at dawn",
      num_images: 2,
      image_size: "square_hd",
    });
  });

  test.each([
    ["1024x1024", "square_hd"],
    ["512x512", "square"],
    ["768x1024", "portrait_4_3"],
    ["576x1024", "portrait_16_9"],
    ["1024x768", "landscape_4_3"],
    ["1024x576", "landscape_16_9"],
  ])("size %s is fal's preset %s", (size, preset) => {
    expect(sent({ size }).image_size).toBe(preset);
  });

  test("any other size goes as width and height", () => {
    expect(sent({ size: "1792x1024" }).image_size).toEqual({ width: 1792, height: 1024 });
  });

  test("no size, or auto, leaves the model's default", () => {
    expect(sent()).not.toHaveProperty("image_size");
    expect(sent({ size: "auto" })).not.toHaveProperty("image_size");
  });

  test("a malformed size is refused with a 400 about size", () => {
    expect(caught(() => request({ size: "huge" }))).toMatchObject({ status: 400, param: "size" });
  });

  test("b64_json asks fal for sync_mode; url does not", () => {
    expect(sent({ response_format: "b64_json" }).sync_mode).toBe(true);
    expect(sent({ response_format: "url" })).not.toHaveProperty("sync_mode");
  });

  test("the model is the path, and the key goes as Authorization: Key", () => {
    expect(request()).toMatchObject({
      url: "https://fal.run/fal-ai/flux/schnell",
      method: "POST",
      headers: {
        authorization: "Key fal-key-id:fal-key-secret",
        "content-type": "application/json",
      },
    });
  });

  test("base URLs with and without a trailing slash give the same URL", () => {
    const urls = ["http://127.0.0.1:9000", "http://127.0.0.1:9000/"].map(
      (baseUrl) => request({}, { ...config, baseUrl }).url,
    );
    expect(urls).toEqual([
      "http://127.0.0.1:9000/fal-ai/flux/schnell",
      "http://127.0.0.1:9000/fal-ai/flux/schnell",
    ]);
  });
});

describe("responses", () => {
  test("CDN URLs come back as url entries with the proxy's creation time", () => {
    expect(fal.images!.response(JSON.parse(raw("flux-schnell-response.json")), context)).toEqual({
      created: context.created,
      data: [
        { url: "https://v3.fal.media/files/panda/9bWq3kTQ2nRkL0a1Yx7pE.jpeg" },
        { url: "https://v3.fal.media/files/koala/Xo2c8mFh4TqWZJd1sLr0u.jpeg" },
      ],
    });
  });

  test("data URIs come back as b64_json without their data: prefix", () => {
    const { data } = fal.images!.response(
      JSON.parse(raw("flux-schnell-sync-response.json")),
      context,
    );
    expect(data).toHaveLength(1);
    const [image] = data as { b64_json: string }[];
    expect(image!.b64_json.startsWith("/9j/4AAQ")).toBe(true);
    expect(Buffer.from(image!.b64_json, "base64").subarray(0, 2)).toEqual(
      Buffer.from([0xff, 0xd8]),
    );
  });

  test("a body without images, or an image without a url, is a 502", () => {
    for (const json of [{}, { images: [{}] }, null]) {
      expect(caught(() => fal.images!.response(json, context)).status).toBe(502);
    }
  });

  test("fal serves images only", () => {
    expect([Boolean(fal.chat), Boolean(fal.embeddings), Boolean(fal.images)]).toEqual([
      false,
      false,
      true,
    ]);
  });
});

describe("errors", () => {
  test("a validation error keeps field and message, not the caller's echoed input", () => {
    expect(fal.error(422, raw("error-validation.json"))).toEqual({
      message: "num_images: Input should be less than or equal to 4",
      code: "invalid_request",
    });
  });

  test("a content policy violation keeps OpenAI's code of that name", () => {
    const error = fal.error(422, raw("error-content-policy.json"));
    expect(error.code).toBe("content_policy_violation");
    expect(error.message).not.toContain("a secret prompt");
  });

  test.each([
    [
      "error-unauthorized.json",
      401,
      "The upstream provider rejected the proxy's credentials",
      "invalid_api_key",
    ],
    [
      "error-locked.json",
      403,
      "The upstream provider's quota for the proxy is exhausted",
      "insufficient_quota",
    ],
    ["error-not-found.json", 404, "Application 'flux-ultra-9000' not found", "not_found"],
    ["error-internal.json", 500, "The upstream provider failed to answer", "upstream_error"],
  ])("%s (HTTP %i) is restated as %j", (name, status, message, code) => {
    expect(fal.error(status, raw(name))).toEqual({ message, code });
  });

  test("a 403 that is not about the balance is a permission error", () => {
    expect(fal.error(403, '{"detail":"Forbidden"}').code).toBe("permission_denied");
  });

  test("the raw body is never echoed for 5xx or account errors", () => {
    for (const [name, status] of [
      ["error-internal.json", 500],
      ["error-locked.json", 403],
      ["error-unauthorized.json", 401],
    ] as const) {
      expect(fal.error(status, raw(name)).message).not.toMatch(/CUDA|runner|balance|Key ID|[{}]/);
    }
  });

  test("a body that is not JSON gets a message naming only the status", () => {
    expect(fal.error(400, "Bad Request")).toEqual({
      message: "The upstream provider refused the request (HTTP 400)",
      code: "invalid_request",
    });
  });
});

describe("probe", () => {
  test("with fal's own base URL, the probe looks up one price on fal's platform API", () => {
    expect(fal.probe(config)).toEqual({
      url: "https://api.fal.ai/v1/models/pricing?endpoint_id=fal-ai%2Fflux%2Fschnell",
      method: "GET",
      headers: { authorization: "Key fal-key-id:fal-key-secret" },
    });
  });

  test("an overridden base URL is probed at its own host, with or without a trailing slash", () => {
    for (const baseUrl of ["http://127.0.0.1:9000", "http://127.0.0.1:9000/"]) {
      expect(fal.probe({ ...config, baseUrl }).url).toBe(
        "http://127.0.0.1:9000/v1/models/pricing?endpoint_id=fal-ai%2Fflux%2Fschnell",
      );
    }
  });
});

describe("the mock", () => {
  let mock: MockServer;
  let local: ProviderConfig;
  beforeEach(async () => {
    mock = await startFalMock({ slowMs: 300 });
    local = { apiKey: FAL_MOCK_KEY, baseUrl: mock.url };
  });
  afterEach(() => mock.close());

  const send = (upstream: UpstreamRequest, signal?: AbortSignal) =>
    fetch(upstream.url, {
      method: upstream.method,
      headers: upstream.headers,
      ...(upstream.body !== undefined ? { body: upstream.body } : {}),
      ...(signal ? { signal } : {}),
    });

  test("an image request round-trips as url entries, recorded with its key header", async () => {
    const response = await send(request({ n: 2, size: "1024x1024" }, local));
    const images = fal.images!.response(await response.json(), context);
    expect(images.data).toHaveLength(2);
    expect(images.data[0]).toHaveProperty(
      "url",
      expect.stringMatching(/^https:\/\/v3\.fal\.media\//),
    );
    expect(mock.calls()[0]).toMatchObject({
      method: "POST",
      path: "/fal-ai/flux/schnell",
      headers: { authorization: `Key ${FAL_MOCK_KEY}` },
      body: { prompt: "A lighthouse at dawn", num_images: 2, image_size: "square_hd" },
    });
  });

  test("b64_json round-trips as base64 through sync_mode", async () => {
    const response = await send(request({ response_format: "b64_json" }, local));
    expect(fal.images!.response(await response.json(), context).data).toEqual([
      { b64_json: FAL_MOCK_PNG },
    ]);
  });

  test("the probe is answered by the mock's pricing endpoint", async () => {
    const response = await send(fal.probe(local));
    expect(await response.json()).toMatchObject({ prices: [{ endpoint_id: MODEL }] });
  });

  test("a wrong key gets fal's 401 detail, restated as invalid_api_key", async () => {
    const response = await send(request({}, { ...local, apiKey: "wrong" }));
    expect(response.status).toBe(401);
    expect(fal.error(401, await response.text()).code).toBe("invalid_api_key");
  });

  test("an invalid input gets fal's 422 validation detail", async () => {
    const response = await send(request({ n: 9 }, local));
    expect(response.status).toBe(422);
    expect(fal.error(422, await response.text()).message).toBe(
      "num_images: Input should be less than or equal to 4",
    );
  });

  test.each([
    ["500", "upstream_error"],
    ["503", "upstream_error"],
    ["429", "rate_limit_exceeded"],
    ["401", "invalid_api_key"],
    ["400", "invalid_request"],
  ] as const)("failNext %s answers that status with fal's detail body", async (mode, code) => {
    mock.failNext(mode);
    const response = await send(request({}, local));
    expect(response.status).toBe(Number(mode));
    expect(fal.error(response.status, await response.text()).code).toBe(code);
  });

  test("failNext 429 says Retry-After: 1", async () => {
    mock.failNext("429");
    expect((await send(request({}, local))).headers.get("retry-after")).toBe("1");
  });

  test("failNext applies to the given number of requests only", async () => {
    mock.failNext("500", 2);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await send(request({}, local))).status);
    expect(statuses).toEqual([500, 500, 200]);
  });

  test("hang accepts the request and never answers", async () => {
    mock.failNext("hang");
    const error = await send(request({}, local), AbortSignal.timeout(300)).catch((e: unknown) => e);
    expect((error as Error).name).toBe("TimeoutError");
  });

  test("reset destroys the socket before any answer", async () => {
    mock.failNext("reset");
    expect(await send(request({}, local)).catch((e: unknown) => e)).toBeInstanceOf(TypeError);
  });

  test("cut-stream stops the JSON half-way and drops the connection", async () => {
    mock.failNext("cut-stream");
    const response = await send(request({}, local));
    expect(await response.text().catch((e: unknown) => e)).toBeInstanceOf(TypeError);
  });

  test("slow-first-token delays the whole answer", async () => {
    mock.failNext("slow-first-token");
    const started = Date.now();
    await (await send(request({}, local))).json();
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
  });
});
