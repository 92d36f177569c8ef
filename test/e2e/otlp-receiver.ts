import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

/** A span as the receiver decoded it from OTLP/JSON: attributes flattened to plain values. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  start: bigint;
  end: bigint;
  attributes: Record<string, string | number | boolean>;
  status: { code: number; message?: string };
  service: string;
}

type AnyValue = {
  stringValue?: string;
  intValue?: string;
  doubleValue?: number;
  boolValue?: boolean;
};

const plain = (v: AnyValue) =>
  v.stringValue ??
  (v.intValue !== undefined ? Number(v.intValue) : (v.doubleValue ?? v.boolValue!));

/**
 * An OpenTelemetry collector's OTLP/HTTP JSON endpoint (`POST /v1/traces`) on 127.0.0.1: it
 * decodes each export request as the OTLP specification defines it and keeps the spans, the
 * headers of each export, and how many exports arrived. It can be told to fail (503).
 */
export async function startOtlpReceiver() {
  const spans: ReceivedSpan[] = [];
  const exports: { headers: IncomingHttpHeaders; traceIds: string[] }[] = [];
  let refused = 0;
  let failing = false;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      if (
        req.method !== "POST" ||
        req.url !== "/v1/traces" ||
        req.headers["content-type"] !== "application/json"
      ) {
        res.writeHead(415).end();
        return;
      }
      if (failing) {
        refused++;
        res.writeHead(503).end();
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      const traceIds = new Set<string>();
      for (const resource of body.resourceSpans) {
        const attrs = Object.fromEntries(
          resource.resource.attributes.map((a: { key: string; value: AnyValue }) => [
            a.key,
            plain(a.value),
          ]),
        );
        for (const scope of resource.scopeSpans)
          for (const s of scope.spans) {
            traceIds.add(s.traceId);
            spans.push({
              traceId: s.traceId,
              spanId: s.spanId,
              ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
              name: s.name,
              kind: s.kind,
              start: BigInt(s.startTimeUnixNano),
              end: BigInt(s.endTimeUnixNano),
              attributes: Object.fromEntries(
                s.attributes.map((a: { key: string; value: AnyValue }) => [a.key, plain(a.value)]),
              ),
              status: s.status,
              service: String(attrs["service.name"]),
            });
          }
      }
      exports.push({ headers: req.headers, traceIds: [...traceIds] });
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    exports,
    /** Exports answered 503 while failing. */
    refused: () => refused,
    fail(on: boolean) {
      failing = on;
    },
    /** Waits until the spans of `traceId` include one named `name`. */
    async waitFor(traceId: string, name: string, ms = 5_000) {
      const deadline = Date.now() + ms;
      while (Date.now() < deadline) {
        if (spans.some((s) => s.traceId === traceId && s.name === name)) return;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`no span ${name} in trace ${traceId}`);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
