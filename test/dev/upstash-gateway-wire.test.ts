// Upstash's REST wire format as raw HTTP, for what the real clients never send or never show.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, inject, test } from "vitest";
import { type UpstashGateway, startUpstashGateway } from "../../dev/upstash-gateway/index.ts";

const token = `wire-${randomUUID()}`;
const prefix = `gw-wire:${randomUUID()}:`;
let gateway: UpstashGateway;

beforeAll(async () => {
  gateway = await startUpstashGateway({ redisUrl: inject("redisUrl"), token });
});

afterAll(() => gateway?.close());

interface Sent {
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
  base64?: boolean;
}

/** One request; a `body` that is not a string or bytes goes as JSON. */
async function send(path: string, { method, body, headers = {}, base64 = false }: Sent = {}) {
  const raw = typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body);
  const response = await fetch(`${gateway.url}${path}`, {
    method: method ?? (body === undefined ? "GET" : "POST"),
    headers: {
      authorization: `Bearer ${token}`,
      ...(base64 ? { "upstash-encoding": "base64" } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : raw,
  });
  return { status: response.status, body: (await response.json()) as unknown };
}

const ok = (result: unknown) => ({ status: 200, body: { result } });

test("a JSON command array POSTed to / answers {result}", async () => {
  expect(await send("/", { body: ["SET", `${prefix}json`, "v"] })).toEqual(ok("OK"));
  expect(await send("/", { body: ["GET", `${prefix}json`] })).toEqual(ok("v"));
  // Numbers are arguments too; integer replies stay JSON numbers.
  expect(await send("/", { body: ["SETEX", `${prefix}json`, 100, "v"] })).toEqual(ok("OK"));
  expect(await send("/", { body: ["TTL", `${prefix}json`] })).toEqual(ok(100));
});

test("a path-style command takes its arguments from the path, the body and the query", async () => {
  const key = `${prefix}path`;
  expect(await send(`/set/${encodeURIComponent(key)}/hello%20world`)).toEqual(ok("OK"));
  expect(await send(`/get/${encodeURIComponent(key)}`)).toEqual(ok("hello world"));
  // The POST body is appended as the value, query parameters after it.
  expect(await send(`/set/${encodeURIComponent(key)}?EX=100`, { body: "from body" })).toEqual(
    ok("OK"),
  );
  expect(await send(`/get/${encodeURIComponent(key)}`)).toEqual(ok("from body"));
  expect(await send(`/ttl/${encodeURIComponent(key)}`)).toEqual(ok(100));
  // A bodyless POST adds no argument.
  expect(await send("/ping", { method: "POST" })).toEqual(ok("PONG"));
});

test("the token is also accepted as the _token query parameter", async () => {
  const response = await fetch(`${gateway.url}/ping?_token=${token}`);
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ result: "PONG" });
});

test("with Upstash-Encoding: base64 every string but a top-level OK is base64 of its bytes", async () => {
  const key = `${prefix}binary`;
  const bytes = new Uint8Array([0xff, 0x00, 0x80, 0x41]);
  const base64 = Buffer.from(bytes).toString("base64");
  expect(await send(`/set/${encodeURIComponent(key)}`, { body: bytes, base64: true })).toEqual(
    ok("OK"),
  );
  expect(await send("/", { body: ["GET", key], base64: true })).toEqual(ok(base64));
  expect(await send("/", { body: ["PING"], base64: true })).toEqual(ok("UE9ORw=="));
  expect(await send("/", { body: ["SET", `${prefix}ok`, "OK"], base64: true })).toEqual(ok("OK"));
  expect(
    await send("/", { body: ["MGET", key, `${prefix}ok`, `${prefix}none`], base64: true }),
  ).toEqual(ok([base64, "T0s=", null]));
  expect(await send("/", { body: ["INCR", `${prefix}counter`], base64: true })).toEqual(ok(1));
});

test("without Upstash-Encoding strings are UTF-8 text, invalid bytes replaced", async () => {
  const key = `${prefix}latin1`;
  await send(`/set/${encodeURIComponent(key)}`, { body: new Uint8Array([0x63, 0xe9, 0x21]) });
  expect(await send("/", { body: ["GET", key] })).toEqual(ok("c\ufffd!"));
});

test("a pipeline answers one {result} or {error} per command, each run on its own", async () => {
  const key = `${prefix}pipeline`;
  const body = [
    ["SET", key, "x"],
    ["INCR", key],
    ["GET", key],
  ];
  expect(await send("/pipeline", { body })).toEqual({
    status: 200,
    body: [
      { result: "OK" },
      { error: "ERR value is not an integer or out of range" },
      { result: "x" },
    ],
  });
});

test("a transaction with a command Redis cannot queue is discarded whole with a 400", async () => {
  const key = `${prefix}discarded`;
  const body = [
    ["SET", key, "v"],
    ["SET", key],
  ];
  expect(await send("/multi-exec", { body })).toEqual({
    status: 400,
    body: { error: "ERR wrong number of arguments for 'set' command" },
  });
  expect(await send("/", { body: ["EXISTS", key] })).toEqual(ok(0));
});

test("a Redis error answers 400 with Redis's message", async () => {
  await send("/", { body: ["SET", `${prefix}text`, "x"] });
  expect(await send("/", { body: ["INCR", `${prefix}text`] })).toEqual({
    status: 400,
    body: { error: "ERR value is not an integer or out of range" },
  });
  expect(await send("/", { body: ["NOSUCHCOMMAND"] })).toMatchObject({
    status: 400,
    body: { error: expect.stringMatching(/^ERR unknown command/) },
  });
});

test("a missing or wrong token answers 401 with Upstash's error JSON", async () => {
  const unauthorized = { status: 401, body: { error: "Unauthorized" } };
  expect(await send("/ping", { headers: { authorization: "" } })).toEqual(unauthorized);
  expect(await send("/ping", { headers: { authorization: "Bearer wrong" } })).toEqual(unauthorized);
  const byQuery = await fetch(`${gateway.url}/ping?_token=wrong`);
  expect({ status: byQuery.status, body: await byQuery.json() }).toEqual(unauthorized);
});

test("a malformed body answers 400 with an error JSON, and the gateway carries on", async () => {
  const malformed: [string, string][] = [
    ["/", "{not json"],
    ["/", '{"command":"PING"}'],
    ["/", "[]"],
    ["/", '["GET", {"nested": true}]'],
    ["/pipeline", '[["PING"], "PING"]'],
    ["/pipeline", "[]"],
    ["/multi-exec", '"PING"'],
  ];
  for (const [path, body] of malformed) {
    expect(await send(path, { body }), `${path} ${body}`).toEqual({
      status: 400,
      body: { error: expect.stringMatching(/^ERR /) },
    });
  }
  expect(await send("/", { body: ["PING"] })).toEqual(ok("PONG"));
});

test("commands that would take over the shared connection are refused", async () => {
  for (const command of [["SUBSCRIBE", "news"], ["MULTI"], ["SELECT", "1"]]) {
    expect(await send("/", { body: command })).toEqual({
      status: 400,
      body: { error: `ERR Command is not available: '${command[0]?.toLowerCase()}'` },
    });
  }
  expect(await send("/", { body: ["PING"] })).toEqual(ok("PONG"));
});

test("an HTTP method Upstash does not allow answers 405", async () => {
  expect(await send("/ping", { method: "DELETE" })).toEqual({
    status: 405,
    body: { error: "Method Not Allowed" },
  });
});

test("Upstash-only request headers the gateway has no use for are accepted", async () => {
  const headers = {
    "upstash-sync-token": "sync-123",
    "upstash-telemetry-sdk": "@upstash/redis@1.39.0",
    "upstash-telemetry-runtime": "node@v24",
  };
  expect(await send("/", { body: ["PING"], headers })).toEqual(ok("PONG"));
});
