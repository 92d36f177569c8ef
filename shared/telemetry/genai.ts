import { type Attributes, type RequestTrace, type Span, SpanKind } from "./trace.ts";

/** Our providers as the GenAI semantic conventions' `gen_ai.provider.name` registry spells them. */
const PROVIDER_NAMES: Record<string, string> = { gemini: "gcp.gemini" };

/** `gen_ai.operation.name` of each proxied capability. */
const OPERATIONS: Record<string, string> = {
  chat: "chat",
  embeddings: "embeddings",
  images: "generate_content",
};

/** What one attempt calls: a provider and its model. */
export interface AttemptTarget {
  provider: string;
  model: string;
}

/**
 * The spans of one proxied request's upstream attempts, following the OpenTelemetry GenAI
 * semantic conventions (a client span `{operation} {model}` per call): provider, model,
 * attempt number, the breaker's state, the observed wait before a retry, and the upstream's
 * status. The serving attempt's span stays open until its usage is known (after the response).
 */
export function attemptSpans(trace: RequestTrace | undefined, capability: string) {
  const operation = OPERATIONS[capability] ?? capability;
  const tried = new Map<string, number>(); // target → when its last attempt ended
  let attempts = 0;
  let serving: Span | undefined;
  const key = (t: AttemptTarget) => `${t.provider}:${t.model}`;
  const base = (t: AttemptTarget): Attributes => ({
    "gen_ai.operation.name": operation,
    "gen_ai.provider.name": PROVIDER_NAMES[t.provider] ?? t.provider,
    "gen_ai.request.model": t.model,
  });
  return {
    /** Runs one attempt in its span, the upstream's traceparent its argument. */
    async run<T>(
      target: AttemptTarget,
      work: (traceparent: string | undefined) => Promise<T | Response>,
    ): Promise<T | Response> {
      if (!trace) return work(undefined);
      const previous = tried.get(key(target));
      const span = trace.start(`${operation} ${target.model}`, {
        kind: SpanKind.client,
        attributes: {
          ...base(target),
          "breakwater.attempt": ++attempts,
          "breakwater.breaker.state": "closed",
          "breakwater.retry.delay_ms": previous === undefined ? undefined : Date.now() - previous,
        },
      });
      try {
        const value = await work(span.traceparent);
        const status = value instanceof Response ? value.status : 200;
        span.set({ "http.response.status_code": status });
        if (status < 400) {
          span.set({ "gen_ai.response.model": target.model });
          serving = span;
          return value;
        }
        span.fail(`HTTP ${status}`);
        span.set({ "error.type": String(status) });
        span.end();
        return value;
      } catch (error) {
        const type = error instanceof Error ? error.name : "error";
        span.set({ "error.type": type });
        span.fail(type);
        span.end();
        throw error;
      } finally {
        tried.set(key(target), Date.now());
      }
    },
    /** Targets the chain passed over without a call: their breaker was open, or time ran out. */
    skipped(targets: readonly AttemptTarget[], breakerOpen: (index: number) => boolean) {
      if (!trace) return;
      targets.forEach((target, index) => {
        if (tried.has(key(target))) return;
        const open = breakerOpen(index);
        trace
          .start(`${operation} ${target.model}`, {
            kind: SpanKind.client,
            attributes: {
              ...base(target),
              "breakwater.breaker.state": open ? "open" : "not tried",
            },
          })
          .end();
      });
    },
    /** The serving attempt's usage, once read (after the response); ends its span. */
    served(usage: { prompt_tokens?: number; completion_tokens?: number } | undefined) {
      serving?.set({
        "gen_ai.usage.input_tokens": usage?.prompt_tokens,
        "gen_ai.usage.output_tokens": usage?.completion_tokens,
      });
      serving?.end();
    },
  };
}
