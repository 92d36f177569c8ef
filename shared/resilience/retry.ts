import { type DeadlineInput, resolveDeadline } from "./deadline.ts";
import { retryAfterMs } from "./retry-after.ts";
import { isTimeoutError } from "./timeout.ts";

/** Capped exponential backoff; `retries` counts the attempts after the first. */
export interface Backoff {
  initialDelayMs: number;
  maxDelayMs: number;
  retries: number;
}

/** The retry presets of docs/resilience.md, as data. */
export const RETRY_PRESETS = {
  quick: { initialDelayMs: 500, maxDelayMs: 5_000, retries: 2 },
  standard: { initialDelayMs: 1_000, maxDelayMs: 30_000, retries: 3 },
  slow: { initialDelayMs: 2_000, maxDelayMs: 60_000, retries: 5 },
  aggressive: { initialDelayMs: 100, maxDelayMs: 5_000, retries: 3 },
} as const satisfies Record<string, Backoff>;

const RETRYABLE_STATUSES = new Set([408, 429, 500, 502, 503, 504]);
const NETWORK_CODES = new Set<unknown>(["ECONNRESET", "ETIMEDOUT", "ENOTFOUND", "ECONNREFUSED"]);

/** One failed attempt: it either returned a retryable status or threw. */
export type AttemptFailure =
  { attempt: number; status: number } | { attempt: number; error: unknown };

/** What a run of the retry policy did, whether it ended in a value or an error. */
export interface RetryStats {
  /** Times the task was called. */
  attempts: number;
  /** Time spent waiting between attempts. */
  totalDelayMs: number;
  /** Every failed attempt, in order, including the last one when the run gave up. */
  errors: AttemptFailure[];
}

/** Passed to `onRetry` after attempt `attempt` failed, before waiting `delayMs`. */
export interface RetryEvent {
  attempt: number;
  delayMs: number;
  error?: unknown;
  /** Its body is cancelled once `onRetry` returns, so the connection is released. */
  response?: Response;
}

export interface RetryOptions extends Backoff {
  onRetry?: (event: RetryEvent) => void;
  /** Uniform in [0, 1); tests pin it to check the jitter bounds. */
  random?: () => number;
  now?: () => number;
}

/** One run: its deadline, the caller's signal, and whether repeating it is safe. */
export type RetryCall = DeadlineInput & {
  signal?: AbortSignal | undefined;
  /** `false` for calls that must not run twice (a POST), unless `idempotencyKey` is given. */
  idempotent?: boolean;
  /** The key the task sends upstream, the same on every attempt; it makes a retry safe. */
  idempotencyKey?: string | undefined;
};

/** What each attempt gets: fits `TimeoutPolicy.execute`'s `call` as it is. */
export interface AttemptContext {
  /** 1 for the first call. */
  attempt: number;
  signal: AbortSignal | undefined;
  /** The run's absolute deadline (ms since the epoch). */
  deadline: number;
}

const BRAND = Symbol.for("breakwater.RetryError");

/** A run that ended in an error; `cause` is the last attempt's error, or the caller's abort. */
export class RetryError extends Error {
  readonly [BRAND] = true;
  readonly stats: RetryStats;

  constructor(cause: unknown, stats: RetryStats) {
    super(`Gave up after ${stats.attempts} attempt(s)`, { cause });
    this.name = "RetryError";
    this.stats = stats;
  }
}

/** Whether `error` is a `RetryError` from any copy of this module. */
export function isRetryError(error: unknown): error is RetryError {
  return typeof error === "object" && error !== null && BRAND in error;
}

/** Runs tasks with retries; see `retry`. */
export interface RetryPolicy {
  execute<T>(
    fn: (context: AttemptContext) => Promise<T>,
    call: RetryCall,
  ): Promise<{ value: T; stats: RetryStats }>;
}

/**
 * A retry policy with full jitter: before retry n it waits random(0, min(max, initial·2^(n-1))),
 * or longer when a retryable response carries `Retry-After`/`retry-after-ms`. It gives up instead
 * of waiting past the deadline. A retryable response it gives up on is returned as the value;
 * a thrown error ends the run with a `RetryError`.
 */
export function retry(options: RetryOptions): RetryPolicy {
  const { initialDelayMs, maxDelayMs, retries } = options;
  if (!(initialDelayMs > 0)) throw new RangeError("initialDelayMs must be positive");
  if (!(maxDelayMs >= initialDelayMs)) throw new RangeError("maxDelayMs must be ≥ initialDelayMs");
  if (!Number.isInteger(retries) || retries < 0) throw new RangeError("retries must be ≥ 0");
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;

  return {
    async execute<T>(fn: (context: AttemptContext) => Promise<T>, call: RetryCall) {
      const deadline = resolveDeadline(call, now());
      const allowed = call.idempotent === false && !call.idempotencyKey ? 0 : retries;
      const stats: RetryStats = { attempts: 0, totalDelayMs: 0, errors: [] };
      for (let attempt = 1; ; attempt++) {
        if (call.signal?.aborted) throw new RetryError(call.signal.reason, stats);
        stats.attempts = attempt;
        let failed: { response: Awaited<T> & Response } | { error: unknown };
        try {
          const value = await fn({ attempt, signal: call.signal, deadline });
          if (!(value instanceof Response && RETRYABLE_STATUSES.has(value.status))) {
            return { value, stats };
          }
          stats.errors.push({ attempt, status: value.status });
          failed = { response: value };
        } catch (error) {
          stats.errors.push({ attempt, error });
          if (!isTransient(error)) throw new RetryError(error, stats);
          failed = { error };
        }
        const ceiling = Math.min(maxDelayMs, initialDelayMs * 2 ** (attempt - 1));
        const serverMs = "response" in failed ? retryAfterMs(failed.response.headers, now()) : 0;
        // The server's word wins over the backoff cap; only the deadline bounds it.
        const delayMs = Math.max(Math.floor(random() * ceiling), serverMs ?? 0);
        // A caller's abort is final even when its reason looks transient (an outer TimeoutError).
        if (attempt > allowed || call.signal?.aborted || now() + delayMs >= deadline) {
          if ("response" in failed) return { value: failed.response, stats };
          throw new RetryError(failed.error, stats);
        }
        options.onRetry?.({ attempt, delayMs, ...failed });
        // An unread body keeps its connection busy (Workers allows six open at a time).
        if ("response" in failed) void failed.response.body?.cancel().catch(() => {});
        await sleep(delayMs, call.signal).catch((reason: unknown) => {
          throw new RetryError(reason, stats);
        });
        stats.totalDelayMs += delayMs;
      }
    },
  };
}

/**
 * Transient failures: fetch's network `TypeError`, a timeout policy's `TimeoutError`, and Node's
 * socket error codes, which some clients put on `cause`. A caller's abort is never retried, but
 * that is read from the caller's signal, not from the error.
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof TypeError || isTimeoutError(error)) return true;
  const cause = error instanceof Error ? error.cause : undefined;
  return NETWORK_CODES.has(codeOf(error)) || NETWORK_CODES.has(codeOf(cause));
}

const codeOf = (error: unknown): unknown =>
  typeof error === "object" && error !== null && "code" in error ? error.code : undefined;

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
