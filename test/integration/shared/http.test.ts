import { Hono } from "hono";
import { describe, expect, test } from "vitest";
import { readJson } from "../../../shared/http/body.ts";
import { AppError } from "../../../shared/http/errors.ts";
import { type BaseVariables, createRootApp } from "../../../shared/http/app.ts";

// A probe function mounted on the real root app, exercising each part of the shared layer.
function probeApp() {
  const app = new Hono<{ Variables: BaseVariables }>();
  app.post("/echo", async (c) => c.json({ got: await readJson(c.req.raw, 64) }));
  app.post("/v1/echo", async (c) => c.json({ got: await readJson(c.req.raw, 64) }));
  app.get("/items/:id", (c) => c.json({ id: c.req.param("id") }));
  app.get("/boom", () => {
    throw new Error("database password is hunter2 at 10.0.0.1");
  });
  app.get("/refuse", () => {
    throw new AppError({
      status: 429,
      code: "rate_limited",
      category: "rate_limit",
      message: "Slow down",
      headers: { "Retry-After": "3" },
    });
  });
  return app;
}

function setup() {
  const lines: string[] = [];
  const app = createRootApp({ name: "test", apps: [probeApp()], logSink: (l) => lines.push(l) });
  return { app, lines };
}

const json = (body: string, headers: Record<string, string> = {}) => ({
  method: "POST",
  body,
  headers: { "content-type": "application/json", ...headers },
});

describe("error envelopes", () => {
  test("unknown route answers the 404 envelope", async () => {
    const res = await setup().app.request("/nowhere");
    expect(res.status).toBe(404);
    const body = await res.json<any>();
    expect(body).toMatchObject({
      success: false,
      error: { code: "not_found", category: "not_found", path: "/nowhere" },
    });
    expect(body.error.requestId).toBe(res.headers.get("x-request-id"));
    expect(Date.parse(body.error.timestamp)).not.toBeNaN();
  });

  test("wrong method answers 405 with Allow", async () => {
    const res = await setup().app.request("/items/7", { method: "DELETE" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD");
    expect(await res.json()).toMatchObject({ error: { code: "method_not_allowed" } });
  });

  test("malformed JSON answers 400 invalid_json", async () => {
    const res = await setup().app.request("/echo", json("{nope"));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: { code: "invalid_json", category: "validation" },
    });
  });

  test("invalid UTF-8 in a JSON body answers 400", async () => {
    const res = await setup().app.request("/echo", {
      method: "POST",
      body: new Uint8Array([0x22, 0xff, 0x22]),
      headers: { "content-type": "application/json" },
    });
    expect(res.status).toBe(400);
  });

  test("wrong content type answers 415", async () => {
    const res = await setup().app.request("/echo", json("{}", { "content-type": "text/plain" }));
    expect(res.status).toBe(415);
    expect(await res.json()).toMatchObject({
      error: { code: "unsupported_media_type", details: { accepted: ["application/json"] } },
    });
  });

  test("a declared oversize body answers 413 before it is read", async () => {
    const res = await setup().app.request("/echo", json("{}", { "content-length": "1000000" }));
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: "payload_too_large" } });
  });

  test("a streamed oversize body without Content-Length answers 413", async () => {
    const chunks = ['{"a":"', "x".repeat(40), "x".repeat(40), '"}'];
    const body = new ReadableStream({
      pull(controller) {
        const next = chunks.shift();
        if (next === undefined) controller.close();
        else controller.enqueue(new TextEncoder().encode(next));
      },
    });
    const res = await setup().app.request("/echo", {
      method: "POST",
      body,
      headers: { "content-type": "application/json" },
      // @ts-expect-error: workerd's RequestInit needs duplex for a streamed body
      duplex: "half",
    });
    expect(res.status).toBe(413);
  });

  test("an unexpected error answers a generic 500 that reveals nothing", async () => {
    const { app, lines } = setup();
    const res = await app.request("/boom");
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain("hunter2");
    expect(text).not.toContain("stack");
    expect(JSON.parse(text)).toMatchObject({
      error: { code: "internal_error", message: "Internal error" },
    });
    expect(lines.some((l) => JSON.parse(l).msg === "unhandled error")).toBe(true);
  });

  test("an AppError keeps its status, code and headers", async () => {
    const res = await setup().app.request("/refuse");
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("3");
    expect(await res.json()).toMatchObject({
      error: { code: "rate_limited", category: "rate_limit" },
    });
  });

  test("errors under /v1 keep OpenAI's shape", async () => {
    const res = await setup().app.request("/v1/echo", json("{nope", { "x-request-id": "abc-1" }));
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: {
        message: "Request body is not valid JSON",
        type: "invalid_request_error",
        param: null,
        code: "invalid_json",
      },
      requestId: "abc-1",
    });
  });

  test("an unknown /v1 route answers 404 in OpenAI's shape", async () => {
    const res = await setup().app.request("/v1/nothing");
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({
      error: { type: "invalid_request_error", code: "not_found" },
    });
  });
});

describe("request ids", () => {
  test("a sane caller id is echoed", async () => {
    const res = await setup().app.request("/items/1", {
      headers: { "x-request-id": "req_123.a:b-c" },
    });
    expect(res.headers.get("x-request-id")).toBe("req_123.a:b-c");
  });

  test("an unsafe caller id is replaced by a generated one", async () => {
    const res = await setup().app.request("/items/1", {
      headers: { "x-request-id": "bad id <script>" },
    });
    expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  test("an id is generated when none is sent, on errors too", async () => {
    const res = await setup().app.request("/nowhere");
    expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});

test("every request writes one access-log line with its request id and no query string", async () => {
  const { app, lines } = setup();
  await app.request("/items/9?token=sekrit", { headers: { "x-request-id": "r-9" } });
  const entries = lines.map((l) => JSON.parse(l));
  expect(entries).toEqual([
    expect.objectContaining({
      level: "info",
      fn: "test",
      msg: "request",
      requestId: "r-9",
      path: "/items/9",
      status: 200,
    }),
  ]);
  expect(lines.join()).not.toContain("sekrit");
});

test("the LOG_LEVEL binding sets the level of the request's logger", async () => {
  const lines: string[] = [];
  const app = createRootApp({ name: "test", apps: [probeApp()], logSink: (l) => lines.push(l) });
  await app.request("/items/1", {}, { LOG_LEVEL: "warn" });
  expect(lines).toEqual([]);
  await app.request("/items/1", {}, { LOG_LEVEL: "info" });
  expect(lines).toHaveLength(1);
});
