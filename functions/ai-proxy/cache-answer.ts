import type { Context } from "hono";
import type { ChatCompletion } from "../../shared/providers/types.ts";
import { MAX_ENTRY_BYTES, type CacheEntry, type CachePlan, cacheEntry } from "./cache.ts";
import { keepStream, replayStream } from "./cache-stream.ts";
import type { AnswerMode } from "./endpoints.ts";

const JSON_HEADERS = { "content-type": "application/json" };
const STREAM_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
};

/**
 * A cached answer as the request asked for it: the JSON body, or its replay as a stream
 * (through `c`, so the headers the middleware set go with it).
 */
export function replayed(
  c: Context,
  entry: CacheEntry,
  options: { answer: AnswerMode; headers: Record<string, string> },
): Response {
  const { answer, headers } = options;
  if (!answer.stream) {
    return c.body(JSON.stringify(entry.body), 200, { ...headers, ...JSON_HEADERS });
  }
  const stream = replayStream(entry.body as unknown as ChatCompletion, answer);
  return c.body(stream, 200, { ...headers, ...STREAM_HEADERS });
}

/** Keeps a served answer in the cache: what `respond` hands it, after the response. */
export interface Keeper {
  /** A JSON answer: the upstream's bytes as passed through, or the translated body. */
  json(body: ArrayBuffer | object): void;
  /** A stream: passed through, kept if it ends whole. */
  stream(stream: ReadableStream<Uint8Array>): ReadableStream<Uint8Array>;
}

const decoder = new TextDecoder();

/** Stores answers under `plan.key` through `put`, which runs after the response (waitUntil). */
export function keeper(options: {
  plan: CachePlan;
  provider: string;
  put(key: string, value: string, ttlMs: number): Promise<void>;
  defer(pending: Promise<unknown>): void;
}): Keeper {
  const store = (body: object) => {
    const text = cacheEntry({ provider: options.provider, body: body as CacheEntry["body"] });
    if (text) options.defer(options.put(options.plan.key, text, options.plan.maxAgeSec * 1000));
  };
  return {
    json(body) {
      if (!(body instanceof ArrayBuffer)) return store(body);
      if (body.byteLength > MAX_ENTRY_BYTES) return;
      // Parsed after the response, off the client's path.
      options.defer(Promise.resolve().then(() => store(JSON.parse(decoder.decode(body)))));
    },
    stream: (stream) => keepStream(stream, { maxBytes: MAX_ENTRY_BYTES, keep: store }),
  };
}
