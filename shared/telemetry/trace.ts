/** Attribute values OTLP carries; nothing else is accepted, so nothing else can leak in. */
export type AttributeValue = string | number | boolean;
export type Attributes = Record<string, AttributeValue | undefined>;

/** OTLP's span kinds, by their wire numbers. */
export const SpanKind = { internal: 1, server: 2, client: 3 } as const;

export interface SpanData {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  /** Unix epoch, nanoseconds, as OTLP/JSON writes 64-bit integers: a decimal string. */
  startTimeUnixNano: string;
  endTimeUnixNano?: string;
  attributes: Record<string, AttributeValue>;
  /** 0 unset, 2 error (OTLP's StatusCode). */
  status: { code: 0 | 2; message?: string };
}

export interface Span {
  readonly spanId: string;
  /** The W3C `traceparent` naming this span as the parent, for an outbound call. */
  readonly traceparent: string;
  set(attributes: Attributes): void;
  /** Renames the span once its name is known (a server span, by its matched route). */
  rename(name: string): void;
  /** Marks the span failed; `message` is a short reason, never a payload. */
  fail(message: string): void;
  end(): void;
}

const hex = (bytes: number) =>
  Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) =>
    b.toString(16).padStart(2, "0"),
  ).join("");

/** Wall time in ns: Date.now() moves only between I/O on Workers, which is what it can tell. */
const nowNano = () => `${Date.now()}000000`;

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** A caller's W3C trace context, if its `traceparent` is well formed (all-zero ids are not). */
export function parseTraceparent(
  header: string | undefined,
): { traceId: string; parentSpanId: string; sampled: boolean } | undefined {
  const match = TRACEPARENT.exec(header?.trim().toLowerCase() ?? "");
  if (!match || /^0+$/.test(match[1]!) || /^0+$/.test(match[2]!)) return undefined;
  return {
    traceId: match[1]!,
    parentSpanId: match[2]!,
    sampled: (parseInt(match[3]!, 16) & 1) === 1,
  };
}

/**
 * One request's trace: its spans, kept in memory until the request's work is done and then
 * exported in one batch. It counts open spans so the export can wait for work that runs after
 * the response (a deferred Redis write is a span of the same trace).
 */
export class RequestTrace {
  readonly traceId: string;
  readonly sampled: boolean;
  readonly spans: SpanData[] = [];
  readonly #remoteParent: string | undefined;
  /** The first span started (the server span): the default parent of every other. */
  #root: string | undefined;
  #open = 0;
  #idle: (() => void)[] = [];

  constructor(traceparent?: string) {
    const caller = parseTraceparent(traceparent);
    this.traceId = caller?.traceId ?? hex(16);
    this.sampled = caller?.sampled ?? true;
    this.#remoteParent = caller?.parentSpanId;
  }

  /** Starts a span under `parent`, by default the server span (itself under the caller's). */
  start(name: string, options: { kind?: number; parent?: Span; attributes?: Attributes } = {}) {
    const data: SpanData = {
      traceId: this.traceId,
      spanId: hex(8),
      name,
      kind: options.kind ?? SpanKind.internal,
      startTimeUnixNano: nowNano(),
      attributes: {},
      status: { code: 0 },
    };
    const parent = options.parent?.spanId ?? this.#root ?? this.#remoteParent;
    if (parent) data.parentSpanId = parent;
    this.#root ??= data.spanId;
    this.#open++;
    const span: Span = {
      spanId: data.spanId,
      traceparent: `00-${this.traceId}-${data.spanId}-${this.sampled ? "01" : "00"}`,
      set(attributes) {
        for (const [key, value] of Object.entries(attributes))
          if (value !== undefined) data.attributes[key] = value;
      },
      rename: (name) => (data.name = name),
      fail: (message) => (data.status = { code: 2, message }),
      end: () => {
        if (data.endTimeUnixNano) return;
        data.endTimeUnixNano = nowNano();
        this.spans.push(data);
        if (--this.#open === 0) for (const resolve of this.#idle.splice(0)) resolve();
      },
    };
    if (options.attributes) span.set(options.attributes);
    return span;
  }

  /** Resolves once every started span has ended, or after `maxMs`, whichever comes first. */
  idle(maxMs: number): Promise<void> {
    if (this.#open === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, maxMs);
      this.#idle.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/**
 * Runs `work` in a span of `trace` that ends when it settles (failed if it throws), or just runs
 * it when there is no trace (tracing off): the one call every instrumented place makes.
 */
export async function traced<T>(
  trace: RequestTrace | undefined,
  name: string,
  options: { kind?: number; parent?: Span; attributes?: Attributes },
  work: (span: Span | undefined) => Promise<T>,
): Promise<T> {
  if (!trace) return work(undefined);
  const span = trace.start(name, options);
  try {
    return await work(span);
  } catch (error) {
    span.fail(error instanceof Error ? error.name : "error");
    throw error;
  } finally {
    span.end();
  }
}
