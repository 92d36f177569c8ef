import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { perEnv } from "../env/per-env.ts";
import { createLogger, type Logger } from "../http/logger.ts";
import { EnvError, parseEnv, string, url } from "../env/schema.ts";
import { deferFor } from "../http/defer.ts";
import { exportSpans, type OtlpConfig, parseOtlpHeaders, tracesUrl } from "./otlp.ts";
import { RequestTrace, SpanKind } from "./trace.ts";

declare module "hono" {
  interface ContextVariableMap {
    /** This request's trace, when OTEL_EXPORTER_OTLP_ENDPOINT is set (else undefined). */
    trace: RequestTrace | undefined;
  }
}

const otelVars = {
  OTEL_EXPORTER_OTLP_ENDPOINT: url().optional(),
  OTEL_EXPORTER_OTLP_HEADERS: string().optional(),
  OTEL_SERVICE_NAME: string().optional(),
};

/**
 * How long an export waits for work after the response (deferred writes, a stream still being
 * relayed) to end its spans: under the 30 s Workers gives `waitUntil` work.
 */
const SETTLE_MS = 25_000;

/**
 * The exporter's settings from the OpenTelemetry variables; undefined when tracing is off. A
 * malformed one turns tracing off (logged once per isolate) rather than fail every request:
 * telemetry never decides whether a request is served.
 */
export const otlpConfig = perEnv((source): OtlpConfig | undefined => {
  let env;
  try {
    env = parseEnv(otelVars, source);
  } catch (error) {
    if (!(error instanceof EnvError)) throw error;
    createLogger({ fn: "telemetry" }).error(`tracing off: ${error.message}`);
    return undefined;
  }
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT) return undefined;
  return {
    url: tracesUrl(env.OTEL_EXPORTER_OTLP_ENDPOINT),
    headers: parseOtlpHeaders(env.OTEL_EXPORTER_OTLP_HEADERS),
    serviceName: env.OTEL_SERVICE_NAME,
    timeoutMs: 5_000,
  };
});

/**
 * Makes every request one trace when OTEL_EXPORTER_OTLP_ENDPOINT is set: a server span (under
 * the caller's `traceparent` if it sent one), the spans the handlers add, and one OTLP/HTTP JSON
 * export after the response. Without the variable it costs one cached lookup per request.
 */
export function tracing(
  service: string,
): MiddlewareHandler<{ Variables: { requestId: string; log: Logger } }> {
  return async function traceRequest(c, next) {
    const otlp = otlpConfig(c.env ?? {});
    if (!otlp) return next();
    const trace = new RequestTrace(c.req.header("traceparent"));
    const server = trace.start(c.req.method, {
      kind: SpanKind.server,
      attributes: { "http.request.method": c.req.method, "url.path": c.req.path },
    });
    c.set("trace", trace);
    try {
      await next();
    } finally {
      const route = routePath(c, -1);
      // Named by route, not path: a path can carry ids, and span names should be few.
      server.rename(`${c.req.method} ${route}`);
      server.set({
        "http.route": route,
        "http.response.status_code": c.res.status,
        "breakwater.request_id": c.get("requestId"),
      });
      if (c.res.status >= 500) server.fail(`HTTP ${c.res.status}`);
      server.end();
      if (trace.sampled) {
        const log = c.get("log");
        deferFor(c)(
          trace.idle(SETTLE_MS).then(() => exportSpans(otlp, trace.spans, { service, log })),
        );
      }
    }
  };
}
