import type { Logger } from "../http/logger.ts";
import type { AttributeValue, SpanData } from "./trace.ts";

/** Where and how spans are exported, from the OpenTelemetry environment variables. */
export interface OtlpConfig {
  /** `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`, as the specification builds it. */
  url: string;
  /** `OTEL_EXPORTER_OTLP_HEADERS` (e.g. the collector's API key). */
  headers: Record<string, string>;
  /** `OTEL_SERVICE_NAME`; else the deployment's name. */
  serviceName: string | undefined;
  timeoutMs: number;
}

/** `key1=value1,key2=value2`, values URL-encoded (the OpenTelemetry specification's format). */
export function parseOtlpHeaders(raw: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of (raw ?? "").split(",")) {
    const at = pair.indexOf("=");
    if (at <= 0) continue;
    try {
      headers[decodeURIComponent(pair.slice(0, at).trim())] = decodeURIComponent(
        pair.slice(at + 1).trim(),
      );
    } catch {
      // A malformed escape drops that one header, as the SDKs do.
    }
  }
  return headers;
}

/** The signal path appended to the base endpoint (one slash, whatever the base ends with). */
export const tracesUrl = (endpoint: string) => `${endpoint.replace(/\/+$/, "")}/v1/traces`;

function anyValue(value: AttributeValue) {
  if (typeof value === "string") return { stringValue: value };
  if (typeof value === "boolean") return { boolValue: value };
  return Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value };
}

/** An ExportTraceServiceRequest in OTLP/JSON: hex ids, 64-bit integers as strings. */
export function otlpRequest(spans: SpanData[], serviceName: string) {
  return {
    resourceSpans: [
      {
        resource: {
          attributes: [{ key: "service.name", value: { stringValue: serviceName } }],
        },
        scopeSpans: [
          {
            scope: { name: "breakwater" },
            spans: spans.map((span) => ({
              ...span,
              attributes: Object.entries(span.attributes).map(([key, value]) => ({
                key,
                value: anyValue(value),
              })),
            })),
          },
        ],
      },
    ],
  };
}

/**
 * Sends one request's spans in one OTLP/HTTP JSON POST, under a timeout. Meant for `waitUntil`:
 * it never throws, a failed export is a warning in the log and nothing more.
 */
export async function exportSpans(
  config: OtlpConfig,
  spans: SpanData[],
  context: { service: string; log: Logger },
) {
  if (spans.length === 0) return;
  try {
    const res = await fetch(config.url, {
      method: "POST",
      headers: { ...config.headers, "content-type": "application/json" },
      body: JSON.stringify(otlpRequest(spans, config.serviceName ?? context.service)),
      signal: AbortSignal.timeout(config.timeoutMs),
    });
    await res.body?.cancel();
    if (!res.ok) throw new Error(`collector answered ${res.status}`);
  } catch (error) {
    context.log.warn("trace export failed", { error, spans: spans.length });
  }
}
