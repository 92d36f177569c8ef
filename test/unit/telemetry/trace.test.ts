import { expect, test } from "vitest";
import { otlpConfig } from "../../../shared/telemetry/middleware.ts";
import { otlpRequest, parseOtlpHeaders, tracesUrl } from "../../../shared/telemetry/otlp.ts";
import {
  parseTraceparent,
  RequestTrace,
  SpanKind,
  traced,
} from "../../../shared/telemetry/trace.ts";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT = "00f067aa0ba902b7";

test("a well-formed traceparent is honoured; a malformed or all-zero one starts a new trace", () => {
  expect(parseTraceparent(`00-${TRACE}-${PARENT}-01`)).toEqual({
    traceId: TRACE,
    parentSpanId: PARENT,
    sampled: true,
  });
  expect(parseTraceparent(`00-${TRACE}-${PARENT}-00`)?.sampled).toBe(false);
  for (const bad of [
    undefined,
    "",
    `01-${TRACE}-${PARENT}-01`,
    `00-${"0".repeat(32)}-${PARENT}-01`,
    `00-${TRACE}-${"0".repeat(16)}-01`,
    `00-${TRACE}-${PARENT}`,
    `00-${TRACE}x-${PARENT}-01`,
  ])
    expect(parseTraceparent(bad)).toBeUndefined();
});

test("spans nest under the server span, which nests under the caller's; outbound traceparent names the span", () => {
  const trace = new RequestTrace(`00-${TRACE}-${PARENT}-01`);
  const server = trace.start("GET /x", { kind: SpanKind.server });
  const child = trace.start("upstream", { kind: SpanKind.client });
  const grandchild = trace.start("inner", { parent: child });
  expect(child.traceparent).toBe(`00-${TRACE}-${child.spanId}-01`);
  for (const span of [grandchild, child, server]) span.end();
  const [g, c, s] = trace.spans;
  expect([s!.parentSpanId, c!.parentSpanId, g!.parentSpanId]).toEqual([
    PARENT,
    server.spanId,
    child.spanId,
  ]);
});

test("idle() waits for spans still open after the response, and no longer than its limit", async () => {
  const trace = new RequestTrace();
  const deferred = trace.start("deferred write");
  let idle = false;
  const waiting = trace.idle(1_000).then(() => (idle = true));
  await new Promise((r) => setTimeout(r, 20));
  expect(idle).toBe(false);
  deferred.end();
  await waiting;
  expect(idle).toBe(true);
  trace.start("never ends");
  const started = Date.now();
  await trace.idle(50);
  expect(Date.now() - started).toBeGreaterThanOrEqual(45);
});

test("a failed span records the error's name, never its message", async () => {
  const trace = new RequestTrace();
  await expect(
    traced(trace, "call", {}, async () => {
      throw new TypeError("secret-bearing message sk-live-123");
    }),
  ).rejects.toThrow();
  expect(trace.spans[0]!.status).toEqual({ code: 2, message: "TypeError" });
});

test("OTLP/JSON: hex ids, nanosecond strings, typed attribute values, the service's resource", () => {
  const trace = new RequestTrace();
  const span = trace.start("s", {
    attributes: { a: "x", n: 3, d: 0.5, b: true, skipped: undefined },
  });
  span.end();
  const body = otlpRequest(trace.spans, "svc");
  const resource = body.resourceSpans[0]!;
  expect(resource.resource.attributes).toEqual([
    { key: "service.name", value: { stringValue: "svc" } },
  ]);
  const wire = resource.scopeSpans[0]!.spans[0]!;
  expect(wire.traceId).toMatch(/^[0-9a-f]{32}$/);
  expect(wire.spanId).toMatch(/^[0-9a-f]{16}$/);
  expect(wire.startTimeUnixNano).toMatch(/^\d{19}$/);
  expect(wire.attributes).toEqual([
    { key: "a", value: { stringValue: "x" } },
    { key: "n", value: { intValue: "3" } },
    { key: "d", value: { doubleValue: 0.5 } },
    { key: "b", value: { boolValue: true } },
  ]);
});

test("OTEL_EXPORTER_OTLP_HEADERS and the endpoint are read as the specification says", () => {
  expect(parseOtlpHeaders("api-key=a%20b, x-tenant = t1,broken,=nokey,bad=%E0%A4%A")).toEqual({
    "api-key": "a b",
    "x-tenant": "t1",
  });
  expect(tracesUrl("https://otel.example.com")).toBe("https://otel.example.com/v1/traces");
  expect(tracesUrl("https://otel.example.com/otlp/")).toBe(
    "https://otel.example.com/otlp/v1/traces",
  );
});

test("a malformed OTEL_EXPORTER_OTLP_ENDPOINT turns tracing off instead of failing requests", () => {
  expect(otlpConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "not a url" })).toBeUndefined();
  expect(otlpConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "https://otel.example.com" })?.url).toBe(
    "https://otel.example.com/v1/traces",
  );
});
