import { Redis } from "@upstash/redis/cloudflare";

export interface RedisOptions {
  url: string;
  token: string;
  /** Per-command deadline: requests wait on Redis for at most this long. */
  timeoutMs: number;
}

/**
 * An Upstash REST client for the request path: no client retries (its default is 5 with
 * backoff, seconds of waiting) and a tight per-command timeout, so a slow Redis costs a request
 * at most `timeoutMs`. Callers decide what a failure means (fail open, fall back to memory).
 */
export function createRedis(options: RedisOptions): Redis {
  return new Redis({
    url: options.url,
    token: options.token,
    retry: { retries: 0 },
    signal: () => AbortSignal.timeout(options.timeoutMs),
    enableTelemetry: false,
    // Everything we store went in as JSON text, so it comes back valid UTF-8: no need for the
    // base64 replies (decoded in JS on every command) that guard against arbitrary bytes.
    responseEncoding: false,
  });
}
